"""The consultations' tables (on :class:`wanzheng.db.Base`, migrated by the database's one
Alembic history, revision 0006). Operations live in ``consult/store.py``, ``ballots.py``,
``electors.py`` and ``proposals.py``.

The ballot is secret by construction: :class:`Voter` records *that* an elector voted (one row
per elector and consultation, which is what makes "one vote each" a unique constraint), and
:class:`Ballot` records *what* was chosen, under a random key and with the day only, so that
no column or timestamp joins the two (the physical row order is visible only to whoever reads
the database files: ``docs/consult.md``, "Limits"). A voter keeps a receipt (only its HMAC is stored
on the ballot) to read their own ballot back; nobody else can.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wanzheng.db.base import Base, UTCDateTime

__all__ = [
    "Ballot",
    "Consultation",
    "Elector",
    "Option",
    "PaperCount",
    "Proposal",
    "Step",
    "Support",
    "Voter",
]


class Consultation(Base):
    """One consultation (议事协商) of one community, started from something measured."""

    __tablename__ = "consult_consultations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    community_name: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(16))  # gap / topic / proposal
    origin_ref: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    method: Mapped[str] = mapped_column(String(16))  # majority / pick_n / budget
    pick_n: Mapped[int | None] = mapped_column(Integer, nullable=True)
    budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    verify: Mapped[str] = mapped_column(String(16))  # identifier / code
    notice_days: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Option(Base):
    """A concrete option: a costed siting alternative from the plan, or written by staff."""

    __tablename__ = "consult_options"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consult_consultations.id"), index=True)
    label: Mapped[str] = mapped_column(String(8))  # A, B, C …
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # plan / staff
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    residents_new: Mapped[float | None] = mapped_column(Float, nullable=True)
    site: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reach: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Step(Base):
    """One step of a consultation, with its deadline, who is responsible and when it was done."""

    __tablename__ = "consult_steps"
    __table_args__ = (UniqueConstraint("consultation_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consult_consultations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # notice / meeting / vote / result / …
    position: Mapped[int] = mapped_column(Integer)
    responsible: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Elector(Base):
    """One resident of the office's resident list: only HMACs of the identifier and phone."""

    __tablename__ = "consult_electors"
    __table_args__ = (UniqueConstraint("community_id", "id_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Voter(Base):
    """That an elector voted (online) in a consultation: one row each, never what they chose."""

    __tablename__ = "consult_voters"
    __table_args__ = (UniqueConstraint("consultation_id", "elector_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consult_consultations.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("consult_electors.id"))
    voted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Ballot(Base):
    """What one online ballot chose: a random key, the day, the choices, the receipt's HMAC."""

    __tablename__ = "consult_ballots"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consult_consultations.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    choices: Mapped[list[int]] = mapped_column(JSON)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)


class PaperCount(Base):
    """The paper ballots of one booth: subtotals per option, entered and confirmed by two
    different staff members; only confirmed counts enter the result."""

    __tablename__ = "consult_paper_counts"
    __table_args__ = (UniqueConstraint("consultation_id", "booth"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consult_consultations.id"), index=True)
    booth: Mapped[str] = mapped_column(String(100))
    ballots: Mapped[int] = mapped_column(Integer)
    invalid: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)  # option id -> marks
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Proposal(Base):
    """A residents' proposal; it may start a consultation once its supports reach the threshold."""

    __tablename__ = "consult_proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    threshold: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consultation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Support(Base):
    """An elector's support of a proposal (one each)."""

    __tablename__ = "consult_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "elector_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("consult_proposals.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("consult_electors.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
