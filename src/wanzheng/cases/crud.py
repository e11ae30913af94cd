"""Cases after intake: who sees what (:func:`visible`), queues and public lookups, transitions
of the state machine with their events, ratings, deadline extensions, overdue lists and
escalation (督办), and the frame the measures are computed from.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments, checks the
caller's scope (an :class:`~wanzheng.cases.users.Actor`) and raises only from
:mod:`wanzheng.errors`. The caller commits (the web layer once per request, so nothing is
half-written); functions flush when they need generated ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import and_, bindparam, false, func, literal_column, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import ColumnElement, Select

from wanzheng.cases.deadlines import add_working_days, missed_deadlines, overdue_hours
from wanzheng.cases.models import (
    AFTER_PHOTO_POSITION,
    Case,
    CaseEvent,
    CaseExtension,
    CasePhoto,
    CategoryRow,
    Department,
    Grid,
)
from wanzheng.cases.states import StateMachine
from wanzheng.cases.users import Actor
from wanzheng.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from wanzheng.cases.reads import CaseRow

__all__ = [
    "AFTER_PHOTO_MAX",
    "AFTER_PHOTO_STATES",
    "REROUTE_STATES",
    "SCOPE_CLAUSES",
    "apply_action",
    "attach_after_photos",
    "case_events",
    "claim_case",
    "count_overdue",
    "escalate_overdue",
    "extend_deadline",
    "find_cases",
    "get_case",
    "get_case_by_tracking",
    "list_cases",
    "measures_frame",
    "missed_now",
    "next_deadline",
    "open_states",
    "overdue_batches",
    "overdue_clause",
    "overdue_of",
    "overdue_page",
    "photo_visible",
    "plan_per_call",
    "rate_case",
    "scope_rule",
    "scoped",
    "visible",
]

#: States in which ``recategorise`` also re-routes the department from the category table.
REROUTE_STATES = frozenset({"submitted", "accepted", "returned", "disputed"})


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


def visible(case: Case, actor: Actor) -> bool:
    """Whether ``actor`` may see ``case`` (staff their scope; a resident account the cases it
    owns — filed logged in or claimed by tracking code — and the unowned cases filed with a
    phone it proved by a one-time code; a phone is never a key to another account's cases)."""
    if actor.role in ("dispatcher", "admin"):
        return True
    if actor.role == "handler":
        return actor.department_key is not None and case.department_key == actor.department_key
    if actor.role == "grid_worker":
        return actor.grid_key is not None and case.grid_key == actor.grid_key
    if actor.role == "resident":
        if actor.user_id is None:
            return False
        if case.owner_id is not None:
            return case.owner_id == actor.user_id
        return actor.person_id is not None and case.person_id == actor.person_id
    return False


#: The WHERE clause of each form of scope, with bound parameters (:func:`scope_rule`).
SCOPE_CLAUSES: dict[str, ColumnElement[bool] | None] = {
    "all": None,
    "none": false(),
    "department": Case.department_key == bindparam("scope_department"),
    "grid": Case.grid_key == bindparam("scope_grid"),
    "owner": Case.owner_id == bindparam("scope_owner"),
    "owner_or_person": or_(
        Case.owner_id == bindparam("scope_owner"),
        and_(Case.owner_id.is_(None), Case.person_id == bindparam("scope_person")),
    ),
}


def scope_rule(actor: Actor) -> tuple[str, dict[str, Any]]:
    """The rule of :func:`visible` as the key of its clause in :data:`SCOPE_CLAUSES` and the
    values of the clause's parameters: handlers their department, grid workers their grid,
    residents their own cases, dispatchers and administrators everything."""
    if actor.role == "handler":
        if actor.department_key is None:
            return "none", {}
        return "department", {"scope_department": actor.department_key}
    if actor.role == "grid_worker":
        if actor.grid_key is None:
            return "none", {}
        return "grid", {"scope_grid": actor.grid_key}
    if actor.role == "resident":
        if actor.user_id is None:
            return "none", {}
        if actor.person_id is None:
            return "owner", {"scope_owner": actor.user_id}
        return "owner_or_person", {"scope_owner": actor.user_id, "scope_person": actor.person_id}
    if actor.role in ("dispatcher", "admin"):
        return "all", {}
    return "none", {}


def scoped(query: Select[Any], actor: Actor) -> Select[Any]:
    """``query`` (a select of cases) restricted to the cases ``actor`` may see — the rule of
    :func:`visible` as a WHERE clause (:func:`scope_rule`)."""
    shape, values = scope_rule(actor)
    clause = SCOPE_CLAUSES[shape]
    return query if clause is None else query.where(clause).params(values)


def photo_visible(session: Session, *, sha256: str, ext: str, actor: Actor) -> bool:
    """Whether ``actor`` may see the stored photo ``<sha256>.<ext>``: it belongs to at least
    one case the actor may see (the rule of :func:`scoped`; one photo uploaded with two
    cases is visible to whoever sees either)."""
    query = (
        select(Case.id)
        .join(CasePhoto, CasePhoto.case_id == Case.id)
        .where(CasePhoto.sha256 == sha256, CasePhoto.ext == ext)
        .limit(1)
    )
    return session.scalar(scoped(query, actor)) is not None


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


def claim_case(session: Session, *, code: str, actor: Actor) -> Case:
    """Give the case of tracking code ``code`` to the resident account ``actor`` (whoever
    holds the code filed it or was given it by the filer). A case another account owns stays
    its own (ConflictError); claiming one's own case again is a no-op."""
    if actor.role != "resident" or actor.user_id is None:
        raise PermissionDeniedError("tracking_code: only a resident account claims a case")
    case = get_case_by_tracking(session, code=code)
    if case.owner_id is None:
        case.owner_id = actor.user_id
    elif case.owner_id != actor.user_id:
        raise ConflictError("tracking_code: this case belongs to another account")
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
    category: str | None = None,
    overdue_at: dt.datetime | None = None,
    unrouted: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Case]:
    """The actor's queue: cases in scope, newest first.

    ``category`` keeps one category (its key; an unknown key is a ``DataError``).
    ``overdue_at`` keeps the cases overdue at that time: open, with a deadline passed whose
    event has not happened (:func:`missed_now` as a WHERE clause). ``unrouted``
    (dispatchers) keeps cases whose location is in no grid — the subdistrict dispatcher
    queue.
    """
    q = scoped(select(Case), actor)
    if state is not None:
        q = q.where(Case.state == state)
    if case_type is not None:
        q = q.where(Case.case_type == case_type)
    if category is not None:
        if session.get(CategoryRow, category) is None:
            raise DataError(f"category: unknown category {category!r}")
        q = q.where(Case.category_key == category)
    if overdue_at is not None:
        q = q.where(overdue_clause(overdue_at))
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
        dept = session.get(Department, department) if department is not None else None
        if dept is None:
            raise DataError(f"department: unknown department {department!r}")
        to_grid = ""
        if grid is not None:
            g = session.get(Grid, grid)
            if g is None:
                raise DataError(f"grid: unknown grid {grid!r}")
            case.grid_key = g.key
            case.community_key = g.community_key
            to_grid = f"（{g.name or g.key}）"
        case.department_key = department
        case.accepted_at = case.accepted_at or now
        text_note = note or f"派往{dept.name or dept.key}{to_grid}"
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


