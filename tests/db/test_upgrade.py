"""Upgrade from the previous release: a database made by the code of commit ba06045 (its
migrations then under ``cases/``, the proactive tables also made by ``prepare_proactive``),
with cases, users and an accepted case in it, brought to this version by ``wanzheng serve``'s
own upgrade step; nothing of the old data is lost and the desk works on it.

The dumps in ``tests/data/db/`` were written by ``tests/data/db/make_ba06045.py`` run on that
commit's source (see ``tests/data/db/SOURCE.md``)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import warnings
from pathlib import Path

import pytest
from dbfixtures import _pg_bindir, _pg_execute, _with_database
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

with warnings.catch_warnings():
    # starlette 1.x nudges from httpx to httpx2; the test client works with httpx (declared).
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from wanzheng.cases.seed import prepare_database
from wanzheng.db import make_engine
from wanzheng.db.status import database_status
from wanzheng.settings import Settings
from wanzheng.web import create_app

DATA = Path(__file__).resolve().parents[1] / "data" / "db"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
# what the old code wrote (make_ba06045.py): three cases, the first accepted by the admin
OLD_CASES = [
    (1, "小区北门路灯不亮，晚上很黑", "accepted"),
    (2, "楼下烧烤油烟扰民，电话13912345678", "submitted"),
    (3, "电梯经常停运，老人上下楼困难", "submitted"),
]


def _old_database(kind: str, server: str | None, tmp_path: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        path = tmp_path / "old.sqlite3"
        con = sqlite3.connect(path)
        con.executescript((DATA / "ba06045.sqlite.sql").read_text(encoding="utf-8"))
        con.close()
        return f"sqlite:///{path}", None
    assert server is not None
    name = f"wz_old_{os.getpid()}"
    _pg_execute(server, f"CREATE DATABASE {name}")
    url = _with_database(server, name)
    u = make_url(url)
    subprocess.run(
        [
            str(_pg_bindir() / "psql"),
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-h",
            str(u.query["host"]),
            "-U",
            str(u.username),
            "-d",
            name,
            "-f",
            str(DATA / "ba06045.postgresql.sql"),
        ],
        check=True,
        capture_output=True,
    )
    return url, name


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_of_the_previous_release_upgrades_with_its_data(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server = request.getfixturevalue("postgres_server_url") if kind == "postgresql" else None
    url, name = _old_database(kind, server, tmp_path)
    try:
        engine = make_engine(url, pool_size=1)
        assert database_status(engine).revision == "0003"
        prepare_database(url)  # what `wanzheng serve` does first
        status = database_status(engine)
        assert status.at_head, status
        engine.dispose()
        plain = create_engine(url)
        with plain.connect() as conn:
            rows = conn.execute(text("SELECT id, text, state FROM cases ORDER BY id")).all()
            assert [tuple(r) for r in rows] == OLD_CASES
            events = conn.execute(text("SELECT count(*) FROM case_events")).scalar_one()
            assert events == 4  # three submissions and one acceptance
            codes = [r[0] for r in conn.execute(text("SELECT tracking_code FROM cases"))]
        plain.dispose()
        settings = Settings(database_url=url, data_dir=tmp_path, escalation_interval_s=0)
        with TestClient(create_app(settings, clock=lambda: NOW)) as c:
            for code in codes:
                assert c.get(f"/api/track/{code}").status_code == 200
            login = c.post(
                "/api/auth/token", json={"username": "admin", "password": "old-admin-pass"}
            )
            assert login.status_code == 200  # the old password hashes still verify
            h = {"Authorization": f"Bearer {login.json()['access_token']}"}
            assert c.get("/api/cases/1", headers=h).json()["state"] == "accepted"
            r = c.post("/api/cases", json={"text": "井盖松动", "lon": 116.35, "lat": 40.004})
            assert r.status_code == 201 and r.json()["id"] == 4
    finally:
        if server is not None and name is not None:
            _pg_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
