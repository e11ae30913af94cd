"""我为 API: registers, events, rule runs, completion, department lists, hotspots, outlook,
evidence, outbox and retention. Routes call library functions; no SQL here.

Roles: administrators import registers, read the access log, run the outbox and the purge;
dispatchers and administrators enter events, run rules and choose hotspot topics; all staff
read (a grid worker only their grid's register records, masked unless they unmask with a
purpose, every access logged).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, PermissionDeniedError
from wanzheng.proactive.registers import Viewer
from wanzheng.proactive.rules import EVENT_KINDS
from wanzheng.web.app import CaseDesk
from wanzheng.web.deps import AdminActor, Desk, DispatcherActor, ReadSession, StaffActor
from wanzheng.web.openapi import errors

__all__ = ["router"]

router = APIRouter(prefix="/api/proactive", tags=["proactive"])


def _viewer(actor: Actor) -> Viewer:
    role = {
        "grid_worker": "grid_worker",
        "handler": "department_handler",
        "dispatcher": "dispatcher",
        "admin": "administrator",
    }.get(actor.role)
    if role is None:
        raise PermissionDeniedError(f"role {actor.role!r} may not read registers")
    grids = frozenset({actor.grid_key}) if actor.grid_key else frozenset()
    return Viewer(user=actor.username, role=role, grid_ids=grids)  # type: ignore[arg-type]


def _json(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    if value is None or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _json(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _rules(desk: CaseDesk) -> Any:
    from wanzheng.proactive.rules import load_rules

    return load_rules(desk.settings.proactive_rules_file)


# --- registers --------------------------------------------------------------------------------


@router.post("/registers", status_code=201, responses=errors(413))
def post_register(
    desk: Desk, actor: AdminActor, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Import a service register (CSV/XLSX template); unknown columns are dropped and named."""
    from wanzheng.data.tabular import Limits
    from wanzheng.proactive.registers import load_register
    from wanzheng.proactive.store import import_register

    suffix = Path(file.filename or "register.csv").suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise DataError(f"file: expected a .csv or .xlsx register, got {suffix!r}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{Path(file.filename or 'register').stem}{suffix}"
        path.write_bytes(file.file.read())
        register = load_register(path, limits=Limits.from_settings(desk.settings))
    now, viewer = desk.now(), _viewer(actor)
    out = desk.write(lambda s: import_register(s, register=register, viewer=viewer, now=now))
    return {**out, "dropped_columns": list(register.dropped_columns)}


@router.get("/registers")
def get_register(
    desk: Desk,
    actor: StaffActor,
    person_id: Annotated[list[str] | None, Query()] = None,
    unmask: bool = False,
    purpose: str = "",
) -> list[dict[str, Any]]:
    """Register records in the caller's scope, masked unless ``unmask`` (with a purpose)."""
    from wanzheng.proactive.store import read_register

    now, viewer = desk.now(), _viewer(actor)
    # every record shown is logged: the write path
    shown = desk.write(
        lambda s: read_register(
            s, viewer=viewer, now=now, person_ids=person_id, unmask=unmask, purpose=purpose
        )
    )
    return _records(shown)


@router.get("/access-log")
def get_access_log(
    session: ReadSession, desk: Desk, actor: AdminActor, person_id: str | None = None
) -> list[dict[str, Any]]:
    """Who accessed which register record, when and why (newest first)."""
    from wanzheng.proactive.store import access_log

    return _records(access_log(session, person_id=person_id))


@router.post("/purge")
def post_purge(desk: Desk, actor: AdminActor) -> dict[str, int]:
    """Delete register records past the retention period (``proactive_retention_days``)."""
    from wanzheng.proactive.store import purge_expired

    now, days = desk.now(), desk.settings.proactive_retention_days
    return desk.write(lambda s: purge_expired(s, now=now, retention_days=days))


# --- events and rule runs ---------------------------------------------------------------------


class EventIn(BaseModel):
    """An event entered by staff (times without zone are Beijing time)."""

    id: str = Field(min_length=1, max_length=64)
    kind: str = Field(
        description="An event kind key.", json_schema_extra={"enum": list(EVENT_KINDS)}
    )
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    grid_ids: list[str] = []
    community_ids: list[str] = []
    note: str = ""

    @field_validator("starts_at", "ends_at", mode="before")
    @classmethod
    def _time_as_text(cls, value: object) -> object:
        # pydantic would take a number as seconds since 1970; the schema says an ISO 8601 string
        if isinstance(value, int | float):
            raise ValueError("expected a date and time like 2026-07-10T08:00:00+08:00")
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in EVENT_KINDS:
            raise ValueError(f"expected one of {', '.join(EVENT_KINDS)}")
        return value


@router.post("/events", status_code=201, responses=errors(409))
def post_event(
    desk: Desk, actor: DispatcherActor, body: EventIn, run: bool = True
) -> dict[str, Any]:
    """Enter a heat wave, cold wave … and (``run``, default) run that event's rules at once.

    Running at once is what makes "check within 24 h of the event" possible without waiting
    for the next scheduled run; only the rules of this event kind run, and a later run
    creates nothing twice.
    """
    import dataclasses

    from wanzheng.proactive.service import run_rules
    from wanzheng.proactive.store import add_event
    from wanzheng.proactive.tasks import Event

    event = Event(
        id=body.id,
        kind=body.kind,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        grid_ids=frozenset(body.grid_ids),
        community_ids=frozenset(body.community_ids),
        note=body.note,
    )
    rules = _rules(desk)
    own = tuple(r for r in rules.rules if r.event == event.kind)
    now = desk.now()

    def work(session: Session) -> dict[str, Any]:
        row = add_event(session, event=event, entered_by=actor.label, now=now)
        out: dict[str, Any] = {
            "id": row.id,
            "kind": row.kind,
            "starts_at": row.starts_at.isoformat(),
            "tasks": 0,
            "notices": 0,
        }
        if run and own:
            report = run_rules(
                session, rules=dataclasses.replace(rules, rules=own), now=now, by=actor.label
            )
            out |= {"tasks": report.tasks, "notices": report.notices}
        return out

    return desk.write(work)


@router.get("/events")
def get_events(
    session: ReadSession, desk: Desk, actor: StaffActor, active: bool = False
) -> list[dict[str, Any]]:
    """Stored events (all, or those in force now)."""
    from wanzheng.proactive.store import active_events

    events = active_events(session, now=desk.now() if active else None)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "starts_at": e.starts_at.isoformat(),
            "ends_at": e.ends_at.isoformat() if e.ends_at else None,
            "grid_ids": sorted(e.grid_ids),
            "community_ids": sorted(e.community_ids),
            "note": e.note,
        }
        for e in events
    ]


