"""A dropped pin shown as a place name (石科院生活区附近 · 学院路) to residents and staff.

The hand-made area: one community, a 0.0008° square (about 68 m × 89 m) centred on
(116.35, 40.0) and named 石科院生活区; one street 学院路 running east along latitude 39.9992
(89 m south of the centre) and one unnamed footway further north. Points and the distances
that decide the words are worked out in each test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely

from wanzheng.audit.result import AuditResult
from wanzheng.place.reverse import build_place_namer
from wanzheng.web.audit_view import AuditView
from wanzheng.web.routes import audit as audit_routes

LON0, LAT0 = 116.35, 40.0


def _result() -> AuditResult:
    network = pd.DataFrame(
        {
            "lon_u": [LON0 - 0.003, LON0 - 0.003],
            "lat_u": [LAT0 - 0.0008, LAT0 + 0.0060],
            "lon_v": [LON0 + 0.003, LON0 + 0.003],
            "lat_v": [LAT0 - 0.0008, LAT0 + 0.0060],
            "length_m": [511.0, 511.0],
            "highway": ["primary", "footway"],
            "name": ["学院路", ""],
        }
    )
    communities = pd.DataFrame(
        {
            "id": ["w1", "w2"],
            "name": ["石科院生活区", "未命名住区 #1"],
            "population": [1000.0, 10.0],
            "population_source": ["given", "estimated"],
            "lon": [LON0, LON0 + 0.01],
            "lat": [LAT0, LAT0 + 0.01],
            "geometry": [
                shapely.box(LON0 - 0.0004, LAT0 - 0.0004, LON0 + 0.0004, LAT0 + 0.0004),
                shapely.box(LON0 + 0.0096, LAT0 + 0.0096, LON0 + 0.0104, LAT0 + 0.0104),
            ],
            "snap_leg_m": [0.0, 0.0],
            "met": [0, 0],
            "required": [0, 0],
            "verdict": ["undetermined", "undetermined"],
            "missing": ["", ""],
            "no_data": ["", ""],
        }
    )
    return AuditResult(
        communities=communities,
        facilities=pd.DataFrame(columns=["id", "name", "kind", "lon", "lat", "source"]),
        coverage=pd.DataFrame(columns=["kind", "population_share"]),
        network=network,
        buildings=pd.DataFrame({"geometry": [], "residential": []}),
        kinds=pd.DataFrame(
            columns=["key", "name_zh", "name_en", "tier", "threshold_m", "verified", "in_verdict"]
        ),
        sources={"walk_speed_m_per_min": 80.0},
    )


@pytest.fixture()
def named_api(api: Any, tmp_path: Path) -> Any:
    api.client.app.state.audit = audit_routes.AuditState(
        None, AuditView.from_result(_result(), out_dir=tmp_path)
    )
    return api


def test_the_words_for_points_by_hand() -> None:
    r = _result()
    namer = build_place_namer(r.communities, r.network)
    inside = namer.describe(LON0, LAT0)  # in the square; 学院路 89 m away (≤ 120 m)
    assert inside.text == "石科院生活区 · 学院路" and inside.inside
    assert inside.street_m == pytest.approx(88.9, abs=0.5)
    near = namer.describe(LON0, LAT0 + 0.0020)  # 178 m north of the square; street 311 m
    assert (near.text, near.inside) == ("石科院生活区附近", False)
    assert namer.describe(LON0, LAT0 + 0.0030).text is None  # 289 m from it, street 422 m
    # the unnamed community and the unnamed footway are never words
    assert namer.describe(LON0 + 0.01, LAT0 + 0.01).text is None
    assert namer.describe(LON0, LAT0 + 0.0060).text is None


def test_resident_and_staff_see_the_place(named_api: Any) -> None:
    api = named_api
    case = api.submit(text="路灯坏了", lon=LON0, lat=LAT0)
    public = api.client.get(f"/api/track/{case['tracking_code']}").json()
    assert public["place"] == "石科院生活区 · 学院路"
    staff = api.get(f"/api/cases/{case['id']}", "dispatcher").json()
    assert staff["place"] == "石科院生活区 · 学院路"
    assert (staff["lon"], staff["lat"]) == (LON0, LAT0)  # the coordinates stay for the map
    far = api.submit(text="路灯坏了", lon=LON0, lat=LAT0 + 0.0030)
    assert api.client.get(f"/api/track/{far['tracking_code']}").json()["place"] is None
    pin = api.client.get("/api/audit/place", params={"lon": LON0, "lat": LAT0 + 0.002}).json()
    assert pin == {
        "name": "石科院生活区附近",
        "community_id": "w1",
        "community": "石科院生活区",
        "inside": False,
        "street": None,
        "street_m": None,
    }


def test_without_an_audit_there_are_coordinates_only(api: Any) -> None:
    case = api.submit(text="路灯坏了", lon=LON0, lat=LAT0)
    assert api.client.get(f"/api/track/{case['tracking_code']}").json()["place"] is None
    assert api.get(f"/api/cases/{case['id']}", "dispatcher").json()["place"] is None
    missing = api.client.get("/api/audit/place", params={"lon": LON0, "lat": LAT0})
    assert missing.status_code == 404


def test_namer_without_street_names(tmp_path: Path) -> None:
    r = _result()
    namer = build_place_namer(r.communities, r.network.drop(columns="name"))
    assert namer.describe(LON0, LAT0).text == "石科院生活区"
    assert np.isfinite(namer.projection.lon0)
