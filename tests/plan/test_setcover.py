"""The set-covering heuristic (reductions + Lagrangian) against optima known by enumeration.

Every cover it returns must cover every row, and its bound must be a bound:
``bound <= optimum <= cost``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wanzheng.plan import LSCP, SitingProblem
from wanzheng.plan.setcover import lagrangian_set_cover


def incidence(sets: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of a matrix given as the rows each column covers."""
    rows = [r for col in sets for r in col]
    cols = [j for j, col in enumerate(sets) for _ in col]
    return np.asarray(rows, np.int64), np.asarray(cols, np.int64)


def covers(rows: np.ndarray, cols: np.ndarray, n_rows: int, chosen: np.ndarray) -> bool:
    picked = np.isin(cols, chosen)
    return bool(np.isin(np.arange(n_rows), rows[picked]).all())


def optimum(rows: np.ndarray, cols: np.ndarray, n_rows: int, cost: np.ndarray) -> float:
    """Least cost over every subset of columns that covers all rows (rows as bits)."""
    n = cost.shape[0]
    mask = [0] * n
    for r, j in zip(rows.tolist(), cols.tolist(), strict=True):
        mask[j] |= 1 << r
    full = (1 << n_rows) - 1
    best = np.inf
    for q in range(n + 1):
        for c in itertools.combinations(range(n), q):
            got = 0
            for j in c:
                got |= mask[j]
            if got == full:
                best = min(best, float(cost[list(c)].sum()))
    return float(best)


def cycle(n: int) -> list[list[int]]:
    """Vertex cover of a cycle as set cover: column v covers edges (v-1, v) and (v, v+1)."""
    return [[(v - 1) % n, v] for v in range(n)]


def test_line_of_villages_is_solved_by_the_reductions_alone() -> None:
    # villages 0..6 on a line 100 m apart, a site at every village reaching 100 m: the end
    # villages' sets are dominated by their neighbours', so 1, 4 (or 2/4/5 …) — 3 sites
    x = np.arange(7) * 100.0
    d = np.abs(x[:, None] - x[None, :])
    rows, cols = np.nonzero(d <= 100.0)
    r = lagrangian_set_cover(rows, cols, np.ones(7), n_rows=7)
    assert r.cost == 3.0 == optimum(rows, cols, 7, np.ones(7))
    assert r.bound == 3.0
    assert r.core_rows == 0 and r.steps == 0  # nothing left for the Lagrangian
    assert covers(rows, cols, 7, r.columns)


@pytest.mark.parametrize(("n", "best"), [(5, 3.0), (7, 4.0), (9, 5.0)])
def test_odd_cycle_needs_the_lagrangian_and_its_bound_rounds_up_to_the_optimum(
    n: int, best: float
) -> None:
    # no reduction applies to an odd cycle; the LP optimum is n/2, so the rounded bound is tight
    rows, cols = incidence(cycle(n))
    r = lagrangian_set_cover(rows, cols, np.ones(n), n_rows=n)
    assert r.core_rows == n and r.core_columns == n
    assert r.cost == best == optimum(rows, cols, n, np.ones(n))
    assert r.bound == best
    assert covers(rows, cols, n, r.columns)


def test_petersen_graph_bound_stays_below_the_optimum() -> None:
    # vertex cover of the Petersen graph: optimum 6 (10 − independence number 4), LP 5
    edges = [(i, (i + 1) % 5) for i in range(5)]
    edges += [(i, i + 5) for i in range(5)]
    edges += [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
    sets = [[e for e, (a, b) in enumerate(edges) if v in (a, b)] for v in range(10)]
    rows, cols = incidence(sets)
    r = lagrangian_set_cover(rows, cols, np.ones(10), n_rows=15)
    assert optimum(rows, cols, 15, np.ones(10)) == 6.0
    assert r.cost == 6.0
    assert 4.0 < r.bound <= 5.0  # the LP bound (5) is the best any Lagrangian can prove
    assert covers(rows, cols, 15, r.columns)


def test_a_row_without_a_column_has_no_cover() -> None:
    rows, cols = incidence([[0], [0, 1]])
    r = lagrangian_set_cover(rows, cols, np.ones(2), n_rows=3)
    assert not r.feasible
    assert r.bound == -np.inf


def test_nothing_to_cover_costs_nothing() -> None:
    r = lagrangian_set_cover(np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones(3), n_rows=0)
    assert r.feasible and r.cost == 0.0 and r.bound == 0.0 and r.columns.shape == (0,)


@pytest.mark.parametrize("seed", range(40))
def test_bound_optimum_cost_in_order_on_random_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(6, 22)), int(rng.integers(4, 13))
    a = rng.random((n_rows, n_cols)) < rng.uniform(0.15, 0.45)
    a[np.arange(n_rows), rng.integers(0, n_cols, n_rows)] = True  # every row coverable
    rows, cols = np.nonzero(a)
    kind = seed % 3
    if kind == 0:
        cost = np.ones(n_cols)
    elif kind == 1:
        cost = rng.integers(1, 9, n_cols).astype(float)
    else:
        cost = rng.uniform(0.5, 4.0, n_cols)
    r = lagrangian_set_cover(rows, cols, cost, n_rows=n_rows)
    best = optimum(rows, cols, n_rows, cost)
    assert r.feasible
    assert covers(rows, cols, n_rows, r.columns)
    assert r.cost == pytest.approx(float(cost[r.columns].sum()))
    assert r.bound <= best + 1e-9 <= r.cost + 2e-9


