"""The siting models, one class each, in spopt's shape, solved by HiGHS on sparse models.

* :class:`MCLP` — maximal covering: at most ``p`` new sites and/or a budget; most residents newly
  within the walking threshold.
* :class:`LSCP` — set covering: fewest sites (or least cost) so that every resident is within it.
* :class:`PMedian` — least total walking distance with at most ``p`` new sites and/or a budget.

Each is built from a :class:`~wanzheng.plan.SitingProblem` (or, as in spopt, ``from_cost_matrix``)
and ``solve()`` returns a frozen :class:`SitingResult` that states its status honestly (see
:mod:`wanzheng.plan._highs`): ``optimal`` only when proven, ``feasible`` with the proven gap when
stopped early, ``infeasible`` with the reason. Existing facilities are fixed (they cost nothing,
stay, and count); several kinds are sited in one run and one site may host several kinds.

Formulations share this notation: demand groups ``g`` (demand points of one kind reached by the
same options, residents ``a_g``), candidate sites ``j`` with ``y_j ∈ {0,1}``, options ``o`` =
(site ``j(o)``, kind ``k(o)``) with ``x_o ∈ {0,1}`` (``x_o = y_j(o)`` unless kinds have costs of
their own at a site that may host several), ``N_g`` the options within reach of group ``g``,
cost ``c_j`` per site and ``c_o`` per option, capacity ``Q_o`` (residents) per option.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from wanzheng.errors import DataError
from wanzheng.plan._highs import (
    ABS_TOL,
    LinearModel,
    SolveOutcome,
    Status,
    relative_gap,
    solve_model,
)
from wanzheng.plan._structure import Structure, build_structure
from wanzheng.plan.heuristic import (
    HeuristicResult,
    greedy_cover,
    greedy_median,
    set_cover,
)
from wanzheng.plan.problem import SitingProblem

__all__ = ["LSCP", "MCLP", "ModelName", "PMedian", "SitingResult"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ModelName = Literal["mclp", "lscp", "pmedian"]

DEFAULT_TIME_LIMIT_S = 60.0


@dataclass(frozen=True, slots=True)
class SitingResult:
    """One solved siting model: the plan, how good it is proven to be, and what it changes.

    Attributes
    ----------
    model
        ``mclp``, ``lscp`` or ``pmedian``.
    status
        ``optimal`` (proven), ``feasible`` (a plan, with the proven ``gap``), ``infeasible``
        (no plan; see ``reason``), ``unknown`` (the solver stopped without a plan).
    objective
        MCLP: residents newly covered (summed over kinds; a resident counts once per kind).
        LSCP: total cost (or number of sites). p-median: residents × metres walked to the
        nearest facility of each kind, a walk counted at most ``radius_m``. NaN without a plan.
    bound
        The proven bound on the optimum in the same units (upper for MCLP, lower for LSCP
        and p-median).
    gap
        ``|bound − objective| / |objective|`` (0 when optimal).
    sense
        ``max`` or ``min``.
    hosted
        bool ``[J, K]``: the plan (site ``j`` hosts kind ``k``); kinds that would serve nobody
        new are not hosted.
    sites
        One row per used site: ``site`` (index), ``id``, ``kinds`` (``;``-joined),
        ``n_kinds``, ``cost`` (site cost + the kinds' own costs), ``residents_new`` (residents
        newly within the threshold, per kind summed, attributed to their nearest new site),
        ``residents_served`` (residents whose nearest facility of a hosted kind it becomes),
        and ``{kind}_new`` per kind.
    reason
        Plain words: why infeasible, where the bound comes from, what stopped the solver.
    unreachable
        Demand points that need a kind no candidate reaches within its threshold:
        ``demand`` (index), ``id``, ``kind``, ``residents``.
    heuristic
        The heuristic's plan that warm-started HiGHS — greedy + swap for MCLP and p-median,
        reductions + Lagrangian relaxation for LSCP (:mod:`wanzheng.plan.setcover`) — with its
        own proven bound (``None`` where it does not apply: capacities).
    seconds
        ``build``, ``heuristic``, ``solve`` and ``total`` wall-clock seconds.
    solver
        ``HiGHS <version>`` or ``heuristic`` (when the heuristic's bound proved its plan
        optimal and HiGHS was not needed).
    problem
        The problem solved (for the before / after tables).
    """

    model: ModelName
    status: Status
    objective: float
    bound: float
    gap: float
    sense: Literal["max", "min"]
    hosted: BoolArray
    sites: pd.DataFrame
    reason: str
    unreachable: pd.DataFrame
    heuristic: HeuristicResult | None
    seconds: dict[str, float]
    solver: str
    problem: SitingProblem = field(repr=False)
    p: int | None = None
    budget: float | None = None
    time_limit_s: float | None = None
    nodes: int = 0

    @property
    def n_sites(self) -> int:
        """Sites used by the plan."""
        return int(self.hosted.any(axis=1).sum())

    @property
    def cost(self) -> float:
        """Cost of the plan (site costs plus the hosted kinds' own costs)."""
        return plan_cost(self.problem, self.hosted)

    def distance_after_m(self) -> FloatArray:
        """float64 ``[I, K]``: walk to the nearest existing or new facility (inf beyond the
        radius)."""
        return distance_after(self.problem, self.hosted)

    def covered_after(self) -> BoolArray:
        """bool ``[I, K]``: within the threshold of an existing or new facility."""
        return np.asarray(self.distance_after_m() <= self.problem.threshold_m[None, :])

    def residents_newly_covered(self) -> float:
        """Residents newly within the threshold, summed over kinds."""
        p = self.problem
        new = self.covered_after() & ~p.covered_before()
        return float((p.residents[:, None] * new).sum())


def distance_after(problem: SitingProblem, hosted: BoolArray) -> FloatArray:
    """Walking distance (m) from every demand point to its nearest existing or planned facility."""
    out = problem.existing_m.copy()
    for k in range(problem.n_kinds):
        m = hosted[problem.pair_site, k]
        if m.any():
            np.minimum.at(out[:, k], problem.pair_demand[m], problem.pair_distance_m[m])
    return out


def plan_cost(problem: SitingProblem, hosted: BoolArray) -> float:
    """Site costs of the used sites plus the hosted kinds' own costs."""
    used = hosted.any(axis=1)
    return float(problem.site_cost[used].sum() + (problem.kind_cost * hosted).sum())


# ---------------------------------------------------------------------------- base


class _Model:
    """Shared machinery: structure, LP assembly, heuristic, HiGHS, decoding."""

    name: ModelName
    purpose: Literal["cover", "median"]
    sense: Literal["max", "min"]
    _f_entries: IntArray = np.zeros(0, np.int64)
    _f_col: IntArray = np.zeros(0, np.int64)

    def __init__(
        self,
        problem: SitingProblem,
        *,
        p: int | None = None,
        budget: float | None = None,
    ) -> None:
        if not isinstance(problem, SitingProblem):
            raise DataError(f"problem: expected a SitingProblem, got {type(problem).__name__}")
        if p is not None and (isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0):
            raise DataError(f"p: expected a whole number of sites >= 0, got {p!r}")
        if budget is not None and not (math.isfinite(float(budget)) and float(budget) >= 0):
            raise DataError(f"budget: expected a finite amount >= 0, got {budget!r}")
        self.problem = problem
        self.p = None if p is None else int(p)
        self.budget = None if budget is None else float(budget)
        t0 = time.perf_counter()
        self.structure: Structure = build_structure(problem, self.purpose)
        self.capacitated = self._capacitated_kinds()
        self.model: LinearModel = self._assemble()
        self.build_seconds = time.perf_counter() - t0

    # -------------------------------------------------------------- pieces

    def _capacitated_kinds(self) -> BoolArray:
        st = self.structure
        cap = np.zeros(self.problem.n_kinds, dtype=bool)
        finite = np.isfinite(st.option_capacity)
        if finite.any():
            cap[np.unique(st.option_kind[finite])] = True
        return cap

    def _assemble(self) -> LinearModel:  # pragma: no cover - abstract
        raise NotImplementedError

    def heuristic(self) -> HeuristicResult | None:
        """The model's heuristic plan with its proven bound (``None`` with capacities)."""
        raise NotImplementedError  # pragma: no cover

    def _start(self, h: HeuristicResult) -> FloatArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _objective_of(self, h: HeuristicResult) -> tuple[float, float]:
        """The heuristic's objective and bound in the model's units."""
        return h.objective, h.bound

    def _base_rows(
        self, rows: list[tuple[IntArray, IntArray, FloatArray]], lo: list[float], hi: list[float]
    ) -> None:
        """Linking rows x_o <= y_j, the p row and the budget row."""
        st = self.structure
        n_s = st.n_sites
        r0 = len(lo)
        if st.separate:
            o = np.arange(st.n_options, dtype=np.int64)
            rr = r0 + o
            rows.append((rr, st.option_col, np.ones(st.n_options)))
            rows.append((rr, st.option_site, -np.ones(st.n_options)))
            lo.extend([-math.inf] * st.n_options)
            hi.extend([0.0] * st.n_options)
        if self.p is not None:
            r = len(lo)
            rows.append((np.full(n_s, r, np.int64), np.arange(n_s, dtype=np.int64), np.ones(n_s)))
            lo.append(-math.inf)
            hi.append(float(self.p))
        if self.budget is not None:
            r = len(lo)
            nb = st.n_base
            rows.append((np.full(nb, r, np.int64), np.arange(nb, dtype=np.int64), st.col_cost))
            lo.append(-math.inf)
            hi.append(self.budget)

    @staticmethod
    def _matrix(
        rows: list[tuple[IntArray, IntArray, FloatArray]], n_rows: int, n_cols: int
    ) -> sp.csc_array:
        if rows:
            r = np.concatenate([x[0] for x in rows])
            c = np.concatenate([x[1] for x in rows])
            v = np.concatenate([x[2] for x in rows])
        else:
            r = c = np.zeros(0, np.int64)
            v = np.zeros(0)
        return sp.csc_array(sp.coo_array((v, (r, c)), shape=(n_rows, n_cols)))

    def _hosted_from_sites(self, sites: IntArray, options: IntArray | None = None) -> BoolArray:
        """The options of the chosen structure sites (or the chosen options) as ``[J, K]``."""
        st, p = self.structure, self.problem
        hosted = np.zeros((p.n_sites, p.n_kinds), dtype=bool)
        if options is None:
            chosen = np.zeros(st.n_sites, dtype=bool)
            chosen[sites] = True
            options = np.flatnonzero(chosen[st.option_site])
        hosted[st.sites[st.option_site[options]], st.option_kind[options]] = True
        return hosted

    def _prune(self, hosted: BoolArray, flows: FloatArray | None) -> BoolArray:
        """Drop hosted kinds that serve nobody (nearest attribution, or no flow)."""
        needed = _attribution(self.problem, hosted, self.purpose)[2]
        keep = needed > 0
        if flows is not None:
            keep = keep | (flows > 1e-9)
        return hosted & keep

    def _option_flows(self, values: FloatArray) -> FloatArray | None:
        if self._f_entries.shape[0] == 0:
            return None
        st, p = self.structure, self.problem
        flows = np.zeros((p.n_sites, p.n_kinds))
        opt = st.inc_option[self._f_entries]
        np.add.at(
            flows,
            (st.sites[st.option_site[opt]], st.option_kind[opt]),
            values[self._f_col],
        )
        return flows

    def _capacity_rows(
        self,
        rows: list[tuple[IntArray, IntArray, FloatArray]],
        lo: list[float],
        hi: list[float],
        e_sel: IntArray,
        f_col: IntArray,
        *,
        equality: bool,
    ) -> None:
        """Flow rows of capacitated kinds: Σ_o f_go (<= or =) a_g; f_go <= a_g x_o;
        Σ_g f_go <= Q_o x_o."""
        st = self.structure
        w = st.group_weight
        g_of = st.inc_group[e_sel]
        groups, g_row = np.unique(g_of, return_inverse=True)
        r0 = len(lo)
        rows.append((r0 + g_row.astype(np.int64), f_col, np.ones(e_sel.shape[0])))
        lo.extend(list(w[groups]) if equality else [-math.inf] * groups.shape[0])
        hi.extend(list(w[groups]))
        r1 = len(lo)
        n_e = e_sel.shape[0]
        opt = st.inc_option[e_sel]
        rows.append((r1 + np.arange(n_e), f_col, np.ones(n_e)))
        rows.append((r1 + np.arange(n_e), st.option_col[opt], -w[g_of]))
        lo.extend([-math.inf] * n_e)
        hi.extend([0.0] * n_e)
        q = st.option_capacity
        opts, o_row = np.unique(opt, return_inverse=True)
        finite = np.isfinite(q[opts])
        r2 = len(lo)
        row_of_opt = np.full(opts.shape[0], -1, dtype=np.int64)
        row_of_opt[finite] = r2 + np.arange(int(finite.sum()))
        ok = row_of_opt[o_row] >= 0
        rows.append((row_of_opt[o_row[ok]], f_col[ok], np.ones(int(ok.sum()))))
        fo = opts[finite]
        rows.append((row_of_opt[finite], st.option_col[fo], -q[fo]))
        lo.extend([-math.inf] * fo.shape[0])
        hi.extend([0.0] * fo.shape[0])

    # -------------------------------------------------------------- solve

    def solve(
        self,
        *,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        mip_gap: float = 0.0,
        warm_start: bool = True,
        threads: int | None = None,
    ) -> SitingResult:
        """Solve with HiGHS (after the heuristic, which warm-starts it).

        Parameters
        ----------
        time_limit_s
            Wall-clock limit for HiGHS (s). Stopped there, the answer is ``feasible`` with its
            proven gap, never ``optimal``.
        mip_gap
            Relative gap at which HiGHS may stop (default 0: prove the optimum). A plan
            returned within a positive tolerance is reported ``feasible`` with its gap.
        warm_start
            Start HiGHS from the heuristic's plan.
        threads
            HiGHS threads (default: HiGHS's choice).
        """
        if not (math.isfinite(float(time_limit_s)) and float(time_limit_s) >= 0):
            raise DataError(f"time_limit_s: expected seconds >= 0, got {time_limit_s!r}")
        if not (0.0 <= float(mip_gap) < 1.0):
            raise DataError(f"mip_gap: expected a fraction in [0, 1), got {mip_gap!r}")
        t_total = time.perf_counter()
        unreachable = self._unreachable()
        pre = self._precheck(unreachable)
        if pre is not None:
            return self._result(
                status="infeasible",
                objective=math.nan,
                bound=math.nan,
                hosted=np.zeros((self.problem.n_sites, self.problem.n_kinds), bool),
                reason=pre,
                unreachable=unreachable,
                heuristic=None,
                seconds={"heuristic": 0.0, "solve": 0.0},
                solver="precheck",
                t_total=t_total,
                time_limit_s=time_limit_s,
            )
        h = self.heuristic()
        h_sec = 0.0 if h is None else h.seconds
        if h is not None and h.feasible:
            obj, bnd = self._objective_of(h)
            if abs(bnd - obj) <= ABS_TOL or relative_gap(obj, bnd) <= 1e-12:
                hosted = self._prune(self._hosted_from_sites(h.sites), None)
                return self._result(
                    status="optimal",
                    objective=obj,
                    bound=bnd,
                    hosted=hosted,
                    reason="启发式方案的界已证明其最优（无需求解器） / the heuristic's own "
                    "bound proves its plan optimal",
                    unreachable=unreachable,
                    heuristic=h,
                    seconds={"heuristic": h_sec, "solve": 0.0},
                    solver="heuristic",
                    t_total=t_total,
                    time_limit_s=time_limit_s,
                )
        start = self._start(h) if (warm_start and h is not None and h.feasible) else None
        out = solve_model(
            self.model, time_limit_s=time_limit_s, mip_gap=mip_gap, start=start, threads=threads
        )
        return self._finish(out, h, unreachable, t_total, time_limit_s, mip_gap)

    def _finish(
        self,
        out: SolveOutcome,
        h: HeuristicResult | None,
        unreachable: pd.DataFrame,
        t_total: float,
        time_limit_s: float,
        mip_gap: float,
    ) -> SitingResult:
        from wanzheng.plan._highs import highs_version

        st = self.structure
        secs = {"heuristic": 0.0 if h is None else h.seconds, "solve": out.seconds}
        empty = np.zeros((self.problem.n_sites, self.problem.n_kinds), bool)
        if out.status == "infeasible":
            return self._result(
                status="infeasible",
                objective=math.nan,
                bound=math.nan,
                hosted=empty,
                reason=self._infeasible_reason(),
                unreachable=unreachable,
                heuristic=h,
                seconds=secs,
                solver=highs_version(),
                t_total=t_total,
                time_limit_s=time_limit_s,
                nodes=out.nodes,
            )
        if out.values is None:
            return self._result(
                status="unknown",
                objective=math.nan,
                bound=math.nan,
                hosted=empty,
                reason=f"HiGHS 未得到可行方案 / HiGHS stopped without a plan ({out.highs_status})",
                unreachable=unreachable,
                heuristic=h,
                seconds=secs,
                solver=highs_version(),
                t_total=t_total,
                time_limit_s=time_limit_s,
                nodes=out.nodes,
            )
        vals = out.values
        if st.separate:
            options = np.flatnonzero(vals[st.option_col] > 0.5)
            hosted = self._hosted_from_sites(np.zeros(0, np.int64), options)
        else:
            hosted = self._hosted_from_sites(np.flatnonzero(vals[: st.n_sites] > 0.5))
        hosted = self._prune(hosted, self._option_flows(vals))
        objective = out.objective
        if not self.capacitated.any():
            objective = self.evaluate(hosted)  # exact, free of the solver's float noise
        bound = out.bound
        if h is not None and h.feasible:
            h_bound = self._objective_of(h)[1]
            bound = min(bound, h_bound) if self.sense == "max" else max(bound, h_bound)
        bound = max(bound, objective) if self.sense == "max" else min(bound, objective)
        gap = relative_gap(objective, bound)
        if out.status == "optimal" and gap > 1e-9:
            out = SolveOutcome("feasible", objective, bound, gap, vals, out.seconds,
                               out.highs_status, out.nodes)  # fmt: skip
        if out.status == "optimal":
            reason = "HiGHS 已证明最优 / HiGHS proved the plan optimal"
        elif out.highs_status.lower().startswith("time limit"):
            reason = (
                f"达到时间上限 {time_limit_s:g} 秒：方案可行，最优性差距 {100 * gap:.2f}% / "
                f"stopped at the time limit of {time_limit_s:g} s with a proven gap of "
                f"{100 * gap:.2f}%"
            )
        else:
            reason = (
                f"HiGHS 停止（{out.highs_status}，容许差距 {mip_gap:g}）：方案可行，差距 "
                f"{100 * gap:.2f}% / HiGHS stopped ({out.highs_status}) with a gap of "
                f"{100 * gap:.2f}%"
            )
        return self._result(
            status=out.status,
            objective=objective,
            bound=bound,
            hosted=hosted,
            reason=reason,
            unreachable=unreachable,
            heuristic=h,
            seconds=secs,
            solver=highs_version(),
            t_total=t_total,
            time_limit_s=time_limit_s,
            nodes=out.nodes,
        )

    def evaluate(self, hosted: BoolArray) -> float:
        """The model's objective for a plan ``[J, K]`` (capacities ignored)."""
        raise NotImplementedError  # pragma: no cover

    def _precheck(self, unreachable: pd.DataFrame) -> str | None:
        return None

    def _heuristic_in_units(self, h: HeuristicResult | None) -> HeuristicResult | None:
        """The heuristic's plan in problem site indices, objective and bound in model units."""
        if h is None:
            return None
        st = self.structure
        obj, bnd = self._objective_of(h)
        return HeuristicResult(
            sites=st.sites[h.sites] if h.sites.shape[0] else np.zeros(0, np.int64),
            objective=obj,
            bound=bnd,
            seconds=h.seconds,
            feasible=h.feasible,
        )

    def _infeasible_reason(self) -> str:
        return "HiGHS 证明无可行方案 / HiGHS proved that no plan satisfies the constraints"

    def _unreachable(self) -> pd.DataFrame:
        p = self.problem
        ii, kk = np.nonzero(self.structure.unreachable)
        return pd.DataFrame(
            {
                "demand": ii.astype(np.int64),
                "id": p.demand_ids[ii] if ii.shape[0] else np.zeros(0, object),
                "kind": [p.kinds[k] for k in kk],
                "residents": p.weight[ii],
            }
        )

    def _result(
        self,
        *,
        status: Status,
        objective: float,
        bound: float,
        hosted: BoolArray,
        reason: str,
        unreachable: pd.DataFrame,
        heuristic: HeuristicResult | None,
        seconds: dict[str, float],
        solver: str,
        t_total: float,
        time_limit_s: float,
        nodes: int = 0,
    ) -> SitingResult:
        secs = {"build": self.build_seconds, **seconds}
        secs["total"] = self.build_seconds + (time.perf_counter() - t_total)
        return SitingResult(
            model=self.name,
            status=status,
            objective=float(objective),
            bound=float(bound),
            gap=relative_gap(objective, bound) if status in ("optimal", "feasible") else math.nan,
            sense=self.sense,
            hosted=hosted,
            sites=_site_table(self.problem, hosted, self.purpose),
            reason=reason,
            unreachable=unreachable,
            heuristic=self._heuristic_in_units(heuristic),
            seconds=secs,
            solver=solver,
            problem=self.problem,
            p=self.p,
            budget=self.budget,
            time_limit_s=time_limit_s,
            nodes=nodes,
        )


def _attribution(
    problem: SitingProblem, hosted: BoolArray, purpose: Literal["cover", "median"]
) -> tuple[FloatArray, FloatArray, IntArray]:
    """What each hosted (site, kind) does, by nearest attribution.

    Every demand point whose nearest facility of a kind becomes a new one (closer than every
    existing one) is *served* by that nearest new site (ties: the lower site index); it is
    *newly covered* when it was not within the threshold before and is now. Returns three
    ``[J, K]`` arrays: residents newly covered, residents served, and the number of demand
    points the option is needed for (covering: newly covered points; p-median: served points).
    """
    p = problem
    resid = p.residents
    new = np.zeros((p.n_sites, p.n_kinds))
    served = np.zeros((p.n_sites, p.n_kinds))
    needed = np.zeros((p.n_sites, p.n_kinds), dtype=np.int64)
    before = p.covered_before()
    for k in range(p.n_kinds):
        m = hosted[p.pair_site, k] & (p.pair_distance_m <= p.radius_m[k])
        if not m.any():
            continue
        di, sj, dd = p.pair_demand[m], p.pair_site[m], p.pair_distance_m[m]
        order = np.lexsort((sj, dd, di))
        di, sj, dd = di[order], sj[order], dd[order]
        first = np.ones(di.shape[0], dtype=bool)
        first[1:] = di[1:] != di[:-1]
        di, sj, dd = di[first], sj[first], dd[first]
        better = dd < p.existing_m[di, k]
        np.add.at(served[:, k], sj[better], resid[di[better]])
        newly = ~before[di, k] & (dd <= p.threshold_m[k])
        np.add.at(new[:, k], sj[newly], resid[di[newly]])
        np.add.at(needed[:, k], sj[newly if purpose == "cover" else better], 1)
    return new, served, needed


def _site_table(
    problem: SitingProblem, hosted: BoolArray, purpose: Literal["cover", "median"]
) -> pd.DataFrame:
    p = problem
    new, served, _ = _attribution(p, hosted, purpose)
    used = np.flatnonzero(hosted.any(axis=1))
    rows: list[dict[str, Any]] = []
    for j in used:
        kinds = [p.kinds[k] for k in range(p.n_kinds) if hosted[j, k]]
        row: dict[str, Any] = {
            "site": int(j),
            "id": p.site_ids[j],
            "kinds": ";".join(kinds),
            "n_kinds": len(kinds),
            "cost": float(p.site_cost[j] + (p.kind_cost[j] * hosted[j]).sum()),
            "residents_new": float(new[j].sum()),
            "residents_served": float(served[j].sum()),
        }
        for k, key in enumerate(p.kinds):
            row[f"{key}_new"] = float(new[j, k])
        rows.append(row)
    cols = ["site", "id", "kinds", "n_kinds", "cost", "residents_new", "residents_served"]
    cols += [f"{key}_new" for key in p.kinds]
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values(["residents_new", "site"], ascending=[False, True]).reset_index(
        drop=True
    )


# ---------------------------------------------------------------------------- MCLP


class MCLP(_Model):
    r"""Maximal covering location: the most residents newly within the walking threshold.

    .. math::

        \max \; & \sum_g a_g z_g \; + \sum_{g \in \text{cap}} \sum_{o \in N_g} f_{go} \\
        \text{s.t.} \; & z_g \le \sum_{o \in N_g} x_o & \forall g \text{ (no capacities)} \\
        & \sum_{o \in N_g} f_{go} \le a_g,\; f_{go} \le a_g x_o & \forall g \text{ (capacities)} \\
        & \sum_g f_{go} \le Q_o x_o & \forall o,\; Q_o < \infty \\
        & x_o \le y_{j(o)} & \text{(separate option columns only)} \\
        & \sum_j y_j \le p, \quad \sum_j c_j y_j + \sum_o c_o x_o \le B & \text{(when given)} \\
        & y, x \in \{0,1\},\; 0 \le z_g \le 1,\; f \ge 0

    ``N_g`` holds the options within the kind's threshold of group ``g``; only demand not
    already within the threshold of an existing facility forms groups, so the objective counts
    *newly* covered residents (a resident counts once per kind). ``z_g`` need not be integer:
    at an optimum it is 1 exactly when a chosen option reaches the group.

    Parameters
    ----------
    problem
        The siting problem.
    p
        At most this many new sites.
    budget
        At most this total cost (same unit as the candidate costs).
    """

    name: ModelName = "mclp"
    purpose = "cover"
    sense = "max"

    def __init__(
        self, problem: SitingProblem, *, p: int | None = None, budget: float | None = None
    ) -> None:
        if p is None and budget is None:
            raise DataError("MCLP: give p (most new sites) or budget (most cost), or both")
        super().__init__(problem, p=p, budget=budget)

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: npt.ArrayLike | sp.sparray | sp.spmatrix,
        weights: npt.ArrayLike,
        service_radius: float,
        p_facilities: int,
        *,
        site_cost: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
        existing_m: npt.ArrayLike | None = None,
        budget: float | None = None,
    ) -> MCLP:
        """spopt's entry point: one kind, a demand × site matrix of distances (m)."""
        problem = SitingProblem.from_cost_matrix(
            cost_matrix,
            weights,
            service_radius,
            site_cost=site_cost,
            capacity=capacity,
            existing_m=existing_m,
        )
        return cls(problem, p=p_facilities, budget=budget)

    def _assemble(self) -> LinearModel:
        st = self.structure
        nb = st.n_base
        w = st.group_weight
        cap_g = self.capacitated[st.group_kind]
        # z columns: groups of uncapacitated kinds with residents
        zg = np.flatnonzero(~cap_g & (w > 0))
        z_col = nb + np.arange(zg.shape[0], dtype=np.int64)
        # f columns: incidence entries of capacitated groups with residents
        e_sel = np.flatnonzero(cap_g[st.inc_group] & (w[st.inc_group] > 0))
        f_col = nb + zg.shape[0] + np.arange(e_sel.shape[0], dtype=np.int64)
        n_cols = nb + zg.shape[0] + e_sel.shape[0]
        rows: list[tuple[IntArray, IntArray, FloatArray]] = []
        lo: list[float] = []
        hi: list[float] = []
        # z_g - Σ x_o <= 0, one row per z group
        row_of_g = np.full(st.n_groups, -1, dtype=np.int64)
        row_of_g[zg] = np.arange(zg.shape[0])
        r0 = len(lo)
        rows.append((r0 + np.arange(zg.shape[0]), z_col, np.ones(zg.shape[0])))
        e_z = np.flatnonzero(row_of_g[st.inc_group] >= 0)
        rows.append(
            (
                r0 + row_of_g[st.inc_group[e_z]],
                st.option_col[st.inc_option[e_z]],
                -np.ones(e_z.shape[0]),
            )
        )
        lo.extend([-math.inf] * zg.shape[0])
        hi.extend([0.0] * zg.shape[0])
        if e_sel.shape[0]:
            self._capacity_rows(rows, lo, hi, e_sel, f_col, equality=False)
        self._base_rows(rows, lo, hi)
        cost = np.zeros(n_cols)
        cost[z_col] = w[zg]
        cost[f_col] = 1.0
        col_hi = np.ones(n_cols)
        col_hi[f_col] = w[st.inc_group[e_sel]]
        integer = np.zeros(n_cols, dtype=bool)
        integer[:nb] = True
        self._z_groups, self._z_col, self._f_entries, self._f_col = zg, z_col, e_sel, f_col
        return LinearModel(
            sense="max",
            cost=cost,
            offset=0.0,
            col_lo=np.zeros(n_cols),
            col_hi=col_hi,
            integer=integer,
            matrix=self._matrix(rows, len(lo), n_cols),
            row_lo=np.asarray(lo, dtype=np.float64),
            row_hi=np.asarray(hi, dtype=np.float64),
        )

    def evaluate(self, hosted: BoolArray) -> float:
        """Residents newly within the threshold (per kind, summed)."""
        p = self.problem
        new = (distance_after(p, hosted) <= p.threshold_m[None, :]) & ~p.covered_before()
        return float((p.residents[:, None] * new).sum())

    def heuristic(self) -> HeuristicResult | None:
        if self.capacitated.any():
            return None
        return greedy_cover(self.structure, p=self.p, budget=self.budget)

    def _start(self, h: HeuristicResult) -> FloatArray:
        st = self.structure
        x = np.zeros(self.model.n_cols)
        x[h.sites] = 1.0
        if st.separate:
            chosen = np.zeros(st.n_sites, dtype=bool)
            chosen[h.sites] = True
            x[st.option_col[chosen[st.option_site]]] = 1.0
        reached = np.zeros(st.n_groups, dtype=bool)
        hit = x[st.option_col[st.inc_option]] > 0.5
        reached[st.inc_group[hit]] = True
        x[self._z_col] = reached[self._z_groups].astype(np.float64)
        return x


