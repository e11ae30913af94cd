"""Demand outlook on constructed series with known structure, and on pure noise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from wanzheng.errors import DataError
from wanzheng.proactive.outlook import (
    LUNAR_NEW_YEAR,
    _holiday_name,
    forecast_series,
    holiday_shares,
    outlook,
    seasonal_naive,
    weekly_counts,
)


def structured(seed: int, *, n: int = 156, base: float = 20.0) -> pd.Series:
    """Seasonal + trend + Spring Festival / National Day dips + Poisson noise."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2023-01-02", periods=n, freq="7D")
    years = np.arange(n) / 52.0
    doy = (weeks + pd.Timedelta(days=3)).day_of_year.to_numpy()
    shares = np.array([holiday_shares(w.date()) for w in weeks])
    lam = (
        base
        * np.exp(0.15 * years)
        * (1 + 0.35 * np.sin(2 * np.pi * doy / 365.25 + 1.0))
        * (1 - 0.7 * shares[:, 0])
        * (1 - 0.5 * shares[:, 1])
    )
    return pd.Series(rng.poisson(lam), index=weeks)


def noise(seed: int, *, n: int = 156, lam: float = 20.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.poisson(lam, n), index=pd.date_range("2023-01-02", periods=n, freq="7D"))


def test_holiday_shares_official_and_fallback() -> None:
    # 2026: Spring Festival holiday 02-15 … 02-23 (official); week of Mon 02-16 is all holiday.
    assert holiday_shares(dt.date(2026, 2, 16)) == (1.0, 0.0)
    assert holiday_shares(dt.date(2026, 2, 9)) == (1 / 7, 0.0)  # Sunday 02-15
    # 2025 National Day 10-01 … 10-08; the week of Mon 09-29 holds 10-01 … 10-05.
    assert holiday_shares(dt.date(2025, 9, 29)) == (0.0, 5 / 7)
    # 2027 is beyond the package's calendar: 正月初一 = 02-06, holiday 02-05 … 02-12.
    assert _holiday_name(dt.date(2027, 2, 5)) == "Spring Festival"
    assert _holiday_name(dt.date(2027, 2, 13)) == ""
    assert holiday_shares(dt.date(2027, 2, 8)) == (5 / 7, 0.0)
    assert holiday_shares(dt.date(2027, 10, 4)) == (0.0, 4 / 7)
    assert LUNAR_NEW_YEAR[2026] == "02-17"


def test_seasonal_naive_definition() -> None:
    y = np.arange(60, dtype=float)
    assert list(seasonal_naive(y, 55, 3)) == [3.0, 4.0, 5.0]  # y[t − 52]
    assert list(seasonal_naive(y, 10, 2)) == [7.5, 7.5]  # mean of y[6:10]
    with pytest.raises(DataError):
        seasonal_naive(y, 0, 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_model_beats_seasonal_naive_by_15_percent_on_structure(seed: int) -> None:
    result = forecast_series(structured(seed), horizon=8)
    assert result.used == "model"
    assert result.structure_p < 1e-6
    assert result.gain >= 0.15, result.note
    assert result.n_origins >= 20
    fc = result.forecast
    assert list(fc["horizon"]) == list(range(1, 9))
    assert fc["week_start"].iloc[0] == pd.Timestamp("2025-12-29")
    assert (fc["forecast"] == fc["model"]).all()
    assert (fc["low"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["high"]).all()


def test_forecast_sees_the_spring_festival_dip() -> None:
    # History to 2025-12-22; the 8 weeks ahead run to 2026-02-16, the Spring Festival week.
    series = structured(3, n=156)
    result = forecast_series(series, horizon=8)
    fc = result.forecast.set_index("week_start")["model"]
    assert fc[pd.Timestamp("2026-02-16")] < 0.6 * fc[pd.Timestamp("2026-01-26")]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pure_noise_chooses_the_baseline(seed: int) -> None:
    result = forecast_series(noise(seed), horizon=8)
    assert result.used == "baseline"
    assert "no structure" in result.note
    assert (result.forecast["forecast"] == result.forecast["baseline"]).all()
    assert not np.isnan(result.mae_model) and not np.isnan(result.mae_baseline)


def test_short_and_sparse_history_use_the_baseline() -> None:
    short = structured(0, n=40)
    result = forecast_series(short, horizon=4)
    assert result.used == "baseline" and "short history" in result.note
    assert np.allclose(result.forecast["baseline"], short.iloc[-4:].mean())
    sparse = noise(0, lam=0.2)
    assert "too sparse" in forecast_series(sparse).note


def test_weekly_counts_by_hand() -> None:
    cases = pd.DataFrame(
        {
            "created_at": [
                "2026-11-02 09:00",  # Mon, week 11-02
                "2026-11-08 23:00",  # Sun, week 11-02
                "2026-11-16 10:00",  # week 11-16 (week 11-09 has none for 环境)
                "2026-11-22 10:00",  # Sun, week 11-16
                "2026-11-03 10:00",
            ],
            "category": ["环境", "环境", "环境", "环境", "噪音"],
            "community_id": ["C1", "C1", "C1", "C1", "C2"],
        }
    )
    counts = weekly_counts(cases)
    env = counts[counts["category"] == "环境"].set_index("week_start")["count"]
    assert list(env.index.strftime("%m-%d")) == ["11-02", "11-09", "11-16"]
    assert list(env) == [2, 0, 2]
    noise_c2 = counts[counts["category"] == "噪音"]["count"].tolist()
    assert noise_c2 == [1, 0, 0]
    # With data up to Saturday 11-21 only, the week of 11-16 is incomplete and left out.
    cut = weekly_counts(cases.iloc[[0, 1, 2, 4]])
    assert cut["week_start"].max() == pd.Timestamp("2026-11-09")
    with pytest.raises(DataError, match="missing column"):
        weekly_counts(cases, by=("grid_id",))


def test_outlook_over_case_table() -> None:
    rng = np.random.default_rng(7)
    rows = []
    for cat, series in (("环境卫生", structured(5)), ("噪音", noise(5, lam=6.0))):
        for week, count in series.items():
            for _ in range(int(count)):
                when = week + pd.Timedelta(hours=float(rng.uniform(0, 24 * 7 - 1)))
                rows.append({"created_at": when, "category": cat, "community_id": "C1"})
    rows.append(
        {"created_at": pd.Timestamp("2025-06-01"), "category": "其他", "community_id": "C1"}
    )
    cases = pd.DataFrame(rows)
    out = outlook(cases, horizon=6, until=dt.date(2025, 12, 28))
    bt = out.backtest.set_index("category")
    assert sorted(bt.index) == ["噪音", "环境卫生"]  # 其他 has 1 case < min_total
    assert bt.loc["环境卫生", "used"] == "model"
    assert bt.loc["环境卫生", "gain"] >= 0.15
    assert bt.loc["噪音", "used"] == "baseline"
    assert len(out.forecasts) == 12
    assert out.params["last_week"] == "2025-12-22"
