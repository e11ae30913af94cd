"""What every model is made of: options (site × kind), demand groups and their incidence.

A *site* is a candidate location; an *option* is one kind a site may host. Demand points of one
kind that the same options reach (at the same distances, for p-median) are merged into one
*group* carrying their summed residents: the models are exact over groups and much smaller
(points in one building block, or snapped to one street node, share their options).

Columns of every model start with the *base columns*: one binary ``y`` per useful site and, only
when the choice of kinds at a site matters (kinds with their own cost at a site that may host
several), one binary ``x`` per option. Otherwise an option *is* its site's column: a site that
is used hosts every requested kind it may host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from wanzheng.plan.problem import SitingProblem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Purpose = Literal["cover", "median"]


@dataclass(frozen=True, slots=True)
class Structure:
    """Options, groups and incidence of one problem for one purpose.

    Attributes
    ----------
    sites
        int64 ``[S]``: candidate sites with at least one useful option (the heuristic's
        elements, the ``y`` columns ``0 … S-1``).
    option_site, option_kind
        int64 ``[O]``: site (index into ``sites``, not the problem) and kind of each option.
    option_col
        int64 ``[O]``: base column of each option (its site's column when merged).
    separate
        True when options have ``x`` columns of their own (columns ``S … S+O-1``).
    col_cost
        float64 ``[n_base]``: cost of each base column (site cost, plus the kind's cost
        when merged).
    option_cost
        float64 ``[O]``: the kind's own cost at the site.
    option_capacity
        float64 ``[O]``: residents the option can serve (inf = no limit).
    group_kind, group_weight
        ``[G]``: kind and summed residents of each group.
    group_fallback_m
        float64 ``[G]``: p-median: the distance counted when no chosen option is closer
        (existing facility or the radius); covering: NaN.
    member_start, members
        CSR: the demand points of group ``g`` are ``members[member_start[g]:…[g+1]]``.
    inc_group, inc_option, inc_dist
        ``[E]``: incidence, sorted by group: option ``inc_option`` reaches group
        ``inc_group`` at ``inc_dist`` metres (covering: within the threshold; median: closer
        than the fallback).
    unreachable
        bool ``[I, K]``: demand points that need the kind (not covered by an existing
        facility) and that no candidate option reaches within the threshold (covering only).
    needs
        bool ``[I, K]``: demand points that need the kind (covering: not covered by an
        existing facility; median: a candidate is closer than the fallback).
    """

    sites: IntArray
    option_site: IntArray
    option_kind: IntArray
    option_col: IntArray
    separate: bool
    col_cost: FloatArray
    option_cost: FloatArray
    option_capacity: FloatArray
    group_kind: IntArray
    group_weight: FloatArray
    group_fallback_m: FloatArray
    member_start: IntArray
    members: IntArray
    inc_group: IntArray
    inc_option: IntArray
    inc_dist: FloatArray
    unreachable: BoolArray
    needs: BoolArray

    @property
    def n_sites(self) -> int:
        return int(self.sites.shape[0])

    @property
    def n_options(self) -> int:
        return int(self.option_site.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_kind.shape[0])

    @property
    def n_base(self) -> int:
        return self.n_sites + (self.n_options if self.separate else 0)

    @property
    def inc_site(self) -> IntArray:
        return self.option_site[self.inc_option]

    def site_cost_full(self) -> FloatArray:
        """Cost of a site hosting every one of its options (``[S]``)."""
        cost = self.col_cost[: self.n_sites].copy()
        if self.separate:
            np.add.at(cost, self.option_site, self.option_cost)
        return cost

    def site_cost_least(self) -> FloatArray:
        """Least cost of a site hosting at least one option (``[S]``)."""
        cost = self.col_cost[: self.n_sites].copy()
        if self.separate:
            least = np.full(self.n_sites, np.inf)
            np.minimum.at(least, self.option_site, self.option_cost)
            cost += np.where(np.isfinite(least), least, 0.0)
        return cost


def build_structure(problem: SitingProblem, purpose: Purpose) -> Structure:
    """Options, groups and incidence for covering (MCLP, LSCP) or p-median models."""
    p = problem
    n_i, n_k = p.n_demand, p.n_kinds
    resid = p.residents
    before = p.covered_before()
    kind_limit = p.threshold_m if purpose == "cover" else p.radius_m
    # pairs usable per kind: the site may host the kind and the pair is within the limit
    pk_rows: list[tuple[IntArray, IntArray, FloatArray]] = []
    needs = np.zeros((n_i, n_k), dtype=bool)
    fallback = np.full((n_i, n_k), np.nan)
    for k in range(n_k):
        ok = p.allowed[p.pair_site, k] & (p.pair_distance_m <= kind_limit[k])
        di, sj, dd = p.pair_demand[ok], p.pair_site[ok], p.pair_distance_m[ok]
        if purpose == "cover":
            need_k = ~before[:, k]
            keep = need_k[di]
        else:
            fb = np.minimum(p.existing_m[:, k], p.radius_m[k])
            fallback[:, k] = fb
            keep = dd < fb[di]
            need_k = np.zeros(n_i, dtype=bool)
            need_k[di[keep]] = True
        needs[:, k] = need_k
        pk_rows.append((di[keep], sj[keep], dd[keep]))

    # options: (site, kind) pairs that reach somebody who needs the kind
    opt_pairs = np.unique(
        np.concatenate(
            [sj * n_k + k for k, (_, sj, _) in enumerate(pk_rows)] or [np.zeros(0, np.int64)]
        )
    )
    option_site_p = opt_pairs // n_k
    option_kind = opt_pairs % n_k
    sites, option_site = np.unique(option_site_p, return_inverse=True)
    option_site = option_site.astype(np.int64)
    n_s, n_o = sites.shape[0], option_site_p.shape[0]
    option_cost = p.kind_cost[option_site_p, option_kind].astype(np.float64)
    per_site = np.bincount(option_site, minlength=n_s)
    separate = bool(((option_cost > 0) & (per_site[option_site] > 1)).any())
    col_cost = p.site_cost[sites].astype(np.float64)
    if separate:
        option_col = n_s + np.arange(n_o, dtype=np.int64)
        col_cost = np.concatenate([col_cost, option_cost])
    else:
        option_col = option_site.copy()
        np.add.at(col_cost, option_site, option_cost)
    option_capacity = p.capacity[option_site_p, option_kind].astype(np.float64)

    g_kind: list[int] = []
    g_weight: list[float] = []
    g_fb: list[float] = []
    m_start = [0]
    members: list[int] = []
    inc_g: list[IntArray] = []
    inc_o: list[IntArray] = []
    inc_d: list[FloatArray] = []
    unreachable = np.zeros((n_i, n_k), dtype=bool)
    for k, (di, sj, dd) in enumerate(pk_rows):
        opt = np.searchsorted(opt_pairs, sj * n_k + k).astype(np.int64)
        start = np.searchsorted(di, np.arange(n_i + 1))
        groups: dict[bytes, int] = {}
        group_members: list[list[int]] = []
        group_slices: list[tuple[int, int]] = []
        for i in np.flatnonzero(needs[:, k]):
            a, b = int(start[i]), int(start[i + 1])
            if a == b:
                if purpose == "cover":
                    unreachable[i, k] = True
                continue
            if purpose == "cover":
                key = opt[a:b].tobytes()
            else:
                key = opt[a:b].tobytes() + dd[a:b].tobytes() + np.float64(fallback[i, k]).tobytes()
            g = groups.get(key)
            if g is None:
                g = len(group_slices)
                groups[key] = g
                group_slices.append((a, b))
                group_members.append([])
            group_members[g].append(int(i))
        base = len(g_kind)
        for g, (a, b) in enumerate(group_slices):
            mem = group_members[g]
            g_kind.append(k)
            g_weight.append(float(resid[mem].sum()))
            g_fb.append(float(fallback[mem[0], k]) if purpose == "median" else np.nan)
            members.extend(mem)
            m_start.append(len(members))
            inc_g.append(np.full(b - a, base + g, dtype=np.int64))
            inc_o.append(opt[a:b])
            inc_d.append(dd[a:b])
    empty_i = np.zeros(0, np.int64)
    return Structure(
        sites=sites.astype(np.int64),
        option_site=option_site,
        option_kind=option_kind.astype(np.int64),
        option_col=option_col.astype(np.int64),
        separate=separate,
        col_cost=col_cost,
        option_cost=option_cost,
        option_capacity=option_capacity,
        group_kind=np.asarray(g_kind, dtype=np.int64),
        group_weight=np.asarray(g_weight, dtype=np.float64),
        group_fallback_m=np.asarray(g_fb, dtype=np.float64),
        member_start=np.asarray(m_start, dtype=np.int64),
        members=np.asarray(members, dtype=np.int64),
        inc_group=np.concatenate(inc_g) if inc_g else empty_i,
        inc_option=np.concatenate(inc_o) if inc_o else empty_i,
        inc_dist=np.concatenate(inc_d) if inc_d else np.zeros(0),
        unreachable=unreachable,
        needs=needs,
    )
