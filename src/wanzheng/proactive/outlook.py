"""Demand outlook: weekly case counts per category × area for the next weeks.

Method (the why and the measured figures are in ``docs/proactive.md``):

* **Series.** Cases are counted per Monday-starting week and per group (by default
  category × community); weeks without cases count 0.
* **Model.** A Poisson regression (log link, fitted by penalised IRLS in numpy) of the
  weekly count on: a linear trend (years), Fourier terms of the time of year
  (``sin``/``cos`` of ``2πk·doy/365.25``, k = 1…3), the share of the week's days that are
  Spring Festival or National Day holidays (official calendar from ``chinese_calendar``;
  beyond its years the lunar new-year table below), and the Spring Festival share of the
  previous week (the return week). Observations are weighted by recency (half-life one
  year), so a level that moved recently counts more. No lags: every horizon is forecast
  directly from calendar features, so errors do not compound.
* **Baseline (seasonal-naive).** The count of the same week one 52-week cycle earlier,
  ``ŷ[t] = y[t − 52]``; with less than 52 weeks of history, the mean of the last 4 weeks.
* **Backtest.** Rolling origin: at each origin (every ``step`` weeks over the last part of
  the history) both forecasts are made from the data before the origin for horizons 1…H and
  compared with what happened; MAE is the mean absolute error over all (origin, horizon).
* **Choice.** The model is used only when (1) the series has structure the model can see:
  a quasi-Poisson F-test of the full model against a constant rate has p < ``alpha``, and
  (2) its backtest MAE is lower than the baseline's by at least ``min_gain``. Otherwise the
  product says why and forecasts with the baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wanzheng.errors import DataError
from wanzheng.proactive.hotspots import local_times

__all__ = [
    "LUNAR_NEW_YEAR",
    "Outlook",
    "SeriesOutlook",
    "forecast_series",
    "holiday_shares",
    "outlook",
    "seasonal_naive",
    "weekly_counts",
]

LUNAR_NEW_YEAR: dict[int, str] = {
    2004: "01-22", 2005: "02-09", 2006: "01-29", 2007: "02-18", 2008: "02-07",
    2009: "01-26", 2010: "02-14", 2011: "02-03", 2012: "01-23", 2013: "02-10",
    2014: "01-31", 2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16",
    2019: "02-05", 2020: "01-25", 2021: "02-12", 2022: "02-01", 2023: "01-22",
    2024: "02-10", 2025: "01-29", 2026: "02-17", 2027: "02-06", 2028: "01-26",
    2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11", 2033: "01-31",
    2034: "02-19", 2035: "02-08",
}  # fmt: skip
"""正月初一 by year. Used where ``chinese_calendar`` has no official holidays yet (it covers
2004–2026 in version 1.11): the Spring Festival holiday is then taken as 除夕 … 初六
(the new-year day − 1 … + 6) and National Day as 1–7 October."""

SEASON_DAYS = 365.25
CYCLE_WEEKS = 52
N_FOURIER = 3


@lru_cache(maxsize=4096)
def _holiday_name(day: dt.date) -> str:
    import chinese_calendar

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        lny = LUNAR_NEW_YEAR.get(day.year)
        if lny is not None:
            start = dt.date.fromisoformat(f"{day.year}-{lny}") - dt.timedelta(days=1)
            if start <= day <= start + dt.timedelta(days=7):
                return "Spring Festival"
        if day.month == 10 and day.day <= 7:
            return "National Day"
        return ""
    return str(name) if on_holiday and name else ""


def holiday_shares(week_start: dt.date) -> tuple[float, float]:
    """Share of the 7 days from ``week_start`` that are Spring Festival / National Day holidays.

    Returns
    -------
    (spring_festival, national_day)
        Each in 0 … 1.
    """
    names = [_holiday_name(week_start + dt.timedelta(days=k)) for k in range(7)]
    return names.count("Spring Festival") / 7.0, names.count("National Day") / 7.0


def _features(weeks: pd.DatetimeIndex, origin_week: pd.Timestamp) -> np.ndarray:
    """Design matrix: trend (years from origin), Fourier terms, holiday shares."""
    years = np.asarray((weeks - origin_week).days, dtype=float) / SEASON_DAYS
    mid = weeks + pd.Timedelta(days=3)
    doy = np.asarray(mid.day_of_year, dtype=float)
    cols = [years]
    for k in range(1, N_FOURIER + 1):
        cols.append(np.sin(2 * np.pi * k * doy / SEASON_DAYS))
        cols.append(np.cos(2 * np.pi * k * doy / SEASON_DAYS))
    shares = np.array([holiday_shares(w.date()) for w in weeks])
    prev = np.array([holiday_shares((w - pd.Timedelta(days=7)).date())[0] for w in weeks])
    cols.extend([shares[:, 0], shares[:, 1], prev])
    return np.column_stack(cols)


@dataclass(frozen=True, slots=True)
class _Poisson:
    """A fitted Poisson GLM with log link: ``μ = exp(b0 + x·b)``."""

    coef: np.ndarray  # intercept first

    def predict(self, x: np.ndarray) -> np.ndarray:
        eta = np.clip(self.coef[0] + x @ self.coef[1:], -30.0, 30.0)
        return np.asarray(np.exp(eta))


def _fit(
    y: np.ndarray, x: np.ndarray, *, weights: np.ndarray | None, alpha: float = 1e-3
) -> _Poisson:
    """Fit a Poisson GLM by penalised Newton steps (IRLS) with step halving.

    Minimises ``Σ w·(μ − y·log μ) + α/2·n·‖b‖²`` (the intercept is not penalised); the
    small ridge keeps the fit finite on all-zero stretches. A few milliseconds for a few
    hundred weeks, single-threaded.
    """
    n, k = x.shape
    w = np.ones(n) if weights is None else weights
    design = np.column_stack([np.ones(n), x])
    penalty = np.full(k + 1, alpha * n)
    penalty[0] = 0.0
    beta = np.zeros(k + 1)
    beta[0] = np.log(max(float(np.average(y, weights=w)), 1e-3))

    def objective(b: np.ndarray) -> float:
        eta = np.clip(design @ b, -30.0, 30.0)
        return float(np.sum(w * (np.exp(eta) - y * eta)) + 0.5 * np.sum(penalty * b * b))

    current = objective(beta)
    for _ in range(100):
        mu = np.exp(np.clip(design @ beta, -30.0, 30.0))
        grad = design.T @ (w * (mu - y)) + penalty * beta
        hess = (design * (w * mu)[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6:
            trial = beta - t * step
            value = objective(trial)
            if value <= current:
                break
            t /= 2
        else:
            break
        beta, previous, current = trial, current, value
        if previous - current < 1e-10 * (1.0 + abs(current)):
            break
    return _Poisson(coef=beta)


def _recency(n: int, half_life_weeks: float) -> np.ndarray:
    age = np.arange(n)[::-1].astype(float)
    return np.asarray(0.5 ** (age / half_life_weeks))


def seasonal_naive(y: np.ndarray, origin: int, horizon: int) -> np.ndarray:
    """The baseline forecast for weeks ``origin … origin + horizon − 1`` from ``y[:origin]``.

    ``ŷ[t] = y[t − 52]`` when at least 52 weeks precede the origin; otherwise the mean of
    the last (up to) 4 weeks before the origin. Needs ``horizon ≤ 52``.
    """
    if origin < 1:
        raise DataError("seasonal_naive: no history before the origin")
    if origin >= CYCLE_WEEKS:
        return np.array([y[origin + h - CYCLE_WEEKS] for h in range(horizon)], dtype=float)
    return np.full(horizon, float(np.mean(y[max(0, origin - 4) : origin])))


def _model_forecast(
    y: np.ndarray,
    weeks: pd.DatetimeIndex,
    origin: int,
    horizon: int,
    *,
    half_life_weeks: float,
) -> np.ndarray:
    future = pd.date_range(weeks[origin - 1] + pd.Timedelta(days=7), periods=horizon, freq="7D")
    train_weeks = weeks[:origin]
    origin_week = train_weeks[-1]
    x = _features(train_weeks, origin_week)
    model = _fit(y[:origin], x, weights=_recency(origin, half_life_weeks))
    return np.asarray(model.predict(_features(future, origin_week)), dtype=float)


def _structure_p(y: np.ndarray, weeks: pd.DatetimeIndex) -> float:
    """p-value of the quasi-Poisson F-test: full model against a constant rate."""
    x = _features(weeks, weeks[-1])
    n, k = x.shape
    if n <= k + 2 or y.sum() == 0:
        return 1.0
    full = _fit(y, x, weights=None)
    mu1 = np.clip(full.predict(x), 1e-9, None)
    mu0 = np.full(n, y.mean())

    def deviance(mu: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(2 * np.sum(term - (y - mu)))

    d0, d1 = deviance(mu0), deviance(mu1)
    dispersion = float(np.sum((y - mu1) ** 2 / mu1)) / (n - k - 1)
    if dispersion <= 0 or d0 <= d1:
        return 1.0
    f = ((d0 - d1) / k) / dispersion
    return float(stats.f.sf(f, k, n - k - 1))


@dataclass(frozen=True, slots=True)
class SeriesOutlook:
    """Forecast and backtest of one weekly series.

    Attributes
    ----------
    forecast
        One row per future week: ``week_start``, ``horizon`` (1…H), ``model`` (NaN when
        the model could not be fitted), ``baseline``, ``forecast`` (the chosen one),
        ``low``, ``high`` (80 % Poisson interval of the chosen forecast, parameter
        uncertainty ignored).
    n_weeks
        Weeks of history.
    mae_model, mae_baseline
        Backtest MAE, cases per week (NaN when there was no backtest).
    gain
        ``1 − mae_model / mae_baseline`` (NaN without a backtest).
    structure_p
        p-value of the structure test (1 when not run).
    used
        ``"model"`` or ``"baseline"``.
    note
        Why (English).
    n_origins
        Backtest origins.
    """

    forecast: pd.DataFrame
    n_weeks: int
    mae_model: float
    mae_baseline: float
    gain: float
    structure_p: float
    used: str
    note: str
    n_origins: int


def forecast_series(
    counts: pd.Series,
    *,
    horizon: int = 8,
    min_weeks: int = 60,
    backtest_weeks: int = 52,
    step: int = 2,
    alpha: float = 0.01,
    min_gain: float = 0.0,
    half_life_weeks: float = 52.0,
    min_mean: float = 0.5,
) -> SeriesOutlook:
    """Forecast one weekly series and backtest it against the seasonal-naive baseline.

    Parameters
    ----------
    counts
        Weekly counts indexed by week start (Mondays, consecutive, no gaps).
    horizon
        Weeks to forecast (4–8 is the intended range; at most 52).
    min_weeks
        Fewest weeks of history for the model to be fitted at a backtest origin.
    backtest_weeks
        How far back from the end the backtest origins reach, weeks.
    step
        Weeks between backtest origins.
    alpha
        Significance level of the structure test.
    min_gain
        Smallest relative MAE gain over the baseline for the model to be used (0 = any).
    half_life_weeks
        Recency weighting of the model's observations.
    min_mean
        Series averaging fewer cases per week are forecast with the baseline only.
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
    baseline = seasonal_naive(y, n, horizon)
    model_fc = np.full(horizon, np.nan)
    mae_m = mae_b = gain = float("nan")
    p = 1.0
    n_origins = 0
    if y.mean() < min_mean:
        note = f"too sparse (mean {y.mean():.2f} < {min_mean} cases/week): baseline"
    elif n < min_weeks + horizon:
        note = f"short history ({n} weeks < {min_weeks + horizon}): baseline"
    else:
        first = max(min_weeks, n - backtest_weeks - horizon + 1)
        origins = list(range(n - horizon, first - 1, -step))
        err_m: list[float] = []
        err_b: list[float] = []
        for origin in origins:
            truth = y[origin : origin + horizon]
            fm = _model_forecast(y, weeks, origin, horizon, half_life_weeks=half_life_weeks)
            fb = seasonal_naive(y, origin, horizon)
            err_m.extend(np.abs(fm - truth))
            err_b.extend(np.abs(fb - truth))
        n_origins = len(origins)
        mae_m, mae_b = float(np.mean(err_m)), float(np.mean(err_b))
        gain = 1.0 - mae_m / mae_b if mae_b > 0 else float("-inf")
        p = _structure_p(y, weeks)
        model_fc = _model_forecast(y, weeks, n, horizon, half_life_weeks=half_life_weeks)
        if p >= alpha:
            note = f"no structure found (p = {p:.3f} ≥ {alpha}): baseline"
        elif not gain > min_gain:
            note = (
                f"model does not beat the baseline (MAE {mae_m:.2f} vs {mae_b:.2f}, "
                f"gain {gain:+.0%}): baseline"
            )
        else:
            note = f"model: MAE {mae_m:.2f} vs baseline {mae_b:.2f} ({gain:.0%} lower)"
    used = "model" if note.startswith("model:") else "baseline"
    chosen = model_fc if used == "model" else baseline
    low = stats.poisson.ppf(0.1, np.clip(chosen, 1e-9, None))
    high = stats.poisson.ppf(0.9, np.clip(chosen, 1e-9, None))
    frame = pd.DataFrame(
        {
            "week_start": future,
            "horizon": np.arange(1, horizon + 1),
            "model": model_fc,
            "baseline": baseline,
            "forecast": chosen,
            "low": low,
            "high": high,
        }
    )
    return SeriesOutlook(
        forecast=frame,
        n_weeks=n,
        mae_model=mae_m,
        mae_baseline=mae_b,
        gain=gain,
        structure_p=p,
        used=used,
        note=note,
        n_origins=n_origins,
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
        ``*by`` columns plus the columns of :attr:`SeriesOutlook.forecast` and ``used``.
    backtest
        One row per series: ``*by``, ``n_weeks``, ``total``, ``mae_model``,
        ``mae_baseline``, ``gain``, ``structure_p``, ``used``, ``note``, ``n_origins``.
    params
        The parameters used and ``last_week`` (ISO date).
    """

    forecasts: pd.DataFrame
    backtest: pd.DataFrame
    params: dict[str, Any]


def outlook(
    cases: pd.DataFrame,
    *,
    by: Sequence[str] = ("category", "community_id"),
    horizon: int = 8,
    until: dt.date | None = None,
    min_total: int = 20,
    **options: Any,
) -> Outlook:
    """Weekly outlook per group for the next ``horizon`` weeks, beside the baseline.

    Parameters
    ----------
    cases
        Needs ``created_at`` and the ``by`` columns.
    by
        Grouping columns.
    horizon
        Weeks ahead (4–8 intended).
    until
        Last day of history (see :func:`weekly_counts`).
    min_total
        Series with fewer cases in all are left out (too small to say anything).
    **options
        Passed to :func:`forecast_series` (``min_weeks``, ``step``, ``alpha`` …).
    """
    counts = weekly_counts(cases, by=by, until=until)
    keys = list(by)
    f_rows: list[pd.DataFrame] = []
    b_rows: list[dict[str, Any]] = []
    groups = counts.groupby(keys, sort=True) if keys else [((), counts)]
    for key, series in groups:
        key_t = key if isinstance(key, tuple) else (key,)
        total = int(series["count"].sum())
        if total < min_total:
            continue
        result = forecast_series(
            series.set_index("week_start")["count"], horizon=horizon, **options
        )
        labels: dict[str, Any] = dict(zip(keys, key_t, strict=True))
        fc = result.forecast.copy()
        for name, value in labels.items():
            fc[name] = value
        fc["used"] = result.used
        f_rows.append(fc[[*keys, *result.forecast.columns, "used"]])
        b_rows.append(
            labels
            | {
                "n_weeks": result.n_weeks,
                "total": total,
                "mae_model": result.mae_model,
                "mae_baseline": result.mae_baseline,
                "gain": result.gain,
                "structure_p": result.structure_p,
                "used": result.used,
                "note": result.note,
                "n_origins": result.n_origins,
            }
        )
    forecasts = (
        pd.concat(f_rows, ignore_index=True)
        if f_rows
        else pd.DataFrame(columns=[*keys, "week_start", "horizon", "forecast", "used"])
    )
    backtest = pd.DataFrame(
        b_rows,
        columns=[
            *keys,
            "n_weeks",
            "total",
            "mae_model",
            "mae_baseline",
            "gain",
            "structure_p",
            "used",
            "note",
            "n_origins",
        ],
    )
    last_week = counts["week_start"].max() if len(counts) else pd.NaT
    return Outlook(
        forecasts=forecasts,
        backtest=backtest,
        params={
            "by": keys,
            "horizon": horizon,
            "min_total": min_total,
            "last_week": "" if pd.isna(last_week) else last_week.date().isoformat(),
            **options,
        },
    )
