"""Greedy + swap: a good plan in well under a second, with a proven bound on how good the best is.

The elements are candidate sites (a site brings every kind it may host). For the covering
objective of :class:`~wanzheng.plan.MCLP` and the distance saved by
:class:`~wanzheng.plan.PMedian` (``saving(S) = Σ residents × (fallback − distance)``) the value of a
set of sites is *monotone submodular*: adding a site never hurts, and helps less the more sites
are already there. That gives, for the plan ``S`` the heuristic returns, a bound on the optimum
that needs no solver (Nemhauser, Wolsey & Fisher 1978; Minoux 1978)::

    value(OPT) <= value(S) + Σ_{j ∈ OPT \\ S} gain_j(S)

where ``gain_j(S)`` is what site ``j`` would add to ``S``. With at most ``p`` new sites the sum is
at most the ``p`` largest gains; with a budget ``B`` at most the fractional knapsack of the gains
with the sites' costs (a site's least cost of hosting anything). :class:`~wanzheng.plan.LSCP`
(set covering) is not submodular in this sense; :func:`set_cover` hands it to the reductions and
Lagrangian heuristic of :mod:`wanzheng.plan.setcover`, whose bound is the Lagrangian one.

1. **Greedy** (lazy: gains only shrink, so a stale gain is an upper bound and is recomputed only
   when it is on top of the heap): the largest gain (or gain per cost under a budget) first; under a
   budget the best single site is kept when it beats the greedy plan (Khuller, Moss & Naor 1999).
2. **Swap** (Teitz & Bart 1968): replace one chosen site by one not chosen while that improves the
   value (best improvement first), evaluated for all pairs in one pass per chosen site.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wanzheng.plan._structure import Structure
from wanzheng.plan.setcover import lagrangian_set_cover

__all__ = ["HeuristicResult", "greedy_cover", "greedy_median", "set_cover"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_SWAP_SITES = 60
"""The swap pass runs when at most this many sites are chosen (it costs one pass over the
incidence per chosen site and round)."""
MAX_SWAP_ROUNDS = 100


@dataclass(frozen=True, slots=True)
class HeuristicResult:
    """A plan from greedy + swap and the bound it proves.

    Attributes
    ----------
    sites
        int64: chosen sites (indices into :attr:`Structure.sites`), in the order chosen.
    objective
        Value of the plan in the model's own terms (MCLP: residents newly covered; p-median:
        residents × metres saved against the fallback; LSCP: cost or number of sites).
    bound
        Proven bound on the optimum (upper for MCLP / p-median savings, lower for LSCP).
    seconds
        Wall-clock time.
    feasible
        False when no plan satisfying the model was found (LSCP with unreachable demand).
    """

    sites: IntArray
    objective: float
    bound: float
    seconds: float
    feasible: bool = True


class _BySite:
    """The incidence ordered by site: the groups a site reaches, with distances."""

    def __init__(self, st: Structure) -> None:
        inc_site = st.inc_site
        order = np.argsort(inc_site, kind="stable")
        self.group = st.inc_group[order]
        self.dist = st.inc_dist[order]
        self.start = np.searchsorted(inc_site[order], np.arange(st.n_sites + 1))
        self.inc_site = inc_site

    def slice(self, j: int) -> slice:
        return slice(int(self.start[j]), int(self.start[j + 1]))


def _knapsack_bound(gain: FloatArray, cost: FloatArray, budget: float) -> float:
    """Largest Σ gain over a fractional selection with Σ cost <= budget."""
    pos = gain > 0
    gain, cost = gain[pos], cost[pos]
    free = cost <= 0
    total = float(gain[free].sum())
    gain, cost = gain[~free], cost[~free]
    order = np.argsort(-(gain / cost), kind="stable")
    left = budget
    for j in order:
        if cost[j] <= left:
            total += float(gain[j])
            left -= float(cost[j])
        else:
            total += float(gain[j]) * left / float(cost[j])
            break
    return total


def _bound(
    value: float,
    gain: FloatArray,
    least_cost: FloatArray,
    p: int | None,
    budget: float | None,
    ceiling: float,
) -> float:
    extra = math.inf
    if p is not None:
        extra = float(np.sort(gain)[::-1][:p].sum())
    if budget is not None:
        extra = min(extra, _knapsack_bound(gain, least_cost, budget))
    return min(value + extra, ceiling)


class _Cover:
    """MCLP state: how many chosen sites reach each group."""

    def __init__(self, st: Structure, by: _BySite) -> None:
        self.st, self.by = st, by
        self.w = st.group_weight
        self.count = np.zeros(st.n_groups, dtype=np.int64)
        self.sumsite = np.zeros(st.n_groups, dtype=np.int64)
        self.value = 0.0

    def gain(self, j: int) -> float:
        g = self.by.group[self.by.slice(j)]
        return float(self.w[g][self.count[g] == 0].sum())

    def add(self, j: int) -> None:
        g = self.by.group[self.by.slice(j)]
        self.value += float(self.w[g][self.count[g] == 0].sum())
        self.count[g] += 1
        self.sumsite[g] += j

    def remove(self, j: int) -> None:
        g = self.by.group[self.by.slice(j)]
        self.count[g] -= 1
        self.sumsite[g] -= j
        self.value -= float(self.w[g][self.count[g] == 0].sum())

    def all_gains(self) -> FloatArray:
        st = self.st
        open_ = self.count[st.inc_group] == 0
        return np.bincount(
            self.by.inc_site, weights=self.w[st.inc_group] * open_, minlength=st.n_sites
        ).astype(np.float64)

    def swap_values(self, s: int) -> FloatArray:
        """Value of the plan with ``s`` replaced by each site (``s`` itself: the plan)."""
        st = self.st
        g = st.inc_group
        only_s = (self.count == 1) & (self.sumsite == s)
        loss = float(self.w[only_s].sum())
        open_ = (self.count[g] == 0) | only_s[g]
        gains = np.bincount(self.by.inc_site, weights=self.w[g] * open_, minlength=st.n_sites)
        out: FloatArray = (self.value - loss + gains).astype(np.float64)
        out[s] = self.value
        return out


class _Median:
    """p-median state: each group's current distance (its fallback until a site is closer)."""

    def __init__(self, st: Structure, by: _BySite) -> None:
        self.st, self.by = st, by
        self.w = st.group_weight
        self.cur = st.group_fallback_m.copy()
        self.chosen: list[int] = []
        self.value = 0.0  # saving against the fallbacks

    def gain(self, j: int) -> float:
        sl = self.by.slice(j)
        g, d = self.by.group[sl], self.by.dist[sl]
        return float((self.w[g] * np.maximum(0.0, self.cur[g] - d)).sum())

    def add(self, j: int) -> None:
        sl = self.by.slice(j)
        g, d = self.by.group[sl], self.by.dist[sl]
        self.value += float((self.w[g] * np.maximum(0.0, self.cur[g] - d)).sum())
        self.cur[g] = np.minimum(self.cur[g], d)
        self.chosen.append(j)

    def remove(self, j: int) -> None:
        self.chosen.remove(j)
        self._recompute()

    def _recompute(self) -> None:
        st = self.st
        self.cur = st.group_fallback_m.copy()
        for j in self.chosen:
            sl = self.by.slice(j)
            g, d = self.by.group[sl], self.by.dist[sl]
            self.cur[g] = np.minimum(self.cur[g], d)
        self.value = float((self.w * (st.group_fallback_m - self.cur)).sum())

    def all_gains(self) -> FloatArray:
        st = self.st
        g = st.inc_group
        saving = self.w[g] * np.maximum(0.0, self.cur[g] - st.inc_dist)
        return np.bincount(self.by.inc_site, weights=saving, minlength=st.n_sites).astype(
            np.float64
        )

    def swap_values(self, s: int) -> FloatArray:
        st = self.st
        others = [j for j in self.chosen if j != s]
        cur = st.group_fallback_m.copy()
        for j in others:
            sl = self.by.slice(j)
            g, d = self.by.group[sl], self.by.dist[sl]
            cur[g] = np.minimum(cur[g], d)
        base = float((self.w * (st.group_fallback_m - cur)).sum())
        g = st.inc_group
        saving = self.w[g] * np.maximum(0.0, cur[g] - st.inc_dist)
        gains = np.bincount(self.by.inc_site, weights=saving, minlength=st.n_sites)
        out: FloatArray = (base + gains).astype(np.float64)
        out[s] = self.value
        return out


