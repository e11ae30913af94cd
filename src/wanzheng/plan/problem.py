"""A siting problem as plain arrays: demand, candidate sites, kinds and sparse walking distances.

Every model (:class:`~wanzheng.plan.MCLP`, :class:`~wanzheng.plan.LSCP`,
:class:`~wanzheng.plan.PMedian`) is built from one :class:`SitingProblem`. The problem holds no
graph and no file: :func:`wanzheng.plan.build_problem` computes it from a walking network, and
:meth:`SitingProblem.from_cost_matrix` from a matrix of distances (spopt's entry point).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from wanzheng.errors import DataError

__all__ = ["SitingProblem"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class SitingProblem:
    """Demand points, candidate sites and the walking distances between them, per kind.

    ``I`` demand points, ``J`` candidate sites, ``K`` facility kinds.

    Attributes
    ----------
    kinds
        Kind keys (``elderly_station`` …), length ``K``.
    threshold_m
        float64 ``[K]``: a demand point is *covered* for kind ``k`` when a facility of the
        kind lies within ``threshold_m[k]`` metres on foot (inclusive).
    radius_m
        float64 ``[K]``: the sparse distances hold every pair within ``radius_m[k]``
        (``>= threshold_m``); p-median counts a walk at most this long (a demand point
        farther from every facility counts ``radius_m``).
    weight
        float64 ``[I]``: residents of every demand point (``>= 0``; NaN = unknown, which
        counts 0 in objectives but must still be covered by :class:`LSCP`).
    existing_m
        float64 ``[I, K]``: walking distance from every demand point to the nearest
        *existing* facility of each kind (``inf`` where none lies within ``radius_m``).
        Existing facilities are fixed: they stay, cost nothing and count for coverage.
    site_cost
        float64 ``[J]``: cost of using a site (paid once, whatever it hosts), ``>= 0``.
    kind_cost
        float64 ``[J, K]``: extra cost of hosting kind ``k`` at site ``j`` (``>= 0``).
    allowed
        bool ``[J, K]``: site ``j`` may host kind ``k``.
    capacity
        float64 ``[J, K]``: residents a kind at a site can serve (``inf`` = no limit).
    pair_demand, pair_site
        int64 ``[P]``: the sparse pairs, sorted by demand then site.
    pair_distance_m
        float64 ``[P]``: walking distance of each pair, ``<= max(radius_m)``. A pair absent
        here is farther than ``max(radius_m)``.
    demand_ids, site_ids
        Labels for output (object arrays, length ``I`` and ``J``).
    """

    kinds: tuple[str, ...]
    threshold_m: FloatArray
    radius_m: FloatArray
    weight: FloatArray
    existing_m: FloatArray
    site_cost: FloatArray
    kind_cost: FloatArray
    allowed: BoolArray
    capacity: FloatArray
    pair_demand: IntArray
    pair_site: IntArray
    pair_distance_m: FloatArray
    demand_ids: npt.NDArray[np.object_]
    site_ids: npt.NDArray[np.object_]

    def __post_init__(self) -> None:
        _validate(self)

    # ------------------------------------------------------------------ sizes

    @property
    def n_demand(self) -> int:
        """Number of demand points ``I``."""
        return int(self.weight.shape[0])

    @property
    def n_sites(self) -> int:
        """Number of candidate sites ``J``."""
        return int(self.site_cost.shape[0])

    @property
    def n_kinds(self) -> int:
        """Number of kinds ``K``."""
        return len(self.kinds)

    @property
    def residents(self) -> FloatArray:
        """Weights with unknown (NaN) as 0: what objectives count."""
        return np.where(np.isfinite(self.weight), self.weight, 0.0)

    def covered_before(self) -> BoolArray:
        """bool ``[I, K]``: covered by an existing facility."""
        return np.asarray(self.existing_m <= self.threshold_m[None, :])

    def kind_index(self, kind: str) -> int:
        """Position of a kind key; :class:`DataError` when absent."""
        try:
            return self.kinds.index(kind)
        except ValueError:
            raise DataError(
                f"kind {kind!r} is not in this problem ({', '.join(self.kinds)})"
            ) from None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: npt.ArrayLike | sp.sparray | sp.spmatrix,
        weights: npt.ArrayLike,
        service_radius: float,
        *,
        kind: str = "facility",
        radius_m: float | None = None,
        existing_m: npt.ArrayLike | None = None,
        site_cost: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
        demand_ids: Sequence[Any] | None = None,
        site_ids: Sequence[Any] | None = None,
    ) -> SitingProblem:
        """One kind from a demand × site matrix of distances (metres), as spopt takes it.

        Parameters
        ----------
        cost_matrix
            ``[I, J]`` distances; a dense array (``inf`` or NaN = unreachable) or a scipy
            sparse matrix whose *stored* entries are the reachable pairs (a stored 0 is a
            distance of 0; an absent entry is unreachable).
        weights
            ``[I]`` residents (demand) of each row.
        service_radius
            Coverage threshold (m).
        radius_m
            Largest distance kept (default: ``service_radius``; give more for p-median).
        existing_m
            ``[I]`` distance to the nearest existing facility (default: none, ``inf``).
        site_cost, capacity
            ``[J]`` cost of each site (default 1: "fewest sites") and residents it can serve
            (default ``inf``).
        """
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        n_i = w.shape[0]
        radius = float(service_radius if radius_m is None else radius_m)
        if sp.issparse(cost_matrix):
            coo = sp.coo_array(cost_matrix)
            if coo.shape[0] != n_i:
                raise DataError(
                    f"cost_matrix: expected {n_i} rows (one per weight), got {coo.shape[0]}"
                )
            n_j = int(coo.shape[1])
            rows = coo.row.astype(np.int64)
            cols = coo.col.astype(np.int64)
            vals = coo.data.astype(np.float64)
        else:
            dense = np.asarray(cost_matrix, dtype=np.float64)
            if dense.ndim != 2 or dense.shape[0] != n_i:
                raise DataError(
                    f"cost_matrix: expected a 2-D array with {n_i} rows (one per weight), "
                    f"got shape {dense.shape}"
                )
            n_j = int(dense.shape[1])
            rows, cols = np.nonzero(np.isfinite(dense))
            vals = dense[rows, cols]
        keep = np.isfinite(vals) & (vals <= radius)
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        order = np.lexsort((cols, rows))
        return cls(
            kinds=(kind,),
            threshold_m=np.array([float(service_radius)]),
            radius_m=np.array([radius]),
            weight=w,
            existing_m=(
                np.full((n_i, 1), np.inf)
                if existing_m is None
                else np.asarray(existing_m, dtype=np.float64).reshape(n_i, 1)
            ),
            site_cost=(np.ones(n_j) if site_cost is None else np.asarray(site_cost, np.float64)),
            kind_cost=np.zeros((n_j, 1)),
            allowed=np.ones((n_j, 1), dtype=bool),
            capacity=(
                np.full((n_j, 1), np.inf)
                if capacity is None
                else np.asarray(capacity, dtype=np.float64).reshape(n_j, 1)
            ),
            pair_demand=rows[order].astype(np.int64),
            pair_site=cols[order].astype(np.int64),
            pair_distance_m=vals[order].astype(np.float64),
            demand_ids=np.asarray(
                list(range(n_i)) if demand_ids is None else list(demand_ids), dtype=object
            ),
            site_ids=np.asarray(
                list(range(n_j)) if site_ids is None else list(site_ids), dtype=object
            ),
        )


def _validate(p: SitingProblem) -> None:
    """Shapes, ranges and sortedness; a :class:`DataError` that names the field."""
    k = len(p.kinds)
    if k == 0:
        raise DataError("kinds: expected at least one kind")
    if len(set(p.kinds)) != k:
        raise DataError(f"kinds: expected distinct keys, got {list(p.kinds)}")
    n_i = int(np.asarray(p.weight).shape[0])
    n_j = int(np.asarray(p.site_cost).shape[0])
    shapes: dict[str, tuple[int, ...]] = {
        "threshold_m": (k,),
        "radius_m": (k,),
        "weight": (n_i,),
        "existing_m": (n_i, k),
        "site_cost": (n_j,),
        "kind_cost": (n_j, k),
        "allowed": (n_j, k),
        "capacity": (n_j, k),
        "demand_ids": (n_i,),
        "site_ids": (n_j,),
    }
    for name, shape in shapes.items():
        got = np.asarray(getattr(p, name)).shape
        if got != shape:
            raise DataError(f"{name}: expected shape {shape}, got {got}")
    thr = np.asarray(p.threshold_m)
    rad = np.asarray(p.radius_m)
    for j in range(k):
        if not (math.isfinite(thr[j]) and thr[j] >= 0):
            raise DataError(f"threshold_m[{j}] ({p.kinds[j]}): expected metres >= 0, got {thr[j]}")
        if not (math.isfinite(rad[j]) and rad[j] >= thr[j]):
            raise DataError(
                f"radius_m[{j}] ({p.kinds[j]}): expected finite metres >= the threshold "
                f"{thr[j]:g}, got {rad[j]}"
            )
    w = np.asarray(p.weight)
    bad = np.flatnonzero(w < 0)
    if bad.shape[0]:
        raise DataError(f"weight[{int(bad[0])}]: expected residents >= 0, got {w[bad[0]]}")
    for name in ("site_cost", "kind_cost"):
        arr = np.asarray(getattr(p, name))
        bad_mask = ~np.isfinite(arr) | (arr < 0)
        if bad_mask.any():
            idx = np.unravel_index(int(np.argmax(bad_mask)), arr.shape)
            raise DataError(f"{name}{list(idx)}: expected a finite cost >= 0, got {arr[idx]}")
    cap = np.asarray(p.capacity)
    bad_mask = np.isnan(cap) | (cap < 0)
    if bad_mask.any():
        idx = np.unravel_index(int(np.argmax(bad_mask)), cap.shape)
        raise DataError(f"capacity{list(idx)}: expected residents >= 0 or inf, got {cap[idx]}")
    ex = np.asarray(p.existing_m)
    bad_mask = np.isnan(ex) | (ex < 0)
    if bad_mask.any():
        idx = np.unravel_index(int(np.argmax(bad_mask)), ex.shape)
        raise DataError(f"existing_m{list(idx)}: expected metres >= 0 or inf, got {ex[idx]}")
    pd_, ps, pdist = (np.asarray(p.pair_demand), np.asarray(p.pair_site), p.pair_distance_m)
    if not (pd_.shape == ps.shape == np.asarray(pdist).shape) or pd_.ndim != 1:
        raise DataError(
            "pair_demand, pair_site, pair_distance_m: expected 1-D arrays of one length, got "
            f"{pd_.shape}, {ps.shape}, {np.asarray(pdist).shape}"
        )
    if pd_.shape[0]:
        if pd_.min() < 0 or pd_.max() >= n_i:
            raise DataError(f"pair_demand: expected indices in 0..{n_i - 1}")
        if ps.min() < 0 or ps.max() >= n_j:
            raise DataError(f"pair_site: expected indices in 0..{n_j - 1}")
        dd = np.asarray(pdist)
        if np.isnan(dd).any() or dd.min() < 0 or dd.max() > rad.max() + 1e-9:
            raise DataError(f"pair_distance_m: expected metres in 0..{rad.max():g}")
        key = pd_ * max(n_j, 1) + ps
        if (np.diff(key) <= 0).any():
            raise DataError("pairs: expected sorted by demand then site, without repeats")
