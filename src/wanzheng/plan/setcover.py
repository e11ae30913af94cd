r"""Set covering for :class:`~wanzheng.plan.LSCP`: reductions, Lagrangian bound, primal heuristic.

The problem, over demand groups ``g`` (rows) and candidate sites ``j`` (columns) with
``a_gj = 1`` when site ``j`` reaches group ``g``::

    min Σ_j c_j y_j   s.t.   Σ_j a_gj y_j >= 1  for every g,   y_j ∈ {0, 1}

:func:`lagrangian_set_cover` returns a cover and a proven lower bound on the optimum, in well under
a second at 10,000 demand points × 2,000 sites. It follows Beasley (1990, "A Lagrangian heuristic
for set-covering problems", Naval Research Logistics 37) with the initial multipliers and the
primal score of Caprara, Fischetti & Toth (1999, "A heuristic method for the set covering
problem", Operations Research 47):

1. **Reductions**, repeated until nothing changes; none changes the optimum value:

   * a row with a single column left makes that column *essential*: it is fixed in the cover
     and the rows it covers are dropped;
   * column ``j`` is dropped when another column ``k`` covers every row of ``j`` at no more cost
     (ties broken by more rows, then lower index: dominance is then a strict order, so every
     dominated column can be dropped in one pass);
   * row ``k`` is dropped when the columns of another row ``i`` are a subset of its own
     (whatever covers ``i`` covers ``k``; ties by index);
   * columns with no row left are dropped.

   What remains is the *core*; on walking-distance instances it is small (tens of rows).

2. **Lagrangian relaxation** of the covering rows of the core, multipliers ``u_g >= 0``::

       L(u) = Σ_g u_g + Σ_j min(0, c_j − Σ_g a_gj u_g)   <=   optimum of the core

   maximised by subgradient steps: ``x_j(u) = [c_j − Σ_g a_gj u_g < 0]``, ``s_g = 1 − Σ_j a_gj
   x_j(u)`` (``s_g = 0`` where ``u_g = 0`` and ``s_g < 0``), ``u ← max(0, u + λ (1.05 UB − L)
   s / ‖s‖²)`` with ``λ`` starting at 2 and halved after 30 steps without a better ``L``;
   ``u_g`` starts at ``min_{j ∋ g} c_j / |rows of j|``. It stops when ``λ`` is tiny, after
   :data:`MAX_STEPS` steps, or when the bound meets the best cover (proven optimal).

3. **Primal heuristic** from the multipliers every :data:`PRIMAL_EVERY` steps: the columns of
   negative Lagrangian cost, then, while rows are uncovered, for each uncovered row the column of
   best score ``γ_j / μ_j`` (``γ_j >= 0``) or ``γ_j μ_j`` (``γ_j < 0``), where ``μ_j`` counts the
   uncovered rows of ``j`` and ``γ_j = c_j − Σ_{uncovered g ∈ j} u_g``; then redundant columns are
   removed, highest Lagrangian cost first.

4. **Local improvement** of the best cover: a column not in it that covers every row covered
   *only* by two or more chosen columns replaces them when that is cheaper (2-for-1 exchange),
   redundancy removal after each exchange.

The cover is the essential columns plus the core's best cover, redundant columns removed once
more on the whole problem. The bound is the essential columns' cost plus the best ``L(u)``
(rounded up when every cost is a whole number). Both are exact when the reductions leave no core.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["CoverResult", "lagrangian_set_cover"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_STEPS = 2_000
"""Subgradient steps at most."""
MIN_LAMBDA = 1e-3
"""The subgradient stops when its step factor falls below this."""
PATIENCE = 30
"""Steps without a better bound before the step factor is halved."""
PRIMAL_EVERY = 10
"""A primal cover is built from the multipliers every this many steps."""
MAX_SECONDS = 2.0
"""A safety stop for very large cores (not reached on the benchmark instances)."""
MAX_REDUCTION_ROUNDS = 100


@dataclass(frozen=True, slots=True)
class CoverResult:
    """A cover and the proven lower bound on the least cost of any cover.

    Attributes
    ----------
    columns
        int64: chosen columns, ascending.
    cost
        Their total cost.
    bound
        Proven lower bound on the optimum (``-inf`` when some row has no column).
    feasible
        False when some row has no column at all (no cover exists).
    core_rows, core_columns
        Size of the problem left after the reductions.
    steps
        Subgradient steps taken.
    """

    columns: IntArray
    cost: float
    bound: float
    feasible: bool
    core_rows: int
    core_columns: int
    steps: int


def _csr(rows: IntArray, cols: IntArray, shape: tuple[int, int]) -> sp.csr_array:
    a = sp.csr_array((np.ones(rows.shape[0]), (rows, cols)), shape=shape)
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def _sub(a: sp.csr_array, rows: BoolArray, cols: BoolArray) -> sp.csr_array:
    """The rows and columns of ``a`` kept by the masks, renumbered (faster than fancy slicing)."""
    coo = sp.coo_array(a)
    keep = rows[coo.row] & cols[coo.col]
    r_new = np.cumsum(rows) - 1
    c_new = np.cumsum(cols) - 1
    return sp.csr_array(
        (coo.data[keep], (r_new[coo.row[keep]], c_new[coo.col[keep]])),
        shape=(int(rows.sum()), int(cols.sum())),
    )


def _reduce(a: sp.csr_array, c: FloatArray) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Active rows, active columns and essential (fixed) columns after the reductions."""
    n_r, n_c = a.shape
    rows = np.ones(n_r, dtype=bool)
    cols = np.diff(a.tocsc().indptr) > 0
    fixed = np.zeros(n_c, dtype=bool)
    for _ in range(MAX_REDUCTION_ROUNDS):
        ridx, cidx = np.flatnonzero(rows), np.flatnonzero(cols)
        if ridx.shape[0] == 0:
            cols[:] = False
            break
        b = _sub(a, rows, cols)
        rsize = np.diff(b.indptr)
        if (rsize == 0).any():  # a row no column covers: no cover exists
            break
        single = rsize == 1
        if single.any():
            ess = np.unique(b.indices[b.indptr[:-1][single]])
            pick = np.zeros(cidx.shape[0])
            pick[ess] = 1.0
            rows[ridx[(b @ pick) > 0]] = False
            cols[cidx[ess]] = False
            fixed[cidx[ess]] = True
            continue
        changed = False
        csize = np.diff(b.tocsc().indptr)
        empty = csize == 0
        if empty.any():
            cols[cidx[empty]] = False
            changed = True
        # column j (row of the product) dominated by column k: rows(j) ⊆ rows(k), c_k <= c_j
        m = sp.coo_array(b.T @ b)
        j, k, n = m.row, m.col, m.data
        cj, ck = c[cidx[j]], c[cidx[k]]
        bigger = (csize[k] > csize[j]) | ((csize[k] == csize[j]) & (k < j))
        dom = (j != k) & (n >= csize[j]) & ((ck < cj) | ((ck == cj) & bigger))
        if dom.any():
            cols[cidx[np.unique(j[dom])]] = False
            changed = True
        # row r (column of the product) dominated by row i: cols(i) ⊆ cols(r)
        m = sp.coo_array(b @ b.T)
        i, r, n = m.row, m.col, m.data
        dom = (i != r) & (n >= rsize[i]) & ((rsize[i] < rsize[r]) | (i < r))
        if dom.any():
            rows[ridx[np.unique(r[dom])]] = False
            changed = True
        if not changed:
            break
    return rows, cols, fixed


