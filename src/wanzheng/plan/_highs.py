"""HiGHS through highspy: pass a sparse model as arrays, run it, say honestly what came back.

Status words (what :class:`~wanzheng.plan.SitingResult` reports):

``optimal``     HiGHS proved the plan optimal: the gap between the plan and the proven bound is
                zero (to 1e-9 relative or HiGHS's absolute tolerance of 1e-6).
``feasible``    a plan was found but not proven optimal (time limit, node limit, a requested gap
                tolerance); the proven bound and the gap are given. Never called optimal.
``infeasible``  HiGHS proved that no plan satisfies the constraints.
``unknown``     the solver stopped without a plan (time limit before the first one, error).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["LinearModel", "SolveOutcome", "Status", "highs_version", "solve_model"]

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
FloatArray = npt.NDArray[np.float64]

INF = float(highspy.kHighsInf)
REL_TOL = 1e-9
ABS_TOL = 1e-6

_BANNER_LOCK = threading.Lock()
_BANNER_SHOWN = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Hide the copyright banner highspy prints to the C-level stdout on its first ``Highs()``.

    (highspy writes it before any option can be set; a command whose output is read by scripts,
    or whose last line is a result, must not start with it.) Only the first construction in a
    process is wrapped.
    """
    global _BANNER_SHOWN
    with _BANNER_LOCK:
        if _BANNER_SHOWN:
            yield
            return
        _BANNER_SHOWN = True
        sys.stdout.flush()
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):
            yield
            return
        saved = os.dup(fd)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), fd)
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def highs_version() -> str:
    """``HiGHS <major>.<minor>.<patch>`` of the linked solver."""
    return (
        f"HiGHS {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
        f"{highspy.HIGHS_VERSION_PATCH}"
    )


def new_highs() -> Any:
    """A silent ``highspy.Highs``."""
    with _quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True, slots=True)
class LinearModel:
    """A mixed-integer linear model in arrays: ``sense`` c·x + offset, row_lo <= A x <= row_hi."""

    sense: Literal["max", "min"]
    cost: FloatArray
    offset: float
    col_lo: FloatArray
    col_hi: FloatArray
    integer: npt.NDArray[np.bool_]
    matrix: sp.csc_array
    row_lo: FloatArray
    row_hi: FloatArray

    @property
    def n_cols(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.row_lo.shape[0])


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """What HiGHS returned."""

    status: Status
    objective: float
    bound: float
    gap: float
    values: FloatArray | None
    seconds: float
    highs_status: str
    nodes: int


def relative_gap(objective: float, bound: float) -> float:
    """|bound − objective| / max(|objective|, 1e-9); 0 when both are equal (also when 0)."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    diff = abs(bound - objective)
    if diff <= ABS_TOL:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _integral_objective(model: LinearModel) -> bool:
    """True when every feasible point's objective is a whole number."""
    cost = np.asarray(model.cost, dtype=np.float64)
    integer = np.asarray(model.integer, dtype=bool)
    return (
        bool(np.all(cost[~integer] == 0.0))
        and bool(np.all(np.abs(cost[integer] - np.round(cost[integer])) <= 1e-9))
        and float(model.offset) == round(float(model.offset))
    )


def solve_model(
    model: LinearModel,
    *,
    time_limit_s: float,
    mip_gap: float = 0.0,
    start: FloatArray | None = None,
    threads: int | None = None,
) -> SolveOutcome:
    """Run HiGHS on ``model`` (warm-started from ``start`` when given)."""
    h = new_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = model.cost
    lp.offset_ = float(model.offset)
    lp.col_lower_ = model.col_lo
    lp.col_upper_ = model.col_hi
    lp.row_lower_ = model.row_lo
    lp.row_upper_ = model.row_hi
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    csc = model.matrix
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = model.n_rows
    integer = highspy.HighsVarType.kInteger
    continuous = highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer if b else continuous for b in model.integer]
    h.passModel(lp)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.0)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", ABS_TOL)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in start]
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    info = h.getInfo()
    has_primal = int(info.primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    nodes = int(getattr(info, "mip_node_count", 0) or 0)
    if ms == highspy.HighsModelStatus.kInfeasible:
        return SolveOutcome("infeasible", math.nan, math.nan, math.nan, None, seconds, text, nodes)
    if not has_primal:
        return SolveOutcome("unknown", math.nan, math.nan, math.nan, None, seconds, text, nodes)
    objective = float(info.objective_function_value)
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    own = float(np.dot(model.cost, values) + model.offset)
    if start is not None and abs(own - objective) > 1e-6 * max(1.0, abs(own)):
        # HiGHS (1.16) can keep a start given by setSolution as its answer while reporting
        # the objective and dual bound of another point: neither can then be trusted. The same
        # model is solved again without the start.
        return solve_model(model, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads)
    bound = float(info.mip_dual_bound)
    if not math.isfinite(bound):
        bound = math.inf if model.sense == "max" else -math.inf
    if ms == highspy.HighsModelStatus.kOptimal and not model.integer.any():
        bound = objective  # an LP: its optimum is its own bound
    elif math.isfinite(bound) and _integral_objective(model):
        # Every plan's objective is a whole number (integer columns with whole costs, no cost
        # on continuous ones), so the optimum is at least the bound rounded up (min) / at most
        # it rounded down (max). HiGHS uses the same argument to stop, but reports the
        # unrounded dual bound: without this a proven set cover would read as a gap.
        bound = math.floor(bound + 1e-6) if model.sense == "max" else math.ceil(bound - 1e-6)
    gap = relative_gap(objective, bound)
    proven = ms == highspy.HighsModelStatus.kOptimal and (
        gap <= REL_TOL or abs(bound - objective) <= ABS_TOL
    )
    status: Status = "optimal" if proven else "feasible"
    return SolveOutcome(status, objective, bound, gap, values, seconds, text, nodes)
