"""The volunteers' tables (双报到): the registry, micro-tasks, claims and the hours ledger.

On :class:`wanzheng.db.Base`, migrated by the database's one Alembic history (revision
0007). A volunteer's name and phone are the case desk's :class:`~wanzheng.cases.models.Person`
(stored once, masked in every view); this module stores only what the registry adds: kind,
community, home grid, unit, skills and weekly availability. Operations live beside:
``registry.py``, ``tasks.py``, ``matching.py``, ``ledger.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wanzheng.db.base import Base, UTCDateTime

__all__ = ["HoursEntry", "TaskClaim", "Volunteer", "VolunteerTask"]


class Volunteer(Base):
    """One registered party member (在职党员, with the unit they report from) or volunteer."""

    __tablename__ = "volunteers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    #: ``party_member`` (在职党员到社区报到) or ``volunteer`` (志愿者).
    kind: Mapped[str] = mapped_column(String(16))
    community_key: Mapped[str] = mapped_column(ForeignKey("communities.key"), index=True)
    grid_key: Mapped[str] = mapped_column(ForeignKey("grids.key"), index=True)
    #: 工作单位 of an in-service party member (the quarterly report goes to it).
    unit: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Weekly availability: ``[{"day": 1-7 (Monday = 1), "start": "HH:MM", "end": "HH:MM"}]``
    #: in Beijing time.
    slots: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(100))


class VolunteerTask(Base):
    """A micro-task offered to volunteers: one case of the desk (a resident's request a
    dispatcher marked suitable, or a proactive task such as a visit), a time window, a place."""

    __tablename__ = "volunteer_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: ``case`` (a resident's request) or ``proactive`` (a proactive task's case).
    source: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str | None] = mapped_column(String(32), nullable=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_key: Mapped[str | None] = mapped_column(ForeignKey("grids.key"), nullable=True, index=True)
    community_key: Mapped[str | None] = mapped_column(ForeignKey("communities.key"), nullable=True)
    #: ``open`` / ``claimed`` / ``in_progress`` / ``done`` / ``not_done`` / ``expired`` /
    #: ``cancelled``.
    state: Mapped[str] = mapped_column(String(16), index=True)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), nullable=True)


class TaskClaim(Base):
    """One volunteer's turn on a task: claimed, checked in and out with the place's codes,
    or recorded as a no-show (``claimed`` / ``checked_in`` / ``done`` / ``not_done`` /
    ``no_show`` / ``withdrawn``)."""

    __tablename__ = "volunteer_claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("volunteer_tasks.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)


class HoursEntry(Base):
    """A row of the hours ledger: minutes served (from a check-out) or a correction by staff."""

    __tablename__ = "volunteer_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_claims.id"), nullable=True)
    #: ``service`` (a check-out) or ``correction`` (staff, with a note).
    kind: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    served_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