def _drop_redundant(
    csc: sp.csc_array, chosen: BoolArray, count: IntArray, order_key: FloatArray
) -> None:
    """Remove chosen columns whose every row another chosen column covers (in place)."""
    idx = np.flatnonzero(chosen)
    idx = idx[np.argsort(-order_key[idx], kind="stable")]
    ptr, ind = csc.indptr, csc.indices
    for j in idx:
        r = ind[ptr[j] : ptr[j + 1]]
        if (count[r] >= 2).all():
            count[r] -= 1
            chosen[j] = False


class _Core:
    """The core as entry arrays (row-major) and its costs; products by ``bincount``, which on
    small cores is much faster than scipy's sparse products and no slower on large ones."""

    def __init__(self, a: sp.csr_array, c: FloatArray) -> None:
        a.sort_indices()
        self.csr = a
        self.csc = sp.csc_array(a)
        self.er = np.repeat(np.arange(a.shape[0], dtype=np.int64), np.diff(a.indptr))
        self.ec = a.indices.astype(np.int64)
        self.c = c
        self.n_rows, self.n_cols = a.shape

    def col_sum(self, u: FloatArray) -> FloatArray:
        """``Σ_g a_gj u_g`` per column."""
        out: FloatArray = np.bincount(self.ec, weights=u[self.er], minlength=self.n_cols).astype(
            np.float64, copy=False
        )
        return out

    def count(self, chosen: BoolArray) -> IntArray:
        """How many chosen columns cover each row."""
        w = chosen[self.ec].astype(np.float64)
        out: IntArray = np.rint(np.bincount(self.er, weights=w, minlength=self.n_rows)).astype(
            np.int64
        )
        return out

    def primal(self, u: FloatArray) -> BoolArray:
        """A cover from the multipliers ``u`` (Beasley's start, CFT's score)."""
        c = self.c
        lag = c - self.col_sum(u)
        chosen: BoolArray = np.asarray(lag < 0)
        count = self.count(chosen)
        open_ = count == 0
        while open_.any():
            mu = np.bincount(self.ec, weights=open_[self.er], minlength=self.n_cols)
            gamma = c - self.col_sum(u * open_)
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.where(gamma >= 0, gamma / mu, gamma * mu)
            score[mu == 0] = np.inf
            m = open_[self.er]
            er, ec = self.er[m], self.ec[m]
            order = np.lexsort((ec, score[ec], er))
            first = np.flatnonzero(np.r_[True, er[1:] != er[:-1]])
            chosen[ec[order[first]]] = True
            count = self.count(chosen)
            open_ = count == 0
        _drop_redundant(self.csc, chosen, count, lag)
        return chosen

    def improve(self, chosen: BoolArray) -> BoolArray:
        """2-for-1 exchanges while one makes the cover cheaper."""
        c = self.c
        chosen = chosen.copy()
        tried: set[int] = set()
        while True:
            count = self.count(chosen)
            own_rows = np.flatnonzero(count == 1)
            cidx = np.flatnonzero(chosen)
            if own_rows.shape[0] == 0 or cidx.shape[0] < 2:
                return chosen
            # the chosen column covering each row covered once
            m_own = (count[self.er] == 1) & chosen[self.ec]
            rank = np.cumsum(chosen) - 1
            owner = rank[self.ec[m_own]]  # row-major: in the order of own_rows
            n_own = np.bincount(owner, minlength=cidx.shape[0])
            b = sp.csr_array(
                (np.ones(own_rows.shape[0]), (own_rows, owner)),
                shape=(self.n_rows, cidx.shape[0]),
            )
            m = sp.coo_array(sp.csr_array(self.csr.T) @ b)  # columns × chosen: shared own rows
            full = (m.data >= n_own[m.col]) & ~chosen[m.row]
            k, j = m.row[full], m.col[full]
            saved = np.bincount(k, weights=c[cidx[j]], minlength=self.n_cols)
            many = np.bincount(k, minlength=self.n_cols) >= 2
            gain = np.where(many & ~chosen, saved - c, -np.inf)
            for q in tried:
                gain[q] = -np.inf
            order = np.argsort(-gain, kind="stable")
            for q in order[:20]:
                if gain[q] <= 1e-9:
                    return chosen
                trial = chosen.copy()
                trial[q] = True
                cnt = self.count(trial)
                _drop_redundant(self.csc, trial, cnt, c + 1e-9 * np.arange(self.n_cols))
                if c[trial].sum() < c[chosen].sum() - 1e-9:
                    chosen = trial
                    tried.clear()
                    break
                tried.add(int(q))
            else:
                return chosen


