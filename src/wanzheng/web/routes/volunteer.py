"""双报到 API: the volunteers' registry, micro-tasks, claims, check-in/out codes, hours and
reports. Routes call :mod:`wanzheng.volunteer`; no SQL here.

Roles: grid workers (their grid's volunteers and tasks), dispatchers and administrators
(everything) register volunteers, offer cases as tasks, see suggestions and hand out the
codes at the place; dispatchers and administrators unmask contacts (logged), correct the
ledger, run the no-show sweep and make the units' report. A volunteer acts through their
resident account once it proved the registered phone (``/api/auth/phone/verify``):
``/api/volunteers/me…``, claim, withdraw, check in and out. Residents who are not
volunteers, and handlers, get 403/404 from all of it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, NotFoundError
from wanzheng.volunteer import ledger, registry, suggest, tasks
from wanzheng.volunteer.matching import WalkingMatcher
from wanzheng.volunteer.models import TaskClaim, VolunteerTask
from wanzheng.web.deps import Desk, DispatcherActor, ReadSession, require_roles
from wanzheng.web.openapi import ID_MAX, errors

__all__ = ["router"]

router = APIRouter(prefix="/api/volunteers", tags=["volunteers"])

VolunteerStaff = Annotated[Actor, Depends(require_roles("grid_worker", "dispatcher", "admin"))]
VolunteerSelf = Annotated[Actor, Depends(require_roles("resident"))]
AnyVolunteerUser = Annotated[
    Actor, Depends(require_roles("resident", "grid_worker", "dispatcher", "admin"))
]
TaskId = Annotated[int, PathParam(ge=1, le=ID_MAX, description="A task id (1 to 2³¹−1).")]
VolunteerId = Annotated[int, PathParam(ge=1, le=ID_MAX, description="A volunteer id (1 to 2³¹−1).")]
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MATCHER_LOCK = threading.Lock()


# --- bodies -----------------------------------------------------------------------------------


class Slot(BaseModel):
    """One weekly slot, Beijing time."""

    day: int = Field(ge=1, le=7, description="1 = Monday … 7 = Sunday")
    start: str = Field(pattern=r"^\d{1,2}:\d{2}$", examples=["09:00"])
    end: str = Field(pattern=r"^\d{1,2}:\d{2}$", examples=["12:00"])


class VolunteerIn(BaseModel):
    """A registration (双报到)."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=3, max_length=32)
    kind: Literal["party_member", "volunteer"]
    community: str = Field(min_length=1, max_length=64)
    grid: str = Field(min_length=1, max_length=64)
    unit: str | None = Field(None, max_length=200, description="工作单位 (party members)")
    skills: list[str] = Field(default_factory=list, max_length=20)
    slots: list[Slot] = Field(default_factory=list, max_length=28)


class VolunteerPatch(BaseModel):
    """Changes; a volunteer's own account changes skills and slots only."""

    skills: list[str] | None = Field(None, max_length=20)
    slots: list[Slot] | None = Field(None, max_length=28)
    grid: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=200)
    active: bool | None = None


class TaskIn(BaseModel):
    """A case offered to volunteers."""

    case_id: int = Field(ge=1, le=ID_MAX)
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str | None = Field(None, max_length=200)
    skill: str | None = Field(None, max_length=32)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class VolunteerCodeIn(BaseModel):
    """Which code to hand out at the place."""

    step: Literal["checkin", "checkout"]
    notify: bool = Field(True, description="Also send it by SMS to the case's resident")


class CodeOut(BaseModel):
    """A code for the place, shown once."""

    code: str
    expires_at: dt.datetime
    sms_to_resident: bool


class CheckIn(BaseModel):
    """The code given at the place."""

    code: str = Field(min_length=1, max_length=12)


class CheckOut(BaseModel):
    """The code given at the place, and the outcome."""

    code: str = Field(min_length=1, max_length=12)
    done: bool
    note: str = Field(min_length=1, max_length=1000)


class CancelIn(BaseModel):
    """Why a task is withdrawn."""

    reason: str = Field(min_length=1, max_length=500)


class CorrectionIn(BaseModel):
    """A correction of the hours ledger."""

    volunteer_id: int = Field(ge=1, le=ID_MAX)
    minutes: int = Field(ge=-1440, le=1440)
    served_at: dt.datetime
    note: str = Field(min_length=1, max_length=500)


# --- helpers ----------------------------------------------------------------------------------


