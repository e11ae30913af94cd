"""Write the previous release's databases for tests/db/test_upgrade.py.

Run on the source of commit ba06045 (``git archive ba06045 src | tar -x -C OLD``) with this
project's virtual environment::

    PYTHONPATH=OLD/src .venv/bin/python tests/data/db/make_ba06045.py sqlite:///old.sqlite3 DIR
    PYTHONPATH=OLD/src .venv/bin/python tests/data/db/make_ba06045.py postgresql+psycopg://… DIR

then dump them: SQLite with ``sqlite3.Connection.iterdump`` into ``ba06045.sqlite.sql``,
PostgreSQL with ``pg_dump --no-owner --no-privileges --inserts`` into
``ba06045.postgresql.sql``. The data are our own: three cases with a fixed clock, two logins,
the first case accepted by the administrator.
"""

from __future__ import annotations

import datetime as dt
import sys

from fastapi.testclient import TestClient


def main(url: str, data_dir: str) -> None:
    from wanzheng.cases.migrate import prepare_database  # type: ignore[import-not-found]

    import wanzheng
    from wanzheng.cases.store import (  # type: ignore[attr-defined]
        create_user,
        make_engine,
        make_sessionmaker,
    )
    from wanzheng.proactive.store import prepare_proactive  # type: ignore[attr-defined]
    from wanzheng.settings import Settings
    from wanzheng.web import create_app

    print("wanzheng from", wanzheng.__file__)
    prepare_database(url)
    engine = make_engine(url)
    prepare_proactive(engine)
    with make_sessionmaker(engine)() as s:
        create_user(
            s, username="admin", password="old-admin-pass", role="admin", display_name="管理员"
        )
        create_user(
            s,
            username="resident1",
            password="old-resident-pass",
            role="resident",
            phone="13800138000",
        )
        s.commit()
    engine.dispose()
    fixed = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    settings = Settings(database_url=url, escalation_interval_s=0, data_dir=data_dir)
    texts = [
        "小区北门路灯不亮，晚上很黑",
        "楼下烧烤油烟扰民，电话13912345678",
        "电梯经常停运，老人上下楼困难",
    ]
    with TestClient(create_app(settings, clock=lambda: fixed)) as c:
        ids = []
        for i, t in enumerate(texts):
            r = c.post(
                "/api/cases",
                json={"text": t, "lon": 116.35 + i * 0.001, "lat": 40.004, "phone": "13800138000"},
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        token = c.post(
            "/api/auth/token", json={"username": "admin", "password": "old-admin-pass"}
        ).json()["access_token"]
        r = c.post(
            f"/api/cases/{ids[0]}/actions",
            json={"action": "accept"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
