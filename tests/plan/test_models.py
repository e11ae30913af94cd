"""The siting models on instances whose optimum is known by enumerating every plan."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from wanzheng.errors import DataError
from wanzheng.plan import LSCP, MCLP, PMedian, SitingProblem

# A line of ten villages 100 m apart; residents per village.
LINE_X = np.arange(10) * 100.0
LINE_W = np.array([5, 1, 1, 8, 1, 1, 1, 9, 1, 2], dtype=float)
LINE_D = np.abs(LINE_X[:, None] - LINE_X[None, :])


def covered_by(dist: np.ndarray, sites: tuple[int, ...], radius: float) -> np.ndarray:
    return (dist[:, list(sites)] <= radius).any(axis=1) if sites else np.zeros(len(dist), bool)


def best_mclp(dist: np.ndarray, w: np.ndarray, radius: float, p: int) -> float:
    n = dist.shape[1]
    return max(
        float(w[covered_by(dist, c, radius)].sum())
        for q in range(p + 1)
        for c in itertools.combinations(range(n), q)
    )


def best_median(dist: np.ndarray, w: np.ndarray, cap_m: float, p: int) -> float:
    n = dist.shape[1]
    return min(
        float((w * np.minimum(dist[:, list(c)].min(axis=1), cap_m)).sum())
        for c in itertools.combinations(range(n), p)
    )


def grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    """Walking distances on a side × side street grid, 100 m blocks (Manhattan)."""
    xy = np.array([(i, j) for i in range(side) for j in range(side)], dtype=float) * 100.0
    return np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2), xy


@pytest.mark.parametrize("p", [1, 2, 3])
def test_mclp_line_matches_enumeration(p: int) -> None:
    result = MCLP.from_cost_matrix(LINE_D, LINE_W, 100.0, p).solve()
    assert result.status == "optimal"
    assert result.gap == 0.0
    assert result.objective == best_mclp(LINE_D, LINE_W, 100.0, p)
    chosen = tuple(result.sites["site"])
    assert len(chosen) <= p
    # the plan reaches what it claims
    assert LINE_W[covered_by(LINE_D, chosen, 100.0)].sum() == result.objective
    assert result.sites["residents_new"].sum() == result.objective


def test_mclp_line_two_sites_by_hand() -> None:
    # villages 3 (8 residents) and 7 (9) with their neighbours: 1+8+1 around 3, 1+9+1 around 7
    result = MCLP.from_cost_matrix(LINE_D, LINE_W, 100.0, 2).solve()
    assert result.objective == 22.0  # 5+1 (site 0 or 1 …) cannot beat 10 + 12
    assert sorted(result.sites["site"]) in ([2, 8], [3, 7], [2, 7], [3, 8])


@pytest.mark.parametrize("p", [1, 2, 3])
def test_pmedian_line_matches_enumeration(p: int) -> None:
    result = PMedian.from_cost_matrix(LINE_D, LINE_W, p, radius_m=1000.0).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best_median(LINE_D, LINE_W, 1000.0, p))
    assert result.bound == pytest.approx(result.objective)


def test_pmedian_radius_caps_every_walk() -> None:
    # with a 250 m cap a single site at village 3 leaves 0 and 7..9 capped
    result = PMedian.from_cost_matrix(LINE_D, LINE_W, 1, radius_m=250.0).solve()
    assert result.objective == pytest.approx(best_median(LINE_D, LINE_W, 250.0, 1))


def test_lscp_line_fewest_sites() -> None:
    result = LSCP.from_cost_matrix(LINE_D, LINE_W, 100.0).solve()
    assert result.status == "optimal"
    # every village within 100 m: each site covers three neighbours, so ceil(10/3) = 4 sites
    assert result.objective == 4
    assert covered_by(LINE_D, tuple(result.sites["site"]), 100.0).all()


def test_lscp_least_cost_matches_enumeration() -> None:
    cost = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], dtype=float)
    result = LSCP.from_cost_matrix(LINE_D, LINE_W, 100.0, site_cost=cost, objective="cost").solve()
    best = min(
        float(cost[list(c)].sum())
        for q in range(1, 11)
        for c in itertools.combinations(range(10), q)
        if covered_by(LINE_D, c, 100.0).all()
    )
    assert result.status == "optimal"
    assert result.objective == best
    assert result.cost == best


@pytest.mark.parametrize(("p", "radius"), [(1, 200.0), (2, 100.0), (3, 100.0)])
def test_mclp_grid_matches_enumeration(p: int, radius: float) -> None:
    dist, _ = grid(5)
    w = np.arange(1, 26, dtype=float)  # residents grow across the grid
    result = MCLP.from_cost_matrix(dist, w, radius, p).solve()
    assert result.status == "optimal"
    assert result.objective == best_mclp(dist, w, radius, p)


def test_pmedian_grid_matches_enumeration() -> None:
    dist, _ = grid(4)
    w = (np.arange(16) % 5 + 1).astype(float)
    result = PMedian.from_cost_matrix(dist, w, 2, radius_m=600.0).solve()
    assert result.objective == pytest.approx(best_median(dist, w, 600.0, 2))


def test_sparse_matrix_gives_the_dense_answer() -> None:
    dist, _ = grid(5)
    w = np.arange(1, 26, dtype=float)
    masked = np.where(dist <= 200.0, dist, 0.0)
    sparse = sp.csr_array(masked)
    # a stored 0 on the diagonal is a real distance of 0: put the diagonal back explicitly
    coo = sp.coo_array((dist[dist <= 200.0], np.nonzero(dist <= 200.0)), shape=dist.shape)
    assert sparse.nnz < coo.nnz
    dense = MCLP.from_cost_matrix(dist, w, 200.0, 2).solve()
    from_sparse = MCLP.from_cost_matrix(coo, w, 200.0, 2).solve()
    assert from_sparse.objective == dense.objective


def test_existing_facilities_count_and_are_not_counted_again() -> None:
    # an existing facility at village 7 already covers 6, 7, 8 (1 + 9 + 1)
    existing = LINE_D[:, 7]
    result = MCLP.from_cost_matrix(LINE_D, LINE_W, 100.0, 1, existing_m=existing).solve()
    covered = covered_by(LINE_D, (7,), 100.0)
    w_left = np.where(covered, 0.0, LINE_W)
    assert result.objective == best_mclp(LINE_D, w_left, 100.0, 1) == 10.0  # site 2 or 3
    assert result.residents_newly_covered() == 10.0
    assert set(result.sites["site"]) <= {2, 3}


def test_budget_with_costs_matches_enumeration() -> None:
    cost = np.array([1, 2, 2, 5, 2, 2, 2, 6, 2, 1], dtype=float)
    result = MCLP.from_cost_matrix(LINE_D, LINE_W, 100.0, 10, site_cost=cost, budget=6.0).solve()
    best = max(
        float(LINE_W[covered_by(LINE_D, c, 100.0)].sum())
        for q in range(0, 5)
        for c in itertools.combinations(range(10), q)
        if cost[list(c)].sum() <= 6.0
    )
    assert result.status == "optimal"
    assert result.objective == best
    assert result.cost <= 6.0


def two_kind_problem(*, canteen_cost: float, budget: float | None) -> SitingProblem:
    """Six blocks on a line; sites A (block 1), B (block 4) may host both kinds, C (block 2)
    only a canteen. Kinds: elderly station 150 m, canteen 150 m."""
    x = np.arange(6) * 100.0
    sites_x = np.array([100.0, 400.0, 200.0])
    d = np.abs(x[:, None] - sites_x[None, :])
    di, sj = np.nonzero(d <= 300.0)
    return SitingProblem(
        kinds=("elderly_station", "canteen"),
        threshold_m=np.array([150.0, 150.0]),
        radius_m=np.array([300.0, 300.0]),
        weight=np.array([10, 20, 30, 40, 50, 60], dtype=float),
        existing_m=np.full((6, 2), np.inf),
        site_cost=np.array([5.0, 5.0, 2.0]),
        kind_cost=np.array([[0.0, canteen_cost], [0.0, canteen_cost], [0.0, canteen_cost]]),
        allowed=np.array([[True, True], [True, True], [False, True]]),
        capacity=np.full((3, 2), np.inf),
        pair_demand=di.astype(np.int64),
        pair_site=sj.astype(np.int64),
        pair_distance_m=d[di, sj],
        demand_ids=np.array([f"b{i}" for i in range(6)], dtype=object),
        site_ids=np.array(["A", "B", "C"], dtype=object),
    )


def enumerate_options(problem: SitingProblem, budget: float) -> float:
    """Best residents newly covered over every set of (site, kind) options within the budget."""
    options = [(j, k) for j in range(problem.n_sites) for k in range(2) if problem.allowed[j, k]]
    dist = np.full((problem.n_demand, problem.n_sites), np.inf)
    dist[problem.pair_demand, problem.pair_site] = problem.pair_distance_m
    best = 0.0
    for q in range(len(options) + 1):
        for combo in itertools.combinations(options, q):
            hosted = np.zeros((problem.n_sites, 2), bool)
            for j, k in combo:
                hosted[j, k] = True
            used = hosted.any(axis=1)
            cost = problem.site_cost[used].sum() + (problem.kind_cost * hosted).sum()
            if cost > budget + 1e-9:
                continue
            value = 0.0
            for k in range(2):
                reach = (dist[:, hosted[:, k]] <= problem.threshold_m[k]).any(axis=1)
                value += float(problem.weight[reach].sum())
            best = max(best, value)
    return best


@pytest.mark.parametrize(("canteen_cost", "budget"), [(0.0, 7.0), (3.0, 8.0), (3.0, 13.0)])
def test_one_site_hosts_several_kinds(canteen_cost: float, budget: float) -> None:
    problem = two_kind_problem(canteen_cost=canteen_cost, budget=budget)
    result = MCLP(problem, budget=budget).solve()
    assert result.status == "optimal"
    assert result.objective == enumerate_options(problem, budget)
    assert result.cost <= budget + 1e-9
    # a site listed with two kinds is one site, paid once
    both = result.sites[result.sites["n_kinds"] == 2]
    for row in both.itertuples():
        assert row.cost == problem.site_cost[row.site] + canteen_cost


def test_two_kinds_at_one_site_by_hand() -> None:
    # budget 5 with free kinds buys one of A or B (C alone covers 90 with one kind): B reaches
    # blocks 3, 4, 5 (40 + 50 + 60 = 150) and hosting both kinds counts them twice: 300;
    # A reaches blocks 0, 1, 2 (60): 120.
    problem = two_kind_problem(canteen_cost=0.0, budget=5.0)
    result = MCLP(problem, budget=5.0).solve()
    assert result.objective == 300.0
    assert list(result.sites["id"]) == ["B"]
    assert result.sites.loc[0, "kinds"] == "elderly_station;canteen"
    # budget 7 adds C's canteen for blocks 1 and 2 (20 + 30; block 3 has B's): 350
    assert MCLP(problem, budget=7.0).solve().objective == 350.0


def test_p_counts_sites_not_kinds() -> None:
    problem = two_kind_problem(canteen_cost=0.0, budget=None)
    result = MCLP(problem, p=1).solve()
    assert result.n_sites == 1
    assert result.objective == 300.0  # one site, two kinds


def test_capacity_limits_coverage_by_hand() -> None:
    # two villages of 100 residents, 50 m from one site that can serve 120
    d = np.array([[50.0], [50.0]])
    result = MCLP.from_cost_matrix(d, [100.0, 100.0], 300.0, 1, capacity=[120.0]).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(120.0)
    assert result.heuristic is None  # the heuristic does not apply with capacities


def test_capacity_moves_residents_to_the_second_site() -> None:
    # villages A (100) and B (100); site 1 reaches both, capacity 100; site 2 reaches only B
    d = np.array([[10.0, np.inf], [10.0, 20.0]])
    result = LSCP.from_cost_matrix(d, [100.0, 100.0], 300.0, capacity=[100.0, 150.0]).solve()
    assert result.status == "optimal"
    assert result.objective == 2  # one site cannot serve 200 residents


def test_lscp_infeasible_names_the_unreachable_demand() -> None:
    d = LINE_D.copy()
    d[9, :] = np.inf  # village 9 is cut off: no candidate reaches it
    d[:, 9] = np.inf
    ids = [f"village-{i}" for i in range(10)]
    problem = SitingProblem.from_cost_matrix(d, LINE_W, 100.0, demand_ids=ids)
    result = LSCP(problem).solve()
    assert result.status == "infeasible"
    assert math.isnan(result.objective)
    assert "village-9" in result.reason
    assert list(result.unreachable["id"]) == ["village-9"]
    assert result.n_sites == 0


def test_lscp_infeasible_capacity_is_explained() -> None:
    d = np.array([[10.0], [10.0]])
    result = LSCP.from_cost_matrix(d, [100.0, 100.0], 300.0, capacity=[150.0]).solve()
    assert result.status == "infeasible"
    assert "150" in result.reason and "200" in result.reason


def random_instance(seed: int, n: int = 400, m: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 2000, (n, 2))
    sites = rng.uniform(0, 2000, (m, 2))
    dist = np.sqrt(((demand[:, None] - sites[None]) ** 2).sum(-1))
    return dist, rng.integers(1, 100, n).astype(float)


def test_time_limited_run_reports_its_gap_and_never_optimal() -> None:
    dist, w = random_instance(3)
    optimum = MCLP.from_cost_matrix(dist, w, 300.0, 6).solve()
    assert optimum.status == "optimal"
    stopped = MCLP.from_cost_matrix(dist, w, 300.0, 6).solve(time_limit_s=0.0)
    assert stopped.status == "feasible"
    assert stopped.gap > 0
    assert stopped.objective <= optimum.objective + 1e-9 <= stopped.bound + 1e-9
    assert "time limit" in stopped.reason
    assert f"{100 * stopped.gap:.2f}%" in stopped.reason


def test_requested_gap_tolerance_is_not_called_optimal() -> None:
    dist, w = random_instance(4, n=150, m=40)
    result = PMedian.from_cost_matrix(dist, w, 6, radius_m=600.0).solve(mip_gap=0.5)
    assert result.status in ("optimal", "feasible")
    if result.status == "optimal":
        assert result.gap == 0.0
    else:
        assert result.gap > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heuristic_bounds_hold_against_the_optimum(seed: int) -> None:
    dist, w = random_instance(seed, n=200, m=40)
    mclp = MCLP.from_cost_matrix(dist, w, 300.0, 5).solve()
    assert mclp.heuristic is not None
    assert mclp.heuristic.objective <= mclp.objective + 1e-9 <= mclp.heuristic.bound + 1e-9
    lscp = LSCP.from_cost_matrix(dist, w, 600.0).solve()
    assert lscp.heuristic is not None
    assert lscp.heuristic.bound - 1e-9 <= lscp.objective <= lscp.heuristic.objective + 1e-9
    med = PMedian.from_cost_matrix(dist, w, 4, radius_m=500.0).solve()
    assert med.heuristic is not None
    assert med.heuristic.bound - 1e-6 <= med.objective <= med.heuristic.objective + 1e-6


def test_bad_input_is_a_located_error() -> None:
    with pytest.raises(DataError, match="give p"):
        MCLP(SitingProblem.from_cost_matrix(LINE_D, LINE_W, 100.0))
    with pytest.raises(DataError, match="with 10 rows"):
        MCLP.from_cost_matrix(LINE_D[:5], LINE_W, 100.0, 1)
    with pytest.raises(DataError, match=r"weight\[2\]"):
        MCLP.from_cost_matrix(LINE_D, np.r_[1.0, 1.0, -1.0, np.ones(7)], 100.0, 1)
    with pytest.raises(DataError, match="p: expected"):
        MCLP.from_cost_matrix(LINE_D, LINE_W, 100.0, -1)