def _lagrangian(core: _Core, integral: bool) -> tuple[BoolArray, float, int]:
    """Best cover found and best bound ``max L(u)`` on the core."""
    c = core.c
    ratio = c / np.maximum(np.diff(core.csc.indptr), 1)
    u = np.full(core.n_rows, np.inf)
    np.minimum.at(u, core.er, ratio[core.ec])
    best_x = core.primal(u)
    best_ub = float(c[best_x].sum())
    best_lb = -math.inf
    best_u = u.copy()
    lam, since, step = 2.0, 0, 0
    t0 = time.perf_counter()
    for step in range(1, MAX_STEPS + 1):
        lag = c - core.col_sum(u)
        x = lag < 0
        value = float(u.sum() + lag[x].sum())
        if value > best_lb + 1e-9:
            best_lb, best_u, since = value, u.copy(), 0
        else:
            since += 1
            if since >= PATIENCE:
                lam, since = lam / 2, 0
        if _closed(best_lb, best_ub, integral):
            break
        if step % PRIMAL_EVERY == 0:
            cand = core.primal(u)
            v = float(c[cand].sum())
            if v < best_ub - 1e-9:
                best_x, best_ub = cand, v
                if _closed(best_lb, best_ub, integral):
                    break
        s = 1.0 - core.count(x)
        s[(u <= 0) & (s < 0)] = 0.0
        norm = float(s @ s)
        if norm == 0.0 or lam < MIN_LAMBDA or time.perf_counter() - t0 > MAX_SECONDS:
            break  # norm 0: x(u) is a cover, and L(u) its cost — optimal for the core
        u = np.maximum(0.0, u + lam * (1.05 * best_ub - value) / norm * s)
    cand = core.primal(best_u)
    if c[cand].sum() < best_ub - 1e-9:
        best_x, best_ub = cand, float(c[cand].sum())
    if not _closed(best_lb, best_ub, integral):
        best_x = core.improve(best_x)
    return best_x, best_lb, step