AFTER_PHOTO_MAX = 6
"""Most photos staff attach to one case (办结照片)."""
AFTER_PHOTO_STATES = frozenset({"dispatched", "in_progress", "resolved", "reopened"})
"""States in which the handler attaches photos of the place: while handling it and once
resolved (before the resident's rating closes it)."""


def attach_after_photos(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    photos: Sequence[tuple[str, str]],
    now: dt.datetime,
) -> Case:
    """Attach photos of the place after the work (办结照片) to a case, with an event ``photo``.

    ``photos`` are ``(sha256, ext)`` of photos already stored
    (:func:`wanzheng.cases.photos.store_photo`). Handlers and grid workers in scope,
    dispatchers and administrators may attach them while the case is in
    :data:`AFTER_PHOTO_STATES`; at most :data:`AFTER_PHOTO_MAX` per case.

    Raises
    ------
    PermissionDeniedError
        A resident (or another role) tried.
    NotFoundError
        The case does not exist or is outside the actor's scope.
    ConflictError
        The case is not being handled (state), or the photos would exceed the limit.
    """
    if actor.role not in ("handler", "grid_worker", "dispatcher", "admin"):
        raise PermissionDeniedError("photos: only staff handling the case attach photos")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case: no case {case_id} visible to you")
    _in_scope_for_action(case, actor)
    if case.state not in AFTER_PHOTO_STATES:
        raise ConflictError(
            f"photos: a case in state {case.state!r} takes no photos "
            f"(expected one of {sorted(AFTER_PHOTO_STATES)})"
        )
    if not photos:
        raise DataError("photos: expected at least one photo")
    have = [p.position for p in case.photos if p.position >= AFTER_PHOTO_POSITION]
    if len(have) + len(photos) > AFTER_PHOTO_MAX:
        raise ConflictError(
            f"photos: a case takes at most {AFTER_PHOTO_MAX} photos of the handler "
            f"({len(have)} attached already)"
        )
    start = max(have, default=AFTER_PHOTO_POSITION - 1) + 1
    for i, (sha, ext) in enumerate(photos):
        session.add(CasePhoto(case_id=case.id, position=start + i, sha256=sha, ext=ext))
    _event(
        session,
        case,
        action="photo",
        to=case.state,
        actor=actor,
        now=now,
        note=f"办结照片{len(photos)}张",
    )
    session.flush()
    session.refresh(case, ["photos"])
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


