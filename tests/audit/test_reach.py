"""Walking reach on an audit's edge table (``wanzheng.audit.reach``), on a hand-checkable
street: four nodes on one parallel, edges of 100 m, 100 m and 200 m (lengths as given)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wanzheng.audit.compute import kind_coverage
from wanzheng.audit.reach import CommunityReach, graph_from_edges
from wanzheng.errors import DataError

LAT = 39.9
LON = [116.300, 116.301, 116.302, 116.304]


def _network() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lon_u": LON[:3],
            "lat_u": [LAT] * 3,
            "lon_v": LON[1:],
            "lat_v": [LAT] * 3,
            "length_m": [100.0, 100.0, 200.0],
            "highway": ["footway"] * 3,
        }
    )


def test_graph_nodes_are_the_distinct_edge_ends() -> None:
    graph = graph_from_edges(_network())
    assert graph is not None
    assert graph.n_nodes == 4
    assert sorted(np.round(graph.weight_m, 6).tolist()) == [100.0] * 4 + [200.0] * 2
    assert graph_from_edges(_network().iloc[:0]) is None


def test_reach_spends_the_leg_first_and_cuts_the_edge_where_the_budget_ends() -> None:
    # origin at the first node exactly (leg 0) and one 10 m south of the third node
    r = CommunityReach.from_network(
        _network(), np.array([LON[0], LON[2]]), np.array([LAT, LAT - 10 / 111_000])
    )
    assert r.origin_leg_m[0] == pytest.approx(0.0, abs=1e-6)
    assert r.origin_leg_m[1] == pytest.approx(10.0, rel=0.01)
    (iso,) = r.isochrones(0, [150.0], buffer_m=10.0)
    assert iso.length_m == pytest.approx(150.0, rel=1e-6)  # 100 m edge + half of the next
    short, long_ = r.isochrones(1, [60.0, 1000.0], buffer_m=10.0)
    # 60 m budget − 10 m leg = 50 m each way from the third node
    assert short.length_m == pytest.approx(100.0, rel=0.02)
    assert long_.length_m == pytest.approx(400.0, rel=1e-6)  # the whole street
    # the band: drawn street length (metres in the projection) × 2 × 10 m + the round ends
    assert r.graph is not None
    drawn_m = float(r.graph.x.max() - r.graph.x.min())
    assert r.area_m2(long_.polygon) == pytest.approx(drawn_m * 20 + np.pi * 100, rel=0.01)
    with pytest.raises(DataError, match="community index 2"):
        r.isochrones(2, [100.0], buffer_m=10.0)


def test_no_walkable_network_reaches_nothing() -> None:
    r = CommunityReach.from_network(_network().iloc[:0], np.array([LON[0]]), np.array([LAT]))
    assert r.origin_node.tolist() == [-1]
    assert r.isochrones(0, [100.0], buffer_m=10.0) == []


def test_kind_coverage_weights_by_population() -> None:
    comm = pd.DataFrame(
        {
            "population": [1000.0, 3000.0, np.nan],
            "a_status": ["met", "missing", "met"],
            "b_status": ["no_data", "met", "met"],
        }
    )
    fac = pd.DataFrame({"kind": ["a", "a", "b"]})
    kinds = pd.DataFrame(
        {
            "key": ["a", "b"],
            "name_zh": ["甲", "乙"],
            "name_en": ["A", "B"],
            "tier": ["5min", "10min"],
            "threshold_m": [300.0, 500.0],
            "verified": [True, True],
        }
    )
    cov = kind_coverage(comm, fac, kinds)
    assert cov["kind"].tolist() == ["a", "b"]
    assert cov["facilities"].tolist() == [2, 1]
    assert cov["population_share"].tolist() == [0.25, 0.75]
    assert cov["communities_met"].tolist() == [2, 2]