def _solve(a: sp.csr_array, c: FloatArray) -> tuple[IntArray, float, int, int, int]:
    """Reductions, then the Lagrangian heuristic on the core: columns, bound, core size, steps."""
    rows, cols, fixed = _reduce(a, c)
    fixed_cost = float(c[fixed].sum())
    ridx, cidx = np.flatnonzero(rows), np.flatnonzero(cols)
    if ridx.shape[0] == 0:
        return np.flatnonzero(fixed), fixed_cost, 0, 0, 0
    core = _Core(sp.csr_array(a[ridx][:, cidx]), c[cidx])
    integral = bool(np.all(c == np.round(c)))
    x, lb, steps = _lagrangian(core, integral)
    if integral:
        lb = math.ceil(lb - 1e-6)
    chosen = np.union1d(np.flatnonzero(fixed), cidx[x])
    return chosen.astype(np.int64), fixed_cost + lb, int(ridx.shape[0]), int(cidx.shape[0]), steps


def _closed(lb: float, ub: float, integral: bool) -> bool:
    return (math.ceil(lb - 1e-6) if integral else lb) >= ub - 1e-9


def lagrangian_set_cover(
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    cost: npt.ArrayLike,
    *,
    n_rows: int,
    bound_cost: npt.ArrayLike | None = None,
) -> CoverResult:
    """A least-cost cover of every row, and a lower bound on the optimum (see the module).

    Parameters
    ----------
    rows, cols
        int: the incidence — column ``cols[e]`` covers row ``rows[e]``.
    cost
        float ``[n_cols]``: cost of each column (>= 0).
    n_rows
        Number of rows (every one must be covered).
    bound_cost
        Costs for the bound only, when they differ (each <= ``cost``): the bound is then a bound
        for covers at these costs, which the caller knows to be <= its true optimum.

    Returns
    -------
    CoverResult
    """
    r = np.asarray(rows, dtype=np.int64)
    k = np.asarray(cols, dtype=np.int64)
    c = np.asarray(cost, dtype=np.float64)
    a = _csr(r, k, (n_rows, c.shape[0]))
    if n_rows and (np.diff(a.indptr) == 0).any():
        return CoverResult(np.zeros(0, np.int64), math.inf, -math.inf, False, n_rows, 0, 0)
    chosen_cols, lb, core_r, core_c, steps = _solve(a, c)
    if bound_cost is not None:
        lb = _solve(a, np.asarray(bound_cost, dtype=np.float64))[1]
    full = np.zeros(c.shape[0], dtype=bool)
    full[chosen_cols] = True
    count = np.rint(a @ full.astype(np.float64)).astype(np.int64)
    _drop_redundant(sp.csc_array(a), full, count, c + 1e-9 * np.arange(c.shape[0]))
    total = float(c[full].sum())
    return CoverResult(
        columns=np.flatnonzero(full).astype(np.int64),
        cost=total,
        bound=min(lb, total),
        feasible=True,
        core_rows=core_r,
        core_columns=core_c,
        steps=steps,
    )