# ---------------------------------------------------------------------------- LSCP


class LSCP(_Model):
    r"""Location set covering: every resident within the walking threshold at least cost.

    .. math::

        \min \; & \sum_j c_j y_j + \sum_o c_o x_o \quad
            (\text{or } \sum_j y_j \text{ with } objective="sites") \\
        \text{s.t.} \; & \sum_{o \in N_g} x_o \ge 1 & \forall g \text{ (no capacities)} \\
        & \sum_{o \in N_g} f_{go} = a_g,\; f_{go} \le a_g x_o,\;
          \sum_g f_{go} \le Q_o x_o & \forall g, o \text{ (with capacities)} \\
        & x_o \le y_{j(o)} & \text{(separate option columns only)} \\
        & y, x \in \{0,1\},\; f \ge 0

    Every demand point not already within the threshold of an existing facility must be
    reached — also those whose population is unknown. A point that no candidate reaches makes
    the model infeasible before any solver runs; :attr:`SitingResult.unreachable` lists them.

    Parameters
    ----------
    problem
        The siting problem.
    objective
        ``sites`` (fewest new sites, the default) or ``cost`` (least total cost).
    """

    name: ModelName = "lscp"
    purpose = "cover"
    sense = "min"

    def __init__(
        self, problem: SitingProblem, *, objective: Literal["sites", "cost"] = "sites"
    ) -> None:
        if objective not in ("sites", "cost"):
            raise DataError(f"objective: expected 'sites' or 'cost', got {objective!r}")
        self.objective = objective
        super().__init__(problem)

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: npt.ArrayLike | sp.sparray | sp.spmatrix,
        weights: npt.ArrayLike,
        service_radius: float,
        *,
        site_cost: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
        existing_m: npt.ArrayLike | None = None,
        objective: Literal["sites", "cost"] = "sites",
    ) -> LSCP:
        """spopt's entry point: one kind, a demand × site matrix of distances (m)."""
        problem = SitingProblem.from_cost_matrix(
            cost_matrix,
            weights,
            service_radius,
            site_cost=site_cost,
            capacity=capacity,
            existing_m=existing_m,
        )
        return cls(problem, objective=objective)

    def _col_cost(self) -> FloatArray:
        st = self.structure
        if self.objective == "cost":
            return st.col_cost
        out = np.zeros(st.n_base)
        out[: st.n_sites] = 1.0
        return out

    def _assemble(self) -> LinearModel:
        st = self.structure
        nb = st.n_base
        w = st.group_weight
        cap_g = self.capacitated[st.group_kind] & (w > 0)
        e_sel = np.flatnonzero(cap_g[st.inc_group])
        f_col = nb + np.arange(e_sel.shape[0], dtype=np.int64)
        n_cols = nb + e_sel.shape[0]
        rows: list[tuple[IntArray, IntArray, FloatArray]] = []
        lo: list[float] = []
        hi: list[float] = []
        cg = np.flatnonzero(~cap_g)
        row_of_g = np.full(st.n_groups, -1, dtype=np.int64)
        row_of_g[cg] = np.arange(cg.shape[0])
        e_c = np.flatnonzero(row_of_g[st.inc_group] >= 0)
        rows.append(
            (row_of_g[st.inc_group[e_c]], st.option_col[st.inc_option[e_c]], np.ones(e_c.shape[0]))
        )
        lo.extend([1.0] * cg.shape[0])
        hi.extend([math.inf] * cg.shape[0])
        if e_sel.shape[0]:
            self._capacity_rows(rows, lo, hi, e_sel, f_col, equality=True)
        self._base_rows(rows, lo, hi)
        cost = np.zeros(n_cols)
        cost[:nb] = self._col_cost()
        col_hi = np.ones(n_cols)
        col_hi[f_col] = w[st.inc_group[e_sel]]
        integer = np.zeros(n_cols, dtype=bool)
        integer[:nb] = True
        self._f_entries, self._f_col = e_sel, f_col
        return LinearModel(
            sense="min",
            cost=cost,
            offset=0.0,
            col_lo=np.zeros(n_cols),
            col_hi=col_hi,
            integer=integer,
            matrix=self._matrix(rows, len(lo), n_cols),
            row_lo=np.asarray(lo, dtype=np.float64),
            row_hi=np.asarray(hi, dtype=np.float64),
        )

    def _precheck(self, unreachable: pd.DataFrame) -> str | None:
        if len(unreachable) == 0:
            return self._capacity_precheck()
        p = self.problem
        by_kind = unreachable.groupby("kind", sort=False)
        parts = []
        for kind, rows in by_kind:
            k = p.kind_index(str(kind))
            shown = ", ".join(str(v) for v in rows["id"].head(5))
            more = f" …（共 {len(rows)} 个）" if len(rows) > 5 else ""
            residents = float(np.nansum(rows["residents"].to_numpy(np.float64)))
            parts.append(
                f"{kind}: {len(rows)} 个需求点（{residents:,.0f} 人）在 {p.threshold_m[k]:g} 米内"
                f"没有任何候选点: {shown}{more}"
            )
        return (
            "无法全部覆盖 / infeasible: some demand no candidate site reaches within the "
            "threshold — " + "; ".join(parts)
        )

    def _capacity_precheck(self) -> str | None:
        st, p = self.structure, self.problem
        for k in np.flatnonzero(self.capacitated):
            opts = st.option_kind == k
            total_q = float(st.option_capacity[opts].sum())
            need = float(st.group_weight[st.group_kind == k].sum())
            if total_q < need - 1e-9:
                return (
                    f"无法全部覆盖 / infeasible: {p.kinds[k]} needs {need:,.0f} residents served "
                    f"but all candidate sites together can serve {total_q:,.0f}"
                )
        return None

    def _infeasible_reason(self) -> str:
        return (
            "无法全部覆盖 / infeasible: HiGHS proved that the candidate sites' capacities "
            "cannot serve every resident within the threshold (each site serves only residents "
            "within its reach)"
        )

    def evaluate(self, hosted: BoolArray) -> float:
        """Cost of the plan, or its number of sites."""
        if self.objective == "cost":
            return plan_cost(self.problem, hosted)
        return float(hosted.any(axis=1).sum())

    def heuristic(self) -> HeuristicResult | None:
        if self.capacitated.any():
            return None
        return set_cover(self.structure, by_cost=self.objective == "cost")

    def _start(self, h: HeuristicResult) -> FloatArray:
        st = self.structure
        x = np.zeros(self.model.n_cols)
        x[h.sites] = 1.0
        if st.separate:
            chosen = np.zeros(st.n_sites, dtype=bool)
            chosen[h.sites] = True
            x[st.option_col[chosen[st.option_site]]] = 1.0
        return x

    def _objective_of(self, h: HeuristicResult) -> tuple[float, float]:
        return h.objective, h.bound


