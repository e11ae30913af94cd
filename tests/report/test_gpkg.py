"""audit.gpkg read back with pyogrio and compared with the hand-built result."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import pytest
import shapely

from wanzheng.audit.result import AuditResult
from wanzheng.report.gpkg import write_gpkg


@pytest.fixture
def gpkg(result: AuditResult, tmp_path: Path) -> Path:
    path = tmp_path / "audit.gpkg"
    write_gpkg(result, path)
    return path


def _layer(path: Path, name: str) -> tuple[dict[str, object], list[shapely.Geometry], pd.DataFrame]:
    meta, _fids, geoms, fields = pyogrio.raw.read(path, layer=name)
    table = pd.DataFrame(dict(zip(meta["fields"], fields, strict=True)))
    return meta, list(shapely.from_wkb(geoms)), table


def test_layers_and_crs(gpkg: Path) -> None:
    layers = {str(n): str(t) for n, t in pyogrio.list_layers(gpkg)}
    assert layers == {"communities": "Unknown", "facilities": "Point", "network": "LineString"}
    for name in layers:
        assert pyogrio.read_info(gpkg, layer=name)["crs"] == "EPSG:4326"
    info = pyogrio.read_info(gpkg, layer="communities")
    assert info["dataset_metadata"]["attribution"] == "© OpenStreetMap contributors, ODbL"
    assert "2026.1-test" in info["dataset_metadata"]["catalogue"]


def test_communities_layer(result: AuditResult, gpkg: Path) -> None:
    _meta, geoms, table = _layer(gpkg, "communities")
    assert table["id"].tolist() == ["c1", "c2", "c3"]
    assert table["name"].tolist() == ["阳光小区", "和平里", "东园"]
    # Polygons stay polygons, the point community stays a point (mixed layer).
    for got, want in zip(geoms, result.communities["geometry"], strict=True):
        assert got.geom_type == want.geom_type
        assert shapely.equals_exact(got, want, tolerance=1e-9)
    pop = table["population"].to_numpy(np.float64)
    assert pop[:2].tolist() == [3200, 5000]
    assert math.isnan(pop[2]), "unknown population is NULL"
    assert table["kindergarten_distance_m"].tolist()[:2] == [120.3, 650.0]
    assert math.isnan(table["kindergarten_distance_m"].tolist()[2]), "inf is NULL"
    assert table["kindergarten_status"].tolist() == ["met", "missing", "missing"]
    assert table["verdict"].tolist() == ["undetermined", "incomplete", "incomplete"]
    assert table["met"].tolist() == [1, 0, 0]
    assert table["missing"].tolist() == ["", "kindergarten", "kindergarten"]
    assert table["missing_life_circle"].tolist() == ["", "", "supermarket"]


def test_facilities_layer(result: AuditResult, gpkg: Path) -> None:
    _meta, geoms, table = _layer(gpkg, "facilities")
    assert table["id"].tolist() == result.facilities["id"].tolist()
    assert table["kind"].tolist() == ["kindergarten", "supermarket", "supermarket"]
    xs = [g.x for g in geoms]
    ys = [g.y for g in geoms]
    assert xs == pytest.approx(result.facilities["lon"].tolist(), abs=1e-12)
    assert ys == pytest.approx(result.facilities["lat"].tolist(), abs=1e-12)
    assert table["snap_leg_m"].tolist() == [12.5, 3.0, 25.0]


def test_network_layer(result: AuditResult, gpkg: Path) -> None:
    _meta, geoms, table = _layer(gpkg, "network")
    assert len(geoms) == 5
    first = np.asarray(geoms[2].coords)
    assert first.tolist() == [[116.350, 40.000], [116.350, 40.002]]
    assert table["length_m"].tolist() == result.network["length_m"].tolist()
    assert table["highway"].tolist() == result.network["highway"].tolist()


def test_all_polygon_communities_make_a_polygon_layer(result: AuditResult, tmp_path: Path) -> None:
    result.communities.loc[2, "geometry"] = shapely.MultiPolygon(
        [
            shapely.box(116.356, 40.001, 116.357, 40.002),
            shapely.box(116.358, 40.001, 116.359, 40.002),
        ]
    )
    path = tmp_path / "audit.gpkg"
    write_gpkg(result, path)
    layers = {str(n): str(t) for n, t in pyogrio.list_layers(path)}
    assert layers["communities"] == "MultiPolygon"
    _meta, geoms, _table = _layer(path, "communities")
    assert [g.geom_type for g in geoms] == ["MultiPolygon"] * 3
    assert geoms[0].area == pytest.approx(result.communities["geometry"][0].area)


def test_empty_facilities_layer(result: AuditResult, tmp_path: Path) -> None:
    empty = AuditResult(
        communities=result.communities,
        facilities=result.facilities.iloc[0:0],
        coverage=result.coverage,
        network=result.network,
        buildings=result.buildings,
        kinds=result.kinds,
        sources=result.sources,
    )
    path = tmp_path / "audit.gpkg"
    write_gpkg(empty, path)
    assert pyogrio.read_info(path, layer="facilities")["features"] == 0