@router.post("/run")
def post_run(
    session: ReadSession, desk: Desk, actor: DispatcherActor, dry_run: bool = True
) -> dict[str, Any]:
    """Run the rule set over the registers: ``dry_run`` (default) shows, else creates."""
    from wanzheng.proactive.service import propose, run_rules

    rules = _rules(desk)
    if dry_run:
        proposals = propose(session, rules=rules, now=desk.now())  # the read path
        return {
            "dry_run": True,
            "rules": {"name": rules.name, "version": rules.version},
            "proposed": len(proposals),
            "new": int(proposals["new"].sum()),
            "proposals": _records(proposals.drop(columns=["message"])),
        }
    now = desk.now()
    report = desk.write(lambda s: run_rules(s, rules=rules, now=now, by=actor.label))
    return {
        "dry_run": False,
        "run_id": report.run_id,
        "proposed": len(report.proposals),
        "tasks": report.tasks,
        "notices": report.notices,
        "list_rows": report.list_rows,
        "unrouted": report.unrouted,
    }


@router.get("/completion")
def get_completion(
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    by: Literal["rule_id", "grid_id", "all"] = "rule_id",
) -> list[dict[str, Any]]:
    """Completion rate of proactive tasks per rule, grid or overall."""
    from wanzheng.proactive.service import task_completion

    return _records(task_completion(session, now=desk.now(), by=by).reset_index())


@router.get("/lists")
def get_lists(
    session: ReadSession, desk: Desk, actor: StaffActor, department: str | None = None
) -> list[dict[str, Any]]:
    """Rows of the departments' lists (e.g. allowance checks for 社会事务办)."""
    from wanzheng.proactive.service import department_list

    if actor.role == "grid_worker":
        raise PermissionDeniedError("role 'grid_worker' has no department lists")
    return _records(department_list(session, department=department))


# --- hotspots, outlook, evidence --------------------------------------------------------------

# Bounds declared in the OpenAPI: a window of 10^16 days overflowed pandas (a 500 found by
# schemathesis); each is far beyond any sensible setting.
RadiusM = Annotated[float, Query(gt=0, le=50_000, description="Cluster radius, in metres.")]
WindowDays = Annotated[float, Query(gt=0, le=3660, description="Cluster time window, in days.")]
Similarity = Annotated[float, Query(ge=0, le=1, description="Smallest text similarity (0-1).")]
MinSize = Annotated[int, Query(ge=2, le=100_000, description="Fewest cases in a cluster.")]


def _hotspots(
    session: Any, radius_m: float, days: float, similarity: float, min_size: int, actor: Actor
) -> tuple[Any, pd.DataFrame]:
    """Hotspots over the cases in ``actor``'s scope only (a grid worker's grid, a handler's
    department), so that no cluster, count or label reveals another scope's cases."""
    from wanzheng.proactive.hotspots import find_hotspots
    from wanzheng.proactive.service import cases_frame

    cases = cases_frame(session, actor=actor)
    found = find_hotspots(
        cases, radius_m=radius_m, window_days=days, min_similarity=similarity, min_size=min_size
    )
    return found, cases


