"""Who should take a task, and which tasks suit a volunteer: skill, weekly availability and
walking distance from the home grid on the audit's network (:mod:`wanzheng.volunteer.matching`).

A volunteer suits a task when they are active, have the task's skill (if it asks for one),
the task's window lies inside one of their weekly slots, they hold no claim at an
overlapping time, and the walk from their home grid is at most ``max_walk_m``. Suggestions
are ranked by walking distance, then by fewer hours served this quarter (so the same people
are not asked every time), then by id.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from wanzheng.cases.masking import mask_name
from wanzheng.cases.models import Grid, Person
from wanzheng.cases.users import Actor
from wanzheng.volunteer.ledger import minutes_by_volunteer, quarter_of
from wanzheng.volunteer.matching import WalkingMatcher
from wanzheng.volunteer.models import TaskClaim, Volunteer, VolunteerTask
from wanzheng.volunteer.registry import available, grid_home, require_staff, volunteer_of
from wanzheng.volunteer.tasks import get_task, task_view

__all__ = ["DEFAULT_MAX_WALK_M", "match_volunteers", "tasks_for_volunteer"]

#: Farthest walk suggested, metres (20 minutes at the catalogue's 60 m/min).
DEFAULT_MAX_WALK_M = 1200.0


def _homes(session: Session, grids: set[str]) -> dict[str, tuple[float, float, str]]:
    """Home point (lon, lat) and name of each grid."""
    rows = session.scalars(select(Grid).where(Grid.key.in_(grids))).all() if grids else []
    return {g.key: (*grid_home(g.polygon_wkt), g.name) for g in rows}


def _busy(session: Session, task: VolunteerTask) -> set[int]:
    return set(
        session.scalars(
            select(TaskClaim.volunteer_id)
            .join(VolunteerTask, VolunteerTask.id == TaskClaim.task_id)
            .where(
                TaskClaim.state.in_(("claimed", "checked_in")),
                and_(
                    VolunteerTask.starts_at < task.ends_at,
                    VolunteerTask.ends_at > task.starts_at,
                ),
            )
        ).all()
    )


def match_volunteers(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    matcher: WalkingMatcher,
    now: dt.datetime,
    max_walk_m: float = DEFAULT_MAX_WALK_M,
    limit: int = 20,
    walk_speed_m_per_min: float = 60.0,
) -> list[dict[str, Any]]:
    """Volunteers suited to a task, nearest first (names masked; grid workers see only
    volunteers of their own grid).

    Each row: ``volunteer_id``, ``name`` (masked), ``kind``, ``grid``, ``distance_m``,
    ``walk_min``, ``quarter_hours``.
    """
    require_staff(actor)
    task = get_task(session, task_id=task_id, actor=actor)
    q = select(Volunteer).where(Volunteer.active.is_(True)).order_by(Volunteer.id)
    if actor.role == "grid_worker":
        q = q.where(Volunteer.grid_key == actor.grid_key)
    busy = _busy(session, task)
    pool = [
        v
        for v in session.scalars(q).all()
        if (task.skill is None or task.skill in v.skills)
        and available(v.slots, task.starts_at, task.ends_at)
        and v.id not in busy
    ]
    if not pool:
        return []
    homes = _homes(session, {v.grid_key for v in pool})
    pool = [v for v in pool if v.grid_key in homes]
    lon = np.array([homes[v.grid_key][0] for v in pool])
    lat = np.array([homes[v.grid_key][1] for v in pool])
    dist = matcher.distances_m(lon, lat, task.lon, task.lat, cutoff_m=max_walk_m)
    year, quarter = quarter_of(now)
    served = minutes_by_volunteer(session, year=year, quarter=quarter)
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_([v.person_id for v in pool]))
        ).all()
    }
    rows = []
    for v, d in zip(pool, dist, strict=True):
        if not math.isfinite(d):
            continue
        person = people.get(v.person_id)
        rows.append(
            {
                "volunteer_id": v.id,
                "name": mask_name(person.name if person else None),
                "kind": v.kind,
                "grid": v.grid_key,
                "grid_name": homes[v.grid_key][2],
                "distance_m": round(float(d), 1),
                "walk_min": math.ceil(float(d) / walk_speed_m_per_min),
                "quarter_hours": round(served.get(v.id, 0) / 60.0, 2),
            }
        )
    rows.sort(key=lambda r: (r["distance_m"], r["quarter_hours"], r["volunteer_id"]))
    return rows[: max(1, limit)]


def tasks_for_volunteer(
    session: Session,
    *,
    actor: Actor,
    matcher: WalkingMatcher,
    now: dt.datetime,
    max_walk_m: float = DEFAULT_MAX_WALK_M,
    only_available: bool = True,
    walk_speed_m_per_min: float = 60.0,
) -> list[dict[str, Any]]:
    """Open tasks the calling volunteer may take, nearest first: their skill, within
    ``max_walk_m`` of their home grid, and (with ``only_available``) inside their weekly
    slots. Places are shown to about 100 m until a task is claimed."""
    v = volunteer_of(session, actor=actor)
    tasks = [
        t
        for t in session.scalars(
            select(VolunteerTask)
            .where(VolunteerTask.state == "open", VolunteerTask.ends_at > now)
            .order_by(VolunteerTask.starts_at, VolunteerTask.id)
            .limit(500)
        ).all()
        if (t.skill is None or t.skill in v.skills)
        and (not only_available or available(v.slots, t.starts_at, t.ends_at))
    ]
    home = _homes(session, {v.grid_key}).get(v.grid_key)
    if home is None:
        return []
    # one walk from home (the network is undirected): the tasks' places are the origins
    dist = matcher.distances_m(
        np.array([t.lon for t in tasks]),
        np.array([t.lat for t in tasks]),
        home[0],
        home[1],
        cutoff_m=max_walk_m,
    )
    out = [
        task_view(
            session, t, actor=actor, distance_m=float(d), walk_speed_m_per_min=walk_speed_m_per_min
        )
        for t, d in zip(tasks, dist, strict=True)
        if math.isfinite(d)
    ]
    out.sort(key=lambda r: (r["distance_m"], r["starts_at"], r["id"]))
    return out