def _aware(t: dt.datetime, field: str) -> dt.datetime:
    if t.tzinfo is None:
        raise DataError(f"{field}: expected a time with its offset, e.g. 2026-09-23T10:00+08:00")
    return t


def _matcher(request: Request) -> tuple[WalkingMatcher, float]:
    """The walking matcher of the loaded audit's network (and its walking speed), made once
    per audit; ``app.state.volunteer_matcher`` when set up front."""
    fixed = getattr(request.app.state, "volunteer_matcher", None)
    if isinstance(fixed, WalkingMatcher):
        return fixed, 60.0
    from wanzheng.web.routes.audit import AuditState

    with _MATCHER_LOCK:
        state = getattr(request.app.state, "audit", None)
        if not isinstance(state, AuditState):
            desk = request.app.state.desk
            state = AuditState(desk.settings.audit_dir)
            request.app.state.audit = state
        store = state.store()  # NotFoundError (404) without an audit
        cached = getattr(request.app.state, "volunteer_matcher_of", None)
        if cached is None or cached[0] is not store:
            cached = (store, WalkingMatcher.from_network(store.network))
            request.app.state.volunteer_matcher_of = cached
        return cached[1], store.walk_speed_m_per_min


def _vol_json(s: Session, v: Any, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    return registry.volunteer_view(s, v, actor=actor, now=now)


def _claim_json(c: TaskClaim, t: VolunteerTask, view: dict[str, Any]) -> dict[str, Any]:
    return {
        "claim_id": c.id,
        "state": c.state,
        "claimed_at": c.claimed_at.isoformat(),
        "checked_in_at": c.checked_in_at.isoformat() if c.checked_in_at else None,
        "checked_out_at": c.checked_out_at.isoformat() if c.checked_out_at else None,
        "outcome": c.outcome,
        "task": view,
    }


def _file(data: bytes, name: str, media: str) -> Response:
    return Response(
        content=data,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


# --- the volunteer's own pages (resident account) -----------------------------------------


@router.get("/skills")
def get_skills(actor: AnyVolunteerUser) -> dict[str, str]:
    """The skill vocabulary, key → label."""
    return registry.load_skills()


@router.get("/me", responses=errors(404))
def get_me(session: ReadSession, desk: Desk, actor: VolunteerSelf) -> dict[str, Any]:
    """The calling volunteer's own registration (unmasked: it is theirs)."""
    v = registry.volunteer_of(session, actor=actor)
    return _vol_json(session, v, actor, desk.now())


@router.get("/me/tasks", responses=errors(404))
def get_my_tasks(
    request: Request,
    session: ReadSession,
    desk: Desk,
    actor: VolunteerSelf,
    max_walk_m: Annotated[float, Query(gt=0, le=10_000)] = suggest.DEFAULT_MAX_WALK_M,
    only_available: bool = True,
) -> list[dict[str, Any]]:
    """Open tasks for the calling volunteer, nearest first (walking distance from their home
    grid on the audit's network; 404 while no audit is loaded)."""
    registry.volunteer_of(session, actor=actor)  # 404 before the audit's 404
    matcher, speed = _matcher(request)
    return suggest.tasks_for_volunteer(
        session,
        actor=actor,
        matcher=matcher,
        now=desk.now(),
        max_walk_m=max_walk_m,
        only_available=only_available,
        walk_speed_m_per_min=speed,
    )


@router.get("/me/claims", responses=errors(404))
def get_my_claims(session: ReadSession, actor: VolunteerSelf) -> list[dict[str, Any]]:
    """The calling volunteer's claims, newest first, with their tasks."""
    return [
        _claim_json(c, t, tasks.task_view(session, t, actor=actor))
        for c, t in tasks.my_claims(session, actor=actor)
    ]


@router.patch("/me", responses=errors(404))
def patch_me(body: VolunteerPatch, desk: Desk, actor: VolunteerSelf) -> dict[str, Any]:
    """The volunteer changes their own skills and weekly slots."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        own = registry.volunteer_of(s, actor=actor)
        return _patched(s, own.id, body, actor, now)

    return desk.write(work)


def _patched(
    s: Session, volunteer_id: int, body: VolunteerPatch, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    """Apply ``body`` to the volunteer (the registry checks what ``actor`` may change)."""
    v = registry.update_volunteer(
        s,
        volunteer_id=volunteer_id,
        actor=actor,
        skills=body.skills,
        slots=[x.model_dump() for x in body.slots] if body.slots is not None else None,
        grid=body.grid,
        unit=body.unit,
        active=body.active,
    )
    return _vol_json(s, v, actor, now)


# --- tasks --------------------------------------------------------------------------------


@router.post("/tasks", status_code=201, responses=errors(404, 409))
def post_task(body: TaskIn, desk: Desk, actor: VolunteerStaff) -> dict[str, Any]:
    """Offer a dispatched case to volunteers as a micro-task."""
    now = desk.now()
    starts, ends = _aware(body.starts_at, "starts_at"), _aware(body.ends_at, "ends_at")

    def work(s: Session) -> dict[str, Any]:
        t = tasks.publish_task(
            s,
            case_id=body.case_id,
            actor=actor,
            starts_at=starts,
            ends_at=ends,
            now=now,
            title=body.title,
            skill=body.skill,
            lon=body.lon,
            lat=body.lat,
        )
        return tasks.task_view(s, t, actor=actor)

    return desk.write(work)


@router.get("/tasks")
def get_tasks(
    session: ReadSession,
    actor: VolunteerStaff,
    state: Annotated[str | None, Query(max_length=16)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> list[dict[str, Any]]:
    """Tasks in the caller's scope, soonest first."""
    return [
        tasks.task_view(session, t, actor=actor)
        for t in tasks.list_tasks(session, actor=actor, state=state, case_id=case_id)
    ]


@router.get("/tasks/{task_id}", responses=errors(404))
def get_task(task_id: TaskId, session: ReadSession, actor: AnyVolunteerUser) -> dict[str, Any]:
    """One task (staff in scope; a volunteer: open tasks and their own)."""
    t = tasks.get_task(session, task_id=task_id, actor=actor)
    return tasks.task_view(session, t, actor=actor)


@router.get("/tasks/{task_id}/matches", responses=errors(404))
def get_matches(
    task_id: TaskId,
    request: Request,
    session: ReadSession,
    desk: Desk,
    actor: VolunteerStaff,
    max_walk_m: Annotated[float, Query(gt=0, le=10_000)] = suggest.DEFAULT_MAX_WALK_M,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """Volunteers suited to the task (skill, weekly slot, free), nearest first by walking
    distance from their home grid; names masked."""
    tasks.get_task(session, task_id=task_id, actor=actor)
    matcher, speed = _matcher(request)
    return suggest.match_volunteers(
        session,
        task_id=task_id,
        actor=actor,
        matcher=matcher,
        now=desk.now(),
        max_walk_m=max_walk_m,
        limit=limit,
        walk_speed_m_per_min=speed,
    )


@router.post("/tasks/{task_id}/codes", response_model=CodeOut, responses=errors(404, 409, 429))
def post_code(
    task_id: TaskId,
    body: VolunteerCodeIn,
    desk: Desk,
    background: BackgroundTasks,
    actor: VolunteerStaff,
) -> CodeOut:
    """A one-time code for the current claim's check-in or check-out, shown once; with
    ``notify`` also sent by SMS to the case's resident, who tells it to the volunteer."""
    now, secret = desk.now(), desk.settings.secret_key

    def work(s: Session) -> CodeOut:
        placed = tasks.issue_place_code(
            s,
            task_id=task_id,
            step=body.step,
            actor=actor,
            secret=secret,
            now=now,
            notify=body.notify,
        )
        return CodeOut(
            code=placed.issued.code,
            expires_at=placed.issued.expires_at,
            sms_to_resident=placed.sms_to_resident,
        )

    out = desk.write(work)
    if out.sms_to_resident:
        background.add_task(desk.deliver_notices)
    return out


@router.post("/tasks/{task_id}/cancel", responses=errors(404, 409))
def post_cancel(
    task_id: TaskId, body: CancelIn, desk: Desk, actor: VolunteerStaff
) -> dict[str, Any]:
    """Withdraw an open or claimed task."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        t = tasks.cancel_task(s, task_id=task_id, actor=actor, reason=body.reason, now=now)
        return tasks.task_view(s, t, actor=actor)

    return desk.write(work)


@router.post("/tasks/{task_id}/claim", responses=errors(404, 409))
def post_claim(task_id: TaskId, desk: Desk, actor: VolunteerSelf) -> dict[str, Any]:
    """The calling volunteer takes an open task."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        c = tasks.claim_task(s, task_id=task_id, actor=actor, now=now)
        t = tasks.get_task(s, task_id=task_id, actor=actor)
        return _claim_json(c, t, tasks.task_view(s, t, actor=actor))

    return desk.write(work)


@router.post("/tasks/{task_id}/withdraw", responses=errors(404, 409))
def post_withdraw(task_id: TaskId, desk: Desk, actor: VolunteerSelf) -> dict[str, Any]:
    """The calling volunteer gives a claimed task back before checking in."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        c = tasks.withdraw_claim(s, task_id=task_id, actor=actor, now=now)
        t = s.get(VolunteerTask, task_id)
        assert t is not None  # the claim's task
        return _claim_json(c, t, {"id": t.id, "state": t.state})

    return desk.write(work)


@router.post("/tasks/{task_id}/checkin", responses=errors(404, 409))
def post_checkin(
    task_id: TaskId, body: CheckIn, desk: Desk, actor: VolunteerSelf
) -> dict[str, Any]:
    """Check in at the place with its code (422 on the field ``code`` when wrong; five wrong
    codes burn it). The case, if dispatched, is started."""
    now, secret = desk.now(), desk.settings.secret_key

    def work(s: Session) -> dict[str, Any] | None:
        if not tasks.check_in(
            s,
            task_id=task_id,
            actor=actor,
            code=body.code,
            secret=secret,
            now=now,
            machine=desk.machine,
        ):
            return None
        t = tasks.get_task(s, task_id=task_id, actor=actor)
        return tasks.task_view(s, t, actor=actor)

    out = desk.write(work)  # a wrong code's attempt is committed, then refused
    if out is None:
        raise DataError("code: wrong or expired code; ask for the code at the place")
    return out


@router.post("/tasks/{task_id}/checkout", responses=errors(404, 409))
def post_checkout(
    task_id: TaskId, body: CheckOut, desk: Desk, actor: VolunteerSelf
) -> dict[str, Any]:
    """Check out with the place's code: the minutes go to the hours ledger; ``done``
    resolves the case with the note."""
    now, secret = desk.now(), desk.settings.secret_key

    def work(s: Session) -> dict[str, Any] | None:
        entry = tasks.check_out(
            s,
            task_id=task_id,
            actor=actor,
            code=body.code,
            secret=secret,
            now=now,
            done=body.done,
            note=body.note,
            machine=desk.machine,
        )
        if entry is None:
            return None
        t = tasks.get_task(s, task_id=task_id, actor=actor)
        return {**tasks.task_view(s, t, actor=actor), "minutes": entry.minutes}

    out = desk.write(work)
    if out is None:
        raise DataError("code: wrong or expired code; ask for the code at the place")
    return out


# --- administration -------------------------------------------------------------------------


@router.post("/sweep")
def post_sweep(desk: Desk, actor: DispatcherActor) -> dict[str, int]:
    """Record no-shows (claims not checked in 30 minutes after the start) and expire open
    tasks past their end."""
    now = desk.now()
    return {"no_shows": len(desk.write(lambda s: tasks.record_no_shows(s, now=now)))}


@router.post("/hours", status_code=201, responses=errors(404))
def post_hours(body: CorrectionIn, desk: Desk, actor: DispatcherActor) -> dict[str, Any]:
    """A correction of the hours ledger (a paper sheet entered afterwards; negative minutes
    undo an entry)."""
    now, served = desk.now(), _aware(body.served_at, "served_at")

    def work(s: Session) -> dict[str, Any]:
        e = ledger.add_correction(
            s,
            volunteer_id=body.volunteer_id,
            minutes=body.minutes,
            note=body.note,
            served_at=served,
            actor=actor,
            now=now,
        )
        return {"id": e.id, "volunteer_id": e.volunteer_id, "minutes": e.minutes}

    return desk.write(work)


@router.get(
    "/reports/units",
    response_model=None,
    responses={200: {"content": {"application/json": {}, _XLSX: {}, "text/html": {}}}},
)
def get_unit_report(
    session: ReadSession,
    desk: Desk,
    actor: DispatcherActor,
    quarter: Annotated[str, Query(min_length=5, max_length=8, examples=["2026Q3"])],
    format: Literal["json", "xlsx", "html"] = "json",
    unit: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """在职党员到社区报到情况 of a quarter: per unit, its members' tasks, hours, no-shows."""
    from wanzheng.volunteer.reports import unit_report_html, write_unit_report_xlsx

    year, q = ledger.parse_quarter(quarter)
    frame = ledger.unit_report(session, year=year, quarter=q, actor=actor, unit=unit)
    if format == "json":
        return frame.to_dict("records")
    if format == "html":
        made = desk.now().astimezone(registry.BEIJING).date()
        return HTMLResponse(unit_report_html(frame, year=year, quarter=q, made_on=made))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.xlsx"
        write_unit_report_xlsx(frame, path, year=year, quarter=q)
        data = path.read_bytes()
    return _file(data, f"units-{year}Q{q}.xlsx", _XLSX)


# --- the registry ---------------------------------------------------------------------------


@router.post("/registry", status_code=201, responses=errors(409))
def post_volunteer(body: VolunteerIn, desk: Desk, actor: VolunteerStaff) -> dict[str, Any]:
    """Register a party member or volunteer (grid workers: in their own grid)."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        v = registry.register_volunteer(
            s,
            actor=actor,
            name=body.name,
            phone=body.phone,
            kind=body.kind,
            community=body.community,
            grid=body.grid,
            unit=body.unit,
            skills=body.skills,
            slots=[x.model_dump() for x in body.slots],
            now=now,
        )
        return _vol_json(s, v, actor, now)

    return desk.write(work)


@router.get("/registry")
def get_volunteers(
    session: ReadSession,
    desk: Desk,
    actor: VolunteerStaff,
    grid: Annotated[str | None, Query(max_length=64)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    active: bool | None = True,
) -> list[dict[str, Any]]:
    """Volunteers in the caller's scope, masked."""
    now = desk.now()
    return [
        _vol_json(session, v, actor, now)
        for v in registry.list_volunteers(session, actor=actor, grid=grid, unit=unit, active=active)
    ]


@router.get("/registry/{volunteer_id}", responses=errors(404))
def get_volunteer(
    volunteer_id: VolunteerId,
    session: ReadSession,
    desk: Desk,
    actor: AnyVolunteerUser,
    unmask: bool = False,
    purpose: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    """One volunteer, masked; ``unmask`` (dispatchers, administrators) with a ``purpose``,
    logged."""
    now = desk.now()
    if not unmask:
        v = registry.get_volunteer(session, volunteer_id=volunteer_id, actor=actor)
        return _vol_json(session, v, actor, now)

    def work(s: Session) -> dict[str, Any]:
        v = registry.get_volunteer(s, volunteer_id=volunteer_id, actor=actor)
        return registry.volunteer_view(s, v, actor=actor, now=now, unmask=True, purpose=purpose)

    return desk.write(work)


@router.patch("/registry/{volunteer_id}", responses=errors(404))
def patch_volunteer(
    volunteer_id: VolunteerId, body: VolunteerPatch, desk: Desk, actor: VolunteerStaff
) -> dict[str, Any]:
    """Change a volunteer's skills, slots, home grid, unit or active flag."""
    now = desk.now()

    def work(s: Session) -> dict[str, Any]:
        return _patched(s, volunteer_id, body, actor, now)

    return desk.write(work)


@router.get(
    "/registry/{volunteer_id}/record",
    response_model=None,
    responses={
        **errors(404),
        200: {"content": {"application/json": {}, _XLSX: {}, "text/html": {}}},
    },
)
def get_record(
    volunteer_id: VolunteerId,
    session: ReadSession,
    desk: Desk,
    actor: AnyVolunteerUser,
    quarter: Annotated[str | None, Query(min_length=5, max_length=8)] = None,
    format: Literal["json", "xlsx", "html"] = "json",
) -> Any:
    """A volunteer-service record (志愿服务记录): hours and tasks, for a quarter or all time
    (staff in scope, or the volunteer's own account)."""
    from wanzheng.volunteer.reports import service_record_html, write_service_record_xlsx

    start = end = None
    if quarter is not None:
        start, end = ledger.quarter_bounds(*ledger.parse_quarter(quarter))
    if actor.role == "resident":
        own = registry.volunteer_of(session, actor=actor)
        if own.id != volunteer_id:
            raise NotFoundError(f"volunteer: no volunteer {volunteer_id} visible to you")
    record = ledger.service_record(
        session, volunteer_id=volunteer_id, actor=actor, start=start, end=end
    )
    if format == "json":
        return {
            "person": record.person,
            "entries": record.entries.to_dict("records"),
            "total_minutes": record.total_minutes,
            "tasks_done": record.tasks_done,
            "no_shows": record.no_shows,
        }
    if format == "html":
        made = desk.now().astimezone(registry.BEIJING).date()
        return HTMLResponse(service_record_html(record, made_on=made))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record.xlsx"
        write_service_record_xlsx(record, path)
        data = path.read_bytes()
    return _file(data, f"volunteer-{volunteer_id}.xlsx", _XLSX)
