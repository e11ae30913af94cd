"""Where a consultation starts and what it offers: a community's missing kinds read from a
finished audit, and the costed siting alternatives for one of them — pure functions over the
audit's tables and the plan module's siting problem.

A gap option is one candidate site for the missing kind with its cost (the site's cost plus
the kind's own, from the office's candidate table) and the residents it newly brings within
the kind's walking threshold (the plan's ``residents_new``, counted over every demand point,
not only the community's). The first option is the optimum of the plan's maximal covering
model with one new site (:class:`wanzheng.plan.MCLP`, ``p = 1``); each next one is the best
site left. Only sites that newly reach the community itself are offered: the consultation
is that community's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wanzheng.errors import DataError
from wanzheng.network.graph import WalkGraph
from wanzheng.plan.siting import build_problem, demand_points, require_reachable

__all__ = ["OptionDraft", "community_gaps", "gap_options"]


@dataclass(frozen=True, slots=True)
class OptionDraft:
    """An option before it is stored: what residents read and vote on."""

    title: str
    description: str = ""
    source: str = "staff"
    cost: float | None = None
    residents_new: float | None = None
    site: dict[str, Any] | None = None
    reach: list[list[float]] = field(default_factory=list)  # [lon, lat, residents] newly reached


def community_gaps(
    communities: pd.DataFrame, kinds: pd.DataFrame, *, community_id: str
) -> pd.DataFrame:
    """The kinds an audit found ``missing`` for one community.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``name_zh``, ``threshold_m``, ``distance_m`` (m to the nearest facility,
        inf beyond the search), ``in_verdict``; in the catalogue's order.
    """
    table = communities.set_index(communities["id"].astype(str))
    if community_id not in table.index:
        raise DataError(f"community: {community_id!r} is not a community of this audit")
    row = table.loc[community_id]
    out = []
    for k in kinds.itertuples(index=False):
        key = str(k.key)
        if row.get(f"{key}_status") != "missing":
            continue
        dist = pd.to_numeric(pd.Series([row.get(f"{key}_distance_m")]), errors="coerce")
        d = float(dist.to_numpy(np.float64)[0])
        out.append(
            {
                "kind": key,
                "name_zh": str(k.name_zh),
                "threshold_m": float(str(k.threshold_m)),
                "distance_m": d if math.isfinite(d) else math.inf,
                "in_verdict": bool(getattr(k, "in_verdict", True)),
            }
        )
    return pd.DataFrame(out, columns=["kind", "name_zh", "threshold_m", "distance_m", "in_verdict"])


def gap_options(
    graph: WalkGraph,
    *,
    communities: pd.DataFrame,
    facilities: pd.DataFrame,
    kinds: pd.DataFrame,
    candidates: pd.DataFrame,
    community_id: str,
    kind: str,
    n: int = 2,
) -> list[OptionDraft]:
    """The ``n`` best sites for ``kind`` that newly reach ``community_id``, as options.

    Parameters
    ----------
    graph
        The audit's walking network.
    communities, facilities, kinds
        The audit's tables (:func:`wanzheng.data.audit_output.load_audit_output`).
    candidates
        Candidate sites (:data:`wanzheng.plan.siting.CANDIDATE_COLUMNS`; the office's table
        from :func:`wanzheng.data.candidates.load_candidates`, which carries the costs).

    Raises
    ------
    DataError
        The kind is not a missing kind of the community, or no candidate reaches it.
    """
    gaps = community_gaps(communities, kinds, community_id=community_id)
    if kind not in set(gaps["kind"]):
        raise DataError(
            f"kind: {kind!r} is not missing in {community_id!r} "
            f"(missing: {', '.join(gaps['kind']) or 'none'})"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DataError(f"n: expected a whole number >= 1, got {n!r}")
    gap = gaps[gaps["kind"] == kind].iloc[0]
    threshold = float(gap["threshold_m"])
    name = str(gap["name_zh"])
    demand = demand_points(communities)
    inputs = build_problem(
        graph,
        demand=demand,
        candidates=candidates,
        facilities=facilities,
        kinds=[(kind, threshold)],
    )
    require_reachable(inputs)
    p = inputs.problem
    residents = p.residents
    before = p.covered_before()[:, 0]
    ours = (inputs.demand["community_id"].astype(str) == community_id).to_numpy()
    within = p.pair_distance_m <= threshold
    rows = []
    for j in range(p.n_sites):
        if not p.allowed[j, 0]:
            continue
        m = within & (p.pair_site == j)
        reached = np.unique(p.pair_demand[m])
        new = reached[~before[reached]]
        if not ours[new].any():
            continue
        cost = float(p.site_cost[j] + p.kind_cost[j, 0])
        rows.append((-float(residents[new].sum()), cost, j, new))
    if not rows:
        raise DataError(
            f"candidates: no candidate site brings {community_id!r} within {threshold:g} m "
            f"of a {kind}"
        )
    rows.sort(key=lambda r: (r[0], r[1], str(p.site_ids[r[2]])))
    cand_id = inputs.candidates["id"].astype(str).to_numpy()
    cand_name = inputs.candidates["name"].fillna("").astype(str).to_numpy()
    cand_lon = inputs.candidates["lon"].to_numpy(np.float64)
    cand_lat = inputs.candidates["lat"].to_numpy(np.float64)
    dem_lon = inputs.demand["lon"].to_numpy(np.float64)
    dem_lat = inputs.demand["lat"].to_numpy(np.float64)
    out = []
    for neg, cost, j, new in rows[:n]:
        site_name = cand_name[j] or f"候选点 {cand_id[j]}"
        out.append(
            OptionDraft(
                title=f"在{site_name}新建{name}",
                description=(
                    f"步行 {threshold:g} 米内新覆盖居民约 {-neg:,.0f} 人；估算费用 {cost:g}。"
                ),
                source="plan",
                cost=cost,
                residents_new=-neg,
                site={
                    "id": str(cand_id[j]),
                    "name": site_name,
                    "lon": float(cand_lon[j]),
                    "lat": float(cand_lat[j]),
                    "kind": kind,
                    "threshold_m": threshold,
                },
                reach=[[float(dem_lon[i]), float(dem_lat[i]), float(residents[i])] for i in new],
            )
        )
    return out
