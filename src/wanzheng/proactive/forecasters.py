"""Forecasting methods for weekly counts: the simple baselines and the library models.

Every method has one shape, array in and array out::

    method(history, horizon, *, factors) -> forecast

``history`` holds the weekly counts before the origin (float64, oldest first), ``factors`` the
calendar factor of every week of the history followed by the ``horizon`` weeks ahead (1 for an
ordinary week, below 1 for a holiday week that usually brings fewer cases; see
:func:`calendar_factors`), and the forecast is one non-negative count per week ahead.

Baselines (no fitting):

* ``seasonal_naive`` — ``ŷ[t] = y[t − 52]``;
* ``last_value`` — ``ŷ[t] = y[origin − 1]``;
* ``mean4`` — the mean of the last 4 weeks.

Models, all fitted by ``statsmodels`` (no solver of our own):

* ``ets`` — exponential smoothing with an additive damped trend (``statsmodels``'
  ``ExponentialSmoothing``, parameters by maximum likelihood) of ``log(1 + y/c)``, the log of
  the calendar-adjusted weekly count (``c`` the week's calendar factor), over the last
  ``FIT_WEEKS`` weeks; forecast back-transformed and multiplied by the future weeks' factors;
* ``ets_mean4`` — the mean of ``ets`` and the calendar-adjusted mean of the last 4 weeks
  (a forecast combination: the two err in different ways, one by following noise in the
  level, the other by lagging a trend);
* ``croston_sba`` — for intermittent series: Croston's method with the Syntetos–Boylan
  correction, ``ŷ = (1 − α/2)·z/p``, where ``z`` and ``p`` are simple exponential smoothing
  (``statsmodels``' ``SimpleExpSmoothing``, fixed ``α = 0.1``) of the non-zero weekly counts and
  of the intervals between them, in weeks;
* ``adida`` — aggregate–disaggregate intermittent demand approach: the history is summed over
  non-overlapping buckets of the mean interval between non-zero weeks (at least 2 weeks),
  simple exponential smoothing (``statsmodels``, ``α`` by maximum likelihood) forecasts the
  next bucket, spread evenly over its weeks.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "BASELINES",
    "FIT_WEEKS",
    "INTERMITTENT",
    "LUNAR_NEW_YEAR",
    "METHODS",
    "MODELS",
    "calendar_factors",
    "forecast_all",
    "holiday_keys",
    "holiday_ratios",
    "holiday_shares",
]

CYCLE_WEEKS = 52
FIT_WEEKS = 156
"""The library models are fitted on at most the last three years: a level that moved years
ago says nothing about next month, and fitting stays a few milliseconds."""
CROSTON_ALPHA = 0.1

Method = Callable[..., np.ndarray]
_T = TypeVar("_T")

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


# --- calendars ---------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _holiday_name(day: dt.date) -> str:
    """The Chinese official holiday on ``day`` ('' when none)."""
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


@lru_cache(maxsize=4)
def _us_holidays() -> dict[dt.date, str]:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    days = USFederalHolidayCalendar().holidays("2000-01-01", "2040-12-31", return_name=True)
    return {
        day.date(): str(name) for day, name in zip(pd.DatetimeIndex(days.index), days, strict=True)
    }


def holiday_keys(weeks: pd.DatetimeIndex | pd.Index, *, calendar: str = "CN") -> list[str]:
    """The holiday a week holds ('' for none), as the key of its calendar factor.

    Parameters
    ----------
    weeks
        Week starts (Mondays).
    calendar
        ``"CN"``: the Chinese official holidays (``chinese_calendar``; the week after the
        Spring Festival holiday is its own key, ``"after Spring Festival"``, since offices
        catch up then); ``"US"``: the US federal holidays (pandas' calendar; the week of
        25–31 December is ``"Christmas"``); ``"none"``: no calendar.
    """
    if calendar not in ("CN", "US", "none"):
        from wanzheng.errors import DataError

        raise DataError(f"calendar: expected CN, US or none, got {calendar!r}")
    keys: list[str] = []
    for week in weeks:
        start = week.date()
        days = [start + dt.timedelta(days=k) for k in range(7)]
        key = ""
        if calendar == "CN":
            names = [_holiday_name(d) for d in days]
            key = next((n for n in names if n), "")
            if not key and any(
                _holiday_name(d - dt.timedelta(days=7)) == "Spring Festival" for d in days
            ):
                key = "after Spring Festival"
        elif calendar == "US":
            table = _us_holidays()
            key = next((table[d] for d in days if d in table), "")
            if any(d.month == 12 and d.day >= 25 for d in days):
                key = "Christmas"
        keys.append(key)
    return keys


def holiday_ratios(y: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """For every holiday week, its count over the median of the ordinary weeks among the 3
    before and the 3 after it (NaN for ordinary weeks, and where that median is 0 or fewer
    than 2 ordinary neighbours exist)."""
    n = len(y)
    out = np.full(n, np.nan)
    for t in range(n):
        if not keys[t]:
            continue
        near = [y[s] for s in range(max(0, t - 3), min(n, t + 4)) if s != t and not keys[s]]
        if len(near) >= 2:
            ref = float(np.median(near))
            if ref > 0:
                out[t] = float(y[t]) / ref
    return out


def calendar_factors(
    ratios: np.ndarray, keys: Sequence[str], *, origin: int, min_seen: int = 2
) -> np.ndarray:
    """Calendar factor of every week of ``keys``, learned from the history before ``origin``.

    For each holiday key the factor is the median of :func:`holiday_ratios` over the key's
    weeks ``t`` with ``t + 3 < origin`` (so that no ratio looks past the origin); keys seen
    fewer than ``min_seen`` times, and ordinary weeks, get 1. Factors are clipped to 0.1 … 2.

    Parameters
    ----------
    ratios
        :func:`holiday_ratios` of the whole series.
    keys
        Holiday key of every week (:func:`holiday_keys`), the history and the weeks ahead.
    origin
        Index of the first week forecast.
    """
    seen: dict[str, list[float]] = {}
    for t in range(max(0, origin - 3)):
        if keys[t] and np.isfinite(ratios[t]):
            seen.setdefault(keys[t], []).append(float(ratios[t]))
    factor = {
        k: float(np.clip(np.median(v), 0.1, 2.0)) for k, v in seen.items() if len(v) >= min_seen
    }
    return np.array([factor.get(k, 1.0) if k else 1.0 for k in keys])


# --- baselines ---------------------------------------------------------------------------------


def seasonal_naive(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """``ŷ[t] = y[t − 52]``; with fewer than 52 weeks of history, the mean of the last 4."""
    n = len(y)
    if n >= CYCLE_WEEKS:
        return np.array([y[n + h - CYCLE_WEEKS] for h in range(horizon)], dtype=float)
    return mean4(y, horizon)


def last_value(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """``ŷ[t] = y[origin − 1]`` (naive)."""
    return np.full(horizon, float(y[-1]))


def mean4(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """The mean of the last (up to) 4 weeks."""
    return np.full(horizon, float(np.mean(y[-4:])))


# --- library models ----------------------------------------------------------------------------


def _quiet(fit: Callable[[], _T]) -> _T:
    """Run a statsmodels fit with its convergence chatter silenced (the optimiser warns on
    short or flat series; the fit it returns is still the best found)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fit()


