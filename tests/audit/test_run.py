"""The whole audit on a real extract, cross-checked against networkx on the same graph."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from wanzheng.audit.result import AuditResult
from wanzheng.audit.run import DEFAULT_MAX_SNAP_M, run_audit
from wanzheng.data.osm import OsmExtract, load_osm
from wanzheng.errors import DataError
from wanzheng.network.graph import build_graph
from wanzheng.network.snapping import snap
from wanzheng.standards import Catalogue, load_catalogue, load_kind_rules


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def extract(cau_pbf: Path) -> OsmExtract:
    return load_osm(cau_pbf, rules=load_kind_rules())


@pytest.fixture(scope="module")
def result(extract: OsmExtract, catalogue: Catalogue) -> AuditResult:
    return run_audit(extract, catalogue=catalogue)


def test_one_row_per_community_and_columns(result: AuditResult, catalogue: Catalogue) -> None:
    table = result.communities
    assert len(table) == 11  # 12 landuse=residential objects, one a point (dropped)
    for kind in catalogue.audited:
        for suffix in ("distance_m", "walk_min", "status", "nearest_id", "nearest_name"):
            assert f"{kind.key}_{suffix}" in table.columns
    assert set(table["verdict"]) <= {"complete", "incomplete", "undetermined"}
    assert result.sources["n_nodes"] == 1409
    assert result.sources["catalogue_version"] == catalogue.version


def test_a_point_is_not_a_community(result: AuditResult) -> None:
    # node 2943228133, a library tagged landuse=residential on a single point: no area, so no
    # community; it is listed with why, and a community file may still give points
    dropped = result.dropped_communities
    assert dropped["id"].tolist() == ["n2943228133"]
    assert dropped["name"].tolist() == ["中国农业大学图书馆（东区）"]
    assert "没有范围" in dropped["reason"].iloc[0]
    assert "n2943228133" not in set(result.communities["id"])
    assert result.sources["n_dropped_communities"] == 1


def test_communities_with_area_keeps_polygons_only() -> None:
    import shapely

    from wanzheng.audit.run import communities_with_area

    found = pd.DataFrame(
        {
            "id": ["w1", "n2", "w3"],
            "name": ["甲小区", "某图书馆", "乙小区"],
            "source": ["landuse", "landuse", "place"],
            "geometry": [
                shapely.box(0, 0, 1, 1),
                shapely.Point(2, 2),
                shapely.Polygon([(0, 0), (1, 1), (2, 2)]),  # zero area
            ],
        }
    )
    kept, dropped = communities_with_area(found)
    assert kept["id"].tolist() == ["w1"]
    assert dropped["id"].tolist() == ["n2", "w3"]
    assert dropped["reason"].str.len().gt(0).all()


def test_statuses_follow_thresholds_and_data(result: AuditResult, catalogue: Catalogue) -> None:
    table = result.communities
    cov = result.coverage.set_index("kind")
    for kind in catalogue.audited:
        d = table[f"{kind.key}_distance_m"].to_numpy(float)
        st = table[f"{kind.key}_status"].to_numpy(object)
        assert kind.threshold_m is not None
        assert ((d <= kind.threshold_m) == (st == "met")).all()
        if not cov.loc[kind.key, "has_data"]:
            assert set(st) == {"no_data"}  # unknown is not absent
        else:
            assert "no_data" not in set(st)
    # minutes are derived at the catalogue's walking speed
    d = table["kindergarten_distance_m"].to_numpy(float)
    m = table["kindergarten_walk_min"].to_numpy(float)
    ok = np.isfinite(d)
    assert np.allclose(m[ok], d[ok] / catalogue.walk_speed_m_per_min)


def test_distances_equal_networkx_on_the_same_graph(
    extract: OsmExtract, catalogue: Catalogue, result: AuditResult
) -> None:
    """Rebuild graph + snapping and compute every distance with networkx Dijkstra."""
    graph = build_graph(extract)
    fac = result.facilities
    audited = extract.communities[extract.communities["id"].isin(result.communities["id"])]
    geoms = np.asarray(audited["geometry"].to_numpy(), dtype=object)
    pts = shapely.point_on_surface(geoms)
    g2, (fs, os_) = snap(
        graph,
        [
            (fac["lon"].to_numpy(float), fac["lat"].to_numpy(float)),
            (shapely.get_x(pts), shapely.get_y(pts)),
        ],
        max_leg_m=DEFAULT_MAX_SNAP_M,
    )
    nxg = nx.Graph()
    for u in range(len(g2.indptr) - 1):
        for p in range(g2.indptr[u], g2.indptr[u + 1]):
            v = int(g2.indices[p])
            w = float(g2.weight_m[p])
            if not nxg.has_edge(u, v) or nxg[u][v]["weight"] > w:
                nxg.add_edge(u, v, weight=w)
    checked = 0
    for kind in ("kindergarten", "barber", "convenience_store", "bus_stop", "junior_high"):
        rows = np.flatnonzero((fac["kind"] == kind).to_numpy() & (fs.node >= 0))
        assert rows.size, kind
        h = nxg.copy()
        for r in rows:  # a super source with the facility's leg as the edge weight
            h.add_edge(("src", int(r)), int(fs.node[r]), weight=float(fs.leg_m[r]))
            h.add_edge("S", ("src", int(r)), weight=0.0)
        dist = nx.single_source_dijkstra_path_length(h, "S", weight="weight")
        got = result.communities[f"{kind}_distance_m"].to_numpy(float)
        for i, node in enumerate(os_.node):
            expected = dist.get(int(node), np.inf) + float(os_.leg_m[i]) if node >= 0 else np.inf
            if expected <= catalogue.max_threshold_m:
                assert got[i] == pytest.approx(expected, abs=0.01), (kind, i)
                checked += 1
            else:
                assert not np.isfinite(got[i]) or got[i] > catalogue.max_threshold_m - 1e-6
    assert checked >= 20


def test_nearest_facility_named(result: AuditResult) -> None:
    table = result.communities
    met = table["kindergarten_status"] == "met"
    assert met.any()
    names = set(result.facilities.loc[result.facilities["kind"] == "kindergarten", "name"])
    assert set(table.loc[met, "kindergarten_nearest_name"]) <= names


def test_population_is_estimated_and_said(result: AuditResult) -> None:
    table = result.communities
    assert (table["population_source"] == "estimated").sum() >= 8
    assert (table.loc[table["population_source"] == "estimated", "population"] > 0).all()
    share = result.coverage["population_share"].to_numpy(float)
    assert ((share >= 0) & (share <= 1)).all()


def test_confidence_of_missing(result: AuditResult) -> None:
    cov = result.coverage.set_index("kind")
    assert cov.loc["nursery", "confidence"] == "none"
    assert cov.loc["bus_stop", "confidence"] == "medium"
    assert cov.loc["supermarket", "confidence"] == "low"


def test_given_communities_and_empty_file(extract: OsmExtract, catalogue: Catalogue) -> None:
    comms = pd.DataFrame(
        {
            "id": ["a"],
            "name": ["测试社区"],
            "population": [5000.0],
            "geometry": [shapely.Point(116.3494, 40.0021)],
        }
    )
    res = run_audit(extract, catalogue=catalogue, communities=comms)
    assert res.communities["population"].tolist() == [5000.0]
    assert res.communities["population_source"].tolist() == ["given"]
    with pytest.raises(DataError, match="no residential communities"):
        run_audit(extract, catalogue=catalogue, communities=comms.iloc[0:0])


def test_buildings_as_origins(extract: OsmExtract, catalogue: Catalogue) -> None:
    res = run_audit(extract, catalogue=catalogue, origins="buildings")
    table = res.communities
    assert res.sources["origins"] == "buildings"
    assert res.sources["n_origin_buildings"] > 30
    cov = res.coverage.set_index("kind")
    for kind in catalogue.audited:
        share = table[f"{kind.key}_share_within"].to_numpy(float)
        status = table[f"{kind.key}_status"].to_numpy(object)
        has = np.isfinite(share)
        if not cov.loc[kind.key, "has_data"]:
            assert not has.any()  # unknown, not zero
            continue
        assert has.sum() >= 8
        assert ((share[has] >= 0) & (share[has] <= 1)).all()
        # the weighted median is within the threshold exactly when at least half are
        assert ((share[has] >= 0.5) == (status[has] == "met")).all(), kind.key


def test_verdict_counts_only_complete_community_kinds(
    result: AuditResult, catalogue: Catalogue
) -> None:
    table = result.communities
    decides = [k.key for k in catalogue.audited if k.in_verdict]
    wider = [k.key for k in catalogue.audited if not k.in_verdict]
    assert "junior_high" in wider and "kindergarten" in decides
    for _, row in table.iterrows():
        missing = [k for k in decides if row[f"{k}_status"] == "missing"]
        assert row["missing"] == ";".join(missing)
        assert (row["verdict"] == "incomplete") == bool(missing)
        assert row["missing_life_circle"] == ";".join(
            k for k in wider if row[f"{k}_status"] == "missing"
        )
        assert row["met"] == sum(row[f"{k}_status"] == "met" for k in decides)


def test_edge_of_the_data_is_flagged(result: AuditResult, catalogue: Catalogue) -> None:
    table = result.communities
    thr = {k.key: k.threshold_m for k in catalogue.audited}
    assert (table["edge_distance_m"] >= 0).all()
    for _, row in table.iterrows():
        flagged = [k for k in row["edge_uncertain_kinds"].split(";") if k]
        assert row["edge_uncertain"] is (flagged != [])  # a flag, the kinds beside it
        expected = [
            k for k in thr if row[f"{k}_status"] == "missing" and thr[k] > row["edge_distance_m"]
        ]
        assert flagged == expected
    # a community deep inside the 1.3 km box has fewer doubts than one on its edge
    deep = table.loc[table["edge_distance_m"].idxmax()]
    assert deep["edge_distance_m"] > 300
