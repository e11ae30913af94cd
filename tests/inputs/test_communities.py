"""Community files: GeoJSON, GeoPackage, CSV/XLSX points and WKT; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from openpyxl import Workbook
from pyproj import Transformer

from wanzheng.data.communities import load_communities
from wanzheng.errors import DataError

DATA = Path(__file__).parent.parent / "data"
INPUTS = DATA / "inputs"


def _geojson(tmp_path: Path, features: list[dict[str, object]], name: str = "c.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _feature(props: dict[str, object], lon: float = 116.35, lat: float = 40.0) -> dict[str, object]:
    d = 0.001
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_real_geojson_with_chinese_properties() -> None:
    frame = load_communities(INPUTS / "communities_haidian.geojson")
    assert list(frame.columns) == ["id", "name", "population", "geometry", "source"]
    assert frame["id"].tolist() == ["HD-C01", "HD-C02", "HD-C03"]
    assert frame["name"].tolist() == ["富润家园", "石科院生活区", "农大小区-北区"]
    assert frame["population"].iloc[0] == 3200.0
    assert np.isnan(frame["population"].iloc[1])
    assert frame["population"].dtype == np.float64
    assert all(g.geom_type == "Polygon" for g in frame["geometry"])
    # unchanged WGS-84 geometry: the centroid of way 594891968 computed from its OSM nodes
    c = frame["geometry"].iloc[0].centroid
    assert (c.x, c.y) == pytest.approx((116.3478610, 39.9985847), abs=1e-6)
    assert (frame["source"] == "communities_haidian.geojson").all()


def test_geojson_in_gcj02_is_converted() -> None:
    wgs = load_communities(INPUTS / "communities_haidian.geojson")
    gcj = load_communities(INPUTS / "communities_haidian.geojson", default_crs="gcj02")
    a, b = wgs["geometry"].iloc[0].centroid, gcj["geometry"].iloc[0].centroid
    # reading GCJ-02 coordinates as such moves them back by the GCJ-02 offset (~ 0.006° lon)
    assert a.x - b.x == pytest.approx(0.0062, abs=3e-4)
    assert len(gcj["geometry"].iloc[0].exterior.coords) == len(
        wgs["geometry"].iloc[0].exterior.coords
    )


def test_csv_points_in_gcj02() -> None:
    frame = load_communities(INPUTS / "communities_points.csv", default_crs="gcj02")
    assert frame["id"].tolist() == ["C1", "C2", "C3"]
    assert frame["population"].tolist()[0] == 8600.0 and np.isnan(frame["population"].iloc[1])
    expected = [(116.3500, 40.0040), (116.3560, 40.0010), (116.3520, 39.9975)]
    for geom, (lon, lat) in zip(frame["geometry"], expected, strict=True):
        assert geom.geom_type == "Point"
        assert (geom.x, geom.y) == pytest.approx((lon, lat), abs=1e-7)


def test_xlsx_with_wkt_and_points(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["社区名称", "人口", "经度", "纬度", "边界"])
    ws.append(["西兴社区", 9000, 120.20, 30.20, None])
    ws.append(
        [
            "滨和社区",
            None,
            None,
            None,
            "POLYGON ((120.21 30.21, 120.22 30.21, 120.22 30.22, 120.21 30.21))",
        ]
    )
    path = tmp_path / "c.xlsx"
    book.save(path)
    frame = load_communities(path)
    assert frame["id"].tolist() == ["C1", "C2"]
    assert frame["geometry"].iloc[0].geom_type == "Point"
    assert frame["geometry"].iloc[1].geom_type == "Polygon"
    assert frame["population"].iloc[0] == 9000.0


def test_geopackage_in_a_projected_crs(tmp_path: Path) -> None:
    # a community square written in UTM zone 50N (EPSG:32650) must come back in WGS-84
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x0, y0 = to_utm.transform(116.35, 40.0)
    square = shapely.box(x0, y0, x0 + 100.0, y0 + 100.0)
    path = tmp_path / "c.gpkg"
    pyogrio.raw.write(
        path,
        geometry=np.array([shapely.to_wkb(square)], dtype=object),
        field_data=[np.array(["静淑苑"], dtype=object), np.array([1500.0])],
        fields=["name", "population"],
        geometry_type="Polygon",
        crs="EPSG:32650",
        driver="GPKG",
    )
    frame = load_communities(path)
    geom = frame["geometry"].iloc[0]
    assert frame["name"].iloc[0] == "静淑苑" and frame["population"].iloc[0] == 1500.0
    corners = np.asarray(geom.exterior.coords)
    # the square's first corner was (116.35, 40.0); UTM → WGS-84 brings it back to < 1e-9°
    assert np.min(np.hypot(corners[:, 0] - 116.35, corners[:, 1] - 40.0)) < 1e-9


def test_real_amap_boundary_without_names_is_refused() -> None:
    # The Binjiang district boundary has an adcode but no name property.
    path = DATA / "boundary_binjiang_cnmaps" / "330108.geojson"
    with pytest.raises(DataError, match=r"330108\.geojson: feature 1: field 'name' is empty"):
        load_communities(path, default_crs="gcj02")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"name": "A", "population": -5}, r"feature 1: field 'population': must not be negative"),
        (
            {"name": "A", "人口": "many"},
            r"feature 1: field 'population': expected a number.*'many'",
        ),
        ({"population": 10}, r"feature 1: field 'name' is empty"),
        ({"name": "A", "坐标系": "utm"}, r"feature 1: unknown coordinate system 'utm'"),
    ],
)
def test_bad_properties(tmp_path: Path, props: dict[str, object], message: str) -> None:
    path = _geojson(tmp_path, [_feature(props)])
    with pytest.raises(DataError, match=message):
        load_communities(path)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no communities"):
        load_communities(_geojson(tmp_path, []))
    with pytest.raises(DataError, match="file not found"):
        load_communities(tmp_path / "absent.geojson")
    broken = tmp_path / "b.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    with pytest.raises(DataError, match="not a readable GeoJSON"):
        load_communities(broken)
    with pytest.raises(DataError, match="unsupported community file type"):
        load_communities(tmp_path / "c.kml")
    dup = _geojson(tmp_path, [_feature({"name": "A", "id": 1}), _feature({"name": "B", "id": 1})])
    with pytest.raises(DataError, match=r"feature 2: duplicate id '1' \(also feature 1\)"):
        load_communities(dup)
    far = _geojson(tmp_path, [_feature({"name": "A"}, lon=-0.12, lat=51.5)])
    with pytest.raises(DataError, match=r"feature 1: position .* is outside China"):
        load_communities(far)
    line = tmp_path / "l.geojson"
    line.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "A"},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[116.3, 40], [116.4, 40]],
                        },
                    }
                ],
            }
        ),
        "utf-8",
    )
    with pytest.raises(DataError, match="geometry type LineString not supported"):
        load_communities(line)
    csv = tmp_path / "c.csv"
    csv.write_text("社区名称,人口\nA,100\n", "utf-8")
    with pytest.raises(DataError, match="missing columns lon/lat"):
        load_communities(csv)
    csv.write_text("社区名称,经度,纬度\nA,116.3,abc\n", "utf-8")
    with pytest.raises(DataError, match=r"row 2: column '纬度': expected a number"):
        load_communities(csv)
    csv.write_text("社区名称,经度,纬度\n", "utf-8")
    with pytest.raises(DataError, match="no data rows"):
        load_communities(csv)
    bad_gpkg = tmp_path / "x.gpkg"
    bad_gpkg.write_bytes(b"not a database")
    with pytest.raises(DataError, match="not a readable GeoPackage"):
        load_communities(bad_gpkg)


def test_self_intersecting_polygon_is_repaired(tmp_path: Path) -> None:
    bowtie = {
        "type": "Feature",
        "properties": {"name": "A"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[116.35, 40.0], [116.36, 40.01], [116.36, 40.0], [116.35, 40.01], [116.35, 40.0]]
            ],
        },
    }
    frame = load_communities(_geojson(tmp_path, [bowtie]))
    geom = frame["geometry"].iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"


def test_population_as_spreadsheets_write_it(tmp_path: Path) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text('社区名称,常住人口,经纬度\n西陵社区,"8,600人",120.20 30.20\n', "utf-8")
    frame = load_communities(csv)
    assert frame["population"].tolist() == [8600.0]
    point = frame["geometry"].iloc[0]
    assert (point.x, point.y) == (120.20, 30.20)


def test_gbk_geojson(tmp_path: Path) -> None:
    path = tmp_path / "gbk.geojson"
    doc = {"type": "FeatureCollection", "features": [_feature({"名称": "西兴社区", "人口": 100})]}
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("gbk"))
    assert load_communities(path)["name"].tolist() == ["西兴社区"]
