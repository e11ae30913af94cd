"""The analyst's API used as in a notebook: ``wanzheng.audit`` and ``wanzheng.load_osm`` on the
real CAU extract with the shipped sample ledger, checked against independent computations
(projected lengths, the OSM file read on its own, the files written read back)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import wanzheng

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LEDGER = ROOT / "src" / "wanzheng" / "datasets" / "haidian_cau_ledger_sample.csv"
UTM50N = "EPSG:32650"  # metres, Beijing's UTM zone


@pytest.fixture(scope="module")
def audit(cau_pbf: Path) -> wanzheng.Audit:
    return wanzheng.audit(cau_pbf, ledger=SAMPLE_LEDGER)


@pytest.fixture(scope="module")
def osm(cau_pbf: Path) -> wanzheng.OsmData:
    return wanzheng.load_osm(cau_pbf)


def test_tables_are_geodataframes_in_wgs84(audit: wanzheng.Audit) -> None:
    for table in (audit.communities, audit.facilities, audit.network, audit.buildings):
        assert isinstance(table, gpd.GeoDataFrame)
        assert table.crs is not None and table.crs.to_epsg() == 4326
        assert len(table) > 0 and table.geometry.notna().all()
    assert set(audit.communities.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(audit.facilities.geom_type) == {"Point"}
    assert set(audit.network.geom_type) == {"LineString"}
    # a point is where the table says it is
    first = audit.facilities.iloc[0]
    assert (first.geometry.x, first.geometry.y) == (first["lon"], first["lat"])


def test_network_lengths_agree_with_projected_geometry(audit: wanzheng.Audit) -> None:
    """``length_m`` (the engine's) against the geometry's length in UTM metres (geopandas)."""
    projected = audit.network.to_crs(UTM50N).length
    ratio = projected / audit.network["length_m"]
    assert ratio.between(0.995, 1.005).all(), ratio.describe()
    assert audit.network["length_m"].sum() > 10_000  # tens of km of walkable ways


def test_communities_are_the_extracts_residential_areas(
    audit: wanzheng.Audit, osm: wanzheng.OsmData
) -> None:
    """Read on its own, the file's residential areas are the audited communities; its
    residential points are the dropped ones."""
    areas = osm.communities[osm.communities.geom_type.isin(["Polygon", "MultiPolygon"])]
    points = osm.communities[osm.communities.geom_type == "Point"]
    assert sorted(audit.communities["id"]) == sorted(areas["id"])
    assert sorted(audit.dropped_communities["id"]) == sorted(points["id"])
    mine = audit.communities.set_index("id").geometry
    for row in areas.itertuples():
        assert shapely.equals(mine[row.id], row.geometry)


def test_facilities_come_from_the_file_and_the_ledger(
    audit: wanzheng.Audit, osm: wanzheng.OsmData
) -> None:
    by_source = audit.facilities.groupby("source")["id"].agg(set)
    assert by_source["osm"] <= set(osm.facilities["id"])
    ledger_rows = pd.read_csv(SAMPLE_LEDGER)
    assert 0 < len(by_source["ledger"]) <= len(ledger_rows)
    # the nearest facility a community names is a facility of the table, of that kind
    kinds = set(audit.kinds["key"])
    ids = audit.facilities.groupby("kind")["id"].agg(set)
    named = 0
    for kind in kinds:
        column = f"{kind}_nearest_id"
        if column not in audit.communities:
            continue
        for value in audit.communities[column].dropna():
            if value:
                assert value in ids[kind], (kind, value)
                named += 1
    assert named > 10


def test_a_spatial_join_works_on_the_tables(audit: wanzheng.Audit) -> None:
    """What an analyst does next: facilities inside each community, with geopandas."""
    joined = gpd.sjoin(audit.facilities, audit.communities[["id", "geometry"]], predicate="within")
    inside = joined.groupby("id_right").size()
    # an independent count with shapely, community by community
    for cid, geom in zip(audit.communities["id"], audit.communities.geometry, strict=True):
        expected = int(shapely.contains(geom, audit.facilities.geometry.to_numpy()).sum())
        assert int(inside.get(cid, 0)) == expected


def test_to_files_writes_what_wanzheng_audit_writes(audit: wanzheng.Audit, tmp_path: Path) -> None:
    files = audit.to_files(tmp_path / "out")
    assert files.report_html.is_file() and files.gpkg.is_file()
    back = pd.read_csv(files.communities_csv, dtype={"id": str})
    assert dict(zip(back["id"], back["verdict"], strict=True)) == dict(
        zip(audit.communities["id"], audit.communities["verdict"], strict=True)
    )
    layer = gpd.read_file(files.gpkg, layer="communities")
    assert layer.crs.to_epsg() == 4326 and len(layer) == len(audit.communities)
    # a second call replaces the folder of earlier outputs
    assert audit.to_files(tmp_path / "out").report_html.is_file()


def test_bad_input_is_a_wanzheng_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(wanzheng.WanzhengError, match=r"nowhere\.osm\.pbf"):
        wanzheng.audit(missing)
    bad = tmp_path / "ledger.csv"
    bad.write_text("名称,类别,经度,纬度\n幼儿园,幼儿园,abc,39.9\n", encoding="utf-8")
    with pytest.raises(wanzheng.WanzhengError, match=r"nowhere\.osm\.pbf"):
        wanzheng.load_osm(missing)
    with pytest.raises(wanzheng.DataError, match=r"ledger\.csv: row 2"):
        wanzheng.audit(ROOT / "tests/data/osm_bj_haidian_cau_2026/map.osm.pbf", ledger=bad)


def test_import_wanzheng_loads_no_pandas_or_geopandas() -> None:
    code = (
        "import sys, wanzheng\n"
        "assert callable(wanzheng.load_osm)\n"
        "print(sorted(m for m in ('pandas', 'geopandas', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_wanzheng_audit_is_both_the_function_and_the_subpackage() -> None:
    """``wanzheng.audit`` stays callable after the subpackage is imported, in a fresh process."""
    code = (
        "import wanzheng.audit.result, wanzheng\n"
        "assert callable(wanzheng.audit)\n"
        "assert wanzheng.audit.AuditResult is wanzheng.audit.result.AuditResult\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_version_is_the_packages() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert wanzheng.__version__ == meta["project"]["version"]


def test_kind_details_agree_in_report_dashboard_and_read_back(
    audit: wanzheng.Audit, tmp_path: Path
) -> None:
    """One source for what a kind is: the report's kinds, the dashboard's (live and read back
    from the folder) and the catalogue fallback for folders without them are the same rows."""
    from wanzheng.data.audit_output import KIND_COLUMNS, _kinds_from_catalogue, load_audit_output
    from wanzheng.report._common import kind_infos
    from wanzheng.web.audit_view import AuditView

    def rows(records: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [tuple(r[c] for c in KIND_COLUMNS) for r in records]

    report = rows([dataclasses.asdict(k) for k in kind_infos(audit.result)])
    live = rows(AuditView.from_result(audit.result).kinds_json())
    audit.to_files(tmp_path / "out")
    back = rows(AuditView.from_output(load_audit_output(tmp_path / "out")).kinds_json())
    fallback = rows(_kinds_from_catalogue(list(audit.kinds["key"])).to_dict("records"))
    assert len(report) == len(audit.kinds) > 10
    assert report == live == back == fallback
