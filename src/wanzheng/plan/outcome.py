"""What a siting plan changes: sites with their kinds, communities before and after, verdicts.

:func:`plan_outcome` takes a solved :class:`~wanzheng.plan.SitingResult`, the demand and
candidate tables it was built from and the audit's communities table, and returns a
:class:`PlanOutcome` whose tables the report writers and the web read. :func:`alternatives`
solves the same model for ``p = 1 … N`` so that a meeting can choose between plans (the
cost–coverage curve). Pure functions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wanzheng.audit.compute import group_weighted_median, verdicts
from wanzheng.errors import DataError
from wanzheng.plan.models import LSCP, MCLP, ModelName, PMedian, SitingResult, distance_after
from wanzheng.plan.problem import SitingProblem
from wanzheng.plan.siting import SitingInputs

__all__ = ["ALTERNATIVE_COLUMNS", "PlanOutcome", "alternatives", "plan_outcome", "solve_model"]

ALTERNATIVE_COLUMNS = [
    "p",
    "status",
    "objective",
    "bound",
    "gap",
    "n_sites",
    "cost",
    "residents_new",
    "sites",
]
"""Columns of the alternatives table: one plan per ``p`` (at most ``p`` new sites)."""


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A solved plan told in the audit's terms.

    Attributes
    ----------
    result
        The solved model.
    sites
        One row per chosen site: ``id``, ``name``, ``lon``, ``lat``, ``source``, ``kinds``,
        ``cost``, ``residents_new`` (residents newly within the threshold, per kind summed),
        ``residents_served``, ``{kind}_new`` and ``communities_new`` (names, 、-joined, of
        the communities whose residents it newly brings within a hosted kind's threshold).
    communities
        One row per community of the audit: ``id``, ``name``, ``population``, for each sited
        kind ``{k}_distance_before_m`` / ``{k}_distance_after_m`` (m, inf beyond the radius),
        ``{k}_status_before`` / ``{k}_status_after`` and ``{k}_residents_new``;
        ``verdict_before`` (the audit's), ``verdict_after`` (recomputed over the same kinds with
        the plan's sites added) and ``changed``.
    alternatives
        :data:`ALTERNATIVE_COLUMNS` (empty unless computed).
    dropped
        Candidate sites left out of the problem, with the reason.
    summary
        Plain figures: model, status, objective, residents newly covered, communities that
        become complete …
    """

    result: SitingResult
    sites: pd.DataFrame
    communities: pd.DataFrame
    alternatives: pd.DataFrame
    dropped: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def became_complete(self) -> pd.DataFrame:
        """Communities whose verdict turns ``complete``."""
        c = self.communities
        return c[(c["verdict_after"] == "complete") & (c["verdict_before"] != "complete")]


