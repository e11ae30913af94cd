"""Pure computations of the audit: per-origin distances, statuses, verdicts, coverage.

Everything here takes arrays or DataFrames and returns new ones; nothing reads files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from wanzheng.audit.result import Verdict

__all__ = [
    "area_coverage",
    "group_share_within",
    "group_weighted_median",
    "kind_coverage",
    "kind_statuses",
    "origin_distances",
    "verdicts",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def origin_distances(
    node_distance_m: FloatArray,
    node_source: npt.NDArray[np.integer],
    origin_node: IntArray,
    origin_leg_m: FloatArray,
) -> tuple[FloatArray, IntArray]:
    """Walking distance from each origin to the nearest facility of each kind.

    Parameters
    ----------
    node_distance_m
        ``[n_kinds, n_nodes]`` network distance (m) from every node to the nearest facility of
        each kind, ``inf`` beyond the engine's cutoff.
    node_source
        ``[n_kinds, n_nodes]`` index of that nearest facility (−1 where none).
    origin_node
        ``[n_origins]`` graph node of each snapped origin, −1 where the origin could not be
        snapped to the network.
    origin_leg_m
        ``[n_origins]`` straight off-network leg (m) from the origin to its snap point.

    Returns
    -------
    distance_m, source
        ``[n_origins, n_kinds]``: node distance plus the origin's leg (``inf`` where the origin
        is unsnapped or nothing is within the cutoff) and the nearest facility's index (−1).
    """
    n_kinds = node_distance_m.shape[0]
    n_origins = origin_node.shape[0]
    distance = np.full((n_origins, n_kinds), np.inf)
    source = np.full((n_origins, n_kinds), -1, dtype=np.int64)
    ok = origin_node >= 0
    if ok.any():
        nodes = origin_node[ok]
        distance[ok] = (node_distance_m[:, nodes] + origin_leg_m[ok][None, :]).T
        source[ok] = node_source[:, nodes].T.astype(np.int64)
    source[~np.isfinite(distance)] = -1
    return distance, source


def kind_statuses(
    distance_m: FloatArray,
    threshold_m: Sequence[float],
    has_data: Sequence[bool],
) -> npt.NDArray[np.object_]:
    """Status of every (origin, kind): ``met``, ``missing`` or ``no_data``.

    A kind is ``met`` where the distance is at most its threshold (inclusive), whatever the
    data: a facility found proves presence. Otherwise it is ``missing`` when the area's
    sources record the kind somewhere, and ``no_data`` when they record it nowhere —
    unknown is not absent.
    """
    thr = np.asarray(threshold_m, dtype=np.float64)
    data = np.asarray(has_data, dtype=bool)
    met = distance_m <= thr[None, :]
    status = np.where(met, "met", np.where(data[None, :], "missing", "no_data"))
    return status.astype(object)


def verdicts(status: npt.NDArray[np.object_]) -> list[Verdict]:
    """Complete-community verdict of each row of ``status`` (origins × audited kinds).

    ``incomplete`` if any kind is ``missing``; else ``undetermined`` if any is ``no_data``;
    else ``complete``.
    """
    out: list[Verdict] = []
    for row in status:
        values = set(row.tolist())
        if "missing" in values:
            out.append("incomplete")
        elif "no_data" in values:
            out.append("undetermined")
        else:
            out.append("complete")
    return out


def area_coverage(
    status: npt.NDArray[np.object_],
    population: FloatArray,
    kinds: Sequence[str],
) -> pd.DataFrame:
    """Population-weighted coverage per kind over the whole area.

    ``population_share`` = Σ population of communities where the kind is met ÷ Σ population of
    communities with a known population (NaN when no population is known).
    """
    pop = np.asarray(population, dtype=np.float64)
    known = np.isfinite(pop)
    total = float(pop[known].sum()) if known.any() else float("nan")
    rows = []
    for j, kind in enumerate(kinds):
        met = status[:, j] == "met"
        covered = float(pop[met & known].sum()) if known.any() else float("nan")
        rows.append(
            {
                "kind": kind,
                "communities_met": int(met.sum()),
                "communities_missing": int((status[:, j] == "missing").sum()),
                "communities_no_data": int((status[:, j] == "no_data").sum()),
                "population_covered": covered,
                "population_total": total,
                "population_share": covered / total if total and total > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def kind_coverage(
    communities: pd.DataFrame, facilities: pd.DataFrame, kinds: pd.DataFrame
) -> pd.DataFrame:
    """Coverage per kind from a finished audit's tables, as the audit reports it.

    Parameters
    ----------
    communities
        One row per community with ``population`` and a ``{kind}_status`` column per kind.
    facilities
        One row per (facility, kind) with ``kind``.
    kinds
        The audited kinds (``key`` and the catalogue columns), in the order of the output.

    Returns
    -------
    pandas.DataFrame
        The kinds' columns (``key`` renamed ``kind``), ``facilities`` (count of that kind),
        ``has_data`` (at least one facility) and the columns of :func:`area_coverage`.
    """
    keys = [str(k) for k in kinds["key"]]
    status = (
        communities[[f"{k}_status" for k in keys]].astype(str).to_numpy(object)
        if keys
        else np.empty((len(communities), 0), dtype=object)
    )
    pop = pd.to_numeric(communities["population"], errors="coerce").to_numpy(np.float64)
    cov = area_coverage(status, pop, keys)
    counts = facilities["kind"].value_counts()
    out = kinds.rename(columns={"key": "kind"}).merge(cov, on="kind")
    out.insert(6, "facilities", [int(counts.get(k, 0)) for k in keys])
    out.insert(7, "has_data", [int(counts.get(k, 0)) > 0 for k in keys])
    return out


def group_weighted_median(
    distance_m: FloatArray,
    weight: FloatArray,
    group: IntArray,
    n_groups: int,
) -> tuple[FloatArray, IntArray]:
    """Weighted median distance per group and kind (the distance half the residents live within).

    Parameters
    ----------
    distance_m
        ``[n_members, n_kinds]`` distance of every member (e.g. building) to each kind.
    weight
        ``[n_members]`` weight of each member (residents or floor area), > 0.
    group
        ``[n_members]`` group (community) of each member, in ``0 … n_groups-1``.

    Returns
    -------
    median_m, member
        ``[n_groups, n_kinds]``: the smallest distance ``d`` such that members within ``d``
        weigh at least half the group's weight (NaN for a group with no member), and the row of
        the member that attains it (−1 for an empty group).
    """
    n_kinds = distance_m.shape[1]
    median = np.full((n_groups, n_kinds), np.nan)
    member = np.full((n_groups, n_kinds), -1, dtype=np.int64)
    for g in range(n_groups):
        rows = np.flatnonzero(group == g)
        if not rows.size:
            continue
        w = weight[rows]
        half = 0.5 * float(w.sum())
        for j in range(n_kinds):
            order = np.argsort(distance_m[rows, j], kind="stable")
            cum = np.cumsum(w[order])
            k = int(np.searchsorted(cum, half - 1e-9 * half))
            median[g, j] = distance_m[rows[order[k]], j]
            member[g, j] = rows[order[k]]
    return median, member


def group_share_within(
    distance_m: FloatArray,
    weight: FloatArray,
    group: IntArray,
    n_groups: int,
    threshold_m: Sequence[float],
) -> FloatArray:
    """Weighted share (0–1) of each group's members within each kind's threshold (NaN if empty)."""
    thr = np.asarray(threshold_m, dtype=np.float64)
    within = (distance_m <= thr[None, :]).astype(np.float64) * weight[:, None]
    num = np.zeros((n_groups, distance_m.shape[1]))
    den = np.zeros(n_groups)
    np.add.at(num, group, within)
    np.add.at(den, group, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        share: FloatArray = np.where(den[:, None] > 0, num / den[:, None], np.nan)
    return share