# ---------------------------------------------------------------------------- p-median


class PMedian(_Model):
    r"""p-median: the least total walk to the nearest facility of each kind.

    .. math::

        \min \; & \sum_i a_i D_i + \sum_g \sum_{o \in N_g} a_g (d_{go} - D_g)\, w_{go} \\
        \text{s.t.} \; & \sum_{o \in N_g} w_{go} \le 1,\; w_{go} \le x_o & \forall g, o \\
        & \sum_g a_g w_{go} \le Q_o x_o & \forall o,\; Q_o < \infty \\
        & x_o \le y_{j(o)}, \quad \sum_j y_j \le p, \quad
          \sum_j c_j y_j + \sum_o c_o x_o \le B & \text{(when given)} \\
        & y, x \in \{0,1\},\; w \ge 0

    ``D_i`` (the *fallback*) is the walk to the nearest existing facility of the kind, counted
    at most the kind's ``radius_m``: a resident whom no facility serves within the radius counts
    the radius, and one whom no new site would bring closer keeps the fallback. ``N_g`` holds only
    the options *closer* than ``D_g`` (others can never be chosen for ``g``), which keeps the
    model sparse. The objective is the exact total of ``a_i × min(D_i, distance to the nearest
    new facility)``: the classic p-median on distances capped at the radius.

    Parameters
    ----------
    problem
        The siting problem (``radius_m`` is the cap; give more than the threshold).
    p
        At most this many new sites.
    budget
        At most this total cost.
    """

    name: ModelName = "pmedian"
    purpose = "median"
    sense = "min"

    def __init__(
        self, problem: SitingProblem, *, p: int | None = None, budget: float | None = None
    ) -> None:
        if p is None and budget is None:
            raise DataError("PMedian: give p (most new sites) or budget (most cost), or both")
        super().__init__(problem, p=p, budget=budget)

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: npt.ArrayLike | sp.sparray | sp.spmatrix,
        weights: npt.ArrayLike,
        p_facilities: int,
        *,
        radius_m: float,
        site_cost: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
        existing_m: npt.ArrayLike | None = None,
        budget: float | None = None,
    ) -> PMedian:
        """spopt's entry point: one kind, a demand × site matrix of distances (m), capped at
        ``radius_m``."""
        problem = SitingProblem.from_cost_matrix(
            cost_matrix,
            weights,
            radius_m,
            radius_m=radius_m,
            site_cost=site_cost,
            capacity=capacity,
            existing_m=existing_m,
        )
        return cls(problem, p=p_facilities, budget=budget)

    @property
    def fallback_total(self) -> float:
        """Σ_i a_i D_i over every kind: the objective with no new site."""
        p = self.problem
        fb = np.minimum(p.existing_m, p.radius_m[None, :])
        return float((p.residents[:, None] * fb).sum())

    def _assemble(self) -> LinearModel:
        st = self.structure
        nb = st.n_base
        w = st.group_weight
        sel = np.flatnonzero(w[st.inc_group] > 0)
        w_col = nb + np.arange(sel.shape[0], dtype=np.int64)
        n_cols = nb + sel.shape[0]
        g_of = st.inc_group[sel]
        opt = st.inc_option[sel]
        rows: list[tuple[IntArray, IntArray, FloatArray]] = []
        lo: list[float] = []
        hi: list[float] = []
        groups, g_row = np.unique(g_of, return_inverse=True)
        rows.append((g_row.astype(np.int64), w_col, np.ones(sel.shape[0])))
        lo.extend([-math.inf] * groups.shape[0])
        hi.extend([1.0] * groups.shape[0])
        r1 = len(lo)
        n_e = sel.shape[0]
        rows.append((r1 + np.arange(n_e), w_col, np.ones(n_e)))
        rows.append((r1 + np.arange(n_e), st.option_col[opt], -np.ones(n_e)))
        lo.extend([-math.inf] * n_e)
        hi.extend([0.0] * n_e)
        q = st.option_capacity
        if np.isfinite(q).any():
            opts, o_row = np.unique(opt, return_inverse=True)
            finite = np.isfinite(q[opts])
            r2 = len(lo)
            row_of_opt = np.full(opts.shape[0], -1, dtype=np.int64)
            row_of_opt[finite] = r2 + np.arange(int(finite.sum()))
            ok = row_of_opt[o_row] >= 0
            rows.append((row_of_opt[o_row[ok]], w_col[ok], w[g_of[ok]]))
            fo = opts[finite]
            rows.append((row_of_opt[finite], st.option_col[fo], -q[fo]))
            lo.extend([-math.inf] * fo.shape[0])
            hi.extend([0.0] * fo.shape[0])
        self._base_rows(rows, lo, hi)
        cost = np.zeros(n_cols)
        cost[w_col] = w[g_of] * (st.inc_dist[sel] - st.group_fallback_m[g_of])
        integer = np.zeros(n_cols, dtype=bool)
        integer[:nb] = True
        self._w_entries, self._w_col = sel, w_col
        return LinearModel(
            sense="min",
            cost=cost,
            offset=self.fallback_total,
            col_lo=np.zeros(n_cols),
            col_hi=np.ones(n_cols),
            integer=integer,
            matrix=self._matrix(rows, len(lo), n_cols),
            row_lo=np.asarray(lo, dtype=np.float64),
            row_hi=np.asarray(hi, dtype=np.float64),
        )

    def _option_flows(self, values: FloatArray) -> FloatArray | None:
        if not self.capacitated.any():
            return None
        st, p = self.structure, self.problem
        flows = np.zeros((p.n_sites, p.n_kinds))
        opt = st.inc_option[self._w_entries]
        g = st.inc_group[self._w_entries]
        np.add.at(
            flows,
            (st.sites[st.option_site[opt]], st.option_kind[opt]),
            values[self._w_col] * st.group_weight[g],
        )
        return flows

    def evaluate(self, hosted: BoolArray) -> float:
        """Σ residents × min(fallback, walk to the nearest new facility), over kinds."""
        p = self.problem
        after = np.minimum(distance_after(p, hosted), p.radius_m[None, :])
        return float((p.residents[:, None] * after).sum())

    def heuristic(self) -> HeuristicResult | None:
        if self.capacitated.any():
            return None
        return greedy_median(self.structure, p=self.p, budget=self.budget)

    def _objective_of(self, h: HeuristicResult) -> tuple[float, float]:
        total = self.fallback_total
        return total - h.objective, total - h.bound

    def _start(self, h: HeuristicResult) -> FloatArray:
        st = self.structure
        x = np.zeros(self.model.n_cols)
        x[h.sites] = 1.0
        if st.separate:
            chosen = np.zeros(st.n_sites, dtype=bool)
            chosen[h.sites] = True
            x[st.option_col[chosen[st.option_site]]] = 1.0
        sel = self._w_entries
        open_ = x[st.option_col[st.inc_option[sel]]] > 0.5
        g = st.inc_group[sel]
        d = np.where(open_, st.inc_dist[sel], np.inf)
        # the nearest open option of each group gets w = 1
        order = np.lexsort((d, g))
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = g[order][1:] != g[order][:-1]
        pick = order[first & np.isfinite(d[order])]
        x[self._w_col[pick]] = 1.0
        return x


def models_for(name: str) -> type[_Model]:
    """The class of a model name (``mclp``, ``lscp``, ``pmedian``)."""
    table: dict[str, type[_Model]] = {"mclp": MCLP, "lscp": LSCP, "pmedian": PMedian}
    if name not in table:
        raise DataError(f"model: expected one of {', '.join(table)}, got {name!r}")
    return table[name]