def solve_model(
    problem: SitingProblem,
    model: ModelName,
    *,
    p: int | None = None,
    budget: float | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """Build and solve one model (``lscp`` ignores ``p``; with a budget it minimises cost)."""
    if model == "mclp":
        return MCLP(problem, p=p, budget=budget).solve(time_limit_s=time_limit_s)
    if model == "pmedian":
        return PMedian(problem, p=p, budget=budget).solve(time_limit_s=time_limit_s)
    if model == "lscp":
        unit_costs = bool(np.all(problem.site_cost == 1.0)) and not problem.kind_cost.any()
        return LSCP(problem, objective="sites" if unit_costs else "cost").solve(
            time_limit_s=time_limit_s
        )
    raise DataError(f"model: expected mclp, lscp or pmedian, got {model!r}")


def alternatives(
    problem: SitingProblem,
    model: ModelName,
    *,
    p_max: int,
    budget: float | None = None,
    time_limit_s: float = 60.0,
) -> pd.DataFrame:
    """The best plan for every ``p = 1 … p_max`` (same model, same budget): a curve to choose on.

    Returns
    -------
    pandas.DataFrame
        :data:`ALTERNATIVE_COLUMNS`; ``residents_new`` is counted the same way for every model
        (residents newly within the threshold), so the rows of a p-median curve compare too.
    """
    if model == "lscp":
        raise DataError("alternatives: set covering has one answer; use mclp or pmedian")
    if isinstance(p_max, bool) or not isinstance(p_max, int) or p_max < 1:
        raise DataError(f"p_max: expected a whole number >= 1, got {p_max!r}")
    rows: list[dict[str, Any]] = []
    for p in range(1, p_max + 1):
        r = solve_model(problem, model, p=p, budget=budget, time_limit_s=time_limit_s)
        rows.append(
            {
                "p": p,
                "status": r.status,
                "objective": r.objective,
                "bound": r.bound,
                "gap": r.gap,
                "n_sites": r.n_sites,
                "cost": r.cost,
                "residents_new": r.residents_newly_covered(),
                "sites": ";".join(str(s) for s in r.sites["id"]),
            }
        )
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


def _after_status(before: str, met_after: bool, placed: bool) -> str:
    if met_after:
        return "met"
    if before == "no_data" and placed:
        return "missing"  # the plan brings the kind into the area: absent here is now known
    return before


def plan_outcome(
    result: SitingResult,
    inputs: SitingInputs,
    communities: pd.DataFrame,
    *,
    in_verdict: Mapping[str, bool],
    alternatives_table: pd.DataFrame | None = None,
) -> PlanOutcome:
    """Tell a solved plan in the audit's terms.

    Parameters
    ----------
    result
        The solved model (its problem built by :func:`wanzheng.plan.build_problem`).
    inputs
        What the problem was built from.
    communities
        The audit's communities table (``id``, ``name``, ``population``, ``verdict`` and, for
        every audited kind, ``{k}_distance_m`` and ``{k}_status``).
    in_verdict
        For every audited kind, whether it decides the verdict.

    Notes
    -----
    A community's walk after the plan is the shorter of the audit's walk and the walk from its
    demand point to the nearest new site; with buildings as demand points, the walk from the
    new sites is the residents' weighted median over the community's buildings, as the audit
    computes it. The verdict after is recomputed from the statuses, never copied.
    """
    problem = result.problem
    comm = communities.reset_index(drop=True)
    n_c = len(comm)
    demand = inputs.demand
    group = demand["community"].to_numpy(np.int64)
    keys = list(problem.kinds)
    audited = list(in_verdict)
    for key in keys:
        if f"{key}_distance_m" not in comm or f"{key}_status" not in comm:
            raise DataError(f"communities: kind {key!r} was not audited (no {key}_status column)")
    # the walk to the nearest *new* site alone (no existing facility), per demand point
    only_new = distance_after(
        dataclasses.replace(problem, existing_m=np.full(problem.existing_m.shape, np.inf)),
        result.hosted,
    )
    resid = problem.residents
    covered_after = result.covered_after()
    newly = covered_after & ~problem.covered_before()
    weights = np.where(resid > 0, resid, 1.0)
    median, _ = group_weighted_median(only_new, weights, group, n_c)
    placed: npt.NDArray[np.bool_] = np.asarray(result.hosted.any(axis=0), dtype=bool)
    out = comm[["id", "name"]].copy()
    out["id"] = out["id"].astype(str)
    out["population"] = pd.to_numeric(comm["population"], errors="coerce")
    status_after: dict[str, npt.NDArray[np.object_]] = {}
    for k, key in enumerate(keys):
        before = pd.to_numeric(comm[f"{key}_distance_m"], errors="coerce").to_numpy(np.float64)
        before = np.where(np.isnan(before), np.inf, before)
        from_new = np.where(np.isnan(median[:, k]), np.inf, median[:, k])
        after = np.minimum(before, from_new)
        st_before = comm[f"{key}_status"].astype(str).to_numpy(object)
        met_after = after <= problem.threshold_m[k]
        st_after = np.empty(n_c, dtype=object)
        st_after[:] = [
            _after_status(str(b), bool(m), bool(placed[k]))
            for b, m in zip(st_before, met_after, strict=True)
        ]
        status_after[key] = st_after
        gained = np.zeros(n_c)
        np.add.at(gained, group, resid * newly[:, k])
        out[f"{key}_distance_before_m"] = before
        out[f"{key}_distance_after_m"] = after
        out[f"{key}_status_before"] = st_before
        out[f"{key}_status_after"] = st_after
        out[f"{key}_residents_new"] = gained
    deciding = [a for a in audited if in_verdict[a] and f"{a}_status" in comm]
    after_verdict: list[str]
    if deciding:
        st = np.column_stack(
            [
                status_after[a]
                if a in status_after
                else comm[f"{a}_status"].astype(str).to_numpy(object)
                for a in deciding
            ]
        ).astype(object)
        after_verdict = [str(v) for v in verdicts(st)]
    else:
        after_verdict = [str(v) for v in comm["verdict"]]
    out["verdict_before"] = comm["verdict"].astype(str).to_numpy(object)
    out["verdict_after"] = after_verdict
    out["changed"] = out["verdict_before"] != out["verdict_after"]
    sites = _sites(result, inputs)
    label = (
        comm["name"]
        .fillna("")
        .astype(str)
        .where(comm["name"].fillna("").astype(str) != "", comm["id"].astype(str))
    )
    sites["communities_new"] = _communities_reached(result, inputs, newly, label.to_numpy(object))
    alt = (
        alternatives_table
        if alternatives_table is not None
        else pd.DataFrame(columns=ALTERNATIVE_COLUMNS)
    )
    became = int(
        ((out["verdict_after"] == "complete") & (out["verdict_before"] != "complete")).sum()
    )
    summary: dict[str, Any] = {
        "model": result.model,
        "status": result.status,
        "objective": _num(result.objective),
        "bound": _num(result.bound),
        "gap": _num(result.gap),
        "reason": result.reason,
        "solver": result.solver,
        "kinds": ";".join(keys),
        "threshold_m": ";".join(f"{t:g}" for t in problem.threshold_m),
        "p": result.p,
        "budget": result.budget,
        "n_candidates": problem.n_sites,
        "n_candidates_dropped": len(inputs.dropped),
        "n_demand": problem.n_demand,
        "n_sites": result.n_sites,
        "cost": result.cost,
        "residents_new": result.residents_newly_covered(),
        "communities_changed": int(out["changed"].sum()),
        "communities_complete_before": int((out["verdict_before"] == "complete").sum()),
        "communities_complete_after": int((out["verdict_after"] == "complete").sum()),
        "communities_became_complete": became,
        "seconds": round(float(result.seconds.get("total", math.nan)), 3),
    }
    return PlanOutcome(
        result=result,
        sites=sites,
        communities=out,
        alternatives=alt,
        dropped=inputs.dropped,
        summary=summary,
    )


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _communities_reached(
    result: SitingResult,
    inputs: SitingInputs,
    newly: npt.NDArray[np.bool_],
    names: npt.NDArray[np.object_],
) -> list[str]:
    """Per chosen site, the communities (、-joined names) with residents it newly brings
    within a hosted kind's threshold (a resident reached by two new sites counts for both)."""
    problem = result.problem
    group = inputs.demand["community"].to_numpy(np.int64)
    out: list[str] = []
    for j in result.sites["site"].to_numpy(np.int64):
        reached: set[int] = set()
        pairs = np.flatnonzero(problem.pair_site == j)
        for k in np.flatnonzero(result.hosted[j]):
            near = pairs[problem.pair_distance_m[pairs] <= problem.threshold_m[k]]
            dem = problem.pair_demand[near]
            dem = dem[newly[dem, k] & (problem.residents[dem] > 0)]
            reached.update(int(c) for c in group[dem])
        out.append("、".join(str(names[c]) for c in sorted(reached)))
    return out


def _sites(result: SitingResult, inputs: SitingInputs) -> pd.DataFrame:
    table = result.sites.copy()
    cand = inputs.candidates
    j = table["site"].to_numpy(np.int64)
    for col in ("name", "lon", "lat", "source"):
        table.insert(2 if col == "name" else len(table.columns), col, cand[col].to_numpy()[j])
    cols: Sequence[str] = ["id", "name", "lon", "lat", "source", "kinds", "n_kinds", "cost"]
    rest = [c for c in table.columns if c not in cols and c != "site"]
    return table[[*cols, *rest]].reset_index(drop=True)
