"""Reading an audit output directory back (``wanzheng.data.audit_output``), on a GeoPackage
written here by hand: two communities, one facility, a straight street of two edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely

from wanzheng.data.audit_output import DASHBOARD_LAYER, load_audit_output
from wanzheng.errors import DataError, NotFoundError
from wanzheng.standards import load_catalogue


def _write(
    gpkg: Path,
    *,
    network: bool = True,
    dashboard: str | None = None,
    edge: tuple[str, ...] | None = None,
) -> None:
    squares = [
        shapely.box(116.30, 39.90, 116.301, 39.901),
        shapely.box(116.302, 39.90, 116.303, 39.901),
    ]
    fields = [
        np.array(["c1", "c2"], dtype=object),
        np.array(["东区", "西区"], dtype=object),
        np.array([1200.0, 800.0]),
        np.array(["complete", "incomplete"], dtype=object),
        np.array(["met", "missing"], dtype=object),
        np.array(["120.5", ""], dtype=object),
    ]
    names = [
        "id",
        "name",
        "population",
        "verdict",
        "kindergarten_status",
        "kindergarten_distance_m",
    ]
    if edge is not None:  # an audit written when `edge_uncertain` held the kinds
        fields.append(np.array(edge, dtype=object))
        names.append("edge_uncertain")
    pyogrio.raw.write(
        gpkg,
        shapely.to_wkb(np.array(squares, dtype=object)),
        fields,
        names,
        layer="communities",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    pyogrio.raw.write(
        gpkg,
        shapely.to_wkb(np.array([shapely.Point(116.3005, 39.9002)], dtype=object)),
        [
            np.array(["k1"], dtype=object),
            np.array(["向阳幼儿园"], dtype=object),
            np.array(["kindergarten"], dtype=object),
            np.array([116.3005]),
            np.array([39.9002]),
            np.array(["osm"], dtype=object),
        ],
        ["id", "name", "kind", "lon", "lat", "source"],
        layer="facilities",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    if network:
        lines = [
            shapely.LineString([(116.300, 39.8995), (116.301, 39.8995)]),
            shapely.LineString([(116.301, 39.8995), (116.303, 39.8995)]),
        ]
        pyogrio.raw.write(
            gpkg,
            shapely.to_wkb(np.array(lines, dtype=object)),
            [np.array([85.4, 170.8]), np.array(["footway", "residential"], dtype=object)],
            ["length_m", "highway"],
            layer="network",
            driver="GPKG",
            geometry_type="LineString",
            crs="EPSG:4326",
        )
    if dashboard is not None:
        pyogrio.raw.write(
            gpkg,
            None,
            [np.array(["kinds"], dtype=object), np.array([dashboard], dtype=object)],
            ["name", "json"],
            layer=DASHBOARD_LAYER,
            driver="GPKG",
        )


def test_a_plain_output_reads_back_with_catalogue_kinds(tmp_path: Path) -> None:
    _write(tmp_path / "audit.gpkg")
    out = load_audit_output(tmp_path)
    comm = out.communities
    assert list(comm["id"]) == ["c1", "c2"]
    # the origin lies inside its community's polygon
    for geom, lon, lat in zip(
        comm["geometry"], comm["origin_lon"], comm["origin_lat"], strict=True
    ):
        assert geom.contains(shapely.Point(lon, lat))
    assert comm["kindergarten_distance_m"].iloc[0] == 120.5
    assert np.isnan(comm["kindergarten_distance_m"].iloc[1])
    assert out.network[["lon_u", "lon_v"]].to_numpy().tolist() == [
        [116.300, 116.301],
        [116.301, 116.303],
    ]
    assert out.network["length_m"].tolist() == [85.4, 170.8]
    assert out.network["name"].tolist() == ["", ""]  # written before street names were kept
    cat = load_catalogue()
    assert out.kinds["key"].tolist() == ["kindergarten"]
    assert out.kinds["name_zh"].iloc[0] == cat.kind("kindergarten").name_zh
    assert out.coverage is None  # not stored: the caller computes it
    assert out.sources["walk_speed_m_per_min"] == cat.walk_speed_m_per_min
    assert len(out.evidence) == 0 and len(out.buildings) == 0
    assert list(tmp_path.iterdir()) == [tmp_path / "audit.gpkg"]  # no GDAL side files


def test_an_older_output_with_the_kinds_in_edge_uncertain_reads_as_flag_and_kinds(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "audit.gpkg", edge=("", "kindergarten"))
    comm = load_audit_output(tmp_path).communities
    assert comm["edge_uncertain"].tolist() == [False, True]
    assert comm["edge_uncertain_kinds"].tolist() == ["", "kindergarten"]


def test_missing_directory_layer_or_bad_json_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no audit output here"):
        load_audit_output(tmp_path / "nowhere")
    (tmp_path / "a").mkdir()
    _write(tmp_path / "a" / "audit.gpkg", network=False)
    with pytest.raises(DataError, match="layer 'network' is missing"):
        load_audit_output(tmp_path / "a")
    (tmp_path / "b").mkdir()
    _write(tmp_path / "b" / "audit.gpkg", dashboard="[{not json")
    with pytest.raises(DataError, match=r"layer 'dashboard': row 'kinds': column 'json'"):
        load_audit_output(tmp_path / "b")
