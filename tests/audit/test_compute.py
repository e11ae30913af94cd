"""Hand-checkable tests of the audit's pure computations."""

from __future__ import annotations

import numpy as np
import pytest

from wanzheng.audit.compute import area_coverage, kind_statuses, origin_distances, verdicts

INF = np.inf


def test_origin_distances_add_leg_and_keep_source() -> None:
    # 2 kinds, 4 nodes
    node_d = np.array([[0.0, 100.0, 250.0, INF], [50.0, INF, 10.0, 20.0]])
    node_s = np.array([[0, 0, 1, -1], [2, -1, 3, 3]])
    d, s = origin_distances(node_d, node_s, np.array([1, 2, -1, 3]), np.array([5.0, 0.0, 1.0, 2.5]))
    assert d.tolist() == [[105.0, INF], [250.0, 10.0], [INF, INF], [INF, 22.5]]
    assert s.tolist() == [[0, -1], [1, 3], [-1, -1], [-1, 3]]


def test_statuses_threshold_inclusive_and_unknown_is_not_absent() -> None:
    d = np.array([[300.0, 900.0, 10.0], [300.001, 100.0, INF]])
    st = kind_statuses(d, [300.0, 500.0, 1000.0], [True, True, False])
    assert st.tolist() == [["met", "missing", "met"], ["missing", "met", "no_data"]]
    assert verdicts(st) == ["incomplete", "incomplete"]
    assert verdicts(np.array([["met", "no_data"], ["met", "met"]], dtype=object)) == [
        "undetermined",
        "complete",
    ]


def test_area_coverage_population_weighted() -> None:
    st = np.array([["met", "missing"], ["missing", "met"], ["met", "met"]], dtype=object)
    cov = area_coverage(st, np.array([1000.0, 3000.0, np.nan]), ["a", "b"])
    assert cov["communities_met"].tolist() == [2, 2]
    assert cov["population_share"].tolist() == pytest.approx([0.25, 0.75])
    assert cov["population_total"].tolist() == [4000.0, 4000.0]


def test_group_weighted_median_and_share() -> None:
    from wanzheng.audit.compute import group_share_within, group_weighted_median

    # group 0: buildings weighing 1, 1, 2 at 100, 400, 250 m; group 1: one at inf; 2: empty
    d = np.array([[100.0], [400.0], [250.0], [INF]])
    w = np.array([1.0, 1.0, 2.0, 5.0])
    g = np.array([0, 0, 0, 1])
    med, member = group_weighted_median(d, w, g, 3)
    # sorted: 100 (w1), 250 (w2) -> cumulative 3 >= half (2) at 250
    assert med[0, 0] == 250.0 and member[0, 0] == 2
    assert med[1, 0] == INF and member[1, 0] == 3
    assert np.isnan(med[2, 0]) and member[2, 0] == -1
    share = group_share_within(d, w, g, 3, [300.0])
    assert share[0, 0] == pytest.approx(0.75)
    assert share[1, 0] == 0.0
    assert np.isnan(share[2, 0])
