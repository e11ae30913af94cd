"""Micro-tasks for volunteers: offered from the case desk, claimed, checked in and out at the
task's place with one-time codes, no-shows recorded; the outcome moves the case.

A task is always one case of the desk: a resident's request a dispatcher (or the grid's
worker) marks suitable — help an elderly resident, clear a corridor, accompany someone to a
clinic — or a proactive task's case (a visit to an elderly resident living alone,
``proactive/service.py``). Only a case someone is responsible for is offered: state
``dispatched``, ``in_progress`` or ``reopened``; one live task per case.

Life of a task (``VolunteerTask.state``)::

    open ──claim──► claimed ──check in──► in_progress ──check out──► done | not_done
      ▲               │ withdraw / no-show (sweep)
      └───────────────┘                      open / claimed past its end ──► expired
    open / claimed ──cancel (staff)──► cancelled

Codes at the place. Staff in the task's scope get a six-digit code for the current claim
(:func:`issue_place_code`, purpose ``vol-checkin`` or ``vol-checkout``, the case desk's
purpose-tagged one-time codes, :mod:`wanzheng.cases.onetime`); it is sent by SMS through the
outbox to the resident of the case when the case has a phone, and shown once to the staff
member (for a place card where nobody is at home, e.g. a corridor). The volunteer types it
on their phone on arrival and when leaving: proof of presence without location tracking.
A wrong code is an attempt counted against it (five burn it).

The case. At check-in a ``dispatched`` / ``reopened`` case is started (action ``start``), at
a check-out marked done an ``in_progress`` case is resolved (action ``resolve`` with the
volunteer's note), both through :func:`wanzheng.cases.crud.apply_action` in the name of the
staff member who published the task (the system when that account can no longer act on the
case), so the case's deadlines, measures (响应率, handling time) and rating follow as for
any case. Served minutes go to the hours ledger (:mod:`wanzheng.volunteer.ledger`).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from wanzheng.cases.crud import apply_action, get_case, visible
from wanzheng.cases.masking import mask_name
from wanzheng.cases.models import Case, CategoryRow, Grid, Person, User
from wanzheng.cases.onetime import CodePolicy, IssuedCode, issue_code, verify_code
from wanzheng.cases.states import StateMachine, load_state_machine
from wanzheng.cases.users import Actor
from wanzheng.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError
from wanzheng.proactive.models import ProactiveAction
from wanzheng.proactive.outbox import enqueue
from wanzheng.volunteer.models import HoursEntry, TaskClaim, Volunteer, VolunteerTask
from wanzheng.volunteer.registry import (
    BEIJING,
    grid_home,
    load_skills,
    require_staff,
    volunteer_of,
)

__all__ = [
    "CASE_STATES",
    "CHECK_IN",
    "CHECK_OUT",
    "EARLY_CHECK_IN",
    "LIVE_STATES",
    "MAX_TASK_HOURS",
    "NO_SHOW_GRACE",
    "PlaceCode",
    "cancel_task",
    "check_in",
    "check_out",
    "claim_task",
    "current_claim",
    "get_task",
    "issue_place_code",
    "list_tasks",
    "my_claims",
    "publish_task",
    "record_no_shows",
    "task_view",
    "withdraw_claim",
]

#: Case states in which a case may be offered to volunteers.
CASE_STATES = frozenset({"dispatched", "in_progress", "reopened"})
#: Task states in which a task is live (one per case).
LIVE_STATES = ("open", "claimed", "in_progress")
#: Purposes of the one-time codes at the place.
CHECK_IN, CHECK_OUT = "vol-checkin", "vol-checkout"
#: Check-in opens this long before the task's start.
EARLY_CHECK_IN = dt.timedelta(minutes=60)
#: A claim not checked in this long after the start is a no-show.
NO_SHOW_GRACE = dt.timedelta(minutes=30)
#: Longest task window, hours.
MAX_TASK_HOURS = 12.0
#: Minutes credited beyond the task's window at most (a visit that ran over).
_OVERRUN_MIN = 120


def get_task(session: Session, *, task_id: int, actor: Actor, lock: bool = False) -> VolunteerTask:
    """A task in the actor's scope (grid workers: their grid; dispatchers, administrators:
    all; a volunteer: open tasks and their own); NotFoundError otherwise."""
    q = select(VolunteerTask).where(VolunteerTask.id == task_id)
    if lock:
        q = q.with_for_update()
    task = session.scalar(q)
    if task is None or not _task_visible(session, task, actor):
        raise NotFoundError(f"task: no task {task_id} visible to you")
    return task


def _task_visible(session: Session, task: VolunteerTask, actor: Actor) -> bool:
    if actor.role in ("dispatcher", "admin"):
        return True
    if actor.role == "grid_worker":
        return actor.grid_key is not None and task.grid_key == actor.grid_key
    if actor.role == "resident" and actor.person_id is not None:
        v = session.scalar(select(Volunteer).where(Volunteer.person_id == actor.person_id))
        if v is None or not v.active:
            return False
        return task.state == "open" or task.volunteer_id == v.id
    return False


def _case_place(session: Session, case: Case) -> tuple[float, float] | None:
    if case.lon is not None and case.lat is not None:
        return float(case.lon), float(case.lat)
    if case.grid_key is not None:
        g = session.get(Grid, case.grid_key)
        if g is not None:
            return grid_home(g.polygon_wkt)
    return None


def publish_task(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime,
    title: str | None = None,
    skill: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    skill_names: dict[str, str] | None = None,
) -> VolunteerTask:
    """Offer a case to volunteers as a micro-task (a dispatcher, an administrator or the
    case's grid worker).

    The place is ``lon``/``lat``, else the case's location, else its grid's centroid; the
    title is ``title``, else the proactive task's title, else the category's name.

    Raises
    ------
    NotFoundError
        The case is outside the actor's scope.
    ConflictError
        The case is not in :data:`CASE_STATES`, or has a live task already.
    DataError
        A window that is empty, longer than :data:`MAX_TASK_HOURS` or over; an unknown
        skill; no place.
    """
    require_staff(actor)
    if actor.user_id is None:
        raise PermissionDeniedError("publish: a task is published by a staff account")
    case = get_case(session, case_id=case_id, actor=actor)
    if case.state not in CASE_STATES:
        raise ConflictError(
            f"case: case {case_id} is {case.state!r}; a case is offered to volunteers once it "
            f"is dispatched ({', '.join(sorted(CASE_STATES))})"
        )
    live = session.scalar(
        select(VolunteerTask.id).where(
            VolunteerTask.case_id == case_id, VolunteerTask.state.in_(LIVE_STATES)
        )
    )
    if live is not None:
        raise ConflictError(f"case: case {case_id} already has live task {live}")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DataError("starts_at: expected times with a time zone")
    if ends_at <= starts_at:
        raise DataError("ends_at: expected a time after starts_at")
    if ends_at - starts_at > dt.timedelta(hours=MAX_TASK_HOURS):
        raise DataError(f"ends_at: a micro-task lasts at most {MAX_TASK_HOURS:g} hours")
    if ends_at <= now:
        raise DataError("ends_at: the task's window is over")
    known = skill_names if skill_names is not None else load_skills()
    if skill is not None and skill not in known:
        raise DataError(f"skill: unknown skill {skill!r}; expected one of {sorted(known)}")
    if (lon is None) != (lat is None):
        raise DataError("lon: give both lon and lat, or neither")
    place = (lon, lat) if lon is not None and lat is not None else _case_place(session, case)
    if place is None or not all(math.isfinite(x) for x in place):
        raise DataError(f"lon: case {case_id} has no location or grid; give lon and lat")
    if title is None or not title.strip():
        action = session.scalar(
            select(ProactiveAction.title).where(ProactiveAction.case_id == case_id).limit(1)
        )
        category = session.get(CategoryRow, case.category_key)
        title = action or (category.name if category else case.category_key)
    title = title.strip()
    if len(title) > 200:
        raise DataError("title: expected at most 200 characters")
    task = VolunteerTask(
        case_id=case_id,
        source="proactive" if case.case_type == "proactive" else "case",
        title=title,
        skill=skill,
        starts_at=starts_at,
        ends_at=ends_at,
        lon=float(place[0]),
        lat=float(place[1]),
        grid_key=case.grid_key,
        community_key=case.community_key,
        state="open",
        published_by=actor.user_id,
        published_at=now,
    )
    session.add(task)
    session.flush()
    return task


def list_tasks(
    session: Session,
    *,
    actor: Actor,
    state: str | None = None,
    case_id: int | None = None,
    limit: int = 200,
) -> Sequence[VolunteerTask]:
    """Tasks in a staff member's scope, soonest first."""
    require_staff(actor)
    q = select(VolunteerTask)
    if actor.role == "grid_worker":
        q = q.where(VolunteerTask.grid_key == actor.grid_key)
    if state is not None:
        q = q.where(VolunteerTask.state == state)
    if case_id is not None:
        q = q.where(VolunteerTask.case_id == case_id)
    q = q.order_by(VolunteerTask.starts_at, VolunteerTask.id).limit(min(max(limit, 1), 1000))
    return session.scalars(q).all()


def current_claim(session: Session, task: VolunteerTask) -> TaskClaim | None:
    """The task's latest claim that is still live (claimed or checked in), if any."""
    return session.scalar(
        select(TaskClaim)
        .where(TaskClaim.task_id == task.id, TaskClaim.state.in_(("claimed", "checked_in")))
        .order_by(TaskClaim.id.desc())
        .limit(1)
    )


def my_claims(session: Session, *, actor: Actor) -> Sequence[tuple[TaskClaim, VolunteerTask]]:
    """The calling volunteer's claims with their tasks, newest first."""
    v = volunteer_of(session, actor=actor)
    rows = session.execute(
        select(TaskClaim, VolunteerTask)
        .join(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
        .where(TaskClaim.volunteer_id == v.id)
        .order_by(TaskClaim.id.desc())
        .limit(200)
    ).all()
    return [(c, t) for c, t in rows]


def claim_task(session: Session, *, task_id: int, actor: Actor, now: dt.datetime) -> TaskClaim:
    """The calling volunteer takes an open task.

    Raises
    ------
    ConflictError
        The task is not open or its window is over, the volunteer lacks the task's skill,
        or holds another claim whose window overlaps.
    """
    v = volunteer_of(session, actor=actor)
    task = get_task(session, task_id=task_id, actor=actor, lock=True)
    if task.state != "open":
        raise ConflictError(f"task: task {task_id} is {task.state!r}, not open")
    if task.ends_at <= now:
        raise ConflictError(f"task: the window of task {task_id} is over")
    if task.skill is not None and task.skill not in v.skills:
        raise ConflictError(
            f"skill: task {task_id} needs skill {task.skill!r}, which you have not registered"
        )
    overlap = session.scalar(
        select(VolunteerTask.id)
        .join(TaskClaim, TaskClaim.task_id == VolunteerTask.id)
        .where(
            TaskClaim.volunteer_id == v.id,
            TaskClaim.state.in_(("claimed", "checked_in")),
            and_(VolunteerTask.starts_at < task.ends_at, VolunteerTask.ends_at > task.starts_at),
        )
        .limit(1)
    )
    if overlap is not None:
        raise ConflictError(f"task: you hold task {overlap} at an overlapping time")
    claim = TaskClaim(task_id=task.id, volunteer_id=v.id, state="claimed", claimed_at=now)
    session.add(claim)
    task.state = "claimed"
    task.volunteer_id = v.id
    session.flush()
    return claim


def _own_claim(
    session: Session, *, task_id: int, actor: Actor, state: str
) -> tuple[Volunteer, VolunteerTask, TaskClaim]:
    v = volunteer_of(session, actor=actor)
    task = get_task(session, task_id=task_id, actor=actor, lock=True)
    claim = current_claim(session, task)
    if claim is None or claim.volunteer_id != v.id:
        raise ConflictError(f"task: you hold no claim on task {task_id}")
    if claim.state != state:
        raise ConflictError(f"task: your claim on task {task_id} is {claim.state!r}, not {state!r}")
    return v, task, claim


def withdraw_claim(session: Session, *, task_id: int, actor: Actor, now: dt.datetime) -> TaskClaim:
    """The volunteer gives a claimed task back before checking in; it is open again."""
    _v, task, claim = _own_claim(session, task_id=task_id, actor=actor, state="claimed")
    claim.state = "withdrawn"
    claim.outcome = f"withdrawn at {now.isoformat()}"
    task.state = "open" if task.ends_at > now else "expired"
    task.volunteer_id = None
    session.flush()
    return claim


def cancel_task(
    session: Session, *, task_id: int, actor: Actor, reason: str, now: dt.datetime
) -> VolunteerTask:
    """Staff withdraw an open or claimed task (its claim, if any, is withdrawn)."""
    require_staff(actor)
    if not reason.strip():
        raise DataError("reason: say why the task is cancelled")
    task = get_task(session, task_id=task_id, actor=actor, lock=True)
    if task.state not in ("open", "claimed"):
        raise ConflictError(
            f"task: task {task_id} is {task.state!r}; only open or claimed tasks are cancelled"
        )
    claim = current_claim(session, task)
    if claim is not None:
        claim.state = "withdrawn"
        claim.outcome = f"cancelled by {actor.label}: {reason.strip()}"
    task.state = "cancelled"
    session.flush()
    return task


@dataclass(frozen=True, slots=True)
class PlaceCode:
    """A code for the place (to be handed out, never stored) and whether it was also put in
    the outbox as an SMS to the case's resident."""

    issued: IssuedCode
    sms_to_resident: bool


def _policy(task: VolunteerTask, now: dt.datetime) -> CodePolicy:
    # a code lives until two hours after the task's window, at least ten minutes
    ttl = max(600.0, (task.ends_at + dt.timedelta(hours=2) - now).total_seconds())
    return CodePolicy(ttl_s=ttl, max_attempts=5, max_sends=5, send_window_s=3600.0)


def issue_place_code(
    session: Session,
    *,
    task_id: int,
    step: str,
    actor: Actor,
    secret: str,
    now: dt.datetime,
    notify: bool = True,
) -> PlaceCode:
    """A one-time code for the current claim's check-in (``step="checkin"``) or check-out
    (``"checkout"``), for staff in the task's scope to hand to the place.

    With ``notify`` the code is also put in the outbox as an SMS to the phone of the case's
    resident, who tells it to the volunteer at the door.

    Raises
    ------
    ConflictError
        No claim waiting for that step.
    RateLimitedError
        Too many codes for this claim within the hour.
    """
    require_staff(actor)
    if step not in ("checkin", "checkout"):
        raise DataError(f"step: expected 'checkin' or 'checkout', got {step!r}")
    task = get_task(session, task_id=task_id, actor=actor, lock=True)
    claim = current_claim(session, task)
    wanted = "claimed" if step == "checkin" else "checked_in"
    if claim is None or claim.state != wanted:
        raise ConflictError(
            f"task: task {task_id} has no claim waiting to {step.replace('check', 'check ')}"
        )
    purpose = CHECK_IN if step == "checkin" else CHECK_OUT
    issued = issue_code(
        session,
        secret=secret,
        purpose=purpose,
        subject=f"claim:{claim.id}",
        now=now,
        policy=_policy(task, now),
    )
    case = session.get(Case, task.case_id)
    phone = case.person.phone if case is not None and case.person is not None else None
    sent = False
    if notify and phone:
        word = "签到" if step == "checkin" else "签退"
        local = task.starts_at.astimezone(BEIJING).strftime("%m月%d日 %H:%M")
        enqueue(
            session,
            key=issued.key,
            channel="sms",
            recipient=phone,
            subject=f"志愿服务{word}码",
            body=(
                f"【社区志愿服务】{local} 的“{task.title}”：志愿者到达后请把{word}码 "
                f"{issued.code} 告诉志愿者（{issued.minutes} 分钟内有效）。"
            ),
            now=now,
        )
        sent = True
    return PlaceCode(issued=issued, sms_to_resident=sent)


def _publisher(session: Session, task: VolunteerTask, case: Case) -> Actor:
    """The staff member who published the task, acting on its case; the system when that
    account is gone or can no longer see the case."""
    user = session.get(User, task.published_by)
    if user is not None and user.active:
        actor = Actor(
            role=user.role,
            user_id=user.id,
            username=user.username,
            department_key=user.department_key,
            grid_key=user.grid_key,
        )
        if visible(case, actor):
            return actor
    return Actor.system()


def _volunteer_label(session: Session, v: Volunteer) -> str:
    person = session.get(Person, v.person_id)
    return f"志愿者{mask_name(person.name) if person and person.name else v.id}"


def check_in(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    code: str,
    secret: str,
    now: dt.datetime,
    machine: StateMachine | None = None,
) -> bool:
    """The volunteer checks in at the place with its code; ``False`` for a wrong or expired
    code (the attempt is counted: commit it). A ``dispatched`` / ``reopened`` case starts.

    Raises
    ------
    ConflictError
        No claim of the caller's waiting to check in, or outside the check-in time (from
        :data:`EARLY_CHECK_IN` before the start until the end).
    """
    v, task, claim = _own_claim(session, task_id=task_id, actor=actor, state="claimed")
    if now < task.starts_at - EARLY_CHECK_IN or now > task.ends_at:
        raise ConflictError(
            f"task: check in from {int(EARLY_CHECK_IN.total_seconds() // 60)} minutes before "
            f"the start until the end of task {task_id}"
        )
    if not verify_code(
        session,
        secret=secret,
        purpose=CHECK_IN,
        subject=f"claim:{claim.id}",
        code=code,
        now=now,
        policy=_policy(task, now),
    ):
        return False
    claim.state = "checked_in"
    claim.checked_in_at = now
    task.state = "in_progress"
    _follow(
        session, task, action="start", from_states=("dispatched", "reopened"), now=now,
        machine=machine, note=f"{_volunteer_label(session, v)}到场签到（志愿任务 {task.id}）",
    )  # fmt: skip
    session.flush()
    return True


def _follow(
    session: Session,
    task: VolunteerTask,
    *,
    action: str,
    from_states: tuple[str, ...],
    now: dt.datetime,
    machine: StateMachine | None,
    note: str,
) -> None:
    """The task's case follows the task: ``action`` by the task's publisher, when the case is
    in one of ``from_states`` (a case moved on by its handler meanwhile is left alone)."""
    case = session.get(Case, task.case_id)
    if case is not None and case.state in from_states:
        apply_action(
            session,
            case_id=case.id,
            actor=_publisher(session, task, case),
            action=action,
            now=now,
            machine=machine or load_state_machine(),
            note=note,
        )


def check_out(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    code: str,
    secret: str,
    now: dt.datetime,
    done: bool,
    note: str,
    machine: StateMachine | None = None,
) -> HoursEntry | None:
    """The volunteer checks out with the place's code: minutes served go to the ledger;
    ``done`` resolves an ``in_progress`` case with ``note``. ``None`` for a wrong code.

    Minutes are check-out minus check-in, at most the task's window plus two hours.
    """
    if not note.strip():
        raise DataError("note: say what was done (or why it could not be)")
    v, task, claim = _own_claim(session, task_id=task_id, actor=actor, state="checked_in")
    if not verify_code(
        session,
        secret=secret,
        purpose=CHECK_OUT,
        subject=f"claim:{claim.id}",
        code=code,
        now=now,
        policy=_policy(task, now),
    ):
        return None
    checked_in_at = claim.checked_in_at or now  # always set with the checked_in state
    served = (now - checked_in_at).total_seconds() / 60.0
    cap = (task.ends_at - task.starts_at).total_seconds() / 60.0 + _OVERRUN_MIN
    minutes = round(max(0.0, min(served, cap)))
    claim.state = "done" if done else "not_done"
    claim.checked_out_at = now
    claim.outcome = note.strip()
    task.state = claim.state
    entry = HoursEntry(
        volunteer_id=v.id,
        claim_id=claim.id,
        kind="service",
        minutes=minutes,
        served_at=checked_in_at,
        note=task.title,
        entered_by=actor.label,
        entered_at=now,
    )
    session.add(entry)
    if done:
        _follow(
            session, task, action="resolve", from_states=("in_progress",), now=now,
            machine=machine,
            note=f"{_volunteer_label(session, v)}完成志愿任务 {task.id}：{note.strip()}",
        )  # fmt: skip
    session.flush()
    return entry


def record_no_shows(
    session: Session, *, now: dt.datetime, grace: dt.timedelta = NO_SHOW_GRACE
) -> list[TaskClaim]:
    """Claims not checked in ``grace`` after the start become ``no_show`` (their task opens
    again while its window lasts); open tasks past their end expire. Returns the no-shows."""
    rows = session.execute(
        select(TaskClaim, VolunteerTask)
        .join(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
        .where(TaskClaim.state == "claimed", VolunteerTask.starts_at < now - grace)
    ).all()
    out = []
    for claim, task in rows:
        claim.state = "no_show"
        claim.outcome = f"not checked in by {(task.starts_at + grace).isoformat()}"
        task.volunteer_id = None
        task.state = "open" if task.ends_at > now else "expired"
        out.append(claim)
    for task in session.scalars(
        select(VolunteerTask).where(VolunteerTask.state == "open", VolunteerTask.ends_at <= now)
    ):
        task.state = "expired"
    session.flush()
    return out


def task_view(
    session: Session,
    task: VolunteerTask,
    *,
    actor: Actor,
    distance_m: float | None = None,
    walk_speed_m_per_min: float = 60.0,
    skill_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A task as shown. Staff see the place and the claimant (masked); a volunteer sees the
    exact place and the case's address only once the task is theirs, before that the place
    to about 100 m."""
    known = skill_names if skill_names is not None else load_skills()
    staff = actor.role in ("grid_worker", "dispatcher", "admin")
    mine = False
    if actor.role == "resident" and actor.person_id is not None and task.volunteer_id is not None:
        v = session.get(Volunteer, task.volunteer_id)
        mine = v is not None and v.person_id == actor.person_id
    exact = staff or mine
    grid = session.get(Grid, task.grid_key) if task.grid_key else None
    out: dict[str, Any] = {
        "id": task.id,
        "case_id": task.case_id if staff else None,
        "source": task.source,
        "title": task.title,
        "skill": task.skill,
        "skill_label": known.get(task.skill, task.skill) if task.skill else None,
        "starts_at": task.starts_at.isoformat(),
        "ends_at": task.ends_at.isoformat(),
        "lon": round(task.lon, 6 if exact else 3),
        "lat": round(task.lat, 6 if exact else 3),
        "grid": task.grid_key,
        "grid_name": grid.name if grid else None,
        "state": task.state,
        "mine": mine,
        "address": None,
        "claimant": None,
        "claim_state": None,
        "distance_m": None
        if distance_m is None or not math.isfinite(distance_m)
        else round(distance_m, 1),
        "walk_min": None
        if distance_m is None or not math.isfinite(distance_m)
        else math.ceil(distance_m / walk_speed_m_per_min),
    }
    if exact:
        case = session.get(Case, task.case_id)
        out["address"] = case.address if case is not None else None
    claim = current_claim(session, task)
    if claim is None and task.volunteer_id is not None:
        claim = session.scalar(
            select(TaskClaim)
            .where(TaskClaim.task_id == task.id, TaskClaim.volunteer_id == task.volunteer_id)
            .order_by(TaskClaim.id.desc())
            .limit(1)
        )
    if claim is not None and (staff or mine):
        out["claim_state"] = claim.state
        if staff:
            v = session.get(Volunteer, claim.volunteer_id)
            out["claimant"] = _volunteer_label(session, v) if v is not None else None
    if actor.role == "resident" and not mine and task.state != "open":
        raise PermissionDeniedError("task: not yours")
    return out
