"""The case desk's tables (SQLAlchemy 2 declarative models on :class:`wanzheng.db.Base`).

Routing and category tables an administrator edits (areas, departments, communities, grids,
categories), residents' personal data stored once (persons), logins and tokens, cases with
their events, photos and extensions, and the log of every unmasking. Operations on them live
beside: ``cases/users.py`` (accounts, tokens), ``cases/seed.py`` and ``cases/tables.py``
(routing tables), ``cases/intake.py`` (new cases), ``cases/crud.py`` (queues and transitions),
``cases/contacts.py`` (masking and its log), ``cases/duplicates.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wanzheng.db.base import Base, UTCDateTime

__all__ = [
    "CATEGORY_SOURCES",
    "Area",
    "AuthThrottle",
    "Case",
    "CaseEvent",
    "CaseExtension",
    "CasePhoto",
    "CategoryRow",
    "Community",
    "Department",
    "Grid",
    "OneTimeCode",
    "Person",
    "Token",
    "UnmaskLog",
    "User",
]

#: Values of ``Case.category_source``.
CATEGORY_SOURCES = ("resident", "proposed", "default", "imported", "staff")


class Area(Base):
    """A served area (the subdistrict boundary); submissions outside every area are refused."""

    __tablename__ = "areas"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    polygon_wkt: Mapped[str] = mapped_column(Text)


class Department(Base):
    """A department of the 权责清单 that receives cases."""

    __tablename__ = "departments"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Community(Base):
    """A residents' committee area (社区)."""

    __tablename__ = "communities"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Grid(Base):
    """A grid (网格): a polygon in one community, served by its grid workers."""

    __tablename__ = "grids"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    community_key: Mapped[str] = mapped_column(ForeignKey("communities.key"))
    polygon_wkt: Mapped[str] = mapped_column(Text)


class CategoryRow(Base):
    """A case category with its responsible department and deadlines."""

    __tablename__ = "categories"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department_key: Mapped[str | None] = mapped_column(ForeignKey("departments.key"), nullable=True)
    sign_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    respond_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolve_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)


class Person(Base):
    """A resident's personal data, stored once (PIPL): name, phone, ID number."""

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    id_number: Mapped[str | None] = mapped_column(String(18), nullable=True)


class User(Base):
    """A login: resident or staff; staff carry their department or grid."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    department_key: Mapped[str | None] = mapped_column(ForeignKey("departments.key"), nullable=True)
    grid_key: Mapped[str | None] = mapped_column(ForeignKey("grids.key"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)


class Token(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuthThrottle(Base):
    """Failed credential checks of one key (an HMAC of an account, a client address, a
    phone) within the current window, and its lockout (``cases/throttle.py``)."""

    __tablename__ = "auth_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class OneTimeCode(Base):
    """A one-time code sent to prove a subject (a phone) for a purpose (``cases/onetime.py``):
    only its HMAC with the secret key is stored; it expires, counts wrong attempts and is
    used once."""

    __tablename__ = "one_time_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    subject_key: Mapped[str] = mapped_column(String(80), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


#: The open cases (those that run against a deadline), as ``crud.overdue_clause`` writes it,
#: so that the overdue query implies the predicate of the partial indexes below.
OPEN_CASES = text("state NOT IN ('closed', 'merged', 'rejected', 'resolved')")
_OVERDUE_INCLUDE = ("state", "escalation_level", "sign_due", "respond_due", "resolve_due",
                    "accepted_at", "responded_at", "resolved_at")  # fmt: skip
#: (name, scope column, columns carried on PostgreSQL) of the open cases' indexes (0010).
OPEN_SCOPE_INDEXES = (
    ("ix_cases_open_grid", "grid_key", ("department_key", *_OVERDUE_INCLUDE)),
    ("ix_cases_open_department", "department_key", ("grid_key", *_OVERDUE_INCLUDE)),
)


class Case(Base):
    """A case (诉求/工单). ``state`` always equals the ``to_state`` of its latest event."""

    __tablename__ = "cases"
    # the staff lists: the newest cases of a scope or a state (migration 0009)
    __table_args__ = (
        Index("ix_cases_state_id", "state", "id"),
        Index("ix_cases_grid_key_id", "grid_key", "id"),
        Index("ix_cases_department_key_id", "department_key", "id"),
        # the overdue list and escalation of a scope: its open cases only (migration 0010)
        *(
            Index(
                name,
                scope,
                "id",
                postgresql_include=[*include],
                postgresql_where=OPEN_CASES,
                sqlite_where=OPEN_CASES,
            )
            for name, scope, include in OPEN_SCOPE_INDEXES
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    case_type: Mapped[str] = mapped_column(String(32), default="request")
    source: Mapped[str] = mapped_column(String(32), default="web")
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    category_key: Mapped[str] = mapped_column(ForeignKey("categories.key"))
    proposed_category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    proposed_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Where ``category_key`` came from: ``resident`` (chosen at submission), ``proposed`` (the
    #: classifier), ``default`` (no proposal: other.general), ``imported`` (an import row's
    #: 诉求类别) or ``staff`` (confirmed or changed by a dispatcher: action ``recategorise``).
    category_source: Mapped[str] = mapped_column(String(16), server_default="proposed")
    department_key: Mapped[str | None] = mapped_column(ForeignKey("departments.key"), nullable=True)
    grid_key: Mapped[str | None] = mapped_column(ForeignKey("grids.key"), nullable=True)
    community_key: Mapped[str | None] = mapped_column(ForeignKey("communities.key"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), nullable=True)
    #: The resident account the case belongs to: the one that filed it logged in, or that
    #: claimed it with its tracking code. A phone never makes a case an account's: cases
    #: without an owner are seen by accounts that proved the phone (``users.person_id``).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sign_due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    respond_due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolve_due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolve_days: Mapped[int] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(16), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    last_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    person: Mapped[Person | None] = relationship(lazy="joined")
    photos: Mapped[list[CasePhoto]] = relationship(lazy="selectin", order_by="CasePhoto.position")


class CaseEvent(Base):
    """One transition (or escalation / extension) of a case: who, when, from, to, note."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


AFTER_PHOTO_POSITION = 100
"""First ``CasePhoto.position`` of the photos staff attach when handling a case (办结照片); the
resident's photos take the positions below it (at most six)."""


class CasePhoto(Base):
    """A photo of a case, stored content-addressed on disk by its SHA-256.

    ``position`` orders the photos: below :data:`AFTER_PHOTO_POSITION` the resident's (filed
    with the case), from it on the handler's (the place after the work, 办结照片).
    """

    __tablename__ = "case_photos"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    ext: Mapped[str] = mapped_column(String(8))

    @property
    def after(self) -> bool:
        """True for a photo staff attached when handling the case (办结照片)."""
        return self.position >= AFTER_PHOTO_POSITION


class CaseExtension(Base):
    """An approved extension of the resolve deadline (working days, reason, approver)."""

    __tablename__ = "case_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class UnmaskLog(Base):
    """Every disclosure of unmasked personal data: who, whose, which fields, why, when."""

    __tablename__ = "unmask_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_label: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    fields: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
