"""Persistence of the case desk (SQLAlchemy 2): models and CRUD functions.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments, checks the
caller's scope (an :class:`Actor`) and raises only from :mod:`wanzheng.errors`. The caller
commits (the web layer commits once per request, so nothing is half-written); functions
flush when they need generated ids.

SQLite is opened in WAL mode with ``synchronous=FULL`` (a commit is on disk when it returns)
and every transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the
database lock instead of failing on lock upgrade. PostgreSQL keeps its default
``synchronous_commit=on``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    false,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.sql import Select

from wanzheng.cases.categories import CategoryClassifier, CategoryTree, DeadlineProfile
from wanzheng.cases.deadlines import (
    add_working_days,
    build_deadlines,
    missed_deadlines,
    overdue_hours,
)
from wanzheng.cases.masking import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
)
from wanzheng.cases.routing import GridIndex, RoutingSeed, in_china_bbox, parse_polygon
from wanzheng.cases.states import StateMachine
from wanzheng.errors import (
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
)

if TYPE_CHECKING:  # the text module is imported only when duplicates are asked for
    from wanzheng.text.dedupe import DuplicateCandidate

__all__ = [
    "CATEGORY_SOURCES",
    "REROUTE_STATES",
    "ROLES_WHO_UNMASK",
    "Actor",
    "Area",
    "Base",
    "Case",
    "CaseEvent",
    "CaseExtension",
    "CasePhoto",
    "CaseReceipt",
    "CategoryRow",
    "Community",
    "Contact",
    "Department",
    "Grid",
    "NewCase",
    "Person",
    "PreparedCase",
    "Token",
    "UnmaskLog",
    "User",
    "apply_action",
    "authenticate",
    "case_events",
    "create_case",
    "create_user",
    "duplicate_candidates",
    "escalate_overdue",
    "extend_deadline",
    "find_cases",
    "get_case",
    "get_case_by_tracking",
    "grid_index",
    "issue_token",
    "list_cases",
    "list_table",
    "make_engine",
    "make_sessionmaker",
    "measures_frame",
    "missed_now",
    "overdue_cases",
    "prepare_case",
    "rate_case",
    "resolve_token",
    "revoke_token",
    "scoped",
    "seed_tables",
    "store_prepared",
    "store_prepared_many",
    "unmask_contact",
    "upsert_row",
    "visible",
]

#: Roles that may see unmasked phone and ID numbers (each time logged).
ROLES_WHO_UNMASK = frozenset({"dispatcher", "admin"})
#: States in which ``recategorise`` also re-routes the department from the category table.
REROUTE_STATES = frozenset({"submitted", "accepted", "returned", "disputed"})
#: Values of ``Case.category_source``.
CATEGORY_SOURCES = ("resident", "proposed", "default", "imported", "staff")
STAFF_ROLES = frozenset({"grid_worker", "handler", "dispatcher", "admin"})

_hasher = PasswordHasher()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise DataError(f"datetime: expected timezone-aware, got {value.isoformat()}")
        v = value.astimezone(dt.UTC)
        return v.replace(tzinfo=None) if dialect.name == "sqlite" else v

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if not isinstance(value, dt.datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every case-desk table."""


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


