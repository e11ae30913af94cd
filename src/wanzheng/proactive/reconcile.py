"""Coherent forecasts across levels: a community's forecasts add up to its subdistrict's.

Forecasts made series by series do not add up: the subdistrict's own model and the sum of its
communities' models disagree. Reconciliation replaces the base forecasts ``ŷ`` of all ``m``
nodes (every level) by coherent ones ``ỹ = S b̃``, where ``S`` (``m × k``, 0/1) sums the ``k``
bottom series into every node and ``b̃`` are reconciled bottom forecasts:

* ``bottom_up`` — ``b̃ = ŷ_bottom``: every aggregate is the sum of its bottom forecasts;
* ``mint`` — the minimum-trace (MinT) estimator of Wickramasuriya, Athanasopoulos & Hyndman
  (2019) with a diagonal error covariance ``W`` (their "WLS, variance scaling"):
  ``b̃ = (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ``, the coherent forecasts nearest the base ones in the metric
  ``W⁻¹`` — a node whose base forecast erred little in its backtest moves little. Negative
  bottom values (MinT can give them for series near 0) are set to 0 and every aggregate summed
  again, so the result stays coherent.

Two lines of linear algebra in numpy; ``hierarchicalforecast`` has these methods too, but
brings numba and its compile time (the reason ``statsforecast`` is not used either; see
``docs/proactive.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wanzheng.errors import DataError

__all__ = ["RECONCILERS", "reconcile", "summing_matrix"]

RECONCILERS = ("bottom_up", "mint")


def summing_matrix(
    nodes: Sequence[tuple[str, ...]], bottom: Sequence[tuple[str, ...]]
) -> np.ndarray:
    """The 0/1 matrix that sums the bottom series into every node.

    Parameters
    ----------
    nodes
        The key of every node, a prefix of the bottom keys (``()`` for the grand total).
    bottom
        The key of every bottom series (all of the same length).

    Returns
    -------
    numpy.ndarray
        ``S[i, j] = 1`` where bottom series ``j`` lies under node ``i``.
    """
    out = np.zeros((len(nodes), len(bottom)))
    for i, node in enumerate(nodes):
        for j, leaf in enumerate(bottom):
            if tuple(leaf[: len(node)]) == tuple(node):
                out[i, j] = 1.0
    empty = np.flatnonzero(out.sum(axis=1) == 0)
    if len(empty):
        raise DataError(f"reconcile: node {nodes[int(empty[0])]!r} has no bottom series under it")
    return out


def _bottom_rows(s: np.ndarray) -> list[int]:
    """The row of every bottom series in ``s`` (the row that is the unit vector ``e_j``)."""
    rows: list[int] = []
    for j in range(s.shape[1]):
        found = np.flatnonzero((s == np.eye(s.shape[1])[j]).all(axis=1))
        if not len(found):
            raise DataError(f"reconcile: bottom series {j} has no row of its own in S")
        rows.append(int(found[0]))
    return rows


def reconcile(
    base: np.ndarray,
    s: np.ndarray,
    *,
    method: str = "mint",
    variance: np.ndarray | None = None,
) -> np.ndarray:
    """Coherent forecasts of every node from the base forecasts.

    Parameters
    ----------
    base
        ``(m, H)``: the base forecast of every node (rows as in ``s``) for each horizon.
    s
        ``(m, k)`` summing matrix (:func:`summing_matrix`); the bottom series must be among
        the rows.
    method
        ``"bottom_up"`` or ``"mint"`` (see the module docstring).
    variance
        ``(m,)``: the error variance of every node's base forecast (``mint`` only; default 1,
        i.e. ordinary least squares).

    Returns
    -------
    numpy.ndarray
        ``(m, H)`` coherent forecasts, ``ỹ = S b̃`` with ``b̃ ≥ 0``.
    """
    if method not in RECONCILERS:
        raise DataError(f"reconcile: expected one of {', '.join(RECONCILERS)}, got {method!r}")
    base = np.asarray(base, dtype=float)
    if base.ndim != 2 or base.shape[0] != s.shape[0]:
        raise DataError(f"reconcile: base forecasts {base.shape} do not match S {s.shape}")
    if not np.all(np.isfinite(base)):
        raise DataError("reconcile: base forecasts must be finite (leave withheld series out)")
    if method == "bottom_up":
        bottom = base[_bottom_rows(s)]
    else:
        w = np.ones(s.shape[0]) if variance is None else np.asarray(variance, dtype=float)
        if w.shape != (s.shape[0],) or not np.all(w > 0):
            raise DataError("reconcile: variances must be positive, one per node")
        precision = s.T / w  # Sᵀ W⁻¹
        bottom = np.linalg.solve(precision @ s, precision @ base)
    return np.asarray(s @ np.clip(bottom, 0.0, None))