def open_states(states: Iterable[str]) -> list[str]:
    """The states of ``states`` (a state machine's) in which a case runs against a deadline:
    all but closed, merged, rejected and resolved."""
    return sorted(set(states) - set(_NOT_TIMED))


def overdue_clause(at: Any, *, states: Any = None) -> ColumnElement[bool]:
    """WHERE clause of the cases overdue at ``at`` (a datetime or a bound parameter): open,
    with a deadline passed whose event has not happened (:func:`missed_now` in SQL).

    ``states``: the open states (:func:`open_states`, or an expanding bound parameter of
    them); given, the clause also names them (``state IN …``, the same cases), which lets the
    database read the open cases by the (state, id) index instead of every case of a scope.
    """
    clause = and_(
        # literals, not bound parameters: the predicate of the open cases' partial indexes
        # (migration 0010), which a database uses only for a query that provably implies it
        Case.state.not_in([literal_column(f"'{s}'") for s in _NOT_TIMED]),
        or_(
            and_(Case.accepted_at.is_(None), Case.sign_due < at),
            and_(Case.responded_at.is_(None), Case.respond_due < at),
            and_(Case.resolved_at.is_(None), Case.resolve_due < at),
        ),
    )
    return clause if states is None else and_(clause, Case.state.in_(states))