@router.get("/hotspots")
def get_hotspots(
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    month: str | None = None,
    radius_m: RadiusM = 200.0,
    days: WindowDays = 14.0,
    similarity: Similarity = 0.2,
    min_size: MinSize = 3,
) -> dict[str, Any]:
    """每月一题: hotspot clusters (ranked for ``month`` when given) and their map layer.

    Built from the cases in the caller's scope, as the case lists are (grid workers: their
    grid; handlers: their department; dispatchers and administrators: all); labels are
    redacted case text."""
    from wanzheng.proactive.hotspots import hotspots_geojson, rank_month

    found, cases = _hotspots(session, radius_m, days, similarity, min_size, actor)
    table = rank_month(found, cases, month=month) if month else found.clusters
    return {
        "params": found.params,
        "clusters": _records(table),
        "geojson": hotspots_geojson(found),
    }


@router.post("/hotspots/{cluster_id}/task", status_code=201, responses=errors(404))
def post_hotspot_task(
    session: ReadSession,
    desk: Desk,
    actor: DispatcherActor,
    cluster_id: str,
    month: str,
    radius_m: RadiusM = 200.0,
    days: WindowDays = 14.0,
    similarity: Similarity = 0.2,
    min_size: MinSize = 3,
) -> dict[str, Any]:
    """Turn the chosen topic into a proactive governance case (once per topic and month)."""
    from wanzheng.errors import NotFoundError
    from wanzheng.proactive.hotspots import governance_task
    from wanzheng.proactive.service import record_governance_task

    found, _ = _hotspots(session, radius_m, days, similarity, min_size, actor)
    chosen = found.clusters[found.clusters["cluster_id"] == cluster_id]
    if chosen.empty:
        raise NotFoundError(f"cluster_id: no hotspot {cluster_id!r} with these parameters")
    row = chosen.iloc[0]
    proposal = governance_task(row, now=desk.now(), month=month)
    now, lon, lat = desk.now(), float(row["lon"]), float(row["lat"])
    case_id, created = desk.write(
        lambda s: record_governance_task(s, proposal=proposal, now=now, lon=lon, lat=lat)
    )
    return {"case_id": case_id, "created": created, "key": proposal["key"]}


@router.get("/outlook")
def get_outlook(
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    by: str = "category,community_id",
    horizon: Annotated[int, Query(ge=1, le=12)] = 8,
    min_total: int = 20,
    calendar: Literal["CN", "US", "none"] = "CN",
    reconcile: Literal["bottom_up", "mint"] | None = None,
) -> dict[str, Any]:
    """Weekly outlook per group: the forecast of the method that won the backtest, its 80 %
    interval, the best baseline it was judged against, and any break note; with
    ``reconcile``, every level of ``by`` (coarsest first), the levels adding up."""
    from wanzheng.proactive.outlook import outlook
    from wanzheng.proactive.service import cases_frame

    cases = cases_frame(session)
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    if cases.empty:
        return {"params": {"by": list(keys), "horizon": horizon}, "backtest": [], "forecasts": []}
    result = outlook(
        cases,
        by=keys,
        horizon=horizon,
        min_total=min_total,
        calendar=calendar,
        reconcile_method=reconcile,
    )
    return {
        "params": result.params,
        "backtest": _records(result.backtest),
        "forecasts": _records(result.forecasts),
    }


@router.get("/evidence")
def get_evidence(session: ReadSession, desk: Desk, actor: StaffActor) -> list[dict[str, Any]]:
    """Cases asking for a missing facility, per community and catalogue kind."""
    from wanzheng.proactive.evidence import evidence_counts, load_evidence_rules
    from wanzheng.proactive.service import cases_frame
    from wanzheng.standards.catalogue import load_catalogue

    rules = load_evidence_rules(kinds=[k.key for k in load_catalogue().kinds])
    return _records(evidence_counts(cases_frame(session), rules))


@router.get("/notices", responses=errors(404))
def get_notices(
    session: ReadSession, desk: Desk, actor: StaffActor, person_id: str
) -> list[dict[str, str]]:
    """Notices delivered to one resident's page (staff in scope; the access is logged)."""
    from wanzheng.proactive.outbox import notices_for
    from wanzheng.proactive.store import read_register

    now, viewer = desk.now(), _viewer(actor)
    seen = desk.write(  # the access is logged: the write path
        lambda s: read_register(
            s, viewer=viewer, now=now, person_ids=[person_id], purpose="notices"
        )
    )
    if seen.empty:
        from wanzheng.errors import NotFoundError

        raise NotFoundError(f"person_id: no register record {person_id!r} visible to you")
    return notices_for(session, person_id=person_id)


# --- outbox -----------------------------------------------------------------------------------


@router.post("/outbox/deliver")
def post_deliver(desk: Desk, actor: AdminActor) -> dict[str, int]:
    """One delivery pass through the installation's senders (resident page store + log
    file; ``sms`` messages through the SMS sender)."""
    from wanzheng.proactive.outbox import deliver

    r = deliver(desk.sessions, desk.sender, now=desk.now())
    return {"claimed": r.claimed, "sent": r.sent, "failed": r.failed, "dead": r.dead}


@router.get("/outbox")
def get_outbox(
    session: ReadSession, desk: Desk, actor: AdminActor, status: str | None = None
) -> list[dict[str, Any]]:
    """Outbox messages (newest first) with their status, attempts and last error."""
    from wanzheng.proactive.outbox import outbox_frame

    return _records(outbox_frame(session, status=status))
