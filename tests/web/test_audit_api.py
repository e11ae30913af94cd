"""The dashboard's audit API on a hand-made audit whose answers can be checked by hand.

The area: five straight street edges of exactly 100 m running east along latitude 40°,
nodes 0 … 5; community ``A`` sits on node 0, ``B`` on node 5. The walking speed is 50 m/min,
so 5 minutes is 250 m: from ``A`` the reach is edges 0–1 and 1–2 whole and half of 2–3.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from wanzheng.audit.result import AuditResult
from wanzheng.errors import DataError, NotFoundError
from wanzheng.web.audit_view import AuditView
from wanzheng.web.routes import audit as audit_routes

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 package; the httpx it supports still works here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

LAT = 40.0
# Degrees of longitude per 100 m at 40° N on the sphere the store projects with.
DLON = 100.0 / (math.pi / 180.0 * 6_371_008.8 * math.cos(math.radians(LAT)))
LON0 = 116.35


def _square(lon: float, lat: float, half: float = 0.0004) -> shapely.Polygon:
    return shapely.box(lon - half, lat - half, lon + half, lat + half)


def _result() -> AuditResult:
    node_lon = LON0 + DLON * np.arange(6)
    network = pd.DataFrame(
        {
            "lon_u": node_lon[:-1],
            "lat_u": np.full(5, LAT),
            "lon_v": node_lon[1:],
            "lat_v": np.full(5, LAT),
            "length_m": np.full(5, 100.0),
            "highway": ["residential"] * 3 + ["footway"] * 2,
        }
    )
    kinds = pd.DataFrame(
        {
            "key": ["kindergarten", "supermarket"],
            "name_zh": ["幼儿园", "综合超市"],
            "name_en": ["Kindergarten", "Supermarket"],
            "tier": ["5min", "10min"],
            "threshold_m": [300.0, 500.0],
            "verified": [False, True],
            "requirement": ["", ""],
            "source": ["", ""],
            "clause": ["", ""],
        }
    )
    communities = pd.DataFrame(
        {
            "id": ["A", "B"],
            "name": ["甲社区", "乙社区"],
            "population": [3000.0, 1000.0],
            "population_source": ["given", "estimated"],
            "lon": [node_lon[0], node_lon[5]],
            "lat": [LAT, LAT],
            "geometry": [_square(node_lon[0], LAT), _square(node_lon[5], LAT)],
            "snap_leg_m": [0.0, 0.0],
            "kindergarten_distance_m": [200.0, 300.0],
            "kindergarten_walk_min": [4.0, 6.0],
            "kindergarten_status": ["met", "met"],
            "kindergarten_nearest_id": ["k1", "k1"],
            "kindergarten_nearest_name": ["向阳幼儿园", "向阳幼儿园"],
            "supermarket_distance_m": [np.inf, 550.0],
            "supermarket_walk_min": [np.inf, 11.0],
            "supermarket_status": ["missing", "missing"],
            "supermarket_nearest_id": ["", "s1"],
            "supermarket_nearest_name": ["", "便民超市"],
            "met": [1, 1],
            "required": [2, 2],
            "verdict": ["incomplete", "incomplete"],
            "missing": ["supermarket", "supermarket"],
            "no_data": ["", ""],
        }
    )
    communities.loc[1, ["supermarket_status", "verdict", "missing", "met"]] = [
        "met",
        "complete",
        "",
        2,
    ]
    facilities = pd.DataFrame(
        {
            "id": ["k1", "s1"],
            "name": ["向阳幼儿园", "便民超市"],
            "kind": ["kindergarten", "supermarket"],
            "lon": [node_lon[2], node_lon[5] + DLON * 0.5],
            "lat": [LAT, LAT],
            "source": ["osm", "ledger"],
            "snap_leg_m": [0.0, 0.0],
        }
    )
    coverage = pd.DataFrame(
        {
            "kind": ["kindergarten", "supermarket"],
            "name_zh": ["幼儿园", "综合超市"],
            "name_en": ["Kindergarten", "Supermarket"],
            "tier": ["5min", "10min"],
            "threshold_m": [300.0, 500.0],
            "verified": [False, True],
            "facilities": [1, 1],
            "has_data": [True, True],
            "communities_met": [2, 1],
            "communities_missing": [0, 1],
            "population_covered": [4000.0, 1000.0],
            "population_total": [4000.0, 4000.0],
            "population_share": [1.0, 0.25],
        }
    )
    buildings = pd.DataFrame(
        {
            "id": ["w1"],
            "geometry": [_square(node_lon[1], LAT + 0.0003, 0.0001)],
            "residential": [True],
            "levels": [6.0],
        }
    )
    return AuditResult(
        communities=communities,
        facilities=facilities,
        coverage=coverage,
        network=network,
        buildings=buildings,
        kinds=kinds,
        sources={
            "catalogue_name": "完整居住社区建设标准",
            "catalogue_version": "2020",
            "walk_speed_m_per_min": 50.0,
            "osm_file": "tiny.osm",
            "bounds": (LON0, LAT, LON0 + 5 * DLON, LAT),
        },
    )


@pytest.fixture()
def store(tmp_path: Path) -> AuditView:
    (tmp_path / "report.html").write_text("<!doctype html><title>报告</title>", encoding="utf-8")
    return AuditView.from_result(_result(), out_dir=tmp_path)


@pytest.fixture()
def client(store: AuditView) -> TestClient:
    app = FastAPI()
    app.state.audit = audit_routes.AuditState(None, store)
    app.include_router(audit_routes.router)

    @app.exception_handler(NotFoundError)
    def _nf(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(DataError)
    def _de(_: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    return TestClient(app)


def _reach(store: AuditView, community: str, minutes: list[float]) -> dict[float, Any]:
    fc = store.reach_geojson(community, minutes)
    feats = fc["features"]
    return {f["properties"]["minutes"]: f for f in feats if f["properties"]["part"] == "streets"}


def test_reach_cuts_the_edge_where_the_walking_budget_ends(store: AuditView) -> None:
    # 5 min × 50 m/min = 250 m: 100 + 100 m whole, then 50 m of the third edge.
    streets = _reach(store, "A", [5])[5]
    assert streets["properties"]["limit_m"] == 250.0
    assert streets["properties"]["streets_m"] == pytest.approx(250.0, abs=0.5)
    ends = [c[-1][0] for c in streets["geometry"]["coordinates"]]
    assert max(ends) == pytest.approx(LON0 + 2.5 * DLON, abs=2e-6)


def test_reach_grows_with_time_and_stops_at_the_network_end(store: AuditView) -> None:
    streets = _reach(store, "A", [5, 10, 15])
    assert streets[10]["properties"]["streets_m"] == pytest.approx(500.0, abs=0.5)
    # 15 min = 750 m but the network is only 500 m long.
    assert streets[15]["properties"]["streets_m"] == pytest.approx(500.0, abs=0.5)
    # From B (node 5) 5 minutes reach back to the middle of edge 2–3.
    from_b = _reach(store, "B", [5])[5]
    starts = [min(c[0][0], c[-1][0]) for c in from_b["geometry"]["coordinates"]]
    assert min(starts) == pytest.approx(LON0 + 2.5 * DLON, abs=2e-6)


def test_reach_area_is_a_band_around_the_reached_streets(store: AuditView) -> None:
    fc = store.reach_geojson("A", [5])
    area = next(f for f in fc["features"] if f["properties"]["part"] == "area")
    # A 250 m line buffered by 35 m with rounded ends: 250·70 + π·35² ≈ 21,348 m².
    assert area["properties"]["area_m2"] == pytest.approx(250 * 70 + math.pi * 35**2, rel=0.02)


def test_reach_rejects_unknown_community_and_bad_minutes(store: AuditView) -> None:
    with pytest.raises(NotFoundError, match="'Z'"):
        store.reach_geojson("Z", [5])
    with pytest.raises(DataError, match="minutes"):
        store.reach_geojson("A", [0])


def test_summary_counts_verdicts_and_residents_affected(client: TestClient) -> None:
    body = client.get("/api/audit/summary").json()
    assert body["counts"]["communities"] == 2
    assert body["counts"]["complete"] == 1
    assert body["counts"]["incomplete"] == 1
    assert body["counts"]["population"] == 4000
    assert body["counts"]["affected"] == 3000  # A lacks a supermarket: its 3,000 residents
    assert body["walk_speed_m_per_min"] == 50.0
    assert body["exports"] == {"xlsx": False, "gpkg": False, "html": True}


def test_communities_geojson_carries_distances_statuses_and_missing(client: TestClient) -> None:
    fc = client.get("/api/audit/communities").json()
    a = next(f["properties"] for f in fc["features"] if f["properties"]["id"] == "A")
    assert a["verdict"] == "incomplete"
    assert a["missing"] == ["supermarket"]
    assert a["kinds"]["kindergarten"] == {
        "distance_m": 200.0,
        "walk_min": 4.0,
        "status": "met",
        "nearest_name": "向阳幼儿园",
    }
    # Beyond the cutoff is JSON null, not Infinity (which is not JSON).
    assert a["kinds"]["supermarket"]["distance_m"] is None
    assert fc["features"][0]["geometry"]["type"] == "Polygon"


def test_layers_and_kinds(client: TestClient) -> None:
    net = client.get("/api/audit/network").json()
    assert {f["properties"]["highway"]: f["properties"]["edges"] for f in net["features"]} == {
        "footway": 2,
        "residential": 3,
    }
    fac = client.get("/api/audit/facilities").json()
    assert [f["properties"]["kind"] for f in fac["features"]] == ["kindergarten", "supermarket"]
    kinds = client.get("/api/audit/kinds").json()
    assert [(k["key"], k["facilities"], k["threshold_m"]) for k in kinds] == [
        ("kindergarten", 1, 300.0),
        ("supermarket", 1, 500.0),
    ]
    cov = client.get("/api/audit/coverage").json()
    assert [c["population_share"] for c in cov] == [1.0, 0.25]
    bld = client.get("/api/audit/buildings").json()
    assert bld["features"][0]["properties"] == {"residential": True}


def test_reach_route_and_exports(client: TestClient) -> None:
    fc = client.get("/api/audit/communities/A/reach?minutes=5&minutes=10").json()
    assert sorted({f["properties"]["minutes"] for f in fc["features"]}) == [5, 10]
    assert client.get("/api/audit/communities/nope/reach").status_code == 404
    html = client.get("/api/audit/export/report.html")
    assert html.status_code == 200
    assert "报告" in html.text
    assert client.get("/api/audit/export/audit.gpkg").status_code == 404
    assert client.get("/api/audit/export/secret.txt").status_code == 404


def test_no_audit_configured_is_a_clear_404() -> None:
    app = FastAPI()
    app.state.audit = audit_routes.AuditState(None)
    app.include_router(audit_routes.router)

    @app.exception_handler(NotFoundError)
    def _nf(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    res = TestClient(app).get("/api/audit/summary")
    assert res.status_code == 404
    assert "WANZHENG_AUDIT_DIR" in res.json()["detail"]


def test_reach_starts_where_an_off_network_origin_joins_the_nearest_edge(tmp_path: Path) -> None:
    # Origin 30 m north of the middle of edge 2–3: both its ends are at 30 + 50 = 80 m.
    # 5 min = 250 m: edges 1–2, 2–3, 3–4 whole and 70 m of edges 0–1 and 4–5 = 440 m.
    base = _result()
    north = 30.0 / (math.pi / 180.0 * 6_371_008.8)
    row = base.communities.iloc[[0]].copy()
    row["id"], row["name"] = "C", "丙社区"
    row["lon"], row["lat"] = LON0 + 2.5 * DLON, LAT + north
    row["geometry"] = [_square(LON0 + 2.5 * DLON, LAT + north, 0.0001)]
    result = dataclasses.replace(
        base, communities=pd.concat([base.communities, row], ignore_index=True)
    )
    store = AuditView.from_result(result, out_dir=tmp_path)
    streets = _reach(store, "C", [5])[5]
    assert streets["properties"]["streets_m"] == pytest.approx(440.0, abs=0.5)


def test_an_output_directory_reads_back_like_the_result(tmp_path: Path) -> None:
    from wanzheng.report import OUTPUT_NAMES, write_dashboard_extras, write_outputs
    from wanzheng.web.audit_view import load_audit_view

    result = _result()
    out = tmp_path / "out"
    write_outputs(result, out)
    plain = load_audit_view(out)
    # Without the dashboard's extras: kinds from the packaged catalogue, coverage recomputed.
    assert list(plain.kinds["key"]) == ["kindergarten", "supermarket"]
    assert plain.kinds.loc[0, "name_zh"] == "幼儿园"
    assert list(plain.coverage["population_share"]) == [1.0, 0.25]
    assert len(plain.buildings) == 0
    assert plain.summary()["counts"]["affected"] == 3000
    assert plain.summary()["exports"] == {"xlsx": True, "gpkg": True, "html": True}

    write_dashboard_extras(result, out)
    full = load_audit_view(out)
    assert len(full.buildings) == 1
    assert full.walk_speed_m_per_min == 50.0
    assert full.sources["catalogue_name"] == "完整居住社区建设标准"
    # The reach read back from the GeoPackage is the reach computed in memory.
    memory = AuditView.from_result(result)
    for cid in ("A", "B"):
        assert _reach(full, cid, [5, 10]) == _reach(memory, cid, [5, 10])
    # Only the report's own files are in the directory, so the next audit may replace it.
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_NAMES)
    write_outputs(result, out)


def test_a_rerun_audit_is_served_without_a_restart(tmp_path: Path) -> None:
    from wanzheng.report import write_outputs

    out = tmp_path / "out"
    first = _result()
    write_outputs(first, out)
    state = audit_routes.AuditState(out)
    names = json.loads(state.cached("communities", AuditView.communities_geojson))
    assert [f["properties"]["name"] for f in names["features"]] == ["甲社区", "乙社区"]
    # Same directory, renamed community: the next request reads the new audit.
    comm = first.communities.copy()
    comm.loc[0, "name"] = "甲社区（新）"
    write_outputs(dataclasses.replace(first, communities=comm), out)
    names = json.loads(state.cached("communities", AuditView.communities_geojson))
    assert [f["properties"]["name"] for f in names["features"]] == ["甲社区（新）", "乙社区"]


def test_life_circle_kinds_are_reported_beside_the_verdict(tmp_path: Path) -> None:
    base = _result()
    kinds = base.kinds.assign(in_verdict=[True, False])
    store = AuditView.from_result(dataclasses.replace(base, kinds=kinds))
    assert [k["in_verdict"] for k in store.kinds_json()] == [True, False]
    a = store.communities_geojson()["features"][0]["properties"]
    # No missing_life_circle column (an older audit): derived from the statuses.
    assert a["missing_life_circle"] == ["supermarket"]
    comm = base.communities.assign(missing_life_circle=["", ""])
    store = AuditView.from_result(dataclasses.replace(base, kinds=kinds, communities=comm))
    assert store.communities_geojson()["features"][0]["properties"]["missing_life_circle"] == []
    # Without in_verdict at all every kind decides the verdict.
    plain = AuditView.from_result(base)
    assert [k["in_verdict"] for k in plain.kinds_json()] == [True, True]
    assert plain.communities_geojson()["features"][0]["properties"]["missing_life_circle"] == []


def test_edge_of_the_data_reaches_the_dashboard(tmp_path: Path) -> None:
    """The demo audit's edge flags travel through audit.gpkg to the communities GeoJSON."""
    from wanzheng.audit.run import run_audit
    from wanzheng.cli.audit import demo_area_path
    from wanzheng.data.osm import load_osm
    from wanzheng.report import write_outputs
    from wanzheng.standards import load_catalogue, load_kind_rules
    from wanzheng.web.audit_view import load_audit_view

    catalogue = load_catalogue()
    extract = load_osm(demo_area_path(), rules=load_kind_rules(catalogue=catalogue))
    result = run_audit(extract, catalogue=catalogue)
    write_outputs(result, tmp_path / "out")
    features = load_audit_view(tmp_path / "out").communities_geojson()["features"]
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    for row in result.communities.itertuples():
        props = by_id[str(row.id)]
        kinds = [k for k in str(row.edge_uncertain_kinds).split(";") if k]
        assert props["edge_uncertain_kinds"] == kinds
        assert props["edge_uncertain"] is bool(kinds)
        assert props["edge_distance_m"] == pytest.approx(round(row.edge_distance_m), abs=1)
    assert any(p["edge_uncertain"] for p in by_id.values())
