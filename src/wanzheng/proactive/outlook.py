"""Demand outlook: weekly case counts per group for the next weeks, and how far to trust them.

Method (the why and the figures measured on real data are in ``docs/proactive.md``):

* **Series.** Cases are counted per Monday-starting week and per group (by default
  category × community); weeks without cases count 0.
* **Candidates.** The simple baselines (seasonal-naive, last value, mean of the last 4 weeks)
  and library models (``statsmodels``): damped-trend ETS of the log of the calendar-adjusted
  count, alone and averaged with the 4-week mean; for intermittent series (≥ 30 % of the last
  52 weeks without a case) Croston-SBA and ADIDA instead of ETS. See
  :mod:`wanzheng.proactive.forecasters`.
* **Backtest.** Rolling origin: at every ``step``-th week of the last ``backtest_weeks`` weeks
  each candidate forecasts horizons 1…H from the data before the origin. The origins are
  split in time: the **earlier half chooses** the method, the **later half judges** it against
  the best baseline *on those later origins* (the best in hindsight, a hard bar):
  ``gain = 1 − MAE / MAE_best``. The choice: the library model with the lowest MAE on the
  earlier origins, unless the best baseline there beats it by at least ``baseline_margin``
  (20 %) — the burden is on the baseline, since a baseline that wins one year by a little is
  luck more often than not (seasonal-naive above all: it copies last year's noise), and the
  damped-trend model already moves between a last value and a long mean. A method chosen
  early that loses later is not used for the forecast: the product then forecasts with that
  best baseline and says so (the reported gain stays the chosen method's).
* **Interval.** 80 %: the log-ratio errors ``log(1 + y) − log(1 + ŷ)`` of the method over the
  last 26 backtest origins, each divided by the series' recent variability at its origin
  (``σ_o``, the standard deviation of ``log(1 + y)`` over the 26 weeks before it); their 10 %
  and 90 % quantiles times ``σ`` at the forecast origin give the interval. Unscaled errors
  carry last year's noise into this year's width; scaled ones follow the noise as it is now.
  Its coverage is measured on the later origins, each interval built only from the errors
  of origins whose weeks had all been seen by then.
* **Breaks.** Before any of this, the series is checked for a break (:func:`find_break`): a
  collapse or stop (forecasts withheld), a level shift within the last year (forecast = the
  mean of the last 4 weeks, no gain reported), a new series with less than a year of history
  (the same). The note names the break and the week it began.
* **Too sparse.** A series with fewer than ``min_cases_year`` (13, one a month) cases in the
  last 52 weeks is not backtested: forecast = its mean weekly rate over those weeks, with
  the Poisson 10–90 % quantiles of that rate, and the note says so. Between that and a case
  or two a week (≥ 30 % empty weeks) the intermittent methods compete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wanzheng.errors import DataError
from wanzheng.proactive.forecasters import (
    BASELINES,
    INTERMITTENT,
    LUNAR_NEW_YEAR,
    MODELS,
    _holiday_name,
    calendar_factors,
    forecast_all,
    holiday_keys,
    holiday_ratios,
    holiday_shares,
)
from wanzheng.proactive.hotspots import local_times
from wanzheng.proactive.reconcile import RECONCILERS, reconcile, summing_matrix

__all__ = [
    "LUNAR_NEW_YEAR",
    "Break",
    "Outlook",
    "SeriesOutlook",
    "find_break",
    "forecast_series",
    "holiday_shares",
    "outlook",
    "seasonal_naive",
    "volatility",
    "weekly_counts",
]

_ = _holiday_name  # re-exported for tests of the calendar
CYCLE_WEEKS = 52
INTERVAL = (0.1, 0.9)
CALIBRATION_ORIGINS = 26
"""The interval's quantiles come from the errors of this many most recent backtest origins."""
VOLATILITY_WEEKS = 26
"""The recent variability that scales the interval: sd of log(1 + y) over this many weeks."""
MIN_CASES_YEAR = 13
"""Fewer cases than this in the last 52 weeks (less than one a month): too sparse to backtest."""


def seasonal_naive(y: np.ndarray, origin: int, horizon: int) -> np.ndarray:
    """Seasonal-naive forecast for weeks ``origin … origin + horizon − 1`` from ``y[:origin]``.

    ``ŷ[t] = y[t − 52]`` when at least 52 weeks precede the origin; otherwise the mean of
    the last (up to) 4 weeks before the origin. Needs ``horizon ≤ 52``.
    """
    if origin < 1:
        raise DataError("seasonal_naive: no history before the origin")
    return BASELINES["seasonal_naive"](np.asarray(y[:origin], dtype=float), horizon)


