"""The hours ledger, the quarterly report to each member's unit (在职党员到社区报到情况) and a
volunteer-service record per person.

The ledger has one row per check-out (``service``: the minutes between the codes at the
place) and staff corrections (``correction``, with a note: a paper sign-in sheet entered
afterwards, a mistake undone with negative minutes). A row counts in the quarter (Beijing
calendar) in which the service began. Reports name the member (the unit needs to know who
served) but carry no phone number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wanzheng.cases.masking import mask_name
from wanzheng.cases.models import Community, Grid, Person
from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, PermissionDeniedError
from wanzheng.volunteer.models import HoursEntry, TaskClaim, Volunteer, VolunteerTask
from wanzheng.volunteer.registry import BEIJING, KINDS, get_volunteer, require_staff

__all__ = [
    "UNIT_REPORT_COLUMNS",
    "ServiceRecord",
    "add_correction",
    "minutes_by_volunteer",
    "parse_quarter",
    "quarter_bounds",
    "quarter_of",
    "service_record",
    "unit_report",
]

#: Columns of :func:`unit_report`, with their Chinese headings.
UNIT_REPORT_COLUMNS = {
    "unit": "工作单位",
    "name": "姓名",
    "kind": "类别",
    "community": "报到社区",
    "grid": "网格",
    "registered_on": "报到日期",
    "tasks": "完成任务数",
    "hours": "服务时长（小时）",
    "no_shows": "爽约次数",
}


def quarter_of(t: dt.datetime) -> tuple[int, int]:
    """(year, quarter) of a moment in the Beijing calendar."""
    local = t.astimezone(BEIJING)
    return local.year, (local.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a Beijing-calendar quarter, as aware datetimes."""
    if not 1 <= quarter <= 4:
        raise DataError(f"quarter: expected 1 … 4, got {quarter}")
    if not 2000 <= year <= 2200:
        raise DataError(f"year: expected 2000 … 2200, got {year}")
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=BEIJING)
    end = (
        dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)
        if quarter == 4
        else dt.datetime(year, 3 * quarter + 1, 1, tzinfo=BEIJING)
    )
    return start, end


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2026Q4"`` / ``"2026-Q4"`` / ``"2026-4"`` → (2026, 4)."""
    t = text.strip().upper().replace("-", "").replace(" ", "")
    year, _, q = t.partition("Q") if "Q" in t else (t[:4], "", t[4:])
    if not (year.isdigit() and q.isdigit()):
        raise DataError(f"quarter: expected e.g. 2026Q4, got {text!r}")
    y, n = int(year), int(q)
    quarter_bounds(y, n)
    return y, n


