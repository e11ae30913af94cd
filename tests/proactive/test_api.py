"""The proactive API through HTTP on both backends: roles, masking, runs, hotspots, evidence."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from wanzheng.cases.store import User, issue_token, make_engine, make_sessionmaker
from wanzheng.settings import Settings
from wanzheng.web import create_app

# Wednesday 2026-11-25 10:00 Beijing.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
WEST_1 = (116.350, 40.005)
USERS = {
    "admin": ("admin", None, None),
    "dispatcher": ("dispatcher", None, None),
    "civil": ("handler", "civil_affairs", None),
    "gw_west1": ("grid_worker", None, "west-1"),
    "gw_east1": ("grid_worker", None, "east-1"),
    "resident": ("resident", None, None),
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def h(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str | None, **params: Any) -> httpx.Response:
        return self.client.get(path, headers=self.h(user), params=params)

    def post(self, path: str, user: str | None, **kw: Any) -> httpx.Response:
        return self.client.post(path, headers=self.h(user), **kw)


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    engine = make_engine(database_url, pool_size=4)
    hashed = PasswordHasher().hash("correct horse battery")
    tokens = {}
    with make_sessionmaker(engine)() as s:
        for name, (role, dept, grid) in USERS.items():
            u = User(
                username=name,
                password_hash=hashed,
                role=role,
                display_name=name,
                department_key=dept,
                grid_key=grid,
            )
            s.add(u)
            s.flush()
            tokens[name] = issue_token(s, user_id=u.id, now=NOW, ttl_hours=24 * 365)
        s.commit()
    settings = Settings(data_dir=tmp_path, database_url=database_url, escalation_interval_s=0)
    app = create_app(settings, clock=lambda: NOW, engine=engine)
    with TestClient(app) as client:
        yield Api(client=client, tokens=tokens)
    engine.dispose()


def _register_csv(proactive_data: Path) -> bytes:
    text = (proactive_data / "register_small.csv").read_text(encoding="utf-8")
    for old, new in (("G01", "west-1"), ("G02", "east-1"), ("C01", "west"), ("C02", "east")):
        text = text.replace(f",{old},", f",{new},")
    return text.encode("utf-8")


def _upload(api: Api, proactive_data: Path, user: str = "admin") -> httpx.Response:
    files = {"file": ("register.csv", io.BytesIO(_register_csv(proactive_data)), "text/csv")}
    return api.post("/api/proactive/registers", user, files=files)


def test_register_roles_masking_and_log(api: Api, proactive_data: Path) -> None:
    assert _upload(api, proactive_data, user="dispatcher").status_code == 403
    r = _upload(api, proactive_data)
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 10, "removed": 0, "dropped_columns": ["身份证号"]}
    r = api.get("/api/proactive/registers", "gw_west1")
    assert r.status_code == 200
    rows = {row["person_id"]: row for row in r.json()}
    assert sorted(rows) == ["R01", "R02", "R03", "R04", "R05"]
    assert rows["R01"]["phone"] == "138****1234"
    assert rows["R01"]["birth_date"] == "1940-03-15"
    assert api.get("/api/proactive/registers", "gw_west1", unmask="true").status_code == 403
    r = api.get(
        "/api/proactive/registers",
        "gw_west1",
        unmask="true",
        purpose="探访前电话联系",
        person_id="R01",
    )
    assert r.status_code == 200 and r.json()[0]["phone"] == "13812341234"
    r = api.get("/api/proactive/registers", "civil", unmask="true", purpose="核查")
    assert r.status_code == 403
    assert api.get("/api/proactive/registers", "resident").status_code == 403
    assert api.get("/api/proactive/registers", None).status_code == 401
    log = api.get("/api/proactive/access-log", "admin", person_id="R01").json()
    assert [row["action"] for row in log] == ["unmask", "read", "import"]
    assert api.get("/api/proactive/access-log", "gw_west1").status_code == 403


def test_dry_run_run_events_completion_lists_outbox(api: Api, proactive_data: Path) -> None:
    assert _upload(api, proactive_data).status_code == 201
    assert api.post("/api/proactive/run", "gw_west1").status_code == 403
    r = api.post("/api/proactive/run", "dispatcher")  # dry run by default
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] and body["proposed"] == 13 and body["new"] == 13
    r = api.post("/api/proactive/run", "dispatcher", params={"dry_run": "false"})
    assert r.json()["tasks"] == 5 and r.json()["unrouted"] == 0
    again = api.post("/api/proactive/run", "dispatcher", params={"dry_run": "false"}).json()
    assert again["tasks"] == 0 and again["notices"] == 0
    queue = api.get("/api/cases", "gw_west1", case_type="proactive").json()
    assert len(queue) == 2 and all(c["grid"] == "west-1" for c in queue)

    event = {
        "id": "CW1",
        "kind": "cold_wave",
        "starts_at": "2026-11-25T06:00:00",
        "grid_ids": ["east-1"],
    }
    assert api.post("/api/proactive/events", "gw_east1", json=event).status_code == 403
    # Entering the event runs the cold-wave rule at once: two checks due within 24 h.
    r = api.post("/api/proactive/events", "dispatcher", json=event)
    assert r.status_code == 201 and r.json()["tasks"] == 2
    bad = event | {"kind": "meteor"}
    assert api.post("/api/proactive/events", "dispatcher", json=bad).status_code in (400, 422)
    # a number is not a time (pydantic would read 0 as 1970-01-01; schemathesis found it)
    r = api.post("/api/proactive/events", "dispatcher", json=event | {"id": "N", "starts_at": 0})
    assert r.status_code == 422 and r.json()["field"].endswith("starts_at"), r.text
    assert [
        e["id"] for e in api.get("/api/proactive/events", "gw_east1", active="true").json()
    ] == ["CW1"]
    r = api.post("/api/proactive/run", "dispatcher", params={"dry_run": "false"})
    assert r.json()["tasks"] == 0  # nothing twice
    east = api.get("/api/cases", "gw_east1", case_type="proactive").json()
    assert sum("寒潮" in c["text"] for c in east) == 2

    completion = api.get("/api/proactive/completion", "gw_west1").json()
    weekly = next(r for r in completion if r["rule_id"] == "elderly_alone_weekly_visit")
    assert weekly["tasks"] == 3 and weekly["completion_rate"] == 0.0

    lists = api.get("/api/proactive/lists", "civil", department="社会事务办").json()
    assert sorted(r["person_id"] for r in lists) == ["R02", "R03", "R06", "R09"]
    assert api.get("/api/proactive/lists", "gw_west1").status_code == 403

    assert api.post("/api/proactive/outbox/deliver", "dispatcher").status_code == 403
    r = api.post("/api/proactive/outbox/deliver", "admin")
    assert r.json() == {"claimed": 3, "sent": 3, "failed": 0, "dead": 0}
    outbox = api.get("/api/proactive/outbox", "admin").json()
    assert {row["status"] for row in outbox} == {"sent"}
    notices = api.get("/api/proactive/notices", "gw_west1", person_id="R04").json()
    assert len(notices) == 1 and "接种" in notices[0]["body"]
    assert api.get("/api/proactive/notices", "gw_east1", person_id="R04").status_code == 404
    assert api.post("/api/proactive/purge", "admin").json()["records"] == 0


def _submit(api: Api, text: str, lon: float, lat: float, category: str | None = None) -> None:
    body: dict[str, Any] = {"text": text, "lon": lon, "lat": lat}
    if category:
        body["category"] = category
    r = api.post("/api/cases", None, json=body)
    assert r.status_code == 201, r.text


def test_hotspots_topic_task_evidence_outlook(api: Api) -> None:
    for k in range(4):
        _submit(
            api,
            f"西区3号楼门口路灯不亮{'，晚上太黑了' if k % 2 else ''}",
            WEST_1[0] + 0.0002 * k,
            WEST_1[1],
            "urban.municipal",
        )
    for text in ("附近没有菜市场，买菜要走两公里", "买菜难，希望开个菜店", "菜市场噪音扰民"):
        _submit(api, text, WEST_1[0] - 0.002, WEST_1[1] + 0.001)
    r = api.get("/api/proactive/hotspots", "gw_west1", month="2026-11")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["clusters"]) == 1
    top = body["clusters"][0]
    assert top["size"] == 4 and top["rank"] == 1 and top["trend"] == "emerging"
    assert body["geojson"]["features"][0]["geometry"]["type"] == "Point"
    path = f"/api/proactive/hotspots/{top['cluster_id']}/task"
    assert api.post(path, "gw_west1", params={"month": "2026-11"}).status_code == 403
    r = api.post(path, "dispatcher", params={"month": "2026-11"})
    assert r.status_code == 201 and r.json()["created"]
    r = api.post(path, "dispatcher", params={"month": "2026-11"})
    assert r.json()["created"] is False
    assert (
        api.post(
            "/api/proactive/hotspots/hs-none/task", "dispatcher", params={"month": "2026-11"}
        ).status_code
        == 404
    )
    # a window of 2.27e16 days overflowed pandas (a 500 schemathesis found); now a 422
    r = api.post(path, "dispatcher", params={"month": "2026-11", "days": "2.272452436075785e16"})
    assert r.status_code == 422 and r.json()["field"].endswith("days"), r.text
    evidence = api.get("/api/proactive/evidence", "civil").json()
    assert [(e["community_id"], e["kind"], e["n_cases"]) for e in evidence] == [
        ("west", "vegetable_market", 2)
    ]
    # All cases were filed today: there is no complete week of history to forecast from.
    outlook = api.get("/api/proactive/outlook", "dispatcher", min_total=1, horizon=4)
    assert outlook.status_code == 422
    assert "less than one complete week" in outlook.json()["detail"]
    assert api.get("/api/proactive/outlook", "dispatcher", horizon=40).status_code == 422


def test_outlook_over_the_desks_history(api: Api, database_url: str) -> None:
    """Two years of back-dated cases in one category: the outlook answers with both MAEs."""
    import numpy as np

    from wanzheng.cases.store import NewCase, create_case, grid_index

    engine = make_engine(database_url, pool_size=1)
    rng = np.random.default_rng(5)
    weeks = 100
    with make_sessionmaker(engine)() as s:
        index = grid_index(s)
        for w in range(weeks):
            start = NOW - dt.timedelta(weeks=weeks - w)
            for _ in range(int(rng.poisson(4))):
                create_case(
                    s,
                    new=NewCase(
                        text="垃圾桶满了没人清运",
                        lon=WEST_1[0],
                        lat=WEST_1[1],
                        category="urban.sanitation",
                    ),
                    now=start + dt.timedelta(hours=float(rng.uniform(0, 160))),
                    index=index,
                )
        s.commit()
    engine.dispose()
    r = api.get("/api/proactive/outlook", "dispatcher", horizon=4, by="category")
    assert r.status_code == 200, r.text
    body = r.json()
    [row] = body["backtest"]
    assert row["category"] == "urban.sanitation" and row["n_weeks"] >= 99
    assert row["mae"] is not None and row["mae_baseline"] is not None
    assert row["baseline"] in ("seasonal_naive", "last_value", "mean4")
    assert row["break"] == "" and row["coverage"] is not None and row["note"]
    assert len(body["forecasts"]) == 4
    assert all(f["used"] == row["used"] for f in body["forecasts"])
    assert all(f["low"] <= f["forecast"] <= f["high"] for f in body["forecasts"])
    # Two levels, reconciled bottom-up: the category's forecast is its communities' sum.
    r = api.get(
        "/api/proactive/outlook",
        "dispatcher",
        horizon=4,
        by="category,community_id",
        reconcile="bottom_up",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["params"]["reconcile"] == "bottom_up"
    levels = {row["level"] for row in body["backtest"]}
    assert levels == {"category", "community_id"}
    for h in range(1, 5):
        rows = [f for f in body["forecasts"] if f["horizon"] == h]
        top = [f["forecast"] for f in rows if f["level"] == "category"]
        parts = [f["forecast"] for f in rows if f["level"] == "community_id"]
        assert len(top) == 1 and parts and top[0] == pytest.approx(sum(parts))
    assert api.get("/api/proactive/outlook", "dispatcher", reconcile="top").status_code == 422


EAST_1 = (116.360, 40.005)


def test_hotspots_are_scoped_and_their_labels_redacted(api: Api) -> None:
    """A grid worker sees only their grid's hotspots, a handler only their department's, and no
    label (nor the task made from one) carries a phone or a room number (issue 17)."""
    for k in range(3):  # west-1, city management
        _submit(
            api,
            f"5号楼3单元1201门口路灯不亮，电话1381234567{k}",
            WEST_1[0] + 0.0002 * k,
            WEST_1[1],
            "urban.municipal",
        )
    for k in range(3):  # east-1, civil affairs
        _submit(
            api,
            f"12栋502房独居老人无人照料，联系一三九一二三四五六七{'八九〇'[k]}",
            EAST_1[0] + 0.0002 * k,
            EAST_1[1],
            "civil_affairs.elderly",
        )

    def labels(user: str) -> list[tuple[str, str]]:
        r = api.get("/api/proactive/hotspots", user)
        assert r.status_code == 200, r.text
        body = r.json()
        for feature in body["geojson"]["features"]:
            assert feature["properties"]["label"] in [c["label"] for c in body["clusters"]]
        return sorted((c["category"], c["label"]) for c in body["clusters"])

    everything = labels("dispatcher")
    assert [c for c, _ in everything] == ["civil_affairs.elderly", "urban.municipal"]
    for _, label in everything:
        for secret in ("138123456", "1201", "502", "一三九一二三四"):
            assert secret not in label, label
    assert ("urban.municipal", "〔详细地址〕门口路灯不亮，电话〔手机号〕") in everything
    assert [c for c, _ in labels("gw_west1")] == ["urban.municipal"]
    assert [c for c, _ in labels("gw_east1")] == ["civil_affairs.elderly"]
    assert [c for c, _ in labels("civil")] == ["civil_affairs.elderly"]
    # The governance task made from a hotspot carries the redacted label too.
    r = api.get("/api/proactive/hotspots", "dispatcher", month="2026-11")
    west = next(c for c in r.json()["clusters"] if c["category"] == "urban.municipal")
    path = f"/api/proactive/hotspots/{west['cluster_id']}/task"
    r = api.post(path, "dispatcher", params={"month": "2026-11"})
    assert r.status_code == 201, r.text
    task = api.get(f"/api/cases/{r.json()['case_id']}", "dispatcher").json()
    assert "13812345" not in task["text"] and "1201" not in task["text"]
    assert "〔手机号〕" in task["text"]