# --- breaks ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Break:
    """A break found at the end of a series.

    Attributes
    ----------
    kind
        ``"collapse"`` (fell below ``collapse_ratio`` of its level, or stopped),
        ``"level shift"`` or ``"new series"``.
    start
        First week of the new regime.
    ratio
        Mean weekly count since ``start`` over the median weekly count of the 52 weeks
        before it (NaN for a new series).
    note
        What the product says (English), e.g. ``the series fell to 2 % of its level from
        2023-12-04: forecasts withheld, check the export``.
    """

    kind: str
    start: pd.Timestamp
    ratio: float
    note: str


def _step_point(y: np.ndarray, guess: int, *, reach: int = 6) -> int:
    """The week within ``reach`` of ``guess`` where one step (two means, least squares) fits
    the year before and everything after best; the ratio scan finds the break, this places it."""
    n = len(y)
    a = max(0, guess - CYCLE_WEEKS)

    def sse(s: int) -> float:
        left, right = y[a:s], y[s:]
        return float(((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum())

    candidates = range(max(a + 4, guess - reach), min(n - 3, guess + reach + 1))
    return min(candidates, key=sse, default=guess)


def find_break(
    counts: pd.Series,
    *,
    collapse_ratio: float = 0.2,
    shift_ratio: float = 2.0,
    search_weeks: int = 156,
    alpha: float = 1e-4,
    stop_weeks: int = 26,
) -> Break | None:
    """The break at the end of a weekly series, if any.

    For every candidate week ``t`` in the last ``search_weeks`` weeks (at least 4 weeks
    before the end), the level before is ``L_t = median(y[t−52 : t])`` (the mean where that
    median is below 2) and ``q_t = mean(y[t:]) / L_t``. A **collapse** is the ``t`` with the
    smallest ``q_t`` when ``q_t < collapse_ratio`` and ``L_t ≥ 1``; it is named from the week
    after the last one above ``L_t / 2``. A **level shift** is the ``t`` within the last 52
    weeks (at least 8 weeks after it, ``L_t ≥ 3``) whose ``median(y[t:]) / L_t`` is furthest
    beyond ``shift_ratio`` or ``1 / shift_ratio`` (a median, so that one week of a bulk import
    is no shift), placed by a least-squares fit of one step within 6 weeks. Either must be
    significant: the count since ``t`` is improbable (one-sided Poisson p < ``alpha``) at the
    level before. A **stop** of a sparse series (a level below 1 a week, where the collapse
    test has too little to go on): the series ends with at least ``stop_weeks`` weeks without
    a case, and at ``λ``, the mean weekly count of the 52 weeks before the first of them, so
    long a run is improbable, ``P = exp(−λ·Z) < alpha`` (``Z`` the empty weeks); it is named
    from the first empty week. A **new series** has its first case less than 52 weeks before
    the end.

    Parameters
    ----------
    counts
        Weekly counts indexed by week start.
    """
    y = counts.to_numpy(dtype=float)
    weeks = pd.DatetimeIndex(counts.index)
    n = len(y)
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) and n - nonzero[0] < CYCLE_WEEKS:
        first = weeks[nonzero[0]]
        return Break(
            "new series",
            first,
            float("nan"),
            f"new series since {first.date()} ({n - nonzero[0]} weeks of history): "
            "forecast = mean of the last 4 weeks, no backtest",
        )
    if n < CYCLE_WEEKS + 4:
        return None
    rolling = pd.Series(y).rolling(CYCLE_WEEKS)
    median, mean = rolling.median().shift(1).to_numpy(), rolling.mean().shift(1).to_numpy()
    # The level before week t: the median of the year before, or its mean where the median is
    # below 2 (a series of a case or two a week has a median of 0 or 1 whatever its level).
    level = np.where(median >= 2, median, mean)
    tail_sum = np.cumsum(y[::-1])[::-1]
    best: tuple[float, int] | None = None
    shift: tuple[float, int] | None = None
    for t in range(max(CYCLE_WEEKS, n - search_weeks), n - 3):
        ref = level[t]
        if not ref >= 1:
            continue
        q = tail_sum[t] / (n - t) / ref
        if (
            q < collapse_ratio
            and (best is None or q < best[0])
            and stats.poisson.cdf(tail_sum[t], ref * (n - t)) < alpha
        ):
            best = (q, t)
        if ref < 3 or t < n - CYCLE_WEEKS or n - t < 8:
            continue
        q_typical = float(np.median(y[t:])) / ref  # one week of a bulk import is not a shift
        if q_typical > shift_ratio or q_typical < 1 / shift_ratio:
            expected = ref * (n - t)
            p = (
                stats.poisson.sf(tail_sum[t] - 1, expected)
                if q_typical > 1
                else stats.poisson.cdf(tail_sum[t], expected)
            )
            far = abs(np.log(max(q_typical, 1e-9)))
            if p < alpha and (shift is None or far > abs(np.log(max(shift[0], 1e-9)))):
                shift = (q_typical, t)
    if best is not None:
        # The collapse begins after the last week still above half the level before it.
        ref = level[best[1]]
        above = np.flatnonzero(y[:n] > 0.5 * ref)
        t = int(above[-1]) + 1 if len(above) and above[-1] + 1 < n - 3 else best[1]
        q = tail_sum[t] / (n - t) / ref
        start = weeks[t]
        if tail_sum[t] == 0:
            text = f"the series stopped (no case) from {start.date()}"
        else:
            text = f"the series fell to {q:.0%} of its level from {start.date()}"
        return Break("collapse", start, q, f"{text}: forecasts withheld, check the export")
    if shift is not None:
        t = _step_point(y, shift[1])
        q = float(np.median(y[t:])) / level[t]
        start = weeks[t]
        return Break(
            "level shift",
            start,
            q,
            f"level shift: the series moved to {q:.0%} of its level from {start.date()}: "
            "forecast = mean of the last 4 weeks, no gain reported across the shift",
        )
    return _find_stop(y, weeks, alpha=alpha, stop_weeks=stop_weeks)


def _find_stop(
    y: np.ndarray, weeks: pd.DatetimeIndex, *, alpha: float, stop_weeks: int
) -> Break | None:
    """A sparse series that ends with an improbably long run of empty weeks (see
    :func:`find_break`)."""
    nonzero = np.flatnonzero(y > 0)
    if not len(nonzero):
        return None
    t = int(nonzero[-1]) + 1  # the first week of the final empty run
    empty = len(y) - t
    before = y[max(0, t - CYCLE_WEEKS) : t]
    if empty < stop_weeks or len(before) < stop_weeks:
        return None
    rate = float(before.mean())
    p = float(np.exp(-rate * empty))
    if p >= alpha:
        return None
    start = weeks[t]
    return Break(
        "stop",
        start,
        0.0,
        f"the series stopped: no case since {start.date()} ({empty} weeks; at its rate "
        f"before, {rate:.2f} a week, that has p = {p:.0e}): forecasts withheld, check whether "
        "the category is still in use and the export",
    )


# --- one series --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesOutlook:
    """Forecast and backtest of one weekly series.

    Attributes
    ----------
    forecast
        One row per future week: ``week_start``, ``horizon`` (1…H), ``forecast`` (the used
        method's; NaN when withheld), ``low``, ``high`` (80 % interval),
        ``baseline`` (the best baseline's forecast, for comparison).
    n_weeks
        Weeks of history.
    used
        The method the forecast comes from, or ``"withheld"``.
    chosen
        The method chosen on the earlier backtest origins ('' without a backtest).
    mae
        MAE of ``chosen`` on the later origins, cases per week (NaN without a backtest).
    baseline
        The best baseline on the later origins ('' without a backtest).
    mae_baseline
        Its MAE there.
    gain
        ``1 − mae / mae_baseline``; NaN when not reported (no backtest, or a break).
    coverage
        Share of the later origins' weeks inside the 80 % interval, each built from the
        errors of the origins seen before it (NaN without a backtest).
    brk
        The break found at the end of the series, if any.
    note
        Which method is used and why (English).
    n_origins
        Backtest origins (earlier half choose, later half judge).
    mse
        Mean squared error of ``used`` over all backtest origins and horizons (NaN without a
        backtest): the error variance that weighs the series in a MinT reconciliation.
    """

    forecast: pd.DataFrame
    n_weeks: int
    used: str
    chosen: str
    mae: float
    baseline: str
    mae_baseline: float
    gain: float
    coverage: float
    brk: Break | None
    note: str
    n_origins: int
    mse: float


def volatility(y: np.ndarray, origin: int, *, weeks: int = VOLATILITY_WEEKS) -> float:
    """The recent variability that scales the interval: the standard deviation of
    ``log(1 + y)`` over the ``weeks`` weeks before ``origin`` (at least 0.01)."""
    z = np.log1p(np.clip(y[max(0, origin - weeks) : origin], 0.0, None))
    return max(float(np.std(z, ddof=1)) if len(z) > 1 else 0.0, 0.01)


def _interval(
    fc: np.ndarray, scaled: np.ndarray, sigma: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """80 % interval from scaled log-ratio errors times ``sigma`` (Poisson quantiles when
    there are fewer than 5 errors)."""
    res = scaled[np.isfinite(scaled)]
    if len(res) < 5:
        lo_q, hi_q = stats.poisson.ppf(INTERVAL[0], fc), stats.poisson.ppf(INTERVAL[1], fc)
        return np.asarray(lo_q, dtype=float), np.asarray(hi_q, dtype=float)
    q_lo, q_hi = np.quantile(res, INTERVAL)
    base = np.log1p(np.clip(fc, 0.0, None))
    low = np.clip(np.expm1(base + q_lo * sigma), 0.0, None)
    high = np.clip(np.expm1(base + q_hi * sigma), 0.0, None)
    return low, high


def _coverage(
    scaled: np.ndarray,
    sigmas: np.ndarray,
    fcs: np.ndarray,
    truth: np.ndarray,
    origins: Sequence[int],
    horizon: int,
    first: int,
) -> float:
    """Share of the weeks after origins ``first …`` inside their 80 % interval, each interval
    built from the scaled errors of the last ``CALIBRATION_ORIGINS`` origins whose weeks were
    all seen before it (no look-ahead), times the variability ``sigmas[j]`` at its origin."""
    inside: list[np.ndarray] = []
    for j in range(first, len(origins)):
        seen = [k for k in range(j) if origins[k] + horizon <= origins[j]][-CALIBRATION_ORIGINS:]
        if len(seen) < 5:
            continue
        q_lo, q_hi = np.quantile(scaled[seen].ravel(), INTERVAL)
        base = np.log1p(np.clip(fcs[j], 0.0, None))
        low, high = np.expm1(base + q_lo * sigmas[j]), np.expm1(base + q_hi * sigmas[j])
        tol = 1e-9 * (1.0 + np.abs(truth[j]))  # exp(log(x)) is not always x
        inside.append((truth[j] >= low - tol) & (truth[j] <= high + tol))
    return float(np.mean(np.concatenate(inside))) if inside else float("nan")


def _mean4_residuals(y: np.ndarray, horizon: int, *, weeks: int = 26) -> np.ndarray:
    """Scaled log-ratio errors of the 4-week mean over origins in the last ``weeks`` weeks
    (the interval of a forecast that had no backtest of its own)."""
    out = [
        (np.log1p(y[o : o + horizon]) - np.log1p(np.mean(y[o - 4 : o]))) / volatility(y, o)
        for o in range(max(4, len(y) - weeks - horizon), len(y) - horizon + 1)
    ]
    return np.concatenate(out) if out else np.array([])


def forecast_series(
    counts: pd.Series,
    *,
    horizon: int = 8,
    calendar: str = "CN",
    keys: Sequence[str] | None = None,
    backtest_weeks: int = 104,
    step: int = 2,
    min_weeks: int = 60,
    baseline_margin: float = 0.2,
    intermittent_share: float = 0.3,
    min_cases_year: int = MIN_CASES_YEAR,
) -> SeriesOutlook:
    """Forecast one weekly series with the method that wins an honest backtest.

    Parameters
    ----------
    counts
        Weekly counts indexed by week start (Mondays, consecutive, no gaps).
    horizon
        Weeks to forecast (4–8 is the intended range; at most 52).
    calendar
        Holiday calendar of the calendar adjustment (``"CN"``, ``"US"``, ``"none"``).
    keys
        Precomputed :func:`~wanzheng.proactive.forecasters.holiday_keys` of the history and
        the weeks ahead (saves time when many series share the weeks).
    backtest_weeks
        How far back from the end the backtest origins reach, weeks.
    step
        Weeks between backtest origins.
    min_weeks
        Fewest weeks of history before the first origin.
    baseline_margin
        The best baseline is chosen over the best model only when its MAE on the earlier
        origins is lower by at least this share (ties go to the baseline).
    intermittent_share
        Series with at least this share of weeks without a case in the last 52 weeks get
        the intermittent methods instead of ETS.
    min_cases_year
        Series with fewer cases in the last 52 weeks are too sparse to backtest: forecast =
        the year's mean weekly rate.
    """
    if not 1 <= horizon <= CYCLE_WEEKS:
        raise DataError(f"horizon: expected 1…{CYCLE_WEEKS} weeks, got {horizon}")
    if len(counts) == 0:
        raise DataError("forecast_series: empty series")
    weeks = pd.DatetimeIndex(counts.index)
    if len(weeks) > 1 and not ((weeks[1:] - weeks[:-1]) == pd.Timedelta(days=7)).all():
        raise DataError("forecast_series: weeks must be consecutive, 7 days apart")
    y = counts.to_numpy(dtype=float)
    n = len(y)
    future = pd.date_range(weeks[-1] + pd.Timedelta(days=7), periods=horizon, freq="7D")
    if keys is None:
        keys = holiday_keys(weeks.append(future), calendar=calendar)
    if len(keys) != n + horizon:
        raise DataError(f"keys: expected {n + horizon} holiday keys, got {len(keys)}")
    nan = float("nan")
    brk = find_break(counts)
    recent = BASELINES["mean4"](y, horizon)

    def result(
        fc: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
        baseline: np.ndarray,
        *,
        used: str,
        note: str,
        chosen: str = "",
        mae: float = nan,
        best: str = "",
        mae_best: float = nan,
        gain: float = nan,
        coverage: float = nan,
        n_origins: int = 0,
        mse: float = nan,
    ) -> SeriesOutlook:
        frame = pd.DataFrame(
            {
                "week_start": future,
                "horizon": np.arange(1, horizon + 1),
                "forecast": fc,
                "low": low,
                "high": high,
                "baseline": baseline,
            }
        )
        return SeriesOutlook(
            frame, n, used, chosen, mae, best, mae_best, gain, coverage, brk, note, n_origins, mse
        )

    if brk is not None and brk.kind in ("collapse", "stop"):
        empty = np.full(horizon, nan)
        return result(empty, empty, empty, recent, used="withheld", note=brk.note)
    sigma = volatility(y, n)
    if brk is not None:
        low, high = _interval(recent, _mean4_residuals(y, horizon), sigma)
        return result(recent, low, high, recent, used="mean4", note=brk.note)
    year_cases = float(y[-CYCLE_WEEKS:].sum())
    if n >= CYCLE_WEEKS and year_cases < min_cases_year:
        rate = np.full(horizon, year_cases / CYCLE_WEEKS)
        low, high = _interval(rate, np.array([]))
        return result(
            rate,
            low,
            high,
            rate,
            used="year_mean",
            note=(
                f"too sparse: {year_cases:.0f} cases in the last 52 weeks (fewer than "
                f"{min_cases_year}): forecast = the year's mean rate, {rate[0]:.2f} a week, "
                "no backtest"
            ),
        )
    first = max(min_weeks, n - backtest_weeks - horizon + 1)
    origins = list(range(first, n - horizon + 1, step))
    if len(origins) < 8:
        low, high = _interval(recent, _mean4_residuals(y, horizon), sigma)
        return result(
            recent,
            low,
            high,
            recent,
            used="mean4",
            note=f"short history ({n} weeks): forecast = mean of the last 4 weeks, no backtest",
        )
    last_year = y[-CYCLE_WEEKS:]
    sparse = float(np.mean(last_year == 0)) >= intermittent_share
    names = [*BASELINES, *(INTERMITTENT if sparse else MODELS)]
    ratios = holiday_ratios(y, keys[:n])
    truth = np.array([y[o : o + horizon] for o in origins])
    fcs = {name: np.empty((len(origins), horizon)) for name in names}
    for i, origin in enumerate(origins):
        factors = calendar_factors(ratios, keys, origin=origin)
        for name, fc in forecast_all(y[:origin], horizon, names=names, factors=factors).items():
            fcs[name][i] = fc
    half = len(origins) // 2
    early, late = slice(0, half), slice(half, None)
    mae_early = {m: float(np.mean(np.abs(f[early] - truth[early]))) for m, f in fcs.items()}
    mae_late = {m: float(np.mean(np.abs(f[late] - truth[late]))) for m, f in fcs.items()}
    base_early = min(BASELINES, key=lambda m: mae_early[m])
    model_early = min((m for m in names if m not in BASELINES), key=lambda m: mae_early[m])
    chosen = (
        base_early
        if mae_early[base_early] <= (1.0 - baseline_margin) * mae_early[model_early]
        else model_early
    )
    best = min(BASELINES, key=lambda m: mae_late[m])
    mae, mae_best = mae_late[chosen], mae_late[best]
    gain = 1.0 - mae / mae_best if mae_best > 0 else (0.0 if mae == 0 else -float("inf"))
    sigmas = np.array([volatility(y, o) for o in origins])
    scaled = {
        m: (np.log1p(truth) - np.log1p(np.clip(f, 0.0, None))) / sigmas[:, None]
        for m, f in fcs.items()
    }
    coverage = _coverage(scaled[chosen], sigmas, fcs[chosen], truth, origins, horizon, half)
    if chosen in BASELINES or gain >= 0:
        used = chosen
        how = "chosen on the earlier origins"
        if chosen in BASELINES:
            how += f" (it beat the best model, {model_early}, by at least {baseline_margin:.0%}"
            how += f" there: MAE {mae_early[chosen]:.2f} vs {mae_early[model_early]:.2f})"
        note = (
            f"{used}: {how}; on the later origins MAE {mae:.2f} vs best baseline {best} "
            f"{mae_best:.2f} ({gain:+.0%})"
        )
    else:
        used = best
        note = (
            f"{best}: the model chosen on the earlier origins ({chosen}) lost on the later "
            f"ones (MAE {mae:.2f} vs {best} {mae_best:.2f}, {gain:+.0%}), so the best "
            "baseline is used"
        )
    if sparse:
        note += f"; intermittent ({np.mean(last_year == 0):.0%} of the last 52 weeks empty)"
    factors = calendar_factors(ratios, keys, origin=n)
    everything = forecast_all(y, horizon, names=sorted({used, best}), factors=factors)
    fc = np.clip(everything[used], 0.0, None)
    low, high = _interval(fc, scaled[used][-CALIBRATION_ORIGINS:].ravel(), sigma)
    return result(
        fc,
        low,
        high,
        everything[best],
        used=used,
        note=note,
        chosen=chosen,
        mae=mae,
        best=best,
        mae_best=mae_best,
        gain=gain,
        coverage=coverage,
        n_origins=len(origins),
        mse=float(np.mean((fcs[used] - truth) ** 2)),
    )


def weekly_counts(
    cases: pd.DataFrame,
    *,
    by: Sequence[str] = ("category", "community_id"),
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Count cases per Monday-starting week and group, zeros filled.

    Parameters
    ----------
    cases
        Needs ``created_at`` and the ``by`` columns.
    by
        Grouping columns (e.g. ``("category", "grid_id")``; ``()`` for one total series).
    until
        Count only complete weeks ending on or before this date (default: the Monday of the
        latest case's week is the last week, kept only if that week is complete, i.e. the
        data go up to its Sunday).

    Returns
    -------
    pandas.DataFrame
        Columns ``*by``, ``week_start`` (Timestamp, a Monday), ``count``; every group has
        every week from the first case's week to the last complete week.
    """
    missing = [c for c in ("created_at", *by) if c not in cases.columns]
    if missing:
        raise DataError(f"cases: missing column(s) {', '.join(missing)}")
    for col in by:
        empty = cases[col].isna().to_numpy()
        if empty.any():
            raise DataError(
                f"cases: row {int(np.flatnonzero(empty)[0]) + 2}: column '{col}' is empty "
                "(a grouping column of the outlook: fill it, e.g. with a placeholder name)"
            )
    created = local_times(cases["created_at"])
    created.index = cases.index
    if created.isna().any():
        raise DataError(f"cases: row {int(np.flatnonzero(created.isna())[0]) + 2}: no created_at")
    keys = list(by)
    if len(created) == 0:
        return pd.DataFrame(columns=[*keys, "week_start", "count"])
    week = (created.dt.normalize() - pd.to_timedelta(created.dt.day_of_week, unit="D")).rename(
        "week_start"
    )
    last_day = pd.Timestamp(until) if until is not None else created.max().normalize()
    last_week = last_day - pd.Timedelta(days=int(last_day.weekday()))
    if last_day.weekday() != 6:  # the last week is incomplete
        last_week -= pd.Timedelta(days=7)
    first_week = week.min()
    if last_week < first_week:
        raise DataError("cases: less than one complete week of history")
    all_weeks = pd.date_range(first_week, last_week, freq="7D")
    frame = cases[keys].copy() if keys else pd.DataFrame(index=cases.index)
    frame["week_start"] = week
    frame = frame[frame["week_start"] <= last_week]
    counted = frame.groupby([*keys, "week_start"]).size().rename("count")
    full: pd.Index
    if keys:
        groups = frame[keys].drop_duplicates().sort_values(keys).itertuples(index=False)
        full = pd.MultiIndex.from_tuples(
            [(*g, w) for g in groups for w in all_weeks], names=[*keys, "week_start"]
        )
    else:
        full = pd.Index(all_weeks, name="week_start")
    return counted.reindex(full, fill_value=0).reset_index()


@dataclass(frozen=True, slots=True)
class Outlook:
    """The outlook of every series.

    Attributes
    ----------
    forecasts
        ``*by`` columns, ``week_start``, ``horizon``, ``forecast``, ``low``, ``high``,
        ``baseline`` and ``used``.
    backtest
        One row per series: ``*by``, ``n_weeks``, ``total``, ``used``, ``chosen``, ``mae``,
        ``baseline``, ``mae_baseline``, ``gain``, ``coverage``, ``break``, ``break_from``
        (ISO date), ``break_ratio``, ``note``, ``n_origins``.
    params
        The parameters used and ``last_week`` (ISO date).
    """

    forecasts: pd.DataFrame
    backtest: pd.DataFrame
    params: dict[str, Any]


BACKTEST_COLUMNS = [
    "n_weeks",
    "total",
    "used",
    "chosen",
    "mae",
    "baseline",
    "mae_baseline",
    "gain",
    "coverage",
    "break",
    "break_from",
    "break_ratio",
    "note",
    "n_origins",
]


def _series_rows(
    counts: pd.DataFrame,
    keys: list[str],
    *,
    horizon: int,
    calendar: str,
    holidays: list[str],
    min_total: int,
    options: dict[str, Any],
) -> list[tuple[dict[str, Any], SeriesOutlook, int, np.ndarray]]:
    """Forecast every group of ``counts``: its labels, outlook, total and weekly counts."""
    out: list[tuple[dict[str, Any], SeriesOutlook, int, np.ndarray]] = []
    groups = counts.groupby(keys, sort=True) if keys else [((), counts)]
    for key, series in groups:
        key_t = key if isinstance(key, tuple) else (key,)
        total = int(series["count"].sum())
        if total < min_total:
            continue
        weekly = series.set_index("week_start")["count"]
        result = forecast_series(
            weekly, horizon=horizon, calendar=calendar, keys=holidays, **options
        )
        labels: dict[str, Any] = dict(zip(keys, key_t, strict=True))
        out.append((labels, result, total, weekly.to_numpy(dtype=float)))
    return out


def _backtest_row(labels: dict[str, Any], result: SeriesOutlook, total: int) -> dict[str, Any]:
    return labels | {
        "n_weeks": result.n_weeks,
        "total": total,
        "used": result.used,
        "chosen": result.chosen,
        "mae": result.mae,
        "baseline": result.baseline,
        "mae_baseline": result.mae_baseline,
        "gain": result.gain,
        "coverage": result.coverage,
        "break": "" if result.brk is None else result.brk.kind,
        "break_from": "" if result.brk is None else result.brk.start.date().isoformat(),
        "break_ratio": float("nan") if result.brk is None else result.brk.ratio,
        "note": result.note,
        "n_origins": result.n_origins,
    }


def _reconciled(
    nodes: list[tuple[dict[str, Any], SeriesOutlook, int, np.ndarray]],
    keys: list[str],
    *,
    method: str,
) -> list[tuple[pd.DataFrame, str, str]]:
    """Reconcile the forecasts of every level (see :mod:`wanzheng.proactive.reconcile`).

    A series withheld for a break (collapse or stop) withholds every series below it too: a
    collapse that shows in a subdistrict's total is hidden in its sparse communities, whose
    few cases cannot show it. Withheld series are left out of the sums; an aggregate's note
    says how many of its bottom series that is. Intervals keep their width on the log scale:
    ``low' = expm1(log1p(ỹ) + log1p(low) − log1p(ŷ))``, the same for ``high``.

    Returns
    -------
    list of (forecast frame, note, used)
        One per node, in the order of ``nodes``.
    """
    depth = len(keys)
    key_of = [tuple(labels[k] for k in keys[: len(labels)]) for labels, *_ in nodes]
    base = np.array([r.forecast["forecast"].to_numpy(dtype=float) for _, r, *_ in nodes])
    finite = np.all(np.isfinite(base), axis=1)
    inherited: dict[int, str] = {}
    for i in sorted((int(k) for k in np.flatnonzero(~finite)), key=lambda i: len(key_of[i])):
        brk = nodes[i][1].brk
        if brk is None or len(key_of[i]) == depth:
            continue
        why = (
            f"withheld: {keys[len(key_of[i]) - 1]} {key_of[i][-1]} above it broke "
            f"({brk.kind} from {brk.start.date()})"
        )
        for j, k in enumerate(key_of):
            if finite[j] and len(k) > len(key_of[i]) and k[: len(key_of[i])] == key_of[i]:
                finite[j] = False
                inherited[j] = why
    bottom = [i for i, k in enumerate(key_of) if len(k) == depth and finite[i]]
    withheld_bottom = [i for i, k in enumerate(key_of) if len(k) == depth and not finite[i]]
    leaves = [key_of[i] for i in bottom]
    kept = [
        i for i, k in enumerate(key_of) if finite[i] and any(leaf[: len(k)] == k for leaf in leaves)
    ]
    rec = np.full_like(base, np.nan)
    if kept:
        s = summing_matrix([key_of[i] for i in kept], leaves)
        variance = np.array([_error_variance(nodes[i][1], nodes[i][3]) for i in kept])
        rec[kept] = reconcile(base[kept], s, method=method, variance=variance)
    out: list[tuple[pd.DataFrame, str, str]] = []
    for i, (_, result, *_rest) in enumerate(nodes):
        fc = result.forecast.copy()
        fc["forecast_base"] = fc["forecast"]
        note, used = result.note, result.used
        if i in inherited:
            note, used = f"{note}; {inherited[i]}", "withheld"
        elif finite[i] and len(key_of[i]) < depth:
            under = [j for j in bottom if key_of[j][: len(key_of[i])] == key_of[i]]
            gone = [j for j in withheld_bottom if key_of[j][: len(key_of[i])] == key_of[i]]
            note += f"; reconciled ({method}): the sum of its {len(under)} series below"
            if gone:
                note += f" ({len(gone)} withheld series left out)"
        elif finite[i]:
            note += f"; reconciled ({method})"
        if finite[i] and i not in kept:
            note, used = f"{note}; withheld: every series below it is withheld", "withheld"
        shift = np.log1p(np.clip(rec[i], 0.0, None)) - np.log1p(np.clip(fc["forecast"], 0.0, None))
        fc["forecast"] = rec[i]
        fc["low"] = np.clip(np.expm1(np.log1p(fc["low"]) + shift), 0.0, None)
        fc["high"] = np.clip(np.expm1(np.log1p(fc["high"]) + shift), 0.0, None)
        out.append((fc, note, used))
    return out


def _error_variance(result: SeriesOutlook, y: np.ndarray) -> float:
    """A node's error variance for MinT: its backtest MSE (at least 10⁻⁴: a series forecast
    without error in its backtest is all but fixed), or (without a backtest) the variance of
    its last 52 weekly counts, at least their mean (the Poisson variance)."""
    if np.isfinite(result.mse):
        return max(float(result.mse), 1e-4)
    year = y[-CYCLE_WEEKS:]
    return max(float(np.var(year)), float(np.mean(year)), 0.01)


def outlook(
    cases: pd.DataFrame,
    *,
    by: Sequence[str] = ("category", "community_id"),
    horizon: int = 8,
    until: dt.date | None = None,
    min_total: int = 20,
    calendar: str = "CN",
    reconcile_method: str | None = None,
    **options: Any,
) -> Outlook:
    """Weekly outlook per group for the next ``horizon`` weeks, with its honest backtest.

    Parameters
    ----------
    cases
        Needs ``created_at`` and the ``by`` columns.
    by
        Grouping columns; with ``reconcile_method``, from the coarsest level to the finest
        (e.g. ``("category", "subdistrict", "community_id")``).
    horizon
        Weeks ahead (4–8 intended).
    until
        Last day of history (see :func:`weekly_counts`).
    min_total
        Series with fewer cases in all are left out (too small to say anything); not applied
        with ``reconcile_method`` (every series is needed for the sums; the too-sparse rule
        answers for the small ones).
    calendar
        Holiday calendar of the calendar adjustment (``"CN"`` for China, ``"US"``, ``"none"``).
    reconcile_method
        ``None``: the groups of ``by`` only. ``"bottom_up"`` or ``"mint"``: every level of the
        hierarchy the prefixes of ``by`` make (``category``; ``category × subdistrict``;
        ``category × subdistrict × community_id``) is forecast and the forecasts reconciled so
        that each level is the sum of the one below (:mod:`wanzheng.proactive.reconcile`).
        The outputs then carry ``level`` (the finest grouping column of the row; the finer
        columns are empty) and the forecasts ``forecast_base`` (before reconciliation).
    **options
        Passed to :func:`forecast_series` (``backtest_weeks``, ``step``, ``baseline_margin`` …).
    """
    if not 1 <= horizon <= CYCLE_WEEKS:
        raise DataError(f"horizon: expected 1…{CYCLE_WEEKS} weeks, got {horizon}")
    if reconcile_method is not None and reconcile_method not in RECONCILERS:
        raise DataError(
            f"reconcile: expected one of {', '.join(RECONCILERS)}, got {reconcile_method!r}"
        )
    keys = list(by)
    if reconcile_method is not None and not keys:
        raise DataError("reconcile: needs at least one grouping column (by)")
    counts = weekly_counts(cases, by=by, until=until)
    all_weeks = pd.DatetimeIndex(sorted(counts["week_start"].unique()))
    future = pd.date_range(all_weeks[-1] + pd.Timedelta(days=7), periods=horizon, freq="7D")
    holidays = holiday_keys(all_weeks.append(future), calendar=calendar)
    run: dict[str, Any] = {
        "horizon": horizon,
        "calendar": calendar,
        "holidays": holidays,
        "options": options,
    }
    if reconcile_method is None:
        nodes = _series_rows(counts, keys, min_total=min_total, **run)
        shown = [(r.forecast, r.note, r.used) for _, r, *_ in nodes]
        level_cols: list[str] = []
    else:
        nodes = []
        for depth in range(1, len(keys) + 1):
            level = (
                counts.groupby([*keys[:depth], "week_start"], sort=True)["count"]
                .sum()
                .reset_index()
            )
            nodes += _series_rows(level, keys[:depth], min_total=0, **run)
        shown = _reconciled(nodes, keys, method=reconcile_method)
        level_cols = ["level"]
    f_rows: list[pd.DataFrame] = []
    b_rows: list[dict[str, Any]] = []
    for (labels, result, total, _), (frame, note, used) in zip(nodes, shown, strict=True):
        full = {k: labels.get(k, "") for k in keys}
        if level_cols:
            full["level"] = keys[len(labels) - 1]
        fc = frame.copy()
        for name, value in full.items():
            fc[name] = value
        fc["used"] = used
        f_rows.append(
            fc[
                [*keys, *level_cols, *result.forecast.columns, "used"]
                + (["forecast_base"] if level_cols else [])
            ]
        )
        b_rows.append(_backtest_row(full, result, total) | {"note": note, "used": used})
    forecast_cols = [*keys, *level_cols, "week_start", "horizon", "forecast", "low", "high"]
    forecast_cols += ["baseline", "used", *(["forecast_base"] if level_cols else [])]
    forecasts = (
        pd.concat(f_rows, ignore_index=True) if f_rows else pd.DataFrame(columns=forecast_cols)
    )
    backtest = pd.DataFrame(b_rows, columns=[*keys, *level_cols, *BACKTEST_COLUMNS])
    last_week = counts["week_start"].max() if len(counts) else pd.NaT
    return Outlook(
        forecasts=forecasts,
        backtest=backtest,
        params={
            "by": keys,
            "horizon": horizon,
            "min_total": min_total,
            "calendar": calendar,
            "reconcile": reconcile_method or "",
            "last_week": "" if pd.isna(last_week) else last_week.date().isoformat(),
            **options,
        },
    )
