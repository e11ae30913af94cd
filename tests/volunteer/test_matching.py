"""Walking distances to a task's place on a hand-checkable network, checked against the sums
written by hand and against scipy's Dijkstra on the same edge list."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import scipy.sparse
from scipy.sparse.csgraph import dijkstra
from volunteerfixtures import EDGES, WALK_FROM_T, A, B, C, T, hand_network

from wanzheng.errors import DataError
from wanzheng.volunteer.matching import WalkingMatcher
from wanzheng.volunteer.registry import BEIJING, available, grid_home, parse_slots


def test_distances_from_home_grids_match_hand_sums_and_dijkstra() -> None:
    matcher = WalkingMatcher.from_network(hand_network())
    homes = np.array([A, B, C])
    got = matcher.distances_m(homes[:, 0], homes[:, 1], *T)
    assert np.allclose(got, [WALK_FROM_T["A"], WALK_FROM_T["B"], WALK_FROM_T["C"]], atol=1e-6)

    # independent: scipy's Dijkstra over the raw edge list
    nodes = sorted({p for u, v, _ in EDGES for p in (u, v)})
    at = {p: i for i, p in enumerate(nodes)}
    rows = [at[u] for u, v, _ in EDGES]
    cols = [at[v] for u, v, _ in EDGES]
    graph = scipy.sparse.csr_array(([m for *_, m in EDGES], (rows, cols)), shape=(5, 5))
    ref = dijkstra(graph, directed=False, indices=at[T])
    assert np.allclose(got, [ref[at[A]], ref[at[B]], ref[at[C]]])

    # a cutoff leaves the walks beyond it unknown
    cut = matcher.distances_m(homes[:, 0], homes[:, 1], *T, cutoff_m=1000)
    assert cut[0] == 750 and cut[1] == 550 and np.isinf(cut[2])


def test_home_points_slots_and_availability() -> None:
    # the default grids' centroids are the hand network's nodes
    assert np.allclose(
        grid_home(
            "POLYGON ((116.345 40.000, 116.355 40.000, 116.355 40.010, "
            "116.345 40.010, 116.345 40.000))"
        ),
        A,
    )
    slots = parse_slots("周三 08:00-12:00；6 9:00-17:00")
    assert slots == [
        {"day": 3, "start": "08:00", "end": "12:00"},
        {"day": 6, "start": "09:00", "end": "17:00"},
    ]
    wed = dt.datetime(2026, 9, 23, 10, 0, tzinfo=BEIJING)  # a Wednesday
    assert available(slots, wed, wed + dt.timedelta(hours=2))
    assert not available(slots, wed, wed + dt.timedelta(hours=2, minutes=1))
    assert not available(slots, wed + dt.timedelta(days=1), wed + dt.timedelta(days=1, hours=1))
    for bad, said in [
        ("周八 08:00-12:00", "slot 1"),
        ("3 12:00-08:00", "not after"),
        ("3 25:00-26:00", "HH:MM"),
    ]:
        with pytest.raises(DataError, match=said):
            parse_slots(bad)