@pytest.mark.parametrize("seed", range(10))
def test_bound_at_lower_costs_is_a_bound_for_the_dearer_covers(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n_rows, n_cols = 12, 8
    a = rng.random((n_rows, n_cols)) < 0.3
    a[np.arange(n_rows), rng.integers(0, n_cols, n_rows)] = True
    rows, cols = np.nonzero(a)
    cost = rng.integers(2, 9, n_cols).astype(float)
    low = cost - rng.integers(0, 2, n_cols)
    r = lagrangian_set_cover(rows, cols, cost, n_rows=n_rows, bound_cost=low)
    assert r.bound <= optimum(rows, cols, n_rows, low) + 1e-9
    assert optimum(rows, cols, n_rows, cost) <= r.cost


def test_lscp_with_kind_costs_reports_a_true_bound() -> None:
    # two kinds; sites A and B may host both, C only a canteen; a canteen costs 3 extra, so a
    # site hosting both kinds is dearer than one hosting one: the heuristic's sites carry every
    # kind they may host, and its bound must still hold for plans choosing kinds per site
    x = np.arange(6) * 100.0
    sites_x = np.array([100.0, 400.0, 200.0])
    d = np.abs(x[:, None] - sites_x[None, :])
    di, sj = np.nonzero(d <= 300.0)
    problem = SitingProblem(
        kinds=("elderly_station", "canteen"),
        threshold_m=np.array([150.0, 250.0]),
        radius_m=np.array([300.0, 300.0]),
        weight=np.array([10, 20, 30, 40, 50, 60], dtype=float),
        existing_m=np.full((6, 2), np.inf),
        site_cost=np.array([5.0, 5.0, 2.0]),
        kind_cost=np.array([[0.0, 3.0], [0.0, 3.0], [0.0, 3.0]]),
        allowed=np.array([[True, True], [True, True], [False, True]]),
        capacity=np.full((3, 2), np.inf),
        pair_demand=di.astype(np.int64),
        pair_site=sj.astype(np.int64),
        pair_distance_m=d[di, sj],
        demand_ids=np.array([f"b{i}" for i in range(6)], dtype=object),
        site_ids=np.array(["A", "B", "C"], dtype=object),
    )
    options = [(j, k) for j in range(3) for k in range(2) if problem.allowed[j, k]]
    best = np.inf
    for q in range(len(options) + 1):
        for combo in itertools.combinations(options, q):
            hosted = np.zeros((3, 2), bool)
            for j, k in combo:
                hosted[j, k] = True
            if all(
                (d[:, hosted[:, k]] <= problem.threshold_m[k]).any(axis=1).all() for k in range(2)
            ):
                cost = (
                    problem.site_cost[hosted.any(axis=1)].sum() + (problem.kind_cost * hosted).sum()
                )
                best = min(best, float(cost))
    # elderly (150 m): A reaches blocks 0-2, B 3-5 -> both, 5 + 5; canteen (250 m): no site
    # reaches both block 0 and block 5 -> two canteens, cheapest at A and B, 3 + 3 -> 16
    assert best == 16.0
    result = LSCP(problem, objective="cost").solve()
    assert result.status == "optimal"
    assert result.objective == best
    assert result.heuristic is not None
    assert result.heuristic.bound <= best + 1e-9 <= result.heuristic.objective + 1e-9


def test_lscp_bound_counts_a_site_at_its_least_cost_not_with_every_kind() -> None:
    # site A may host both kinds (10 each), B only a canteen (1); d0 needs an elderly station
    # (only A reaches it), d1 a canteen (A and B reach it). Optimum: A's station + B's canteen
    # = 11. A bound pricing A with both kinds (20) would "prove" the plan {A with both} optimal.
    d = np.array([[0.0, 500.0], [50.0, 50.0]])
    di, sj = np.nonzero(d <= 100.0)
    problem = SitingProblem(
        kinds=("elderly_station", "canteen"),
        threshold_m=np.array([100.0, 100.0]),
        radius_m=np.array([100.0, 100.0]),
        weight=np.array([10.0, 20.0]),
        existing_m=np.array([[np.inf, 0.0], [0.0, np.inf]]),
        site_cost=np.array([0.0, 0.0]),
        kind_cost=np.array([[10.0, 10.0], [0.0, 1.0]]),
        allowed=np.array([[True, True], [False, True]]),
        capacity=np.full((2, 2), np.inf),
        pair_demand=di.astype(np.int64),
        pair_site=sj.astype(np.int64),
        pair_distance_m=d[di, sj],
        demand_ids=np.array(["d0", "d1"], dtype=object),
        site_ids=np.array(["A", "B"], dtype=object),
    )
    result = LSCP(problem, objective="cost").solve()
    assert result.status == "optimal"
    assert result.objective == 11.0
    assert result.heuristic is not None
    assert result.heuristic.bound <= 11.0
