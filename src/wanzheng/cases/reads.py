"""The case views' reads as plain rows: one select of only the columns a view shows.

The tracking page and the staff queues are read far more often than cases change, and they
are read while intake commits. Loading ORM objects for them (identity map, the joined person,
the photos' select-in loader, one ``Session.get`` per related row) cost several times the
queries themselves, and every millisecond a read holds the interpreter is a millisecond the
intake on the same process waits. These functions answer frozen :class:`CaseRow` values from
Core selects: one for the cases (with the person's contact fields joined), one for the photos
of all of them, one for events.

Scope is the same rule as everywhere (:func:`wanzheng.cases.crud.scoped`); a case outside
the actor's scope is a NotFoundError that does not reveal whether it exists.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from wanzheng.cases.crud import (
    SCOPE_CLAUSES,
    overdue_clause,
    plan_per_call,
    scope_rule,
)
from wanzheng.cases.models import (
    AFTER_PHOTO_POSITION,
    Case,
    CaseEvent,
    CasePhoto,
    CategoryRow,
    Person,
)
from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, NotFoundError

__all__ = [
    "CaseRow",
    "EventRow",
    "case_row",
    "case_row_by_tracking",
    "case_rows",
    "event_rows",
]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as its views show it (attribute names as on :class:`Case`), with the contact
    fields of its person (``None`` without one) and its photos as ``(sha256, ext, after)``
    (``after``: attached by staff when handling the case, 办结照片)."""

    photos: tuple[tuple[str, str, bool], ...]
    id: int
    tracking_code: str
    case_type: str
    state: str
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    category_key: str
    proposed_category: str | None
    proposed_confidence: float | None
    category_source: str
    department_key: str | None
    grid_key: str | None
    community_key: str | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    sign_due: dt.datetime
    respond_due: dt.datetime
    resolve_due: dt.datetime
    accepted_at: dt.datetime | None
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    escalation_level: int
    reopen_count: int
    extension_days: int
    rating: str | None
    merged_into_id: int | None
    person_name: str | None
    person_phone: str | None
    person_id_number: str | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event of a case, as its views show it."""

    action: str
    from_state: str | None
    to_state: str
    at: dt.datetime
    actor_role: str
    note: str | None


_CASE_COLUMNS = (
    Case.id,
    Case.tracking_code,
    Case.case_type,
    Case.state,
    Case.text,
    Case.address,
    Case.lon,
    Case.lat,
    Case.category_key,
    Case.proposed_category,
    Case.proposed_confidence,
    Case.category_source,
    Case.department_key,
    Case.grid_key,
    Case.community_key,
    Case.submitted_at,
    Case.updated_at,
    Case.sign_due,
    Case.respond_due,
    Case.resolve_due,
    Case.accepted_at,
    Case.responded_at,
    Case.resolved_at,
    Case.closed_at,
    Case.escalation_level,
    Case.reopen_count,
    Case.extension_days,
    Case.rating,
    Case.merged_into_id,
    Person.name,
    Person.phone,
    Person.id_number,
)


def _select() -> Select[*tuple[Any, ...]]:
    return select(*_CASE_COLUMNS).outerjoin(Person, Person.id == Case.person_id)


# Statements are built once per form and reused with bound values: building a select of 32
# columns and its cache key costs more than running it. They run on the session's
# connection (Core results, no ORM loading).
_PHOTOS = (
    select(CasePhoto.case_id, CasePhoto.sha256, CasePhoto.ext, CasePhoto.position)
    .where(CasePhoto.case_id.in_(bindparam("ids", expanding=True)))
    .order_by(CasePhoto.case_id, CasePhoto.position)
)
_BY_TRACKING = _select().where(Case.tracking_code == bindparam("code"))
_EVENTS = (
    select(
        CaseEvent.action,
        CaseEvent.from_state,
        CaseEvent.to_state,
        CaseEvent.at,
        CaseEvent.actor_role,
        CaseEvent.note,
    )
    .where(CaseEvent.case_id == bindparam("case_id"))
    .order_by(CaseEvent.id)
)


@functools.cache
def _scoped_statement(
    scope: str,
    *,
    by_id: bool,
    state: bool,
    case_type: bool,
    category: bool,
    overdue: bool,
    unrouted: bool,
) -> Select[*tuple[Any, ...]]:
    """The select of one form: a scope of :data:`SCOPE_CLAUSES`, then one case by id, or a
    page of the queue with the filters given (values bound at execution)."""
    q = _select()
    clause = SCOPE_CLAUSES[scope]
    if clause is not None:
        q = q.where(clause)
    if by_id:
        return q.where(Case.id == bindparam("case_id"))
    if state:
        q = q.where(Case.state == bindparam("state"))
    if case_type:
        q = q.where(Case.case_type == bindparam("case_type"))
    if category:
        q = q.where(Case.category_key == bindparam("category"))
    if overdue:
        # the overdue list's clause (:func:`~wanzheng.cases.crud.overdue_page`); the open
        # states are not named here: newest first, the database walks the id index backwards
        # and stops at the 20th overdue case (0.2 ms at 10M cases), where naming them made
        # PostgreSQL gather every open case of the scope first (24 ms; docs/cases.md)
        q = q.where(overdue_clause(bindparam("overdue_at", type_=Case.sign_due.type)))
    if unrouted:
        q = q.where(Case.grid_key.is_(None))
    return q.order_by(Case.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))


def _rows(
    session: Session, query: Select[*tuple[Any, ...]], values: dict[str, Any]
) -> list[CaseRow]:
    conn = session.connection()
    rows: Sequence[Any] = conn.execute(query, values).all()
    if not rows:
        return []
    photos: dict[int, list[tuple[str, str, bool]]] = {}
    for case_id, sha256, ext, position in conn.execute(_PHOTOS, {"ids": [r[0] for r in rows]}):
        photos.setdefault(case_id, []).append((sha256, ext, position >= AFTER_PHOTO_POSITION))
    return [CaseRow(tuple(photos.get(r[0], ())), *r) for r in rows]


def case_rows(
    session: Session,
    *,
    actor: Actor,
    state: str | None = None,
    case_type: str | None = None,
    category: str | None = None,
    overdue_at: dt.datetime | None = None,
    unrouted: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[CaseRow]:
    """The actor's queue as rows: what :func:`wanzheng.cases.crud.list_cases` selects (cases
    in scope, newest first, the same filters), in two queries whatever the page size.

    ``overdue_at`` keeps the cases the overdue list (:func:`~wanzheng.cases.crud.overdue_page`)
    has at that time: its clause (:func:`~wanzheng.cases.crud.overdue_clause`), planned for
    the scope at hand (:func:`~wanzheng.cases.crud.plan_per_call`).
    """
    if category is not None and session.get(CategoryRow, category) is None:
        raise DataError(f"category: unknown category {category!r}")
    scope, values = scope_rule(actor)
    query = _scoped_statement(
        scope,
        by_id=False,
        state=state is not None,
        case_type=case_type is not None,
        category=category is not None,
        overdue=overdue_at is not None,
        unrouted=unrouted,
    )
    values = {
        **values,
        "state": state,
        "case_type": case_type,
        "category": category,
        "overdue_at": overdue_at,
        "limit": min(max(limit, 1), 1000),
        "offset": max(offset, 0),
    }
    if overdue_at is not None:
        plan_per_call(session)
    return _rows(session, query, values)


def case_row(session: Session, *, case_id: int, actor: Actor) -> CaseRow:
    """One case in the actor's scope; NotFoundError otherwise (existence is not revealed)."""
    scope, values = scope_rule(actor)
    query = _scoped_statement(
        scope,
        by_id=True,
        state=False,
        case_type=False,
        category=False,
        overdue=False,
        unrouted=False,
    )
    found = _rows(session, query, {**values, "case_id": case_id})
    if not found:
        raise NotFoundError(f"case: no case {case_id} visible to you")
    return found[0]


def case_row_by_tracking(session: Session, *, code: str) -> CaseRow:
    """The case of a tracking code (the public follow-up view)."""
    found = _rows(session, _BY_TRACKING, {"code": code.strip().upper()})
    if not found:
        raise NotFoundError("tracking_code: no case with this tracking code")
    return found[0]


def event_rows(session: Session, *, case_id: int) -> Sequence[EventRow]:
    """Events of a case in order."""
    return [EventRow(*r) for r in session.connection().execute(_EVENTS, {"case_id": case_id})]