def _adjusted(
    y: np.ndarray, factors: np.ndarray | None, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    f = np.ones(n + horizon) if factors is None else np.asarray(factors[: n + horizon], dtype=float)
    return y / f[:n], f[n:]


def _ets_level(a: np.ndarray, horizon: int) -> np.ndarray:
    """Damped-trend ETS forecast of ``log1p(a)``, back-transformed (statsmodels)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    z = np.log1p(a[-FIT_WEEKS:])
    if len(z) < 10 or float(np.ptp(z)) == 0.0:
        return np.full(horizon, float(np.expm1(z[-1])))
    model = ExponentialSmoothing(
        z, trend="add", damped_trend=True, initialization_method="estimated"
    )
    # least squares instead of the default L-BFGS-B: the same fit here, ~20 times faster
    fitted = _quiet(lambda: model.fit(optimized=True, method="least_squares"))
    out = np.asarray(fitted.forecast(horizon), dtype=float)
    if not np.all(np.isfinite(out)):
        return np.full(horizon, float(np.mean(a[-4:])))
    return np.asarray(np.clip(np.expm1(out), 0.0, None), dtype=float)


def ets(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """Damped-trend ETS of the log of the calendar-adjusted count (see the module docstring)."""
    a, future = _adjusted(y, factors, horizon)
    return np.asarray(_ets_level(a, horizon) * future)


def ets_mean4(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """Mean of :func:`ets` and the calendar-adjusted mean of the last 4 weeks."""
    a, future = _adjusted(y, factors, horizon)
    level = 0.5 * _ets_level(a, horizon) + 0.5 * float(np.mean(a[-4:]))
    return np.asarray(level * future)


def _ses_last(values: np.ndarray, *, alpha: float | None) -> float:
    """One-step simple exponential smoothing forecast (statsmodels)."""
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    if len(values) == 1 or float(np.ptp(values)) == 0.0:
        return float(values[-1]) if len(values) == 1 else float(values[0])
    if len(values) >= 10:
        model = SimpleExpSmoothing(values, initialization_method="heuristic")
    else:
        model = SimpleExpSmoothing(
            values, initialization_method="known", initial_level=float(values[0])
        )
    if alpha is None:
        fitted = _quiet(lambda: model.fit(optimized=True))
    else:
        fitted = _quiet(lambda: model.fit(smoothing_level=alpha, optimized=False))
    return float(np.asarray(fitted.forecast(1))[0])


def croston_sba(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """Croston's method with the Syntetos–Boylan approximation (see the module docstring)."""
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) == 0:
        return np.zeros(horizon)
    sizes = y[nonzero].astype(float)
    intervals = np.diff(np.concatenate([[-1], nonzero])).astype(float)
    z = _ses_last(sizes, alpha=CROSTON_ALPHA)
    p = max(_ses_last(intervals, alpha=CROSTON_ALPHA), 1.0)
    return np.full(horizon, (1.0 - CROSTON_ALPHA / 2.0) * z / p)


