"""Backup and restore of the case desk on PostgreSQL with the server's own tools:
``pg_dump -Fc`` of a database with cases, ``pg_restore`` into an empty one, and the restored
desk is the same desk (rows, tracking codes, logins) and ready for this version."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import warnings
from pathlib import Path

from dbfixtures import _pg_bindir, _pg_execute, _with_database
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

with warnings.catch_warnings():
    # starlette 1.x nudges from httpx to httpx2; the test client works with httpx (declared).
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from wanzheng.cases.seed import prepare_database
from wanzheng.cases.users import create_user
from wanzheng.db import make_engine, make_sessionmaker
from wanzheng.db.status import database_status
from wanzheng.settings import Settings
from wanzheng.web import create_app

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
TABLES = ("cases", "case_events", "users", "categories", "grids")


def _libpq(url: str) -> list[str]:
    u = make_url(url)
    host = u.query.get("host", u.host)
    return ["-h", str(host), "-U", str(u.username), "-d", str(u.database)]


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in TABLES
            }
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore_round_trip(postgres_server_url: str, tmp_path: Path) -> None:
    bindir = _pg_bindir()
    src, dst = f"wz_backup_{os.getpid()}", f"wz_restore_{os.getpid()}"
    _pg_execute(postgres_server_url, f"CREATE DATABASE {src}")
    _pg_execute(postgres_server_url, f"CREATE DATABASE {dst}")
    src_url, dst_url = (_with_database(postgres_server_url, n) for n in (src, dst))
    try:
        prepare_database(src_url)
        engine = make_engine(src_url, pool_size=1)
        with make_sessionmaker(engine)() as s:
            create_user(s, username="dispatch", password="dispatch-pass", role="dispatcher")
            s.commit()
        engine.dispose()
        settings = Settings(database_url=src_url, data_dir=tmp_path, escalation_interval_s=0)
        with TestClient(create_app(settings, clock=lambda: NOW)) as c:
            codes = [
                c.post(
                    "/api/cases",
                    json={"text": t, "lon": 116.35, "lat": 40.004, "phone": "13800138000"},
                ).json()["tracking_code"]
                for t in ("小区北门路灯不亮", "楼下烧烤油烟扰民", "电梯经常停运")
            ]
        dump = tmp_path / "desk.dump"
        subprocess.run(
            [str(bindir / "pg_dump"), "-Fc", "-f", str(dump), *_libpq(src_url)],
            check=True,
            capture_output=True,
        )
        assert dump.stat().st_size > 0
        subprocess.run(
            [
                str(bindir / "pg_restore"),
                "--no-owner",
                "--exit-on-error",
                *_libpq(dst_url),
                str(dump),
            ],
            check=True,
            capture_output=True,
        )
        assert _rows(dst_url) == _rows(src_url)
        engine = make_engine(dst_url, pool_size=1)
        assert database_status(engine).at_head
        engine.dispose()
        # the restored desk works: tracking pages, a login, a new case after the old ones
        settings = Settings(database_url=dst_url, data_dir=tmp_path, escalation_interval_s=0)
        with TestClient(create_app(settings, clock=lambda: NOW)) as c:
            for code in codes:
                assert c.get(f"/api/track/{code}").status_code == 200
            login = c.post(
                "/api/auth/token", json={"username": "dispatch", "password": "dispatch-pass"}
            )
            assert login.status_code == 200
            r = c.post("/api/cases", json={"text": "井盖松动", "lon": 116.35, "lat": 40.004})
            assert r.status_code == 201 and r.json()["id"] == 4  # the sequence came along
    finally:
        for name in (src, dst):
            _pg_execute(postgres_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