def plan_per_call(session: Session) -> None:
    """On PostgreSQL, plan the overdue queries of this transaction for the values at hand.

    psycopg prepares a statement run 5 times on a connection, and PostgreSQL then may plan it
    once for any scope (a generic plan): the busiest grid's overdue page took 300+ ms at 1M
    stored cases with it and 40 ms planned for the grid (``docs/benchmarks.md``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))


def next_deadline(case: Case | CaseRow) -> str | None:
    """The deadline the case now runs against: ``sign`` until it is accepted, then
    ``respond`` until handling starts, then ``resolve`` until it is resolved; ``None`` once
    resolved, closed, merged or rejected (the clock of :func:`missed_now`). The console shows
    this one in its queues."""
    if case.state in _NOT_TIMED:
        return None
    for name, done in (
        ("sign", case.accepted_at),
        ("respond", case.responded_at),
        ("resolve", case.resolved_at),
    ):
        if done is None:
            return name
    return None


def missed_now(case: Case | CaseRow, now: dt.datetime) -> dict[str, float]:
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


def _earliest_unmet() -> ColumnElement[Any]:
    """The earliest deadline whose event has not happened (NULL when every event happened):
    the overdue case with the earliest one is the most late (:func:`overdue_hours`)."""
    dues = (
        sql_case((Case.accepted_at.is_(None), Case.sign_due)),
        sql_case((Case.responded_at.is_(None), Case.respond_due)),
        sql_case((Case.resolved_at.is_(None), Case.resolve_due)),
    )
    d1, d2, d3 = dues
    return sql_case(
        (and_(d1.is_not(None), or_(d2.is_(None), d1 <= d2), or_(d3.is_(None), d1 <= d3)), d1),
        (and_(d2.is_not(None), or_(d3.is_(None), d2 <= d3)), d2),
        else_=d3,
    )


_OVERDUE_COLUMNS: tuple[Any, ...] = (
    Case.id,
    Case.state,
    Case.department_key,
    Case.grid_key,
    Case.escalation_level,
    Case.sign_due,
    Case.respond_due,
    Case.resolve_due,
    Case.accepted_at,
    Case.responded_at,
    Case.resolved_at,
)


def _overdue_rows(
    session: Session, query: Select[Any], now: dt.datetime
) -> list[tuple[Any, dict[str, float]]]:
    plan_per_call(session)
    # the rows carry the state and every deadline column: missed_now reads them as a case's
    rows: list[Any] = list(session.execute(query).all())
    return [(r, missed_now(r, now)) for r in rows]


def _overdue_select(actor: Actor, now: dt.datetime, states: Sequence[str] | None) -> Select[Any]:
    """The one overdue query: the columns the overdue list shows, of the open cases in the
    actor's scope with a deadline passed and unmet (unordered)."""
    if actor.role == "resident":
        raise PermissionDeniedError("role: residents have no overdue list")
    # a grid's or a department's open cases are read from its partial index (migration
    # 0010); naming the open states there too only leads the planner to AND that index with
    # the (state, id) one, reading the scattered heap (at 10M stored cases, before the table
    # was vacuumed: 262 ms against 138 ms for the busiest grid's page)
    by_scope = scope_rule(actor)[0] in ("grid", "department")
    named = None if states is None or by_scope else open_states(states)
    return scoped(select(*_OVERDUE_COLUMNS).where(overdue_clause(now, states=named)), actor)


def overdue_page(
    session: Session,
    *,
    actor: Actor,
    now: dt.datetime,
    limit: int = 100,
    offset: int = 0,
    states: Sequence[str] | None = None,
) -> list[tuple[Any, dict[str, float]]]:
    """One page of the overdue list: the open cases in the actor's scope with a deadline
    passed and still unmet (:func:`overdue_clause`), most late first (ties: lower id first),
    ordered and paged by the database; only the columns the overdue list shows are read.

    Returns ``(row, missed)`` pairs: the row has the attributes ``id``, ``state``,
    ``department_key``, ``grid_key``, ``escalation_level``; ``missed`` is
    :func:`missed_now`'s.

    ``states``: every state of the state machine (``StateMachine.states``); given, the
    query of the whole desk also names the open ones (:func:`overdue_clause`), which lets
    the database read them by the (state, id) index. A grid's or a department's open cases
    are read from their partial index (migration 0010: at 10M stored cases the busiest
    grid's page reads 494 index pages in 22 ms instead of 172,125 heap pages in 1.5 s).
    """
    q = _overdue_select(actor, now, states)
    return _overdue_rows(
        session, q.order_by(_earliest_unmet(), Case.id).limit(limit).offset(offset), now
    )


def overdue_batches(
    session: Session,
    *,
    actor: Actor,
    now: dt.datetime,
    states: Sequence[str] | None = None,
    size: int = 1000,
) -> Iterator[list[tuple[Any, dict[str, float]]]]:
    """Every overdue case of the actor's scope (the query of :func:`overdue_page`), in
    batches of at most ``size`` in id order, each read by the database after the last id of
    the one before (a keyset: rows changed between batches are neither skipped nor read
    twice); only one batch is held at a time, whatever the number of overdue cases."""
    q = _overdue_select(actor, now, states).order_by(Case.id).limit(size)
    last = 0
    while True:
        batch = _overdue_rows(session, q.where(Case.id > last), now)
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1][0].id


