"""The registry of party members and volunteers registered with a community (双报到).

Personal data is minimal and stored once: a volunteer's name and phone are the case desk's
person record (:func:`wanzheng.cases.users.person_for`); the registry adds kind, community,
home grid, unit (工作单位, for in-service party members), skills and weekly availability.
Every view masks name and phone (:mod:`wanzheng.cases.masking`); dispatchers and
administrators may unmask with a stated purpose, and each unmasking is written to the case
desk's unmasking log. Grid workers see and register only the volunteers of their own grid;
handlers have no access; a resident account sees its own registration only (the account
that proved the volunteer's phone with a one-time code).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.contacts import log_unmask
from wanzheng.cases.masking import mask_name, mask_phone, normalise_phone
from wanzheng.cases.models import Community, Grid, Person
from wanzheng.cases.users import Actor, person_for
from wanzheng.errors import (
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
)
from wanzheng.volunteer.models import Volunteer

__all__ = [
    "BEIJING",
    "KINDS",
    "available",
    "get_volunteer",
    "grid_home",
    "list_volunteers",
    "load_skills",
    "parse_slots",
    "register_volunteer",
    "require_staff",
    "update_volunteer",
    "volunteer_of",
    "volunteer_view",
]

BEIJING = ZoneInfo("Asia/Shanghai")

#: Kinds of registration and their labels.
KINDS = {"party_member": "在职党员", "volunteer": "志愿者"}

_DAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_SLOT_TEXT = re.compile(
    r"^\s*(?:周|星期)?([1-7一二三四五六日天])\s*"
    r"(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})\s*$"
)


@functools.cache
def _packaged_skills() -> dict[str, str]:
    text = resources.files("wanzheng.volunteer").joinpath("skills.toml").read_text("utf-8")
    return _read_skills(text, "wanzheng/volunteer/skills.toml")


def _read_skills(text: str, origin: str) -> dict[str, str]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    skills = raw.get("skills")
    if not isinstance(skills, dict) or not skills:
        raise ConfigError(f"{origin}: expected a [skills.<key>] table")
    out: dict[str, str] = {}
    for key, value in skills.items():
        if not isinstance(value, dict) or not isinstance(value.get("label"), str):
            raise ConfigError(f"{origin}: skills.{key}: expected a 'label' string")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
            raise ConfigError(f"{origin}: skills.{key}: expected a key of a-z, 0-9, _")
        out[key] = value["label"]
    return out


def load_skills(path: Path | None = None) -> dict[str, str]:
    """The skill vocabulary, key → label (default: the packaged ``skills.toml``)."""
    if path is None:
        return dict(_packaged_skills())
    return _read_skills(path.read_text("utf-8"), str(path))


def _minutes(value: str, field: str) -> int:
    m = _HHMM.match(value.strip())
    if m is None or (m.group(1) == "24" and m.group(2) != "00"):
        raise DataError(f"{field}: expected a time HH:MM, got {value!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_slots(value: str | Iterable[Any], *, field: str = "slots") -> list[dict[str, Any]]:
    """Weekly availability as ``[{"day": 1-7, "start": "HH:MM", "end": "HH:MM"}]``.

    Takes that list, or text such as ``"周六 09:00-12:00; 3 18:30-21:00"`` (days 1–7 or
    一…日, Monday first; slots separated by ``;``, ``；`` or ``,``). Times are Beijing time;
    a slot ends after it starts and within the day.
    """
    items: list[Any]
    if isinstance(value, str):
        items = []
        for i, part in enumerate(p for p in re.split(r"[;；,，]", value) if p.strip()):
            m = _SLOT_TEXT.match(part)
            if m is None:
                raise DataError(
                    f"{field}: slot {i + 1} {part.strip()!r}: expected a day and a time range, "
                    "e.g. '周六 09:00-12:00'"
                )
            day = m.group(1)
            items.append(
                {
                    "day": int(day) if day.isdigit() else _DAYS[day],
                    "start": m.group(2),
                    "end": m.group(3),
                }
            )
    else:
        items = list(value)
    out = []
    for i, item in enumerate(items):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise DataError(f"{where}: expected {{day, start, end}}")
        day = item.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 7:
            raise DataError(f"{where}.day: expected 1 (Monday) … 7 (Sunday), got {day!r}")
        start, end = item.get("start"), item.get("end")
        if not isinstance(start, str) or not isinstance(end, str):
            raise DataError(f"{where}: expected start and end as HH:MM")
        a, b = _minutes(start, f"{where}.start"), _minutes(end, f"{where}.end")
        if b <= a:
            raise DataError(f"{where}: end {end} is not after start {start}")
        out.append(
            {
                "day": day,
                "start": f"{a // 60:02d}:{a % 60:02d}",
                "end": f"{b // 60:02d}:{b % 60:02d}",
            }
        )
    return sorted(out, key=lambda s: (s["day"], s["start"]))


def available(
    slots: Sequence[dict[str, Any]], starts_at: dt.datetime, ends_at: dt.datetime
) -> bool:
    """Whether the window ``[starts_at, ends_at]`` lies inside one weekly slot (Beijing time).

    A window that crosses midnight in Beijing fits no slot.
    """
    a, b = starts_at.astimezone(BEIJING), ends_at.astimezone(BEIJING)
    start = a.hour * 60 + a.minute
    if b.date() == a.date():
        end = b.hour * 60 + b.minute
    elif b.date() == a.date() + dt.timedelta(days=1) and b.time() == dt.time(0):
        end = 24 * 60
    else:
        return False
    day = a.isoweekday()
    return any(
        s["day"] == day
        and _minutes(s["start"], "start") <= start
        and end <= _minutes(s["end"], "end")
        for s in slots
    )


def grid_home(polygon_wkt: str) -> tuple[float, float]:
    """The point a volunteer's walk is measured from: the home grid's centroid (a point
    inside the grid if the centroid falls outside it), WGS-84 degrees."""
    poly = shapely.from_wkt(polygon_wkt)
    point = poly.centroid
    if not poly.contains(point):
        point = poly.representative_point()
    return float(point.x), float(point.y)


def require_staff(actor: Actor) -> None:
    """Grid workers, dispatchers and administrators work with volunteers; nobody else."""
    if actor.role not in ("grid_worker", "dispatcher", "admin"):
        raise PermissionDeniedError(f"role: {actor.role!r} may not work with volunteers")


def _check_skills(skills: Iterable[str], known: dict[str, str], field: str) -> list[str]:
    out = []
    for s in skills:
        s = s.strip()
        if not s:
            continue
        if s not in known:
            raise DataError(f"{field}: unknown skill {s!r}; expected one of {sorted(known)}")
        if s not in out:
            out.append(s)
    return out


def register_volunteer(
    session: Session,
    *,
    actor: Actor,
    name: str,
    phone: str,
    kind: str,
    community: str,
    grid: str,
    now: dt.datetime,
    unit: str | None = None,
    skills: Iterable[str] = (),
    slots: str | Iterable[Any] = (),
    skill_names: dict[str, str] | None = None,
) -> Volunteer:
    """Register a party member or volunteer with a community.

    Raises
    ------
    DataError
        An unknown kind, community, grid or skill; a grid outside the community; a party
        member without a unit; a malformed phone or slot.
    PermissionDeniedError
        Not staff, or a grid worker registering into another grid.
    ConflictError
        The phone's person is already registered.
    """
    require_staff(actor)
    if kind not in KINDS:
        raise DataError(f"kind: expected one of {list(KINDS)}, got {kind!r}")
    name = name.strip()
    if not name or len(name) > 100:
        raise DataError("name: expected 1–100 characters")
    g = session.get(Grid, grid)
    if g is None:
        raise DataError(f"grid: unknown grid {grid!r}")
    if session.get(Community, community) is None:
        raise DataError(f"community: unknown community {community!r}")
    if g.community_key != community:
        raise DataError(
            f"grid: grid {grid!r} is in community {g.community_key!r}, not {community!r}"
        )
    if actor.role == "grid_worker" and grid != actor.grid_key:
        raise PermissionDeniedError("grid: a grid worker registers volunteers of their own grid")
    unit = unit.strip() if unit else None
    if kind == "party_member" and not unit:
        raise DataError("unit: an in-service party member reports from a unit (工作单位)")
    if unit and len(unit) > 200:
        raise DataError("unit: expected at most 200 characters")
    known = skill_names if skill_names is not None else load_skills()
    person = person_for(session, name=name, phone=normalise_phone(phone), id_number=None)
    if session.scalar(select(Volunteer.id).where(Volunteer.person_id == person.id)) is not None:
        raise ConflictError("phone: this person is already registered")
    v = Volunteer(
        person_id=person.id,
        kind=kind,
        community_key=community,
        grid_key=grid,
        unit=unit,
        skills=_check_skills(skills, known, "skills"),
        slots=parse_slots(slots),
        active=True,
        registered_at=now,
        registered_by=actor.label,
    )
    session.add(v)
    session.flush()
    return v


def _visible(v: Volunteer, actor: Actor) -> bool:
    if actor.role in ("dispatcher", "admin"):
        return True
    if actor.role == "grid_worker":
        return actor.grid_key is not None and v.grid_key == actor.grid_key
    if actor.role == "resident":
        return actor.person_id is not None and v.person_id == actor.person_id
    return False


def get_volunteer(session: Session, *, volunteer_id: int, actor: Actor) -> Volunteer:
    """One volunteer the actor may see; NotFoundError otherwise (existence not revealed)."""
    v = session.get(Volunteer, volunteer_id)
    if v is None or not _visible(v, actor):
        raise NotFoundError(f"volunteer: no volunteer {volunteer_id} visible to you")
    return v


def volunteer_of(session: Session, *, actor: Actor) -> Volunteer:
    """The registration of the calling resident account (its proven phone's person)."""
    if actor.role != "resident" or actor.user_id is None:
        raise PermissionDeniedError("role: only a volunteer's own account acts as a volunteer")
    v = None
    if actor.person_id is not None:
        v = session.scalar(select(Volunteer).where(Volunteer.person_id == actor.person_id))
    if v is None or not v.active:
        raise NotFoundError(
            "volunteer: this account is not a registered volunteer (prove the registered "
            "phone with a one-time code first)"
        )
    return v


def list_volunteers(
    session: Session,
    *,
    actor: Actor,
    grid: str | None = None,
    unit: str | None = None,
    active: bool | None = True,
) -> Sequence[Volunteer]:
    """Volunteers in the actor's scope (grid workers: their grid), by id."""
    require_staff(actor)
    q = select(Volunteer).order_by(Volunteer.id)
    if actor.role == "grid_worker":
        q = q.where(Volunteer.grid_key == actor.grid_key)
    if grid is not None:
        q = q.where(Volunteer.grid_key == grid)
    if unit is not None:
        q = q.where(Volunteer.unit == unit)
    if active is not None:
        q = q.where(Volunteer.active.is_(active))
    return session.scalars(q).all()


def update_volunteer(
    session: Session,
    *,
    volunteer_id: int,
    actor: Actor,
    skills: Iterable[str] | None = None,
    slots: str | Iterable[Any] | None = None,
    grid: str | None = None,
    unit: str | None = None,
    active: bool | None = None,
    skill_names: dict[str, str] | None = None,
) -> Volunteer:
    """Change skills, availability, home grid (within the community), unit or active flag.

    Staff in scope change anything; the volunteer's own account changes its skills and slots.
    """
    v = get_volunteer(session, volunteer_id=volunteer_id, actor=actor)
    own = actor.role == "resident"
    if own and (grid is not None or unit is not None or active is not None):
        raise PermissionDeniedError("role: a volunteer changes only skills and availability")
    if skills is not None:
        known = skill_names if skill_names is not None else load_skills()
        v.skills = _check_skills(skills, known, "skills")
    if slots is not None:
        v.slots = parse_slots(slots)
    if grid is not None:
        g = session.get(Grid, grid)
        if g is None or g.community_key != v.community_key:
            raise DataError(f"grid: expected a grid of community {v.community_key!r}, got {grid!r}")
        if actor.role == "grid_worker" and grid != actor.grid_key:
            raise PermissionDeniedError("grid: a grid worker keeps volunteers in their own grid")
        v.grid_key = grid
    if unit is not None:
        v.unit = unit.strip() or None
        if v.kind == "party_member" and not v.unit:
            raise DataError("unit: an in-service party member reports from a unit (工作单位)")
    if active is not None:
        v.active = active
    session.flush()
    return v


def volunteer_view(
    session: Session,
    volunteer: Volunteer,
    *,
    actor: Actor,
    now: dt.datetime,
    unmask: bool = False,
    purpose: str | None = None,
    skill_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A volunteer as shown: name and phone masked unless ``unmask`` by a dispatcher or an
    administrator with a ``purpose`` (logged); the volunteer's own account sees its own."""
    person = session.get(Person, volunteer.person_id)
    name = person.name if person else None
    phone = person.phone if person else None
    own = actor.role == "resident" and actor.person_id == volunteer.person_id
    masked = not own
    if unmask and not own:
        log_unmask(
            session,
            actor=actor,
            purpose=purpose,
            person_id=volunteer.person_id,
            case_id=None,
            fields="volunteer:name,phone",
            now=now,
        )
        masked = False
    known = skill_names if skill_names is not None else load_skills()
    grid = session.get(Grid, volunteer.grid_key)
    community = session.get(Community, volunteer.community_key)
    return {
        "id": volunteer.id,
        "kind": volunteer.kind,
        "kind_label": KINDS[volunteer.kind],
        "name": mask_name(name) if masked else name,
        "phone": mask_phone(phone) if masked else phone,
        "masked": masked,
        "community": volunteer.community_key,
        "community_name": community.name if community else volunteer.community_key,
        "grid": volunteer.grid_key,
        "grid_name": grid.name if grid else volunteer.grid_key,
        "unit": volunteer.unit,
        "skills": list(volunteer.skills),
        "skill_labels": [known.get(s, s) for s in volunteer.skills],
        "slots": list(volunteer.slots),
        "active": volunteer.active,
        "registered_at": volunteer.registered_at.isoformat(),
    }
