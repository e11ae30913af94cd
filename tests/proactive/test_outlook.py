"""Demand outlook on small constructed series whose answers can be checked by hand: a constant
series, a pure seasonal one, a trend, a stop, a collapse, a level shift, a new and a sparse one,
a sparse series that stops, one too sparse to backtest, and forecasts reconciled across levels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from wanzheng.errors import DataError
from wanzheng.proactive.forecasters import (
    INTERMITTENT,
    LUNAR_NEW_YEAR,
    MODELS,
    _holiday_name,
    adida,
    calendar_factors,
    croston_sba,
    holiday_keys,
    holiday_ratios,
)
from wanzheng.proactive.outlook import (
    find_break,
    forecast_series,
    holiday_shares,
    outlook,
    seasonal_naive,
    volatility,
    weekly_counts,
)
from wanzheng.proactive.reconcile import reconcile, summing_matrix

START = "2021-01-04"


def series(values: np.ndarray | list[float], start: str = START) -> pd.Series:
    values = np.asarray(values, dtype=float)
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="7D"))


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
    assert LUNAR_NEW_YEAR[2026] == "02-17"


def test_holiday_keys_cn_and_us() -> None:
    weeks = pd.DatetimeIndex(["2026-02-09", "2026-02-16", "2026-03-02", "2026-03-09"])
    # 02-23 is the last holiday day, so the week of 03-02 follows a Spring Festival day.
    assert holiday_keys(weeks, calendar="CN") == [
        "Spring Festival",
        "Spring Festival",
        "after Spring Festival",
        "",
    ]
    us = pd.DatetimeIndex(["2023-11-20", "2023-11-27", "2023-12-25", "2023-07-03"])
    assert holiday_keys(us, calendar="US") == [
        "Thanksgiving Day",
        "",
        "Christmas",
        "Independence Day",
    ]
    assert holiday_keys(us, calendar="none") == ["", "", "", ""]
    with pytest.raises(DataError, match="calendar"):
        holiday_keys(us, calendar="FR")


def test_calendar_factor_learned_from_history_only() -> None:
    # Ordinary weeks 10; the holiday "H" weeks 5 (t = 4, 14) and, after the origin, 20 (t = 24).
    y = np.full(30, 10.0)
    keys = [""] * 30
    for t, v in ((4, 5.0), (14, 5.0), (24, 20.0)):
        y[t], keys[t] = v, "H"
    ratios = holiday_ratios(y, keys)
    assert ratios[4] == 0.5 and ratios[24] == 2.0 and np.isnan(ratios[5])
    f = calendar_factors(ratios, [*keys, "H", ""], origin=22)
    assert list(f[[0, 4, 30, 31]]) == [1.0, 0.5, 0.5, 1.0]  # t = 24 is not seen at origin 22
    # Seen once only: no factor yet.
    assert calendar_factors(ratios, keys, origin=12)[4] == 1.0


def test_croston_sba_and_adida_by_hand() -> None:
    y = np.tile([0.0, 0.0, 3.0], 20)  # 3 cases every third week
    # sizes 3, intervals 3: SBA = (1 − 0.1/2) · 3/3
    assert np.allclose(croston_sba(y, 4), 0.95)
    # buckets of 3 weeks hold 3 cases each: 1 a week
    assert np.allclose(adida(y, 4), 1.0)
    assert np.allclose(croston_sba(np.zeros(10), 2), 0.0)


def test_seasonal_naive_definition() -> None:
    y = np.arange(60, dtype=float)
    assert list(seasonal_naive(y, 55, 3)) == [3.0, 4.0, 5.0]  # y[t − 52]
    assert list(seasonal_naive(y, 10, 2)) == [7.5, 7.5]  # mean of y[6:10]
    with pytest.raises(DataError):
        seasonal_naive(y, 0, 2)


def test_constant_series_is_forecast_exactly() -> None:
    result = forecast_series(series([10.0] * 130), horizon=4, calendar="none")
    assert result.brk is None
    assert result.mae == 0.0 and result.mae_baseline == 0.0 and result.gain == 0.0
    assert result.chosen == result.used == "seasonal_naive"  # ties go to the baselines, in order
    assert np.allclose(result.forecast["forecast"], 10.0)
    assert np.allclose(result.forecast[["low", "high"]], 10.0)  # errors were all 0
    assert result.coverage == 1.0


def test_pure_seasonal_series_chooses_seasonal_naive() -> None:
    t = np.arange(260)
    y = np.round(20 + 10 * np.sin(2 * np.pi * t / 52))
    result = forecast_series(series(y), horizon=8, calendar="none")
    assert result.used == "seasonal_naive" and result.baseline == "seasonal_naive"
    assert result.mae == 0.0 and result.gain == 0.0
    # A baseline is chosen only when it beats the best model by ≥ 20 % on the earlier origins.
    assert "by at least 20%" in result.note and "MAE 0.00 vs" in result.note
    assert list(result.forecast["forecast"]) == list(y[260 - 52 : 260 - 44])


def independent_baseline_mae(
    y: np.ndarray, horizon: int, step: int, weeks: int
) -> dict[str, float]:
    """The later half of the rolling origins, recomputed without the product's code."""
    n = len(y)
    origins = list(range(max(60, n - weeks - horizon + 1), n - horizon + 1, step))
    late = origins[len(origins) // 2 :]
    err: dict[str, list[float]] = {"seasonal_naive": [], "last_value": [], "mean4": []}
    for o in late:
        for h in range(horizon):
            err["seasonal_naive"].append(abs(y[o + h - 52] - y[o + h]))
            err["last_value"].append(abs(y[o - 1] - y[o + h]))
            err["mean4"].append(abs(np.mean(y[o - 4 : o]) - y[o + h]))
    return {k: float(np.mean(v)) for k, v in err.items()}


def test_trend_is_won_by_a_model_judged_on_later_origins() -> None:
    rng = np.random.default_rng(3)
    y = rng.poisson(20 + 0.4 * np.arange(200)).astype(float)
    result = forecast_series(series(y), horizon=8, calendar="none")
    assert result.chosen in MODELS and result.used == result.chosen
    truth = independent_baseline_mae(y, 8, 2, 104)
    best = min(truth, key=truth.__getitem__)
    assert result.baseline == best
    assert result.mae_baseline == pytest.approx(truth[best])
    assert result.gain == pytest.approx(1 - result.mae / truth[best])
    assert result.gain > 0.05, result.note
    assert result.n_origins == 52
    assert result.forecast["forecast"].iloc[-1] > y[-8:].mean()  # it follows the trend


@pytest.mark.parametrize("seed", [0, 1])
def test_interval_coverage_on_overdispersed_counts(seed: int) -> None:
    # Negative binomial around 30 a week (variance 30 + 30²/5 = 210, 7 × Poisson).
    rng = np.random.default_rng(seed)
    y = rng.negative_binomial(5, 5 / 35, size=200).astype(float)
    result = forecast_series(series(y), horizon=8, calendar="none")
    assert 0.7 <= result.coverage <= 0.9, result.coverage
    fc = result.forecast
    assert (fc["low"] < fc["forecast"]).all() and (fc["forecast"] < fc["high"]).all()
    # Wider than a Poisson interval would be (its 10–90 % width at 30 is about 14).
    assert (fc["high"] - fc["low"]).min() > 20


def test_a_series_that_stops_is_withheld() -> None:
    y = [20.0] * 100 + [0.0] * 10
    brk = find_break(series(y))
    assert brk is not None and brk.kind == "collapse"
    assert brk.start == pd.Timestamp(START) + pd.Timedelta(weeks=100)
    assert brk.note.startswith("the series stopped (no case) from 2022-12-05")
    result = forecast_series(series(y), horizon=4)
    assert result.used == "withheld" and np.isnan(result.gain)
    assert result.forecast["forecast"].isna().all()


def test_a_collapse_is_named_with_its_level_and_date() -> None:
    rng = np.random.default_rng(1)
    y = np.concatenate([rng.poisson(50, 150), rng.poisson(1, 12)]).astype(float)
    brk = find_break(series(y))
    assert brk is not None and brk.kind == "collapse"
    assert brk.start == pd.Timestamp(START) + pd.Timedelta(weeks=150)
    assert 0.005 < brk.ratio < 0.05
    assert f"fell to {brk.ratio:.0%} of its level from 2023-11-20" in brk.note
    assert "forecasts withheld, check the export" in brk.note


def test_a_level_shift_reports_no_gain() -> None:
    rng = np.random.default_rng(2)
    y = np.concatenate([rng.poisson(10, 120), rng.poisson(30, 20)]).astype(float)
    result = forecast_series(series(y), horizon=4)
    assert result.brk is not None and result.brk.kind == "level shift"
    # y[120] = 18 lies nearer the old level (10) than the new (30): the step is placed after it.
    assert result.brk.start == pd.Timestamp(START) + pd.Timedelta(weeks=121)
    ratio = np.median(y[121:]) / np.median(y[121 - 52 : 121])  # typical week after / before
    assert f"moved to {ratio:.0%} of its level from 2023-05-01" in result.note
    assert result.used == "mean4" and np.isnan(result.gain) and np.isnan(result.mae)
    assert np.allclose(result.forecast["forecast"], y[-4:].mean())
    assert "level shift" in result.note and "no gain reported" in result.note


def test_no_break_in_steady_noise() -> None:
    rng = np.random.default_rng(4)
    assert find_break(series(rng.poisson(15, 200).astype(float))) is None


def test_a_new_series_has_no_backtest() -> None:
    y = [0.0] * 170 + [5.0] * 30
    result = forecast_series(series(y), horizon=4)
    assert result.brk is not None and result.brk.kind == "new series"
    assert "new series since 2024-04-08 (30 weeks of history)" in result.note
    assert result.used == "mean4" and result.n_origins == 0
    assert np.allclose(result.forecast["forecast"], 5.0)


def test_sparse_series_gets_intermittent_methods() -> None:
    rng = np.random.default_rng(5)
    y = rng.poisson(0.5, 200).astype(float)
    result = forecast_series(series(y), horizon=4)
    assert "intermittent" in result.note
    assert result.chosen in (*INTERMITTENT, "seasonal_naive", "last_value", "mean4")
    assert result.brk is None and result.n_origins == 52
    assert (result.forecast["forecast"] >= 0).all()


def test_bad_input_is_a_data_error() -> None:
    with pytest.raises(DataError, match="horizon"):
        forecast_series(series([1.0] * 10), horizon=0)
    with pytest.raises(DataError, match="consecutive"):
        forecast_series(pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-15"])))


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
    assert counts[counts["category"] == "噪音"]["count"].tolist() == [1, 0, 0]
    cut = weekly_counts(cases.iloc[[0, 1, 2, 4]])
    assert cut["week_start"].max() == pd.Timestamp("2026-11-09")
    with pytest.raises(DataError, match="missing column"):
        weekly_counts(cases, by=("grid_id",))
    holed = cases.assign(subdistrict=["甲", "甲", None, "甲", "乙"])
    with pytest.raises(DataError, match="row 4: column 'subdistrict' is empty"):
        weekly_counts(holed, by=("category", "subdistrict"))


def test_outlook_over_case_table() -> None:
    rng = np.random.default_rng(7)
    rows = []
    weeks = pd.date_range("2023-01-02", periods=156, freq="7D")
    stopped = [8] * 140 + [0] * 16
    for cat, counts in (("环境卫生", rng.poisson(12, 156)), ("噪音", stopped)):
        for week, count in zip(weeks, counts, strict=True):
            for _ in range(int(count)):
                when = week + pd.Timedelta(hours=float(rng.uniform(0, 24 * 7 - 1)))
                rows.append({"created_at": when, "category": cat, "community_id": "C1"})
    rows.append(
        {"created_at": pd.Timestamp("2025-06-01"), "category": "其他", "community_id": "C1"}
    )
    out = outlook(pd.DataFrame(rows), horizon=6, until=dt.date(2025, 12, 28))
    bt = out.backtest.set_index("category")
    assert sorted(bt.index) == ["噪音", "环境卫生"]  # 其他 has 1 case < min_total
    assert bt.loc["噪音", "used"] == "withheld" and bt.loc["噪音", "break"] == "collapse"
    assert "stopped (no case) from 2025-09-08" in bt.loc["噪音", "note"]
    assert bt.loc["噪音", "break_from"] == "2025-09-08" and bt.loc["噪音", "break_ratio"] == 0.0
    assert np.isnan(bt.loc["噪音", "gain"]) and np.isnan(bt.loc["环境卫生", "break_ratio"])
    assert bt.loc["环境卫生", "break"] == "" and bt.loc["环境卫生", "n_origins"] == 46
    assert 0.6 <= bt.loc["环境卫生", "coverage"] <= 1.0
    assert len(out.forecasts) == 12
    assert out.forecasts[out.forecasts["category"] == "噪音"]["forecast"].isna().all()
    assert out.params["last_week"] == "2025-12-22"


def test_volatility_by_hand() -> None:
    y = np.array([0.0] * 10 + [1.0, 3.0, 7.0])
    z = np.log([2.0, 4.0, 8.0])  # log(1 + y) of the 3 weeks before origin 13
    assert volatility(y, 13, weeks=3) == pytest.approx(float(np.std(z, ddof=1)))
    assert volatility(np.full(30, 5.0), 30) == 0.01  # a flat history: the floor


def test_interval_follows_the_noise_as_it_is_now() -> None:
    # Three wild years, then 40 calm weeks at the same mean: most backtest errors come from the
    # wild years, yet the interval at the end is scaled by the calm weeks' variability. The calm
    # weeks' own 10–90 % width is 2 · 1.28 · √40 ≈ 16; the unscaled errors would give ~39.
    rng = np.random.default_rng(8)
    wild = rng.negative_binomial(2, 2 / 42, size=160).astype(float)  # mean 40, sd ~29
    calm = rng.poisson(40, 40).astype(float)
    result = forecast_series(series(np.concatenate([wild, calm])), horizon=4, calendar="none")
    width = (result.forecast["high"] - result.forecast["low"]).to_numpy()
    assert result.brk is None
    assert ((width > 8) & (width < 25)).all(), width


def test_a_sparse_series_that_stops_is_named_with_its_week() -> None:
    y = [1.0, 0.0] * 75 + [0.0] * 30  # a case every other week, then 30 empty weeks
    brk = find_break(series(y))
    assert brk is not None and brk.kind == "stop"
    # The last case is in week 148; the empty run starts in week 149.
    assert brk.start == pd.Timestamp(START) + pd.Timedelta(weeks=149)
    p = np.exp(-0.5 * 31)  # 0.5 a week before it, 31 empty weeks
    named = "no case since 2023-11-13 (31 weeks; at its rate before, 0.50 a week, that has p = "
    assert f"{named}{p:.0e})" in brk.note
    result = forecast_series(series(y), horizon=4)
    assert result.used == "withheld" and result.forecast["forecast"].isna().all()


def test_a_rare_series_is_not_a_stop_but_too_sparse() -> None:
    # One case every 10 weeks: 30 empty weeks have p = exp(−3) ≈ 0.05, no stop; 4 cases in
    # the last 52 weeks is below one a month: no backtest, the year's mean rate.
    y = ([1.0] + [0.0] * 9) * 17 + [0.0] * 30
    y[-52:-30] = [1.0 if k % 5 == 0 else 0.0 for k in range(22)]  # 5 cases, then 30 empty
    assert find_break(series(y)) is None
    result = forecast_series(series(y), horizon=4)
    assert result.used == "year_mean" and result.n_origins == 0
    assert np.allclose(result.forecast["forecast"], 5 / 52)
    assert "too sparse: 5 cases in the last 52 weeks (fewer than 13)" in result.note
    assert (result.forecast["low"] == 0).all() and (result.forecast["high"] == 0).all()


def test_summing_matrix_and_reconciliation_by_hand() -> None:
    nodes = [("A",), ("A", "c1"), ("A", "c2")]
    s = summing_matrix(nodes, [("A", "c1"), ("A", "c2")])
    assert s.tolist() == [[1, 1], [1, 0], [0, 1]]
    base = np.array([[10.0], [4.0], [4.0]])  # the parent says 10, its parts 4 + 4
    assert reconcile(base, s, method="bottom_up")[:, 0].tolist() == [8.0, 4.0, 4.0]
    # Equal variances (OLS): the gap of 2 is shared, 2/3 to each of the three nodes.
    assert reconcile(base, s, method="mint")[:, 0] == pytest.approx([28 / 3, 14 / 3, 14 / 3])
    # A parent known almost exactly keeps its 10; the parts take the gap equally.
    sure = reconcile(base, s, method="mint", variance=np.array([1e-9, 1.0, 1.0]))
    assert sure[:, 0] == pytest.approx([10.0, 5.0, 5.0])
    # A part that would go negative is set to 0, and the sums stay coherent.
    low = reconcile(np.array([[0.0], [3.0], [0.2]]), s, method="mint")[:, 0]
    assert low == pytest.approx([(6 - 0.2) / 3, (6 - 0.2) / 3, 0.0])
    with pytest.raises(DataError, match="no bottom series"):
        summing_matrix([("B",)], [("A", "c1")])
    with pytest.raises(DataError, match="expected one of"):
        reconcile(base, s, method="topdown")


@pytest.fixture(scope="module")
def district_cases() -> pd.DataFrame:
    """Two subdistricts, three communities with constant weekly counts, one with Poisson
    counts, and one whose cases stop."""
    rng = np.random.default_rng(9)
    weeks = pd.date_range("2023-01-02", periods=110, freq="7D")
    plan = {
        ("街道甲", "C1"): np.full(110, 3),
        ("街道甲", "C2"): np.full(110, 5),
        ("街道乙", "C3"): np.full(110, 2),
        ("街道乙", "C4"): rng.poisson(6, 110),
        ("街道乙", "C5"): np.r_[np.full(80, 2), np.zeros(30, dtype=int)],
    }
    rows = [
        {
            "created_at": week + pd.Timedelta(hours=10 + k),
            "category": "环境卫生",
            "subdistrict": sub,
            "community_id": com,
        }
        for (sub, com), counts in plan.items()
        for week, count in zip(weeks, counts, strict=True)
        for k in range(int(count))
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method", ["bottom_up", "mint"])
def test_reconciled_levels_add_up(district_cases: pd.DataFrame, method: str) -> None:
    by = ("category", "subdistrict", "community_id")
    out = outlook(
        district_cases,
        by=by,
        horizon=4,
        calendar="none",
        reconcile_method=method,
        until=dt.date(2025, 2, 9),
    )
    fc, bt = out.forecasts, out.backtest
    assert out.params["reconcile"] == method
    assert sorted(bt["level"].value_counts().items()) == [
        ("category", 1),
        ("community_id", 5),
        ("subdistrict", 2),
    ]
    com = fc[fc["level"] == "community_id"].set_index(["community_id", "horizon"])
    sub = fc[fc["level"] == "subdistrict"].set_index(["subdistrict", "horizon"])
    top = fc[fc["level"] == "category"].set_index("horizon")
    c5 = bt[bt["community_id"] == "C5"].iloc[0]
    assert c5["break"] == "collapse" and c5["used"] == "withheld"
    assert com.loc["C5", "forecast"].isna().all()
    for h in range(1, 5):
        shown = com.xs(h, level="horizon")["forecast"]
        a, b = shown[["C1", "C2"]].sum(), shown[["C3", "C4"]].sum()
        assert sub.loc[("街道甲", h), "forecast"] == pytest.approx(a)
        assert sub.loc[("街道乙", h), "forecast"] == pytest.approx(b)
        assert top.loc[h, "forecast"] == pytest.approx(a + b)
    row = bt[(bt["level"] == "subdistrict") & (bt["subdistrict"] == "街道乙")].iloc[0]
    assert "the sum of its 2 series below (1 withheld series left out)" in row["note"]
    shown = fc.dropna(subset=["forecast"])
    assert len(shown) == 7 * 4  # every node but the withheld C5
    assert (shown["low"] <= shown["forecast"] + 1e-9).all()
    assert (shown["forecast"] <= shown["high"] + 1e-9).all()
    if method == "bottom_up":
        # The constant communities are forecast exactly; bottom-up keeps them.
        assert com.loc["C1", "forecast"].tolist() == pytest.approx([3.0] * 4)
        assert com.loc["C2", "forecast"].tolist() == pytest.approx([5.0] * 4)
        assert (com["forecast"].dropna() == com["forecast_base"].dropna()).all()
    else:
        # MinT moves the exact (zero-error) constant series least.
        moved = (com["forecast"] - com["forecast_base"]).abs().groupby(level=0).max()
        assert moved["C1"] < 1e-3 and moved["C2"] < 1e-3 and moved["C4"] > 10 * moved["C1"]


def test_a_collapse_above_withholds_the_sparse_series_below() -> None:
    # Subdistrict 丙: six communities of a case every other week (too few each to show a
    # break), all of them dropping to none for the last 12 weeks; the subdistrict (3 a week
    # before) shows the collapse, and its communities are withheld with it.
    weeks = pd.date_range("2023-01-02", periods=120, freq="7D")
    rows = []
    for c in range(6):
        for w, week in enumerate(weeks[:108]):
            if (w + c) % 2 == 0:
                rows.append(
                    {
                        "created_at": week + pd.Timedelta(hours=10),
                        "category": "环境卫生",
                        "subdistrict": "丙",
                        "community_id": f"B{c}",
                    }
                )
    for week in weeks:
        rows.append(
            {
                "created_at": week + pd.Timedelta(hours=11),
                "category": "环境卫生",
                "subdistrict": "丁",
                "community_id": "D1",
            }
        )
    out = outlook(
        pd.DataFrame(rows),
        by=("category", "subdistrict", "community_id"),
        calendar="none",
        horizon=4,
        reconcile_method="bottom_up",
        until=weeks[-1].date() + dt.timedelta(days=6),
    )
    bt = out.backtest.set_index(["level", "subdistrict", "community_id"])
    assert bt.loc[("subdistrict", "丙", ""), "break"] == "collapse"
    b0 = bt.loc[("community_id", "丙", "B0")]
    assert b0["break"] == "" and b0["used"] == "withheld"  # its own 12 empty weeks say nothing
    assert "withheld: subdistrict 丙 above it broke (collapse from 2025-01-27)" in b0["note"]
    fc = out.forecasts
    assert fc[fc["subdistrict"] == "丙"]["forecast"].isna().all()
    top = fc[fc["level"] == "category"]["forecast"].to_numpy()
    d1 = fc[fc["community_id"] == "D1"]["forecast"].to_numpy()
    assert np.allclose(top, d1) and np.allclose(d1, 1.0)  # the total is 丁's constant 1


def test_reconcile_needs_known_method_and_columns(district_cases: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="reconcile: expected one of"):
        outlook(district_cases, by=("category",), reconcile_method="top_down")
    with pytest.raises(DataError, match="missing column"):
        outlook(district_cases, by=("category", "grid_id"), reconcile_method="mint")
