"""Shared by the volunteers' tests (``tests/volunteer``, ``tests/web/test_volunteer_api.py``):
a hand-checkable walking network over the default grids, and a database with staff, three
registered volunteers and a dispatched case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from wanzheng.cases.crud import apply_action
from wanzheng.cases.intake import NewCase, create_case
from wanzheng.cases.models import User
from wanzheng.cases.states import load_state_machine
from wanzheng.cases.store import make_engine, make_sessionmaker
from wanzheng.cases.tables import grid_index
from wanzheng.cases.users import Actor
from wanzheng.volunteer.registry import register_volunteer

# Wednesday 2026-09-23 09:00 Beijing time.
T0 = dt.datetime(2026, 9, 23, 1, 0, tzinfo=dt.UTC)
SECRET = "a-test-secret-that-is-long-enough-0123456789"

# Nodes of the hand network. A, B, C are the centroids of grids west-1, east-1 and west-2
# (routing.toml); T is the task's place (in east-1), M a corner.
A = (116.350, 40.005)
B = (116.3625, 40.005)
C = (116.350, 40.014)
M = (116.356, 40.005)
T = (116.356, 40.008)
# Edge lengths are the audit's (given, not measured), so the walks are plain sums:
# T→A = T–M–A = 350 + 400 = 750; T→B = min(T–B 900, T–M–B 350 + 200) = 550;
# T→C = 750 + C–A 600 = 1350.
EDGES = [(A, M, 400.0), (M, T, 350.0), (B, M, 200.0), (B, T, 900.0), (C, A, 600.0)]
WALK_FROM_T = {"A": 750.0, "B": 550.0, "C": 1350.0}


def hand_network() -> pd.DataFrame:
    """The hand network as an audit's edge table."""
    return pd.DataFrame(
        [
            {
                "lon_u": u[0],
                "lat_u": u[1],
                "lon_v": v[0],
                "lat_v": v[1],
                "length_m": m,
                "highway": "footway",
                "name": "",
            }
            for u, v, m in EDGES
        ]
    )


@dataclass
class Desk:
    """Sessions, actors and ids of the seeded database."""

    session: Session
    dispatcher: Actor
    gw_east: Actor
    gw_west: Actor
    vols: dict[str, Actor]  # "west1" / "east1" / "west2" -> the volunteer's resident account
    vol_ids: dict[str, int]
    case_id: int


def _user(
    s: Session, name: str, role: str, *, grid: str | None = None, person_id: int | None = None
) -> Actor:
    u = User(
        username=name,
        password_hash="x",
        role=role,
        display_name=name,
        grid_key=grid,
        person_id=person_id,
    )
    s.add(u)
    s.flush()
    return Actor(role=role, user_id=u.id, username=name, grid_key=grid, person_id=person_id)


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    engine = make_engine(database_url, pool_size=2)
    with make_sessionmaker(engine)() as s:
        dispatcher = _user(s, "dispatcher", "dispatcher")
        gw_east = _user(s, "gw_east1", "grid_worker", grid="east-1")
        gw_west = _user(s, "gw_west1", "grid_worker", grid="west-1")
        people = {
            "west1": ("张建国", "13800000001", "west", "west-1", "party_member", "海淀区某研究院"),
            "east1": ("李红梅", "13800000002", "east", "east-1", "party_member", "海淀区某研究院"),
            "west2": ("王志愿", "13800000003", "west", "west-2", "volunteer", None),
        }
        vols, ids = {}, {}
        for key, (name, phone, community, grid, kind, unit) in people.items():
            v = register_volunteer(
                s,
                actor=dispatcher,
                name=name,
                phone=phone,
                kind=kind,
                community=community,
                grid=grid,
                unit=unit,
                skills=["elderly_help", "visit"],
                slots="周三 08:00-12:00; 周六 09:00-17:00",
                now=T0,
            )
            ids[key] = v.id
            vols[key] = _user(s, f"vol_{key}", "resident", person_id=v.person_id)
        case, _ = create_case(
            s,
            new=NewCase(
                text="楼上独居的李大爷腿脚不便，想请人帮忙买菜",
                lon=T[0],
                lat=T[1],
                name="李大爷",
                phone="13900002222",
                address="东区3号楼2单元",
                category="civil_affairs.elderly",
            ),
            now=T0 - dt.timedelta(hours=1),
            index=grid_index(s),
        )
        machine = load_state_machine()
        apply_action(s, case_id=case.id, actor=dispatcher, action="accept", now=T0, machine=machine)
        apply_action(
            s,
            case_id=case.id,
            actor=dispatcher,
            action="dispatch",
            now=T0,
            machine=machine,
            department="civil_affairs",
        )
        s.commit()
        assert case.grid_key == "east-1" and case.state == "dispatched"
        yield Desk(s, dispatcher, gw_east, gw_west, vols, ids, case.id)
    engine.dispose()
