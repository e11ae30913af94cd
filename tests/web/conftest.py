"""Fixtures of the case desk API tests: an app on a fresh database (SQLite and PostgreSQL),
a settable clock, and one user of every role with a bearer token."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():
    # starlette 1.x nudges from httpx to httpx2; the test client works with httpx (declared).
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from wanzheng.cases.store import User, issue_token, make_engine, make_sessionmaker
from wanzheng.settings import Settings
from wanzheng.web import create_app

# Wednesday 2026-09-23 10:00 Beijing time.
START = dt.datetime(2026, 9, 23, 2, 0, tzinfo=dt.UTC)

WEST_1 = (116.350, 40.005)  # grid west-1, community west
EAST_1 = (116.360, 40.005)  # grid east-1, community east
NO_GRID = (116.375, 40.015)  # inside the served area, in no grid
OUTSIDE_AREA = (116.400, 39.900)  # Beijing, but outside the served area
OUTSIDE_CHINA = (-0.1276, 51.5072)  # London

PASSWORD = "correct horse battery"

#: username -> (role, department, grid, phone)
USERS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "admin": ("admin", None, None, None),
    "dispatcher": ("dispatcher", None, None, None),
    "city": ("handler", "city_management", None, None),
    "housing": ("handler", "housing", None, None),
    "gw_west1": ("grid_worker", None, "west-1", None),
    "gw_east1": ("grid_worker", None, "east-1", None),
    "resident": ("resident", None, None, "13800001111"),
}


@dataclass
class Clock:
    """A settable clock (UTC)."""

    t: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, *, hours: float = 0, days: float = 0) -> None:
        self.t += dt.timedelta(hours=hours, days=days)


@dataclass
class Api:
    """A TestClient with one token per user and small helpers."""

    client: TestClient
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)
    url: str = ""
    WEST_1 = WEST_1
    EAST_1 = EAST_1
    NO_GRID = NO_GRID
    OUTSIDE_AREA = OUTSIDE_AREA
    OUTSIDE_CHINA = OUTSIDE_CHINA

    def h(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}

    def submit(self, *, user: str | None = None, expect: int = 201, **body: Any) -> dict[str, Any]:
        body.setdefault("text", "小区门口路灯不亮了，晚上很黑")
        if "lon" not in body and "address" not in body:
            body["lon"], body["lat"] = WEST_1
        r = self.client.post("/api/cases", json=body, headers=self.h(user))
        assert r.status_code == expect, r.text
        out: dict[str, Any] = r.json()
        return out

    def act(
        self, case_id: int, user: str, action: str, *, expect: int = 200, **kw: Any
    ) -> httpx.Response:
        r = self.client.post(
            f"/api/cases/{case_id}/actions", json={"action": action, **kw}, headers=self.h(user)
        )
        assert r.status_code == expect, r.text
        return r

    def get(self, path: str, user: str | None = None, **params: Any) -> httpx.Response:
        return self.client.get(path, headers=self.h(user), params=params)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(database_url: str, tmp_path: Path, clock: Clock, password_hash: str) -> Iterator[Api]:
    """The app on a fresh database with every role's user logged in."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    engine = make_engine(database_url, pool_size=4)
    tokens = {}
    with make_sessionmaker(engine)() as s:
        for name, (role, dept, grid, phone) in USERS.items():
            person_id = None
            if phone is not None:
                from wanzheng.cases.store import Person

                p = Person(name="王小明", phone=phone)
                s.add(p)
                s.flush()
                person_id = p.id
            u = User(
                username=name,
                password_hash=password_hash,
                role=role,
                display_name=name,
                department_key=dept,
                grid_key=grid,
                person_id=person_id,
            )
            s.add(u)
            s.flush()
            tokens[name] = issue_token(s, user_id=u.id, now=START, ttl_hours=24 * 365)
        s.commit()
    app = create_app(settings, clock=clock, engine=engine)
    with TestClient(app) as client:
        yield Api(client=client, clock=clock, tokens=tokens, url=database_url)
    engine.dispose()