def adida(y: np.ndarray, horizon: int, *, factors: np.ndarray | None = None) -> np.ndarray:
    """Aggregate–disaggregate intermittent demand approach (see the module docstring)."""
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) == 0:
        return np.zeros(horizon)
    size = max(2, round(len(y) / len(nonzero)))
    usable = (len(y) // size) * size
    if usable < 2 * size:
        return mean4(y, horizon)
    buckets = y[len(y) - usable :].reshape(-1, size).sum(axis=1).astype(float)
    return np.full(horizon, max(_ses_last(buckets, alpha=None), 0.0) / size)


BASELINES: dict[str, Method] = {
    "seasonal_naive": seasonal_naive,
    "last_value": last_value,
    "mean4": mean4,
}
"""The simple forecasts every model is measured against."""
MODELS: dict[str, Method] = {"ets": ets, "ets_mean4": ets_mean4}
"""Library models for series with a few cases a week or more."""
INTERMITTENT: dict[str, Method] = {"croston_sba": croston_sba, "adida": adida}
"""Library methods for intermittent series (many weeks without a case)."""
METHODS: dict[str, Method] = BASELINES | MODELS | INTERMITTENT


def forecast_all(
    y: np.ndarray, horizon: int, *, names: Sequence[str], factors: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Forecasts of the methods ``names`` from one history (``ets`` and ``ets_mean4`` share
    one fit)."""
    out: dict[str, np.ndarray] = {}
    if "ets" in names or "ets_mean4" in names:
        a, future = _adjusted(y, factors, horizon)
        level = _ets_level(a, horizon)
        out["ets"] = level * future
        out["ets_mean4"] = (0.5 * level + 0.5 * float(np.mean(a[-4:]))) * future
    for name in names:
        if name not in out:
            out[name] = METHODS[name](y, horizon, factors=factors)
    return {name: np.asarray(out[name], dtype=float) for name in names}