class Case(Base):
    """A case (诉求/工单). ``state`` always equals the ``to_state`` of its latest event."""

    __tablename__ = "cases"
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
    department_key: Mapped[str | None] = mapped_column(
        ForeignKey("departments.key"), nullable=True, index=True
    )
    grid_key: Mapped[str | None] = mapped_column(ForeignKey("grids.key"), nullable=True, index=True)
    community_key: Mapped[str | None] = mapped_column(ForeignKey("communities.key"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
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


class CasePhoto(Base):
    """A photo of a case, stored content-addressed on disk by its SHA-256."""

    __tablename__ = "case_photos"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    ext: Mapped[str] = mapped_column(String(8))


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


# --- engine -----------------------------------------------------------------------------------


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    """Create an engine; SQLite gets WAL, ``synchronous=FULL`` and ``BEGIN IMMEDIATE``.

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://…``; a bare
        ``postgresql://`` URL is given the psycopg 3 driver).
    pool_size
        Connections kept open (server backends).
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


# --- actors, auth -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: role and scope. ``Actor.public()`` is an anonymous resident."""

    role: str
    user_id: int | None = None
    username: str = "anonymous"
    department_key: str | None = None
    grid_key: str | None = None
    person_id: int | None = None

    @classmethod
    def public(cls) -> Actor:
        """An anonymous caller (a resident without an account)."""
        return cls(role="resident")

    @classmethod
    def system(cls) -> Actor:
        """The service itself (escalation, automatic reopening, imports)."""
        return cls(role="admin", username="system")

    @property
    def label(self) -> str:
        """``role:username`` for logs."""
        return f"{self.role}:{self.username}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    department: str | None = None,
    grid: str | None = None,
    phone: str | None = None,
) -> User:
    """Create a login with an argon2 password hash.

    Handlers need ``department``, grid workers ``grid``; residents may give ``phone`` so
    that cases submitted with that phone show as theirs.
    """
    from wanzheng.cases.states import ROLES

    if role not in ROLES:
        raise DataError(f"role: expected one of {list(ROLES)}, got {role!r}")
    if not username or len(username) > 100:
        raise DataError("username: expected 1–100 characters")
    if len(password) < 8:
        raise DataError("password: expected at least 8 characters")
    if role == "handler" and department is None:
        raise DataError("department: a handler needs a department")
    if role == "grid_worker" and grid is None:
        raise DataError("grid: a grid worker needs a grid")
    if department is not None and session.get(Department, department) is None:
        raise DataError(f"department: unknown department {department!r}")
    if grid is not None and session.get(Grid, grid) is None:
        raise DataError(f"grid: unknown grid {grid!r}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"username: {username!r} is taken")
    person_id = None
    if phone is not None:
        person_id = _person_for(
            session, name=display_name or None, phone=normalise_phone(phone), id_number=None
        ).id
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        display_name=display_name,
        department_key=department,
        grid_key=grid,
        person_id=person_id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """Check a password; raises PermissionDeniedError on any mismatch (no user enumeration)."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is None or not user.active:
            _hasher.hash(password)  # same cost either way
            raise VerificationError
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise PermissionDeniedError("password: wrong username or password") from exc
    return user


def issue_token(
    session: Session, *, user_id: int, now: dt.datetime, ttl_hours: float = 12.0
) -> str:
    """Create a bearer token for ``user_id``; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        Token(
            token_hash=_hash_token(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=ttl_hours),
        )
    )
    return token


def resolve_token(session: Session, *, token: str, now: dt.datetime) -> Actor:
    """The actor a bearer token stands for; PermissionDeniedError when unknown or expired."""
    row = session.get(Token, _hash_token(token))
    if row is None or row.expires_at <= now:
        raise PermissionDeniedError("authorization: unknown or expired token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise PermissionDeniedError("authorization: the account is disabled")
    return Actor(
        role=user.role,
        user_id=user.id,
        username=user.username,
        department_key=user.department_key,
        grid_key=user.grid_key,
        person_id=user.person_id,
    )


def revoke_token(session: Session, *, token: str) -> None:
    """Delete a token (logout)."""
    row = session.get(Token, _hash_token(token))
    if row is not None:
        session.delete(row)


# --- tables -----------------------------------------------------------------------------------

_TABLES: dict[str, type[Base]] = {
    "areas": Area,
    "departments": Department,
    "communities": Community,
    "grids": Grid,
    "categories": CategoryRow,
}


def seed_tables(session: Session, *, tree: CategoryTree, routing: RoutingSeed) -> int:
    """Fill empty routing and category tables from the packaged (or given) data.

    Tables that already hold rows are left alone (an administrator's edits win).

    Returns
    -------
    int
        Number of rows inserted.
    """
    n = 0

    def empty(model: type[Base]) -> bool:
        return session.scalar(select(func.count()).select_from(model)) == 0

    if empty(Area):
        for a in routing.areas:
            session.add(Area(key=a["key"], name=a.get("name", a["key"]), polygon_wkt=a["polygon"]))
            n += 1
    if empty(Department):
        for d in routing.departments:
            session.add(Department(key=d["key"], name=d["name"]))
            n += 1
    if empty(Community):
        for c in routing.communities:
            session.add(Community(key=c["key"], name=c["name"]))
            n += 1
    session.flush()
    if empty(Grid):
        for g in routing.grids:
            session.add(
                Grid(
                    key=g["key"],
                    name=g["name"],
                    community_key=g["community"],
                    polygon_wkt=g["polygon"],
                )
            )
            n += 1
    if empty(CategoryRow):
        for cat in tree.categories.values():
            prof: DeadlineProfile | None = tree.profiles[cat.profile] if cat.profile else None
            session.add(
                CategoryRow(
                    key=cat.key,
                    name=cat.name,
                    parent_key=cat.parent,
                    department_key=cat.department,
                    sign_hours=prof.sign_hours if prof else None,
                    respond_hours=prof.respond_hours if prof else None,
                    resolve_days=prof.resolve_days if prof else None,
                    keywords=list(cat.keywords),
                )
            )
            n += 1
    session.flush()
    return n


_EDITABLE: dict[str, tuple[str, ...]] = {
    "areas": ("name", "polygon_wkt"),
    "departments": ("name",),
    "communities": ("name",),
    "grids": ("name", "community_key", "polygon_wkt"),
    "categories": (
        "name",
        "parent_key",
        "department_key",
        "sign_hours",
        "respond_hours",
        "resolve_days",
        "keywords",
    ),
}


def list_table(session: Session, *, table: str) -> list[dict[str, Any]]:
    """Rows of one routing table as plain dicts (for the admin API and export)."""
    model = _TABLES.get(table)
    if model is None:
        raise NotFoundError(f"table: unknown table {table!r}; expected one of {sorted(_TABLES)}")
    rows = session.scalars(select(model).order_by(model.__table__.c.key)).all()
    return [{"key": r.key, **{f: getattr(r, f) for f in _EDITABLE[table]}} for r in rows]  # type: ignore[attr-defined]


def upsert_row(session: Session, *, table: str, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """Create or update one row of a routing table, validating references and polygons."""
    model = _TABLES.get(table)
    if model is None:
        raise NotFoundError(f"table: unknown table {table!r}; expected one of {sorted(_TABLES)}")
    allowed = _EDITABLE[table]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise DataError(f"{unknown[0]}: not a field of {table}; expected {list(allowed)}")
    if not key or len(key) > 64:
        raise DataError("key: expected 1–64 characters")
    if "polygon_wkt" in values:
        parse_polygon(str(values["polygon_wkt"]), where="polygon_wkt")
    if "community_key" in values and session.get(Community, values["community_key"]) is None:
        raise DataError(f"community_key: unknown community {values['community_key']!r}")
    if (
        values.get("department_key") is not None
        and session.get(Department, values["department_key"]) is None
    ):
        raise DataError(f"department_key: unknown department {values['department_key']!r}")
    for f in ("sign_hours", "respond_hours", "resolve_days"):
        if f in values and values[f] is not None and float(values[f]) <= 0:
            raise DataError(f"{f}: expected a positive number, got {values[f]!r}")
    row = session.get(model, key)
    if row is None:
        needed = [
            f for f in allowed if f not in values and f in ("name", "polygon_wkt", "community_key")
        ]
        if needed:
            raise DataError(f"{needed[0]}: required to create a {table} row")
        row = model(key=key, **values)
        session.add(row)
    else:
        for f, v in values.items():
            setattr(row, f, v)
    session.flush()
    return {"key": key, **{f: getattr(row, f) for f in allowed}}


def grid_index(session: Session) -> GridIndex:
    """Build the point-in-polygon index from the grid and area tables."""
    grids = session.execute(
        select(Grid.key, Grid.polygon_wkt, Grid.community_key).order_by(Grid.key)
    ).all()
    areas = session.scalars(select(Area.polygon_wkt).order_by(Area.key)).all()
    cats = session.execute(
        select(
            CategoryRow.key,
            CategoryRow.department_key,
            CategoryRow.sign_hours,
            CategoryRow.respond_hours,
            CategoryRow.resolve_days,
            CategoryRow.name,
        )
    ).all()
    return GridIndex.build(
        [(k, w) for k, w, _ in grids],
        list(areas),
        communities={k: c for k, _, c in grids},
        categories={k: (d, sh, rh, rd, n) for k, d, sh, rh, rd, n in cats},
    )


# --- cases ------------------------------------------------------------------------------------

TEXT_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class NewCase:
    """A validated submission (as the resident gave it)."""

    text: str
    lon: float | None = None
    lat: float | None = None
    category: str | None = None
    address: str | None = None
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    case_type: str = "request"
    source: str = "web"
    photos: tuple[tuple[str, str], ...] = field(default=())  # (sha256, ext)

    def request_hash(self) -> str:
        """Hash of the payload, to tell a replay from a different request with the same key."""
        payload = json.dumps(
            [
                self.text,
                self.lon,
                self.lat,
                self.category,
                self.address,
                self.name,
                self.phone,
                self.id_number,
                self.case_type,
                list(self.photos),
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Contact:
    """A resident's contact data, masked or not."""

    name: str | None
    phone: str | None
    id_number: str | None
    masked: bool


def _person_for(
    session: Session, *, name: str | None, phone: str | None, id_number: str | None
) -> Person:
    person = None
    if phone is not None:
        person = session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        person = Person(name=name, phone=phone, id_number=id_number)
        session.add(person)
        session.flush()
    else:
        if person.name is None and name:
            person.name = name
        if person.id_number is None and id_number:
            person.id_number = id_number
    return person


_TRACKING_ALPHABET = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# byte -> symbol; 256 is a multiple of 32, so every symbol is equally likely (5 bits each).
_TRACKING_TABLE = bytes(_TRACKING_ALPHABET[b % 32] for b in range(256))


_random = threading.local()


def _tracking_code() -> str:
    # 12 symbols = 60 bits from the OS generator, drawn 256 codes at a time (one system call
    # per 256 submissions), per thread and per process (a forked child draws its own).
    pid = os.getpid()
    if getattr(_random, "pid", None) != pid or _random.pos >= len(_random.buf):
        _random.buf = secrets.token_bytes(12 * 256)
        _random.pos = 0
        _random.pid = pid
    pos: int = _random.pos
    buf: bytes = _random.buf
    _random.pos = pos + 12
    return buf[pos : pos + 12].translate(_TRACKING_TABLE).decode("ascii")


def _event(
    session: Session,
    case: Case,
    *,
    action: str,
    to: str,
    actor: Actor,
    now: dt.datetime,
    note: str | None,
) -> None:
    session.add(
        CaseEvent(
            case_id=case.id,
            action=action,
            from_state=case.state if action != "submit" else None,
            to_state=to,
            actor_id=actor.user_id,
            actor_role=actor.role,
            at=now,
            note=note,
        )
    )
    case.state = to
    case.updated_at = now


@dataclass(frozen=True, slots=True)
class PreparedCase:
    """A submission that passed validation and routing (:func:`prepare_case`).

    ``values`` is the row of the ``cases`` table without ``id`` (and with ``person_id`` of the
    actor; a person record for the given contact is found or made only when it is stored).
    ``prior`` is the stored case of an earlier submission with the same idempotency key and
    payload: nothing is to be inserted then.
    """

    values: dict[str, Any]
    new: NewCase
    actor: Actor
    idempotency_key: str | None
    phone: str | None
    id_number: str | None
    prior: Case | None = None


@dataclass(frozen=True, slots=True)
class CaseReceipt:
    """What a submitter is told once the case is committed (the body of the 201 answer)."""

    id: int
    tracking_code: str
    state: str
    category_key: str
    proposed_category: str | None
    proposed_confidence: float | None
    department_key: str | None
    grid_key: str | None
    submitted_at: dt.datetime
    resolve_due: dt.datetime
    #: False for an idempotent replay (the earlier case is answered again).
    created: bool

    @classmethod
    def of(cls, case: Case, *, created: bool) -> CaseReceipt:
        """The receipt of a stored case."""
        return cls(case.id, **{f: getattr(case, f) for f in _RECEIPT_COLUMNS}, created=created)

    @classmethod
    def of_row(cls, case_id: int, values: Mapping[str, Any]) -> CaseReceipt:
        """The receipt of a case just inserted from ``values`` (its column values)."""
        return cls(case_id, **{f: values[f] for f in _RECEIPT_COLUMNS}, created=True)


#: The case columns a receipt repeats (every field of CaseReceipt but ``id`` and ``created``).
_RECEIPT_COLUMNS = (
    "tracking_code",
    "state",
    "category_key",
    "proposed_category",
    "proposed_confidence",
    "department_key",
    "grid_key",
    "submitted_at",
    "resolve_due",
)


def prepare_case(
    session: Session | None,
    *,
    new: NewCase,
    now: dt.datetime,
    index: GridIndex,
    classifier: CategoryClassifier | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    check_area: bool = True,
    max_chars: int = TEXT_MAX_CHARS,
) -> PreparedCase | None:
    """Validate and route a submission without writing anything (see :func:`create_case`).

    Reads the database only for an idempotency key (the earlier case) and when the routing
    snapshot ``index`` misses a grid's community or a category (tables edited since it was
    taken). With ``session=None`` it reads nothing and answers None where it would have to.

    Raises
    ------
    DataError
        Missing or too long text, bad location, unknown category, bad contact data.
    ConflictError
        The idempotency key was used for a different submission.
    """
    actor = actor or Actor.public()
    text = new.text.strip() if new.text else ""
    if not text:
        raise DataError("text: the description of the problem is empty")
    if len(text) > max_chars:
        raise DataError(f"text: at most {max_chars} characters, got {len(text)}")
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 128:
            raise DataError("idempotency_key: expected 1–128 characters")
        if session is None:
            return None
        prior = session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
        if prior is not None:
            if prior.request_hash != new.request_hash():
                raise ConflictError(
                    "idempotency_key: already used for a different submission "
                    f"(case {prior.id}); use a new key"
                )
            return PreparedCase({}, new, actor, idempotency_key, None, None, prior=prior)
    if (new.lon is None) != (new.lat is None):
        raise DataError("location: give both lon and lat, or neither")
    grid_key = None
    community_key = None
    if new.lon is not None and new.lat is not None:
        if not in_china_bbox(new.lon, new.lat):
            raise DataError(
                f"location: ({new.lon}, {new.lat}) is outside China; expected WGS-84 lon/lat"
            )
        if check_area and not index.in_served_area(new.lon, new.lat):
            raise DataError(f"location: ({new.lon}, {new.lat}) is outside the served area")
        grid_key = index.grid_of(new.lon, new.lat)
        if grid_key is not None:
            community_key = index.communities.get(grid_key)
            if not community_key:
                if session is None:
                    return None
                community_key = session.scalar(
                    select(Grid.community_key).where(Grid.key == grid_key)
                )
    elif not new.address:
        raise DataError("location: give a map location (lon, lat) or an address")
    proposal = classifier.propose_category(text) if classifier is not None else None
    category_key = new.category or (proposal[0] if proposal else "other.general")
    cat_info = index.categories.get(category_key)
    if cat_info is None:
        if session is None:
            return None
        row = session.get(CategoryRow, category_key)
        if row is not None:
            cat_info = (
                row.department_key,
                row.sign_hours,
                row.respond_hours,
                row.resolve_days,
                row.name,
            )
    if cat_info is None or cat_info[0] is None:
        raise DataError(f"category: unknown category {category_key!r}")
    cat_department, cat_sign, cat_respond, cat_resolve, cat_name = cat_info
    if new.case_type not in ("request", "proactive"):
        raise DataError(f"case_type: expected 'request' or 'proactive', got {new.case_type!r}")
    phone = normalise_phone(new.phone) if new.phone else None
    id_number = normalise_id_number(new.id_number) if new.id_number else None
    if new.name is not None and len(new.name) > 100:
        raise DataError("name: at most 100 characters")
    if new.address is not None and len(new.address) > 300:
        raise DataError("address: at most 300 characters")
    profile = DeadlineProfile(
        key=category_key,
        label=cat_name,
        sign_hours=float(cat_sign or 2),
        respond_hours=float(cat_respond or 24),
        resolve_days=int(cat_resolve or 5),
    )
    due = build_deadlines(now, profile)
    values: dict[str, Any] = dict(
        tracking_code=_tracking_code(),
        idempotency_key=idempotency_key,
        request_hash=new.request_hash() if idempotency_key else None,
        case_type=new.case_type,
        source=new.source,
        text=text,
        address=new.address,
        lon=new.lon,
        lat=new.lat,
        category_key=category_key,
        proposed_category=proposal[0] if proposal else None,
        proposed_confidence=proposal[1] if proposal else None,
        category_source=(
            ("imported" if new.source == "import" else "resident")
            if new.category
            else ("proposed" if proposal else "default")
        ),
        department_key=cat_department,
        grid_key=grid_key,
        community_key=community_key,
        person_id=actor.person_id,
        state="submitted",
        submitted_at=now,
        updated_at=now,
        sign_due=due.sign_due,
        respond_due=due.respond_due,
        resolve_due=due.resolve_due,
        resolve_days=profile.resolve_days,
        extension_days=0,
        escalation_level=0,
        reopen_count=0,
    )
    return PreparedCase(values, new, actor, idempotency_key, phone, id_number)


def _with_person(session: Session, prepared: PreparedCase) -> dict[str, Any]:
    """The case row, linked to the person record of the contact given (found or made)."""
    new = prepared.new
    if not (prepared.phone or prepared.id_number or new.name):
        return prepared.values
    person = _person_for(session, name=new.name, phone=prepared.phone, id_number=prepared.id_number)
    return {**prepared.values, "person_id": person.id}


def _submit_event(case_id: int, values: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "action": "submit",
        "from_state": None,
        "to_state": "submitted",
        "actor_id": actor.user_id,
        "actor_role": actor.role,
        "at": values["submitted_at"],
        "note": None,
    }


def _photo_rows(case_id: int, new: NewCase) -> list[dict[str, Any]]:
    return [
        {"case_id": case_id, "position": pos, "sha256": sha, "ext": ext}
        for pos, (sha, ext) in enumerate(new.photos)
    ]


def store_prepared(session: Session, prepared: PreparedCase) -> tuple[Case, bool]:
    """Insert one prepared submission with its ``submit`` event (see :func:`create_case`).

    A lost race on the idempotency key (a concurrent submission inserted it first) answers
    the other case when its payload is the same, else raises ConflictError.
    """
    if prepared.prior is not None:
        return prepared.prior, False
    idempotency_key = prepared.idempotency_key
    new = prepared.new
    values = _with_person(session, prepared)
    # Core inserts (not the unit of work): intake is the hot path, and this halves its CPU.
    try:
        if idempotency_key is None:
            case_id = session.execute(_INSERT_CASE, values).scalar_one()
        else:
            with session.begin_nested():  # a savepoint: a lost race undoes only this insert
                case_id = session.execute(_INSERT_CASE, values).scalar_one()
    except IntegrityError as exc:
        # Two concurrent submissions with one idempotency key: the other one won. Any other
        # constraint (no key, or no case under it) is the database's own error.
        if idempotency_key is None:
            raise
        prior = session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
        if prior is None:
            raise
        if prior.request_hash == new.request_hash():
            return prior, False
        raise ConflictError("idempotency_key: a concurrent submission used this key") from exc
    if new.photos:
        session.execute(_INSERT_PHOTO, _photo_rows(case_id, new))
    session.execute(_INSERT_EVENT, _submit_event(case_id, values, prepared.actor))
    case = Case(
        id=case_id,
        merged_into_id=None,
        rating=None,
        accepted_at=None,
        responded_at=None,
        resolved_at=None,
        closed_at=None,
        **values,
    )
    make_transient_to_detached(case)
    session.add(case)
    session.flush()
    return case, True


def store_prepared_many(session: Session, prepared: Sequence[PreparedCase]) -> list[CaseReceipt]:
    """Insert many prepared submissions with one statement per table (the intake batch).

    The caller must roll the whole transaction back when this raises (a constraint failed,
    e.g. an idempotency key inserted concurrently, or one key twice in ``prepared``) and may
    then store the submissions one by one with :func:`store_prepared`, each in a savepoint,
    to give every submitter its own answer.

    Returns
    -------
    list of CaseReceipt
        In the order of ``prepared``.
    """
    keys = [p.idempotency_key for p in prepared if p.prior is None and p.idempotency_key]
    if len(keys) != len(set(keys)):
        raise ConflictError("idempotency_key: used twice in one batch")
    fresh = [(i, p, _with_person(session, p)) for i, p in enumerate(prepared) if p.prior is None]
    out: list[CaseReceipt | None] = [
        None if p.prior is None else CaseReceipt.of(p.prior, created=False) for p in prepared
    ]
    if fresh:
        conn = session.connection()
        rows = [values for _, _, values in fresh]
        ids = _insert_many_plain(conn, rows, [p.actor for _, p, _ in fresh])
        photos = []
        for case_id, (i, p, values) in zip(ids, fresh, strict=True):
            if p.new.photos:
                photos += _photo_rows(case_id, p.new)
            out[i] = CaseReceipt.of_row(case_id, values)
        if photos:
            conn.execute(_INSERT_PHOTO, photos)
    return [r for r in out if r is not None]


_EVENT_COLUMNS = (
    "case_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_role",
    "at",
    "note",
)


def _new_case_ids(conn: Connection, n: int) -> list[int]:
    """``n`` ids for new cases, taken before their insert.

    SQLite: after ``max(id)``; the transaction began with ``BEGIN IMMEDIATE``
    (:func:`make_engine`), so no other writer can insert before this one commits.
    PostgreSQL: ``nextval`` of the column's own sequence, as a default id would be.
    """
    if conn.dialect.name == "sqlite":
        first = int(conn.exec_driver_sql("SELECT max(id) FROM cases").scalar() or 0) + 1
        return list(range(first, first + n))
    if conn.dialect.name != "postgresql":
        raise ConfigError(f"database: SQLite or PostgreSQL expected, got {conn.dialect.name!r}")
    result = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, %s)",
        (n,),
    )
    return [int(v) for v in result.scalars()]


def _insert_many_plain(
    conn: Connection, rows: Sequence[Mapping[str, Any]], actors: Sequence[Actor]
) -> list[int]:
    """Insert intake rows and their ``submit`` events; answers the case ids, in order.

    The intake batch's hot path: one ``executemany`` of plain tuples per table through the
    driver (SQLite's C loop; psycopg's pipeline), every value converted by the column
    type's own bind processor, so that what is stored is what the ORM stores, without
    SQLAlchemy's per-row parameter machinery. Ids are given explicitly
    (:func:`_new_case_ids`), so no ``RETURNING`` has to be matched back to the rows.
    """
    dialect = conn.dialect
    columns = tuple(rows[0])
    procs = _bind_processors(dialect, "cases", columns)
    event_procs = _bind_processors(dialect, "case_events", _EVENT_COLUMNS)
    ids = _new_case_ids(conn, len(rows))
    case_rows = []
    event_rows = []
    for case_id, values, actor in zip(ids, rows, actors, strict=True):
        if len(values) != len(columns):  # the caller re-runs the batch row by row
            raise ValueError(f"intake rows differ in their columns: {sorted(values)}")
        case_rows.append((case_id, *_plain(values, columns, procs)))
        event = _submit_event(case_id, values, actor)
        event_rows.append(_plain(event, _EVENT_COLUMNS, event_procs))
    q = dialect.identifier_preparer.quote
    mark = "?" if dialect.name == "sqlite" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO cases (id, {', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * (len(columns) + 1))})",
        case_rows,
    )
    conn.exec_driver_sql(
        f"INSERT INTO case_events ({', '.join(q(c) for c in _EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_EVENT_COLUMNS))})",
        event_rows,
    )
    return ids


def _plain(
    values: Mapping[str, Any], columns: tuple[str, ...], procs: Sequence[Any]
) -> tuple[Any, ...]:
    """The row's values in column order, each through its bind processor (None stays)."""
    return tuple(
        [
            values[c] if proc is None or values[c] is None else proc(values[c])
            for c, proc in zip(columns, procs, strict=True)
        ]
    )


_PROCESSORS: dict[tuple[str, str, tuple[str, ...]], list[Any]] = {}


def _bind_processors(dialect: Dialect, table: str, columns: tuple[str, ...]) -> list[Any]:
    """The bind processors (or None) of ``table``'s ``columns`` on ``dialect`` (cached)."""
    key = (dialect.name, table, columns)
    procs = _PROCESSORS.get(key)
    if procs is None:
        t = Base.metadata.tables[table]
        procs = [t.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        _PROCESSORS[key] = procs
    return procs


def create_case(
    session: Session,
    *,
    new: NewCase,
    now: dt.datetime,
    index: GridIndex,
    classifier: CategoryClassifier | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    check_area: bool = True,
    max_chars: int = TEXT_MAX_CHARS,
) -> tuple[Case, bool]:
    """Validate, route and store a new case with its ``submit`` event.

    :func:`prepare_case` then :func:`store_prepared`; the web service's intake batches many
    submissions with :func:`prepare_case` and :func:`store_prepared_many` instead.

    Parameters
    ----------
    new
        The submission.
    now
        Submission time (timezone-aware).
    index
        Grids and served areas (:func:`grid_index`).
    classifier
        Proposes a category from the text; used when ``new.category`` is empty and recorded
        as ``proposed_category`` either way.
    actor
        The submitter (a logged-in resident links the case to their person record).
    idempotency_key
        A repeat with the same key and payload returns the stored case; the same key with
        a different payload raises ConflictError.
    check_area
        Refuse locations outside the served area (imports of history may switch it off).
    max_chars
        Longest accepted text, in characters.

    Returns
    -------
    (Case, bool)
        The case and whether it was created now (False for an idempotent replay).
    """
    prepared = prepare_case(
        session,
        new=new,
        now=now,
        index=index,
        classifier=classifier,
        actor=actor,
        idempotency_key=idempotency_key,
        check_area=check_area,
        max_chars=max_chars,
    )
    assert prepared is not None  # None only without a session
    return store_prepared(session, prepared)


# Table-level (not ORM-entity) inserts skip the ORM bulk machinery on the hot intake path.
_CASES_T = cast(Table, Case.__table__)
_INSERT_CASE = insert(_CASES_T).returning(_CASES_T.c.id)
_INSERT_EVENT = insert(cast(Table, CaseEvent.__table__))
_INSERT_PHOTO = insert(cast(Table, CasePhoto.__table__))


def visible(case: Case, actor: Actor) -> bool:
    """Whether ``actor`` may see ``case`` (residents own cases; staff their scope)."""
    if actor.role in ("dispatcher", "admin"):
        return True
    if actor.role == "handler":
        return actor.department_key is not None and case.department_key == actor.department_key
    if actor.role == "grid_worker":
        return actor.grid_key is not None and case.grid_key == actor.grid_key
    if actor.role == "resident":
        return actor.person_id is not None and case.person_id == actor.person_id
    return False


def scoped(query: Select[Any], actor: Actor) -> Select[Any]:
    """``query`` (a select of cases) restricted to the cases ``actor`` may see — the rule of
    :func:`visible` as a WHERE clause: handlers their department, grid workers their grid,
    residents their own cases, dispatchers and administrators everything."""
    if actor.role == "handler":
        return query.where(Case.department_key == actor.department_key)
    if actor.role == "grid_worker":
        return query.where(Case.grid_key == actor.grid_key)
    if actor.role == "resident":
        if actor.person_id is None:
            return query.where(false())
        return query.where(Case.person_id == actor.person_id)
    if actor.role in ("dispatcher", "admin"):
        return query
    return query.where(false())


def get_case(session: Session, *, case_id: int, actor: Actor) -> Case:
    """One case the actor may see; NotFoundError otherwise (existence is not revealed)."""
    case = session.get(Case, case_id)
    if case is None or not visible(case, actor):
        raise NotFoundError(f"case: no case {case_id} visible to you")
    return case


def get_case_by_tracking(session: Session, *, code: str) -> Case:
    """A case by its tracking code (for the public follow-up view)."""
    case = session.scalar(select(Case).where(Case.tracking_code == code.strip().upper()))
    if case is None:
        raise NotFoundError("tracking_code: no case with this tracking code")
    return case


def case_events(session: Session, *, case_id: int) -> Sequence[CaseEvent]:
    """Events of a case in order."""
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()


def list_cases(
    session: Session,
    *,
    actor: Actor,
    state: str | None = None,
    case_type: str | None = None,
    unrouted: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Case]:
    """The actor's queue: cases in scope, newest first.

    ``unrouted`` (dispatchers) keeps cases whose location is in no grid — the subdistrict
    dispatcher queue.
    """
    q = scoped(select(Case), actor)
    if state is not None:
        q = q.where(Case.state == state)
    if case_type is not None:
        q = q.where(Case.case_type == case_type)
    if unrouted:
        q = q.where(Case.grid_key.is_(None))
    q = q.order_by(Case.id.desc()).limit(min(max(limit, 1), 1000)).offset(max(offset, 0))
    return session.scalars(q).all()


def _in_scope_for_action(case: Case, actor: Actor) -> None:
    if actor.role in ("handler", "grid_worker") and not visible(case, actor):
        raise NotFoundError(f"case: no case {case.id} visible to you")


def apply_action(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    action: str,
    now: dt.datetime,
    machine: StateMachine,
    note: str | None = None,
    reason: str | None = None,
    department: str | None = None,
    grid: str | None = None,
    merged_into: int | None = None,
    rating: str | None = None,
    category: str | None = None,
) -> Case:
    """Apply one transition of the state machine, writing its event row.

    ``recategorise`` (dispatcher / admin) sets ``category`` (a key of the category table; the
    current key confirms it) and marks it ``category_source = "staff"``; in
    :data:`REROUTE_STATES` the department follows the category table. The case keeps its state.

    Raises
    ------
    ConflictError
        The action is not allowed from the case's state (HTTP 409).
    PermissionDeniedError
        The role may not take the action.
    DataError
        A field the action requires is missing or unknown.
    NotFoundError
        The case does not exist or is outside the actor's scope.
    """
    case = session.get(Case, case_id)
    if case is None or (actor.role == "resident" and not visible(case, actor)):
        raise NotFoundError(f"case: no case {case_id} visible to you")
    _in_scope_for_action(case, actor)
    if action == "rate":
        if rating is None:
            raise DataError("rating: required for action 'rate'")
        return rate_case(
            session, case=case, rating=rating, note=note, actor=actor, now=now, machine=machine
        )
    t = machine.transition(case.state, action, role=actor.role)
    given = {
        "note": note,
        "reason": reason,
        "department": department,
        "merged_into": merged_into,
        "rating": rating,
        "category": category,
    }
    for f in sorted(t.requires):
        v = given[f]
        if v is None or (isinstance(v, str) and not v.strip()):
            raise DataError(f"{f}: required for action {action!r}")
    text_note = reason if reason else note
    if action == "accept":
        case.accepted_at = case.accepted_at or now
    elif action == "dispatch":
        if department is None or session.get(Department, department) is None:
            raise DataError(f"department: unknown department {department!r}")
        if grid is not None:
            g = session.get(Grid, grid)
            if g is None:
                raise DataError(f"grid: unknown grid {grid!r}")
            case.grid_key = g.key
            case.community_key = g.community_key
        case.department_key = department
        case.accepted_at = case.accepted_at or now
        text_note = note or f"派往 {department}"
    elif action == "start":
        case.responded_at = case.responded_at or now
        case.accepted_at = case.accepted_at or now
    elif action == "resolve":
        case.resolved_at = now
    elif action == "close":
        case.closed_at = now
    elif action == "merge":
        if merged_into is None or merged_into == case.id:
            raise DataError("merged_into: expected the id of another case")
        target = session.get(Case, merged_into)
        if target is None or target.state == "merged":
            raise DataError(f"merged_into: no open case {merged_into} to merge into")
        case.merged_into_id = merged_into
        case.closed_at = now
    elif action == "reject":
        case.closed_at = now
    elif action == "reopen":
        _reopen(case, now)
    elif action == "recategorise":
        text_note = _recategorise(session, case, category=category or "", note=note)
    case.last_note = text_note
    to = t.target if t.target is not None else case.state
    _event(session, case, action=action, to=to, actor=actor, now=now, note=text_note)
    session.flush()
    return case


def _recategorise(session: Session, case: Case, *, category: str, note: str | None) -> str:
    """Set and confirm the category; re-route before dispatch. Returns the event note."""
    row = session.get(CategoryRow, category)
    if row is None:
        raise DataError(f"category: unknown category {category!r}")
    if row.department_key is None:
        raise DataError(f"category: {category!r} is a group; expected a leaf category")
    old = case.category_key
    text = f"确认分类 {old}" if old == category else f"分类 {old} → {category}"
    case.category_key = category
    case.category_source = "staff"
    if case.state in REROUTE_STATES and case.department_key != row.department_key:
        text += f"; 承办部门 {case.department_key} → {row.department_key}"
        case.department_key = row.department_key
    return text + (f"; {note.strip()}" if note and note.strip() else "")


def _reopen(case: Case, now: dt.datetime) -> None:
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    case.resolve_due = add_working_days(now, case.resolve_days + case.extension_days)


def rate_case(
    session: Session,
    *,
    case: Case,
    rating: str,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
    machine: StateMachine,
) -> Case:
    """Record the resident's rating: 满意/基本满意 close; 不满意 reopens once, then disputes."""
    t = machine.transition(case.state, "rate", role=actor.role)
    target = machine.rating.target(rating, reopen_count=case.reopen_count)
    case.rating = rating
    label = f"评价: {rating}" + (f"; {note}" if note else "")
    if target == "closed":
        case.closed_at = now
        _event(session, case, action=t.action, to="closed", actor=actor, now=now, note=label)
    else:
        _event(session, case, action=t.action, to=target, actor=actor, now=now, note=label)
        if target == machine.rating.reopen_to:
            _reopen(case, now)
    case.last_note = label
    session.flush()
    return case


def extend_deadline(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    days: int,
    reason: str,
    now: dt.datetime,
) -> Case:
    """Approve an extension of the resolve deadline (dispatcher / admin), with its reason."""
    if actor.role not in ("dispatcher", "admin") or actor.user_id is None:
        raise PermissionDeniedError(
            "action: only a dispatcher or administrator approves extensions"
        )
    case = get_case(session, case_id=case_id, actor=actor)
    if case.state in ("closed", "merged", "rejected"):
        raise ConflictError(f"action: cannot extend a case in state {case.state!r}")
    if not 1 <= days <= 30:
        raise DataError(f"days: expected 1–30 working days, got {days}")
    if not reason or not reason.strip():
        raise DataError("reason: an extension needs a reason")
    session.add(
        CaseExtension(case_id=case.id, days=days, reason=reason, approver_id=actor.user_id, at=now)
    )
    case.extension_days += days
    start = case.submitted_at
    last_reopen = session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case.id, CaseEvent.to_state == "reopened"
        )
    )
    if last_reopen is not None:
        start = last_reopen
    case.resolve_due = add_working_days(start, case.resolve_days + case.extension_days)
    session.add(
        CaseEvent(
            case_id=case.id,
            action="extend",
            from_state=case.state,
            to_state=case.state,
            actor_id=actor.user_id,
            actor_role=actor.role,
            at=now,
            note=f"延期 {days} 个工作日: {reason}",
        )
    )
    case.updated_at = now
    session.flush()
    return case


_NOT_TIMED = ("closed", "merged", "rejected", "resolved")


def missed_now(case: Case, now: dt.datetime) -> dict[str, float]:
    """The case's deadlines missed and still unmet at ``now``, with hours overdue
    (:func:`~wanzheng.cases.deadlines.missed_deadlines`); none once the case is resolved,
    closed, merged or rejected."""
    if case.state in _NOT_TIMED:
        return {}
    return missed_deadlines(
        sign_due=case.sign_due,
        respond_due=case.respond_due,
        resolve_due=case.resolve_due,
        accepted_at=case.accepted_at,
        responded_at=case.responded_at,
        resolved_at=case.resolved_at,
        now=now,
    )


def overdue_cases(
    session: Session, *, actor: Actor, now: dt.datetime
) -> list[tuple[Case, dict[str, float]]]:
    """Open cases in the actor's scope with a deadline passed and still unmet, most late first."""
    if actor.role == "resident":
        raise PermissionDeniedError("role: residents have no overdue list")
    q = (
        select(Case)
        .where(Case.state.not_in(_NOT_TIMED))
        .where(or_(Case.sign_due < now, Case.respond_due < now, Case.resolve_due < now))
    )
    q = scoped(q, actor)
    out = []
    for case in session.scalars(q).all():
        missed = missed_now(case, now)
        if missed:
            out.append((case, missed))
    out.sort(key=lambda item: -overdue_hours(item[1]))
    return out


def escalate_overdue(
    session: Session, *, now: dt.datetime, machine: StateMachine
) -> list[tuple[int, int]]:
    """Raise the 督办 level of overdue open cases; one ``escalate`` event per level reached.

    Returns
    -------
    list of (case id, new level)
    """
    changed = []
    for case, missed in overdue_cases(session, actor=Actor.system(), now=now):
        level = machine.escalation.level(overdue_hours(missed))
        while case.escalation_level < level:
            case.escalation_level += 1
            name = machine.escalation.levels[case.escalation_level - 1]
            session.add(
                CaseEvent(
                    case_id=case.id,
                    action="escalate",
                    from_state=case.state,
                    to_state=case.state,
                    actor_id=None,
                    actor_role="system",
                    at=now,
                    note=f"{name} (超期: {', '.join(sorted(missed))})",
                )
            )
        if case.escalation_level == level and level > 0:
            changed.append((case.id, level))
    session.flush()
    return changed


def unmask_contact(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    purpose: str | None,
    now: dt.datetime,
    unmask: bool,
) -> Contact:
    """The resident's contact for a case: masked, or unmasked (logged) for allowed roles."""
    person = case.person
    if person is None:
        return Contact(name=None, phone=None, id_number=None, masked=True)
    if not unmask:
        return Contact(
            name=mask_name(person.name),
            phone=mask_phone(person.phone),
            id_number=mask_id_number(person.id_number),
            masked=True,
        )
    if actor.role not in ROLES_WHO_UNMASK:
        raise PermissionDeniedError(f"unmask: role {actor.role!r} may not see unmasked contacts")
    if not purpose or not purpose.strip():
        raise DataError("purpose: say why the unmasked contact is needed")
    session.add(
        UnmaskLog(
            user_id=actor.user_id,
            actor_label=actor.label,
            person_id=person.id,
            case_id=case.id,
            fields="name,phone,id_number",
            purpose=purpose,
            at=now,
        )
    )
    session.flush()
    return Contact(name=person.name, phone=person.phone, id_number=person.id_number, masked=False)


def log_bulk_unmask(
    session: Session, *, actor: Actor, purpose: str, n_cases: int, now: dt.datetime
) -> None:
    """Log an unmasked export (one row naming how many cases it disclosed)."""
    if actor.role not in ROLES_WHO_UNMASK:
        raise PermissionDeniedError(f"unmask: role {actor.role!r} may not export unmasked data")
    if not purpose.strip():
        raise DataError("purpose: say why the unmasked export is needed")
    session.add(
        UnmaskLog(
            user_id=actor.user_id,
            actor_label=actor.label,
            person_id=None,
            case_id=None,
            fields=f"export:{n_cases} cases",
            purpose=purpose,
            at=now,
        )
    )
    session.flush()


def unmask_log(session: Session, *, limit: int = 500) -> list[dict[str, Any]]:
    """The latest unmasking log rows."""
    rows = session.scalars(select(UnmaskLog).order_by(UnmaskLog.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "actor": r.actor_label,
            "case_id": r.case_id,
            "person_id": r.person_id,
            "fields": r.fields,
            "purpose": r.purpose,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


def measures_frame(session: Session, *, case_type: str | None = None) -> pd.DataFrame:
    """All cases as the DataFrame :func:`wanzheng.cases.measures.case_measures` takes."""
    q = select(
        Case.id,
        Case.department_key,
        Case.grid_key,
        Case.community_key,
        Case.category_key,
        Case.state,
        Case.rating,
        Case.submitted_at,
        Case.responded_at,
        Case.respond_due,
        Case.resolved_at,
        Case.resolve_due,
        Case.case_type,
    )
    if case_type is not None:
        q = q.where(Case.case_type == case_type)
    rows = session.execute(q).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "case_id",
            "department",
            "grid",
            "community",
            "category",
            "state",
            "rating",
            "submitted_at",
            "responded_at",
            "respond_due",
            "resolved_at",
            "resolve_due",
            "case_type",
        ],
    )


def find_cases(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    categories: Sequence[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    states: Sequence[str] | None = None,
    limit: int = 1000,
    actor: Actor | None = None,
) -> Sequence[Case]:
    """Cases by public criteria (Open311 ``GET requests``), newest first; with ``actor``,
    only the cases in the actor's scope (:func:`scoped`)."""
    q = select(Case) if actor is None else scoped(select(Case), actor)
    if ids is not None:
        q = q.where(Case.id.in_(list(ids)))
    if categories is not None:
        q = q.where(Case.category_key.in_(list(categories)))
    if start is not None:
        q = q.where(Case.submitted_at >= start)
    if end is not None:
        q = q.where(Case.submitted_at <= end)
    if states is not None:
        q = q.where(Case.state.in_(list(states)))
    return session.scalars(q.order_by(Case.id.desc()).limit(limit)).all()


def duplicate_candidates(
    session: Session,
    *,
    case_id: int,
    radius_m: float = 200.0,
    window_days: float = 30.0,
    min_similarity: float = 0.2,
    limit: int = 5,
) -> list[tuple[Case, DuplicateCandidate]]:
    """Open cases that probably report the same thing as case ``case_id``, best first.

    The ranking is :func:`wanzheng.text.dedupe.find_duplicates`: within ``radius_m`` metres
    (haversine) and ``window_days`` days, text similarity (cosine of character 2-3-gram
    TF-IDF) at least ``min_similarity``, ranked by similarity then distance, each with the
    phrases both texts share. The category is not required to match (a mis-proposed category is
    exactly when a duplicate is easy to miss). The idf is taken over every open case reported
    within ``window_days`` of the case (so the query stays bounded); merging is the dispatcher's
    decision (action ``merge``).

    Parameters
    ----------
    radius_m
        Largest distance, metres (settings ``duplicate_radius_m``, default 200).
    window_days
        Largest time between the reports, days (``duplicate_window_days``, default 30).
    min_similarity
        Smallest text similarity, 0-1 (``duplicate_min_similarity``, default 0.2: precision
        0.96, recall 0.97 on the constructed pairs of ``docs/text.md``).
    limit
        Most candidates returned.

    Returns
    -------
    list of (case, candidate); a case without a location has no candidates.
    """
    from wanzheng.text.dedupe import CaseText, find_duplicates

    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case: no case {case_id}")
    if case.lon is None or case.lat is None:
        return []
    window = dt.timedelta(days=window_days)
    rows = session.scalars(
        select(Case).where(
            Case.id != case.id,
            Case.state.not_in(("closed", "merged", "rejected")),
            Case.submitted_at.between(case.submitted_at - window, case.submitted_at + window),
        )
    ).all()

    def as_text(c: Case) -> CaseText:
        return CaseText(
            id=str(c.id), title="", detail=c.text, lon=c.lon, lat=c.lat, reported=c.submitted_at
        )

    by_id = {str(c.id): c for c in rows}
    found = find_duplicates(
        as_text(case),
        [as_text(c) for c in rows],
        radius_m=radius_m,
        window_days=window_days,
        min_similarity=min_similarity,
        limit=limit,
    )
    return [(by_id[d.id], d) for d in found]