def add_correction(
    session: Session,
    *,
    volunteer_id: int,
    minutes: int,
    note: str,
    served_at: dt.datetime,
    actor: Actor,
    now: dt.datetime,
) -> HoursEntry:
    """A staff correction of the ledger (dispatchers and administrators; a note is required;
    negative minutes undo an entry)."""
    if actor.role not in ("dispatcher", "admin"):
        raise PermissionDeniedError(f"role: {actor.role!r} may not correct the hours ledger")
    get_volunteer(session, volunteer_id=volunteer_id, actor=actor)
    if not note.strip():
        raise DataError("note: say what the correction is for")
    if minutes == 0 or abs(minutes) > 24 * 60:
        raise DataError(
            f"minutes: expected a non-zero number of minutes up to a day, got {minutes}"
        )
    entry = HoursEntry(
        volunteer_id=volunteer_id,
        claim_id=None,
        kind="correction",
        minutes=minutes,
        served_at=served_at,
        note=note.strip(),
        entered_by=actor.label,
        entered_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def minutes_by_volunteer(session: Session, *, year: int, quarter: int) -> dict[int, int]:
    """Minutes in the ledger per volunteer for one quarter."""
    start, end = quarter_bounds(year, quarter)
    rows = session.execute(
        select(HoursEntry.volunteer_id, func.sum(HoursEntry.minutes))
        .where(HoursEntry.served_at >= start, HoursEntry.served_at < end)
        .group_by(HoursEntry.volunteer_id)
    ).all()
    return {int(v): int(m or 0) for v, m in rows}


def unit_report(
    session: Session, *, year: int, quarter: int, actor: Actor, unit: str | None = None
) -> pd.DataFrame:
    """在职党员到社区报到情况: every registered volunteer with a unit (in-service party
    members first), with tasks done, hours and no-shows in the quarter, by unit and name.

    Members who served nothing are listed too (zero hours): the unit is told who reported
    to the community and did not serve. Dispatchers and administrators only.
    """
    if actor.role not in ("dispatcher", "admin"):
        raise PermissionDeniedError(f"role: {actor.role!r} may not make the units' report")
    start, end = quarter_bounds(year, quarter)
    q = (
        select(Volunteer, Person.name, Community.name, Grid.name)
        .join(Person, Person.id == Volunteer.person_id)
        .join(Community, Community.key == Volunteer.community_key)
        .join(Grid, Grid.key == Volunteer.grid_key)
        .where(Volunteer.unit.is_not(None))
    )
    if unit is not None:
        q = q.where(Volunteer.unit == unit)
    people = session.execute(q).all()
    minutes = minutes_by_volunteer(session, year=year, quarter=quarter)
    claims = session.execute(
        select(TaskClaim.volunteer_id, TaskClaim.state, func.count())
        .join(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
        .where(VolunteerTask.starts_at >= start, VolunteerTask.starts_at < end)
        .group_by(TaskClaim.volunteer_id, TaskClaim.state)
    ).all()
    done: dict[int, int] = {}
    no_show: dict[int, int] = {}
    for vid, state, n in claims:
        if state == "done":
            done[vid] = done.get(vid, 0) + int(n)
        elif state == "no_show":
            no_show[vid] = no_show.get(vid, 0) + int(n)
    rows = [
        {
            "unit": v.unit,
            "name": name or "",
            "kind": KINDS[v.kind],
            "community": community,
            "grid": grid,
            "registered_on": v.registered_at.astimezone(BEIJING).date().isoformat(),
            "tasks": done.get(v.id, 0),
            "hours": round(minutes.get(v.id, 0) / 60.0, 2),
            "no_shows": no_show.get(v.id, 0),
            "_party": 0 if v.kind == "party_member" else 1,
        }
        for v, name, community, grid in people
    ]
    frame = pd.DataFrame(rows, columns=[*UNIT_REPORT_COLUMNS, "_party"])
    frame = frame.sort_values(["unit", "_party", "name"], kind="stable").drop(columns="_party")
    return frame.reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A volunteer-service record (志愿服务记录) of one person over a period.

    Attributes
    ----------
    person
        Name, kind, community, grid, unit, skills, period (``start``, ``end`` dates).
    entries
        One row per ledger entry: ``date``, ``task``, ``place`` (grid), ``outcome``,
        ``minutes``, ``kind`` (service / correction).
    total_minutes, tasks_done, no_shows
        Sums over the period.
    """

    person: dict[str, Any]
    entries: pd.DataFrame
    total_minutes: int
    tasks_done: int
    no_shows: int


def service_record(
    session: Session,
    *,
    volunteer_id: int,
    actor: Actor,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> ServiceRecord:
    """The service record of one volunteer (staff in scope, or the volunteer's own account)
    over ``[start, end)`` (default: everything). The name is in full for the volunteer, a
    dispatcher or an administrator (who hand the record out), masked for a grid worker."""
    if actor.role != "resident":
        require_staff(actor)
    v = get_volunteer(session, volunteer_id=volunteer_id, actor=actor)
    person = session.get(Person, v.person_id)
    full_name = actor.role in ("dispatcher", "admin", "resident")
    community = session.get(Community, v.community_key)
    grid = session.get(Grid, v.grid_key)
    q = (
        select(HoursEntry, TaskClaim, VolunteerTask, Grid.name)
        .outerjoin(TaskClaim, TaskClaim.id == HoursEntry.claim_id)
        .outerjoin(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
        .outerjoin(Grid, Grid.key == VolunteerTask.grid_key)
        .where(HoursEntry.volunteer_id == v.id)
        .order_by(HoursEntry.served_at, HoursEntry.id)
    )
    cq = (
        select(TaskClaim.state, func.count())
        .join(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
        .where(TaskClaim.volunteer_id == v.id)
        .group_by(TaskClaim.state)
    )
    if start is not None:
        q = q.where(HoursEntry.served_at >= start)
        cq = cq.where(VolunteerTask.starts_at >= start)
    if end is not None:
        q = q.where(HoursEntry.served_at < end)
        cq = cq.where(VolunteerTask.starts_at < end)
    entries = pd.DataFrame(
        [
            {
                "date": e.served_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
                "task": task.title if task is not None else e.note,
                "place": grid_name or "",
                "outcome": (claim.outcome or "") if claim is not None else e.note,
                "minutes": int(e.minutes),
                "kind": e.kind,
            }
            for e, claim, task, grid_name in session.execute(q).all()
        ],
        columns=["date", "task", "place", "outcome", "minutes", "kind"],
    )
    counts = {state: int(n) for state, n in session.execute(cq).all()}
    return ServiceRecord(
        person={
            "id": v.id,
            "name": (person.name or "")
            if person and full_name
            else mask_name(person.name)
            if person
            else "",
            "kind": KINDS[v.kind],
            "community": community.name if community else v.community_key,
            "grid": grid.name if grid else v.grid_key,
            "unit": v.unit or "",
            "skills": list(v.skills),
            "registered_on": v.registered_at.astimezone(BEIJING).date().isoformat(),
            "start": start.astimezone(BEIJING).date().isoformat() if start else "",
            "end": (end - dt.timedelta(seconds=1)).astimezone(BEIJING).date().isoformat()
            if end
            else "",
        },
        entries=entries,
        total_minutes=int(entries["minutes"].sum()) if len(entries) else 0,
        tasks_done=counts.get("done", 0),
        no_shows=counts.get("no_show", 0),
    )