def _greedy(
    state: _Cover | _Median,
    cost: FloatArray,
    p: int | None,
    budget: float | None,
) -> list[int]:
    st = state.st
    use_ratio = budget is not None
    heap: list[tuple[float, int]] = []
    for j, g in enumerate(state.all_gains()):
        if g > 0 and (budget is None or cost[j] <= budget):
            heapq.heappush(heap, (-_score(float(g), float(cost[j]), use_ratio), j))
    chosen: list[int] = []
    spent = 0.0
    while heap and (p is None or len(chosen) < p):
        _, j = heapq.heappop(heap)
        g = state.gain(j)
        if g <= 0:
            continue
        if budget is not None and spent + cost[j] > budget + 1e-9:
            continue
        score = _score(g, float(cost[j]), use_ratio)
        if heap and score < -heap[0][0] - 1e-12 * max(1.0, score):
            heapq.heappush(heap, (-score, j))
            continue
        state.add(j)
        chosen.append(j)
        spent += float(cost[j])
    del st
    return chosen


def _score(gain: float, cost: float, ratio: bool) -> float:
    if not ratio:
        return gain
    return math.inf if cost <= 0 else gain / cost


def _swap(
    state: _Cover | _Median,
    chosen: list[int],
    cost: FloatArray,
    budget: float | None,
) -> list[int]:
    if not chosen or len(chosen) > MAX_SWAP_SITES:
        return chosen
    chosen = list(chosen)
    for _ in range(MAX_SWAP_ROUNDS):
        spent = float(cost[chosen].sum())
        in_plan = np.zeros(state.st.n_sites, dtype=bool)
        in_plan[chosen] = True
        best = (state.value * (1 + 1e-12) + 1e-9, -1, -1)
        for s in chosen:
            vals = state.swap_values(s)
            ok = ~in_plan
            if budget is not None:
                ok &= spent - cost[s] + cost <= budget + 1e-9
            if not ok.any():
                continue
            e = int(np.argmax(np.where(ok, vals, -np.inf)))
            if ok[e] and vals[e] > best[0]:
                best = (float(vals[e]), s, e)
        if best[1] < 0:
            break
        _, s, e = best
        state.remove(s)
        state.add(e)
        chosen[chosen.index(s)] = e
    return chosen


