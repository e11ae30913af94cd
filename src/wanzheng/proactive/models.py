"""The proactive services' tables (on :class:`wanzheng.db.Base`, migrated by the database's one
Alembic history): registers, access log, events, generated actions, rule runs, the
notification outbox and the resident notices. Operations live in ``proactive/store.py`` and
``proactive/outbox.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wanzheng.db.base import Base, UTCDateTime

__all__ = [
    "AccessLog",
    "EventRow",
    "Notice",
    "OutboxRow",
    "ProactiveAction",
    "RegisterRecord",
    "RuleRun",
]


class RegisterRecord(Base):
    """One resident of a service register: only the fields the rules need."""

    __tablename__ = "proactive_register"
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    living_alone: Mapped[bool] = mapped_column(Boolean)
    disability_level: Mapped[int] = mapped_column(Integer)
    chronic_conditions: Mapped[str] = mapped_column(String(200))
    newborn_birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    special_care: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[str] = mapped_column(String(64), index=True)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class AccessLog(Base):
    """Every access to a register record: who, whose, what, why, when."""

    __tablename__ = "proactive_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    user: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))  # import / read / unmask / purge
    purpose: Mapped[str] = mapped_column(Text, default="")


class EventRow(Base):
    """An event (高温, 寒潮 …) entered by staff or imported."""

    __tablename__ = "proactive_events"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grid_ids: Mapped[str] = mapped_column(Text, default="")
    community_ids: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ProactiveAction(Base):
    """One generated action, unique by its dedup key (rule + person + period)."""

    __tablename__ = "proactive_actions"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))  # task / notice / list
    to: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    outbox_key: Mapped[str | None] = mapped_column(String(220), nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RuleRun(Base):
    """One run of the rules: when, which rule set, how many actions proposed and new."""

    __tablename__ = "proactive_rule_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(100))
    rules_name: Mapped[str] = mapped_column(String(200))
    rules_version: Mapped[str] = mapped_column(String(64))
    rules_origin: Mapped[str] = mapped_column(String(300))
    n_proposed: Mapped[int] = mapped_column(Integer)
    n_new: Mapped[int] = mapped_column(Integer)


class OutboxRow(Base):
    """A notification waiting to be (or already) delivered. See ``proactive/outbox.py``."""

    __tablename__ = "proactive_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(220), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending/sending/sent/dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Notice(Base):
    """A notice on a resident's page, written by the default sender (unique per delivery)."""

    __tablename__ = "proactive_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(220), unique=True)
    person_id: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
