"""``/api/plan/*`` on the audit of the embedded demo area (© OpenStreetMap contributors).

The plan is made by the CLI's own function (``wanzheng plan site AUDIT_DIR``) into the audit's
``plan/`` directory; the progress by ``wanzheng plan progress`` into ``progress/``. The routes
are checked against what those files hold and against independent readings (``plan.gpkg``
points, the audit's ``communities.csv`` verdicts).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio.raw
import pytest
import shapely
from planned import KINDS, build_planned_audit

from wanzheng.web.routes import audit as audit_routes
from wanzheng.web.routes import plan as plan_routes


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_planned_audit(tmp_path_factory.mktemp("planned"))


def serve(api: Any, audit_dir: Path | None) -> Any:
    api.client.app.state.audit = audit_routes.AuditState(audit_dir)
    return api


def error(r: Any, status: int, field: str | None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"error", "field", "detail"}
    assert body["field"] == field, body
    return body


def test_the_plan_as_served(api: Any, planned: Path) -> None:
    serve(api, planned)
    import json

    expected = {"audit": True, "plan": True, "progress": True}
    assert api.get("/api/plan/available").json() == expected
    stored = json.loads((planned / "plan" / "plan.json").read_text(encoding="utf-8"))
    s = api.get("/api/plan/summary").json()
    assert s["summary"] == stored["summary"]
    assert s["summary"]["status"] == "optimal" and s["summary"]["n_sites"] == 3
    assert s["stale"] is False
    assert s["exports"] == {"plan.xlsx": True, "plan.gpkg": True, "plan.html": True}
    assert [k["key"] for k in s["kinds"]] == KINDS.split(",")
    # the sites where plan.gpkg has them (read independently), named in words
    sites = api.get("/api/plan/sites").json()["features"]
    _, _, geoms, fields = pyogrio.raw.read(planned / "plan" / "plan.gpkg", layer="plan_sites")
    points = {
        str(i): shapely.from_wkb(g) for i, g in zip(fields[0], geoms, strict=True)
    }  # field 0 is id
    assert {f["properties"]["id"] for f in sites} == set(points)
    for f in sites:
        lon, lat = f["geometry"]["coordinates"]
        p = points[f["properties"]["id"]]
        assert (lon, lat) == pytest.approx((p.x, p.y), abs=1e-7)
        assert f["properties"]["name"] and not f["properties"]["name"].startswith("N")
        assert f["properties"]["kinds"] == KINDS.split(",")
        assert f["properties"]["communities_new"]  # every chosen site reaches someone new
    total = sum(f["properties"]["residents_new"] for f in sites)
    assert total == pytest.approx(s["summary"]["residents_new"])
    # the communities newly reached: their gains add up to the plan's objective
    comm = api.get("/api/plan/communities").json()["features"]
    assert comm and all(f["geometry"]["type"].endswith("Polygon") for f in comm)
    gained = sum(f["properties"]["residents_new"] for f in comm)
    assert gained == pytest.approx(s["summary"]["objective"])
    reached = {c for f in sites for c in f["properties"]["communities_new"]}
    assert reached == {f["properties"]["name"] for f in comm if f["properties"]["residents_new"]}
    r = api.get("/api/plan/export/plan.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    error(api.get("/api/plan/export/audit.gpkg"), 404, "name")


def test_no_audit_no_plan_no_progress_are_404(api: Any, planned: Path, tmp_path: Path) -> None:
    serve(api, None)
    expected = {"audit": False, "plan": False, "progress": False}
    assert api.get("/api/plan/available").json() == expected
    for path in ("/api/plan/summary", "/api/plan/sites", "/api/plan/progress"):
        body = error(api.get(path), 404, None)
        assert "no audit is loaded" in body["detail"]
    bare = tmp_path / "audit"
    shutil.copytree(planned, bare, ignore=shutil.ignore_patterns("plan", "progress"))
    serve(api, bare)
    expected = {"audit": True, "plan": False, "progress": False}
    assert api.get("/api/plan/available").json() == expected
    body = error(api.get("/api/plan/summary"), 404, "plan")
    assert "wanzheng plan site" in body["detail"]
    error(api.get("/api/plan/communities"), 404, "plan")
    error(api.get("/api/plan/progress"), 404, "progress")


def test_a_rerun_audit_makes_the_plan_stale(api: Any, planned: Path, tmp_path: Path) -> None:
    copy = tmp_path / "audit"
    shutil.copytree(planned, copy)
    (copy / "audit.gpkg").touch()  # as a rerun into the same directory does
    serve(api, copy)
    assert api.get("/api/plan/summary").json()["stale"] is True


def test_run_a_siting_on_request(api: Any, planned: Path) -> None:
    import json

    serve(api, planned)
    body = {"kinds": KINDS.split(","), "add": 3}
    assert api.client.post("/api/plan/run", json=body).status_code == 401
    r = api.client.post("/api/plan/run", json=body, headers=api.h("resident"))
    assert r.status_code == 403
    r = api.client.post("/api/plan/run", json=body, headers=api.h("dispatcher"))
    assert r.status_code == 200, r.text
    plan = r.json()
    # the same answer as the CLI's plan of the same audit (another way in, same optimum)
    stored = json.loads((planned / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert plan["summary"]["status"] == "optimal"
    assert plan["summary"]["objective"] == stored["summary"]["objective"]
    assert [s["name"] for s in plan["sites"]] == [s["name"] for s in stored["sites"]]
    assert len(plan["sites_geojson"]["features"]) == 3
    bad = {"kinds": ["canteen", "library"], "add": 2}
    body_ = error(api.client.post("/api/plan/run", json=bad, headers=api.h("admin")), 422, "kinds")
    assert "'library' is not a kind of this audit" in body_["detail"]
    twice = {"kinds": ["canteen", "canteen"]}
    error(api.client.post("/api/plan/run", json=twice, headers=api.h("admin")), 422, "kinds")
    too_many = {"kinds": ["canteen"], "add": 11}
    r = api.client.post("/api/plan/run", json=too_many, headers=api.h("admin"))
    assert r.status_code == 422 and "add" in r.json()["field"]
    # one siting at a time
    assert plan_routes._RUN_LOCK.acquire(blocking=False)
    try:
        r = api.client.post("/api/plan/run", json=body, headers=api.h("admin"))
        error(r, 409, "run")
    finally:
        plan_routes._RUN_LOCK.release()


def test_programme_progress_as_served(api: Any, planned: Path) -> None:
    serve(api, planned)
    doc = api.get("/api/plan/progress").json()
    # independent: the verdicts the audit wrote in communities.csv
    comm = pd.read_csv(planned / "communities.csv", dtype={"id": str})
    complete = int((comm["verdict"] == "complete").sum())
    assert doc["dates"] == ["2025-06-30", "2025-12-31"]
    assert doc["summary"]["communities"] == len(comm)
    assert doc["summary"]["complete_last"] == complete
    assert doc["summary"]["target"] == 0.4
    assert doc["summary"]["target_met"] is (complete / len(comm) >= 0.4)
    assert [d["area"] for d in doc["districts"]] == ["海淀区"]
    assert sorted(s["area"] for s in doc["subdistricts"]) == ["东升街道", "学院路街道"]
    assert sum(s["communities"] for s in doc["subdistricts"]) == len(comm)
    assert [s["rank"] for s in doc["subdistricts"]] == [1, 2]
    assert doc["subdistricts"][0]["index"] >= doc["subdistricts"][1]["index"]
    assert [r["days_late"] for r in doc["late"]] == [92]