def greedy_cover(
    st: Structure, *, p: int | None, budget: float | None, swap: bool = True
) -> HeuristicResult:
    """Greedy + swap for MCLP (residents newly covered) with its upper bound."""
    t0 = time.perf_counter()
    by = _BySite(st)
    cost = st.site_cost_full()
    state = _Cover(st, by)
    chosen = _greedy(state, cost, p, budget)
    chosen = _best_single(state, chosen, cost, budget, _Cover(st, by))
    if swap:
        chosen = _swap(state, chosen, cost, budget)
    ceiling = float(st.group_weight[np.unique(st.inc_group)].sum()) if st.n_groups else 0.0
    bound = _bound(state.value, state.all_gains(), st.site_cost_least(), p, budget, ceiling)
    return HeuristicResult(
        sites=np.asarray(chosen, dtype=np.int64),
        objective=state.value,
        bound=max(bound, state.value),
        seconds=time.perf_counter() - t0,
    )


def greedy_median(
    st: Structure, *, p: int | None, budget: float | None, swap: bool = True
) -> HeuristicResult:
    """Greedy + swap for p-median; ``objective`` and ``bound`` are *savings* (see module)."""
    t0 = time.perf_counter()
    by = _BySite(st)
    cost = st.site_cost_full()
    state = _Median(st, by)
    chosen = _greedy(state, cost, p, budget)
    chosen = _best_single(state, chosen, cost, budget, _Median(st, by))
    if swap:
        chosen = _swap(state, chosen, cost, budget)
    ceiling = float((st.group_weight * st.group_fallback_m).sum()) if st.n_groups else 0.0
    bound = _bound(state.value, state.all_gains(), st.site_cost_least(), p, budget, ceiling)
    return HeuristicResult(
        sites=np.asarray(chosen, dtype=np.int64),
        objective=state.value,
        bound=max(bound, state.value),
        seconds=time.perf_counter() - t0,
    )


def _best_single(
    state: _Cover | _Median,
    chosen: list[int],
    cost: FloatArray,
    budget: float | None,
    fresh: _Cover | _Median,
) -> list[int]:
    """Under a budget, one site alone may beat the ratio greedy: keep the better."""
    if budget is None:
        return chosen
    gains = fresh.all_gains()
    gains[cost > budget + 1e-9] = -np.inf
    if gains.shape[0] == 0:
        return chosen
    j = int(np.argmax(gains))
    if gains[j] > state.value + 1e-9:
        for s in list(chosen):
            state.remove(s)
        state.add(j)
        return [j]
    return chosen


def set_cover(st: Structure, *, by_cost: bool) -> HeuristicResult:
    """LSCP: a cover of every group and its Lagrangian lower bound (see :mod:`.setcover`).

    With ``by_cost`` a chosen site hosts every kind it may (its full cost). When kinds have costs
    of their own at sites that may host several, the bound is computed at each site's *least*
    cost of hosting anything: any cover of the model opens sites that each host at least one
    kind, so it costs at least that, and the bound stays a bound.
    """
    t0 = time.perf_counter()
    cost = st.site_cost_full() if by_cost else np.ones(st.n_sites)
    bound_cost = st.site_cost_least() if (by_cost and st.separate) else None
    r = lagrangian_set_cover(
        st.inc_group, st.inc_site, cost, n_rows=st.n_groups, bound_cost=bound_cost
    )
    return HeuristicResult(
        sites=r.columns,
        objective=r.cost if r.feasible else math.nan,
        bound=r.bound,
        seconds=time.perf_counter() - t0,
        feasible=r.feasible,
    )
