"""One siting run on an audit held in memory: demand, candidates, model, alternatives, outcome."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from wanzheng.errors import DataError
from wanzheng.network.graph import WalkGraph
from wanzheng.plan.models import ModelName
from wanzheng.plan.outcome import PlanOutcome, alternatives, plan_outcome, solve_model
from wanzheng.plan.siting import (
    SitingInputs,
    build_problem,
    demand_points,
    network_candidates,
    require_reachable,
)

__all__ = ["MEDIAN_RADIUS_FACTOR", "name_sites", "site_plan"]

MEDIAN_RADIUS_FACTOR = 2.0
"""p-median counts a walk at most this many thresholds long (a resident beyond every facility
counts this much); covering models keep pairs within the threshold only."""


def site_plan(
    graph: WalkGraph,
    *,
    communities: pd.DataFrame,
    facilities: pd.DataFrame,
    kinds: pd.DataFrame,
    sited: Sequence[str],
    buildings: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    model: ModelName = "mclp",
    p: int | None = None,
    budget: float | None = None,
    time_limit_s: float = 60.0,
    demand_by: Literal["communities", "buildings"] = "communities",
    spacing_m: float = 150.0,
    alternatives_max: int = 0,
    site_name: Callable[[float, float], str | None] | None = None,
) -> tuple[PlanOutcome, SitingInputs]:
    """Site new facilities of the ``sited`` kinds for an audit's communities.

    Parameters
    ----------
    graph
        The audit's walking network.
    communities, facilities, kinds
        The audit's tables (``kinds``: ``key``, ``name_zh``, ``threshold_m``, ``in_verdict``).
    sited
        Kind keys to site; each must be an audited kind with a walking threshold.
    buildings
        Residential buildings, for ``demand_by="buildings"``.
    candidates
        The office's candidate sites (:func:`wanzheng.data.candidates.load_candidates`);
        ``None`` proposes sites from the network (:func:`network_candidates`, ``spacing_m``).
    model, p, budget, time_limit_s
        The model and its limits (``p`` most new sites, ``budget`` most cost).
    alternatives_max
        Also solve ``p = 1 … alternatives_max`` (0: no alternatives).
    site_name
        Names a site proposed from the network from its WGS-84 ``(lon, lat)``
        (:meth:`wanzheng.place.reverse.PlaceNamer.name_site`); see :func:`name_sites`.
    """
    table = kinds.set_index(kinds["key"].astype(str))
    pairs: list[tuple[str, float]] = []
    for key in sited:
        if key not in table.index:
            raise DataError(
                f"--kinds: {key!r} is not a kind of this audit (audited: {', '.join(table.index)})"
            )
        value = pd.to_numeric(pd.Series([table.at[key, "threshold_m"]]), errors="coerce")
        threshold = float(value.iloc[0])
        if not math.isfinite(threshold):
            raise DataError(f"--kinds: {key!r} has no walking threshold; it cannot be sited")
        pairs.append((key, threshold))
    if len(set(sited)) != len(sited):
        raise DataError(f"--kinds: a kind is named twice ({', '.join(sited)})")
    if model in ("mclp", "pmedian") and p is None and budget is None:
        raise DataError(f"{model}: give --add N (most new sites) or --budget B (most cost)")
    demand = demand_points(communities, buildings=buildings if demand_by == "buildings" else None)
    if candidates is None:
        cand = network_candidates(graph, communities, spacing_m=spacing_m)
        cand["name"] = name_sites(cand, site_name)
    else:
        cand = candidates
    if len(cand) == 0:
        raise DataError("no candidate site: give --candidates FILE (none found on the network)")
    thr = np.array([t for _, t in pairs])
    radius = thr * MEDIAN_RADIUS_FACTOR if model == "pmedian" else thr
    inputs = build_problem(
        graph,
        demand=demand,
        candidates=cand,
        facilities=facilities,
        kinds=pairs,
        radius_m=list(radius),
    )
    require_reachable(inputs)
    result = solve_model(inputs.problem, model, p=p, budget=budget, time_limit_s=time_limit_s)
    alt = (
        alternatives(
            inputs.problem, model, p_max=alternatives_max, budget=budget, time_limit_s=time_limit_s
        )
        if alternatives_max > 0 and model != "lscp"
        else None
    )
    in_verdict = {
        str(k): bool(v) if "in_verdict" in kinds else True
        for k, v in zip(
            kinds["key"],
            kinds["in_verdict"] if "in_verdict" in kinds else [True] * len(kinds),
            strict=True,
        )
    }
    outcome = plan_outcome(
        result, inputs, communities, in_verdict=in_verdict, alternatives_table=alt
    )
    return outcome, inputs


def name_sites(
    candidates: pd.DataFrame, site_name: Callable[[float, float], str | None] | None
) -> list[str]:
    """Names for sites proposed from the network, each one different.

    ``site_name(lon, lat)`` gives the words (``学院路与成府路交叉口附近``); a name given to
    several sites is numbered in the order of the sites (``…附近（2）``); a site without
    words is ``路网候选点 <id>``. The ``id`` column stays as it was (``N<node>``).
    """
    ids = candidates["id"].astype(str).tolist()
    lons = candidates["lon"].to_numpy(np.float64)
    lats = candidates["lat"].to_numpy(np.float64)
    words = [
        (site_name(float(x), float(y)) if site_name is not None else None) or f"路网候选点 {i}"
        for i, x, y in zip(ids, lons, lats, strict=True)
    ]
    total: dict[str, int] = {}
    for w in words:
        total[w] = total.get(w, 0) + 1
    seen: dict[str, int] = {}
    named = []
    for w in words:
        seen[w] = seen.get(w, 0) + 1
        named.append(f"{w}（{seen[w]}）" if total[w] > 1 else w)
    return named
