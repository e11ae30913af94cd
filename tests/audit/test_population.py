"""Population estimates from building footprints × levels, against hand-checkable cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from wanzheng.audit.population import (
    DEFAULT_FLOOR_AREA_PER_PERSON_M2,
    estimate_population,
    footprint_area_m2,
)
from wanzheng.data.communities import load_communities
from wanzheng.errors import ConfigError, DataError
from wanzheng.geo import local_projection

DATA = Path(__file__).parent.parent / "data"
GEOD = Geod(ellps="WGS84")
PROJ = local_projection(116.35, 40.0)


def _rect(x0: float, y0: float, w: float, h: float) -> shapely.Polygon:
    """A w × h metre rectangle whose south-west corner is (x0, y0) metres from (116.35, 40.0)."""
    xs = np.array([x0, x0 + w, x0 + w, x0, x0])
    ys = np.array([y0, y0, y0 + h, y0 + h, y0])
    lon, lat = PROJ.inverse(xs, ys)
    return shapely.Polygon(np.column_stack([lon, lat]))


def _buildings(rows: list[tuple[str, shapely.Polygon, float, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "geometry", "levels", "building", "residential"])


def _communities(rows: list[tuple[str, object, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "geometry", "population"])


def test_ten_by_twenty_metres_six_levels_is_1200_m2() -> None:
    comm = _communities([("A", _rect(0, 0, 100, 100), np.nan)])
    bld = _buildings([("b1", _rect(10, 10, 10, 20), 6.0, "residential", True)])
    out = estimate_population(comm, bld)
    assert out["floor_area_m2"].iloc[0] == pytest.approx(1200.0, rel=1e-6)
    assert out["n_buildings"].iloc[0] == 1
    assert out["population"].iloc[0] == pytest.approx(1200.0 / 36.52, rel=1e-6)  # 32.86
    assert out["population_source"].iloc[0] == "estimated"
    out2 = estimate_population(comm, bld, floor_area_per_person_m2=30.0)
    assert out2["population"].iloc[0] == pytest.approx(40.0, rel=1e-6)


def test_unknown_levels_use_the_default() -> None:
    comm = _communities([("A", _rect(0, 0, 100, 100), np.nan)])
    bld = _buildings(
        [
            ("b1", _rect(10, 10, 10, 20), np.nan, "apartments", True),  # 200 m² × 6
            ("b2", _rect(50, 50, 10, 10), 0.0, "house", True),  # 0 levels = unknown: 100 × 6
        ]
    )
    assert estimate_population(comm, bld)["floor_area_m2"].iloc[0] == pytest.approx(
        1800.0, rel=1e-6
    )
    three = estimate_population(comm, bld, default_levels=3)
    assert three["floor_area_m2"].iloc[0] == pytest.approx(900.0, rel=1e-6)


def test_which_buildings_count() -> None:
    comm = _communities([("A", _rect(0, 0, 100, 100), np.nan)])
    bld = _buildings(
        [
            ("yes", _rect(10, 10, 10, 10), 2.0, "yes", False),  # 200 m²: counted by default
            ("school", _rect(30, 30, 10, 10), 4.0, "school", False),  # never
            ("res", _rect(50, 50, 10, 10), 1.0, "residential", True),  # 100 m²
            ("outside", _rect(200, 200, 10, 10), 10.0, "residential", True),  # not in A
            ("edge", _rect(98, 50, 10, 10), 1.0, "residential", True),  # mostly outside A
        ]
    )
    out = estimate_population(comm, bld)
    assert out["floor_area_m2"].iloc[0] == pytest.approx(300.0, rel=1e-6)
    assert out["n_buildings"].iloc[0] == 2


def test_given_points_unknown_and_overlaps() -> None:
    comm = _communities(
        [
            ("given", _rect(0, 0, 100, 100), 5000.0),
            ("point", shapely.Point(116.36, 40.01), np.nan),
            ("empty", _rect(500, 500, 50, 50), np.nan),
            ("big", _rect(-1000, -1000, 3000, 3000), np.nan),  # contains "given" entirely
        ]
    )
    bld = _buildings(
        [
            ("in_both", _rect(10, 10, 10, 20), 6.0, "residential", True),  # counts for "given"
            ("big_only", _rect(1500, 1500, 10, 10), 1.0, "residential", True),
        ]
    )
    out = estimate_population(comm, bld).set_index("id")
    assert out.loc["given", "population"] == 5000.0
    assert out.loc["given", "population_source"] == "given"
    assert out.loc["given", "population_estimate"] == pytest.approx(1200.0 / 36.52, rel=1e-6)
    assert out.loc["point", "population_source"] == "unknown"
    assert np.isnan(out.loc["point", "population"])
    assert out.loc["empty", "population_source"] == "unknown"
    assert out.loc["big", "n_buildings"] == 1
    assert out.loc["big", "floor_area_m2"] == pytest.approx(100.0, rel=1e-6)


def test_no_buildings_and_no_population_column() -> None:
    comm = pd.DataFrame({"id": ["A"], "geometry": [_rect(0, 0, 10, 10)]})
    empty = _buildings([])
    out = estimate_population(comm, empty)
    assert out["population_source"].tolist() == ["unknown"]
    assert out["n_buildings"].tolist() == [0]


def test_bad_parameters() -> None:
    comm = _communities([("A", _rect(0, 0, 10, 10), np.nan)])
    with pytest.raises(ConfigError, match="floor_area_per_person_m2: expected a positive number"):
        estimate_population(comm, _buildings([]), floor_area_per_person_m2=0)
    with pytest.raises(ConfigError, match="default_levels"):
        estimate_population(comm, _buildings([]), default_levels=-1)
    with pytest.raises(DataError, match=r"buildings table lacks column\(s\) \['residential'\]"):
        estimate_population(comm, pd.DataFrame({"geometry": [], "levels": [], "building": []}))


def _osm_buildings(path: Path) -> pd.DataFrame:
    """Closed-way buildings of an extract, read directly with osmium (independent of data.osm)."""
    rows = []
    for obj in osmium.FileProcessor(str(path)).with_locations():
        if not obj.is_way() or "building" not in obj.tags:
            continue
        pts = [(n.lon, n.lat) for n in obj.nodes]
        if len(pts) < 4 or pts[0] != pts[-1]:
            continue
        value = obj.tags["building"]
        levels = obj.tags.get("building:levels")
        rows.append(
            (
                f"w{obj.id}",
                shapely.Polygon(pts),
                float(levels) if levels else np.nan,
                value,
                value in {"residential", "apartments", "house", "dormitory"},
            )
        )
    return _buildings(rows)


def test_footprints_match_geodesic_areas_on_real_buildings(cau_pbf: Path) -> None:
    bld = _osm_buildings(cau_pbf)
    assert len(bld) > 100
    planar = footprint_area_m2(bld["geometry"].to_numpy())
    geodesic = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in bld["geometry"]])
    ok = geodesic > 20.0
    assert np.max(np.abs(planar[ok] - geodesic[ok]) / geodesic[ok]) < 1e-3


def test_real_communities_against_an_independent_sum(cau_pbf: Path) -> None:
    comm = load_communities(DATA / "inputs" / "communities_haidian.geojson")
    bld = _osm_buildings(cau_pbf)
    out = estimate_population(comm, bld).set_index("id")
    # 富润家园 keeps its given 3,200; the other two are estimated from their buildings
    assert out.loc["HD-C01", "population_source"] == "given"
    assert out.loc["HD-C01", "population"] == 3200.0
    for cid, geom in zip(comm["id"], comm["geometry"], strict=True):
        inside = [
            (g, lv, b, r)
            for g, lv, b, r in zip(
                bld["geometry"], bld["levels"], bld["building"], bld["residential"], strict=True
            )
            if (r or b == "yes") and geom.contains(g.representative_point())
        ]
        floor = sum(
            abs(GEOD.geometry_area_perimeter(g)[0]) * (lv if lv > 0 else 6.0)
            for g, lv, _, _ in inside
        )
        assert out.loc[cid, "n_buildings"] == len(inside)
        assert out.loc[cid, "floor_area_m2"] == pytest.approx(floor, rel=1e-3)
        if cid != "HD-C01":
            assert out.loc[cid, "population"] == pytest.approx(
                floor / DEFAULT_FLOOR_AREA_PER_PERSON_M2, rel=1e-3
            )
    assert (out["n_buildings"] > 0).all()