def overdue_of(
    session: Session,
    *,
    actor: Actor,
    now: dt.datetime,
    ids: Iterable[int],
    states: Sequence[str] | None = None,
    size: int = 1000,
) -> list[tuple[Any, dict[str, float]]]:
    """The cases among ``ids`` that the actor's overdue list has at ``now`` (the query of
    :func:`overdue_page`), in id order, read ``size`` ids at a time: what
    :func:`overdue_batches` would yield for them, without walking the rest."""
    wanted = sorted(set(ids))
    q = _overdue_select(actor, now, states).order_by(Case.id)
    out: list[tuple[Any, dict[str, float]]] = []
    for i in range(0, len(wanted), size):
        out += _overdue_rows(session, q.where(Case.id.in_(wanted[i : i + size])), now)
    return out


def count_overdue(
    session: Session, *, now: dt.datetime, states: Sequence[str] | None = None
) -> int:
    """Open cases of the whole desk with a deadline passed and still unmet at ``now``
    (:func:`overdue_clause`, counted by the database; ``states`` as in :func:`overdue_page`)."""
    named = None if states is None else open_states(states)
    plan_per_call(session)
    q = select(func.count()).select_from(Case).where(overdue_clause(now, states=named))
    return int(session.scalar(q) or 0)


def escalate_overdue(
    session: Session, *, now: dt.datetime, machine: StateMachine, batch: int = 1000
) -> list[tuple[int, int]]:
    """Raise the 督办 level of overdue open cases; one ``escalate`` event per level reached.

    The overdue cases are walked in batches of ``batch`` (:func:`overdue_batches`), so the
    memory a pass takes does not grow with the number of overdue cases; only the cases
    whose level rises are written.

    Returns
    -------
    list of (case id, new level)
        The cases whose level rose in this pass (a second pass at the same time answers
        none).
    """
    changed = []
    levels = machine.escalation.levels
    for rows in overdue_batches(
        session, actor=Actor.system(), now=now, states=list(machine.states), size=batch
    ):
        rising = []
        for r, missed in rows:
            level = machine.escalation.level(overdue_hours(missed))
            if r.escalation_level < level:
                rising.append((r, missed, level))
        if not rising:
            continue
        for r, missed, level in rising:
            for n in range(r.escalation_level + 1, level + 1):
                session.add(
                    CaseEvent(
                        case_id=r.id,
                        action="escalate",
                        from_state=r.state,
                        to_state=r.state,
                        actor_id=None,
                        actor_role="system",
                        at=now,
                        note=f"{levels[n - 1]} (超期: {', '.join(sorted(missed))})",
                    )
                )
            changed.append((r.id, level))
        session.execute(
            update(Case),
            [{"id": r.id, "escalation_level": level} for r, _, level in rising],
        )
        for r, _, _ in rising:  # a case this session holds reads its new level again
            held = session.identity_map.get(identity_key(Case, r.id))
            if held is not None:
                session.expire(held, ["escalation_level"])
        session.flush()
    return changed


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


def measures_frame(
    session: Session,
    *,
    case_type: str | None = None,
    submitted_from: dt.datetime | None = None,
    submitted_before: dt.datetime | None = None,
) -> pd.DataFrame:
    """The cases as the DataFrame :func:`wanzheng.cases.measures.case_measures` takes.

    ``submitted_from`` / ``submitted_before`` keep the cases submitted in that period (the
    only ones ``case_measures`` counts over ``[start, end)``), read by the index on
    ``submitted_at`` instead of the whole table; ``None``: every case.
    """
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
    if submitted_from is not None:
        q = q.where(Case.submitted_at >= submitted_from)
    if submitted_before is not None:
        q = q.where(Case.submitted_at < submitted_before)
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
