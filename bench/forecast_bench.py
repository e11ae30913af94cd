"""Demand outlook on real residents' service requests: the product against the best simple forecast.

Reads ``../shared/data/service_requests_dev/requests_dev.csv.gz`` (NYC Council constituent
services, 2015–2025; see its SOURCE.md) next to the checkout; nothing of it is copied. Runs
``wanzheng.proactive.outlook`` per category (``--calendar US``: the data are New York's), exactly
as ``wanzheng outlook --by category --horizon 8`` does, on three windows of history:

- **stable year**: history to 2023-11-26, the last week before the export collapses. The backtest's
  later origins (where the method chosen on the earlier origins is judged) are the latest stable
  year. Per category with ≥ 10 cases a week in that year: the used method's MAE against the best
  of seasonal-naive, last value and the 4-week mean *on those same origins* (picked in hindsight),
  pooled over categories; the 80 % interval's coverage on the same origins;
- **pre-COVID year**: history to 2019-12-29, the same measures (a second, independent year);
- **break**: history to 2024-03-31, after the December 2023 collapse: which categories are
  flagged, from which week, and that no gain is reported on any.

Sparse series and coherent levels (block ``forecast-sparse``): one category (Parks) by
borough and ZIP code, ``outlook(by=(category, borough, zip), reconcile_method="mint")``: how the
ZIP series are treated (too sparse, intermittent, stopped …) and how the intermittent ones fare
against the best baseline; the reconciled levels checked to add up; base, bottom-up and MinT
forecasts of every level against the 8 weeks that followed a cut at 2023-09-24; the ZIP series
flagged after the December 2023 collapse.

``python -m bench.forecast_bench`` (``make bench-forecast``) prints the tables and rewrites the
``forecast`` and ``forecast-sparse`` blocks of ``docs/benchmarks.md`` (``--part categories`` or
``--part sparse`` runs one of them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.docs import _lscpu, write_block
from wanzheng.proactive.outlook import outlook

ROOT = Path(__file__).resolve().parent.parent
MIN_WEEKLY = 10.0


def shared_requests() -> Path:
    """``../shared/data/service_requests_dev/requests_dev.csv.gz`` next to the checkout."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / "service_requests_dev" / "requests_dev.csv.gz"
        if path.exists():
            return path
    raise SystemExit("requests_dev.csv.gz not found under ../shared/data/service_requests_dev/")


def load(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, usecols=["id", "created_at", "category"])
    # The file holds days only ("YYYY-MM-DDT12:00:00"); the product reads times as Beijing time,
    # so the days are given as noon there and fall in the same Monday-starting week.
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize("Asia/Shanghai")
    return frame


def run_window(cases: pd.DataFrame, until: dt.date) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    result = outlook(cases, by=("category",), horizon=8, until=until, min_total=200, calendar="US")
    return result.backtest, time.perf_counter() - start


def stable_table(cases: pd.DataFrame, backtest: pd.DataFrame, until: dt.date) -> pd.DataFrame:
    """The categories with ≥ 10 cases a week in the 52 weeks to ``until``."""
    end = pd.Timestamp(until, tz="Asia/Shanghai") + pd.Timedelta(days=1)
    year = cases[
        (cases["created_at"] >= end - pd.Timedelta(weeks=52)) & (cases["created_at"] < end)
    ]
    weekly = year.groupby("category").size() / 52.0
    big = weekly[weekly >= MIN_WEEKLY]
    table = backtest[backtest["category"].isin(big.index)].copy()
    table["per_week"] = table["category"].map(big)
    table["brk"] = table["break"]
    return table.sort_values("per_week", ascending=False)


def fmt_stable(table: pd.DataFrame) -> tuple[list[str], dict[str, float]]:
    lines = [
        "| category | cases/week | used | chosen on earlier origins | MAE | best baseline "
        "| its MAE | gain | 80 % coverage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        gain = "—" if pd.isna(row.gain) else f"{row.gain:+.1%}"
        mae = "—" if pd.isna(row.mae) else f"{row.mae:.2f}"
        mb = "—" if pd.isna(row.mae_baseline) else f"{row.mae_baseline:.2f}"
        cov = "—" if pd.isna(row.coverage) else f"{row.coverage:.1%}"
        used = str(row.used)
        if not pd.isna(row.gain) and row.used != row.chosen:
            used += " (chosen model lost later)"
        if row.brk:
            used += f" ({row.brk} from {row.break_from})"
        lines.append(
            f"| {row.category} | {row.per_week:.1f} | {used} | {row.chosen or '—'} | {mae} | "
            f"{row.baseline or '—'} | {mb} | {gain} | {cov} |"
        )
    judged = table[table["gain"].notna()]
    # What the product forecasts with: the chosen method where it held up on the later origins,
    # the best baseline where it did not (then its MAE is the baseline's).
    used_mae = np.where(judged["used"] == judged["chosen"], judged["mae"], judged["mae_baseline"])
    summary = {
        "n": float(len(table)),
        "judged": float(len(judged)),
        "mae_chosen": float(judged["mae"].sum()),
        "mae_used": float(np.sum(used_mae)),
        "mae_best": float(judged["mae_baseline"].sum()),
        "worst": float(judged["gain"].min()) if len(judged) else float("nan"),
        "n_worse5": float((judged["gain"] < -0.05).sum()),
        "coverage": float(judged["coverage"].mean()) if len(judged) else float("nan"),
        "cov_min": float(judged["coverage"].min()) if len(judged) else float("nan"),
        "cov_max": float(judged["coverage"].max()) if len(judged) else float("nan"),
        "n_model": float((judged["used"].isin(["ets", "ets_mean4", "croston_sba", "adida"])).sum()),
    }
    return lines, summary


def summary_line(s: dict[str, float]) -> str:
    gain_c = 1 - s["mae_chosen"] / s["mae_best"]
    gain_u = 1 - s["mae_used"] / s["mae_best"]
    return (
        f"Pooled over the {int(s['judged'])} judged categories: MAE of the method chosen on the "
        f"earlier origins {s['mae_chosen']:.1f} against {s['mae_best']:.1f} for the best baseline "
        f"of each category (**{gain_c:+.1%}**); of what the product now forecasts with (the "
        f"baseline where the chosen model lost on the later origins) {s['mae_used']:.1f} "
        f"({gain_u:+.1%}). A model is used on {int(s['n_model'])} of {int(s['judged'])}. Worst "
        f"category {s['worst']:+.1%}; categories more than 5 % worse than their best baseline: "
        f"{int(s['n_worse5'])}. 80 % interval coverage: mean {s['coverage']:.1%} "
        f"(range {s['cov_min']:.1%}–{s['cov_max']:.1%})."
    )


SPARSE_CATEGORY = "Parks"
LEVELS = ("category", "borough", "zip")


def load_places(path: Path, category: str) -> pd.DataFrame:
    """The cases of one category with their borough and ZIP code ('(none)' where missing)."""
    frame = pd.read_csv(
        path, usecols=["created_at", "category", "zip", "borough"], dtype={"zip": str}
    )
    frame = frame[frame["category"] == category].copy()
    frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize("Asia/Shanghai")
    frame[["zip", "borough"]] = frame[["zip", "borough"]].fillna("(none)")
    return frame


def _treatment(bt: pd.DataFrame) -> pd.Series:
    return pd.Series(
        np.where(
            bt["break"] != "",
            bt["break"],
            np.where(
                bt["used"] == "year_mean",
                "too sparse",
                np.where(bt["note"].str.contains("intermittent"), "intermittent", "regular"),
            ),
        ),
        index=bt.index,
    )


def _actuals(cases: pd.DataFrame, until: dt.date, horizon: int) -> dict[tuple[str, ...], float]:
    """Cases per node in the ``horizon`` weeks after the week of ``until`` (a Sunday)."""
    start = pd.Timestamp(until, tz="Asia/Shanghai") + pd.Timedelta(days=1)
    after = cases[
        (cases["created_at"] >= start) & (cases["created_at"] < start + pd.Timedelta(weeks=horizon))
    ]
    out: dict[tuple[str, ...], float] = {}
    for depth in range(1, len(LEVELS) + 1):
        for key, n in after.groupby(list(LEVELS[:depth])).size().items():
            out[key if isinstance(key, tuple) else (key,)] = float(n)
    return out


def sparse_sections(path: Path) -> list[str]:
    """The ``forecast-sparse`` block: ZIP-level series of one category, reconciled."""
    cases = load_places(path, SPARSE_CATEGORY)
    out = [
        f"## Sparse series and coherent levels: {SPARSE_CATEGORY} by borough and ZIP code",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, same machine; load average "
        f"{os.getloadavg()[0]:.1f} at the start. **Real data**: the {len(cases):,} "
        f"`{SPARSE_CATEGORY}` cases of `service_requests_dev` (NYC Council / NYC Open Data) by "
        "`borough` and `zip` (missing ones as `(none)`), `outlook(by=(category, borough, zip), "
        "horizon=8, calendar=US, reconcile_method='mint')`: every ZIP series is forecast (no "
        "`min_total`), then every borough and the category total, and the levels reconciled.",
        "",
    ]
    until = dt.date(2023, 11, 26)
    start = time.perf_counter()
    result = outlook(
        cases, by=LEVELS, horizon=8, until=until, calendar="US", reconcile_method="mint"
    )
    seconds = time.perf_counter() - start
    bt, fc = result.backtest, result.forecasts
    zips = bt[bt["level"] == "zip"]
    kinds = _treatment(zips).value_counts()
    judged = zips[zips["gain"].notna()]
    kind_of = _treatment(zips)
    inter = judged[kind_of[judged.index] == "intermittent"]
    used = inter["used"].value_counts()
    stops = zips[zips["break"] == "stop"]["note"]
    example = stops.iloc[0] if len(stops) else ""
    shown = fc[fc["forecast"].notna()]
    gaps = []
    for depth in range(1, len(LEVELS)):
        parent_level, child_level = LEVELS[depth - 1], LEVELS[depth]
        parents = shown[shown["level"] == parent_level]
        children = shown[shown["level"] == child_level]
        sums = children.groupby([*LEVELS[:depth], "horizon"])["forecast"].sum()
        merged = parents.set_index([*LEVELS[:depth], "horizon"])["forecast"]
        gaps.append(float((merged - sums.reindex(merged.index)).abs().max()))
    out += [
        f"### History to {until} (the latest stable week)",
        "",
        f"{len(zips)} ZIP series (with a case since 2015): "
        + ", ".join(f"{k} {v}" for k, v in kinds.items())
        + ". The stops are ZIP codes with no case for ≥ 26 weeks where their rate before makes "
        f"that improbable, e.g. “{example}”.",
        "",
        f"Intermittent ZIP series backtested: {len(inter)}; pooled MAE "
        f"{inter['mae'].sum():.2f} against {inter['mae_baseline'].sum():.2f} for the best "
        f"baseline of each (**{1 - inter['mae'].sum() / inter['mae_baseline'].sum():+.1%}**); "
        f"more than 5 % worse than their best baseline: {int((inter['gain'] < -0.05).sum())}; "
        f"80 % coverage mean {inter['coverage'].mean():.1%}; chosen: "
        + ", ".join(f"{k} {v}" for k, v in inter["chosen"].value_counts().items())
        + "; used: "
        + ", ".join(f"{k} {v}" for k, v in used.items())
        + ".",
        "",
        "| node | used | MAE | best baseline | its MAE | gain | 80 % coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in bt[bt["level"] != "zip"].itertuples():
        name = row.borough or f"{SPARSE_CATEGORY} (all)"
        out.append(
            f"| {name} | {row.used} | {row.mae:.2f} | {row.baseline} | {row.mae_baseline:.2f} | "
            f"{row.gain:+.1%} | {row.coverage:.1%} |"
        )
    out += [
        "",
        f"Coherence after MinT: largest |node − sum of the nodes below| over all horizons, "
        f"borough → ZIP and total → borough: {max(gaps):.1e} cases/week. Outlook of all "
        f"{len(bt)} series: {seconds:.0f} s.",
        "",
    ]
    print("\n".join(out), flush=True)
    cut = dt.date(2023, 9, 24)
    result = outlook(cases, by=LEVELS, horizon=8, until=cut, calendar="US", reconcile_method="mint")
    actual = _actuals(cases, cut, 8)
    fc = result.forecasts
    bottom = fc[(fc["level"] == "zip") & fc["forecast_base"].notna()]
    rows = []
    for level in LEVELS:
        nodes = fc[(fc["level"] == level) & fc["forecast"].notna()]
        err = {"base": 0.0, "bottom_up": 0.0, "mint": 0.0}
        total = 0.0
        for key, part in nodes.groupby(list(LEVELS[: LEVELS.index(level) + 1])):
            key_t = key if isinstance(key, tuple) else (key,)
            truth = actual.get(key_t, 0.0)
            below = bottom
            for col, value in zip(LEVELS, key_t, strict=False):
                below = below[below[col] == value]
            err["base"] += abs(part["forecast_base"].sum() - truth)
            err["bottom_up"] += abs(below["forecast_base"].sum() - truth)
            err["mint"] += abs(part["forecast"].sum() - truth)
            total += truth
        rows.append(
            (level, nodes.groupby(list(LEVELS[: LEVELS.index(level) + 1])).ngroups, total, err)
        )
    out += [
        f"### Forecasts against what followed (history to {cut}, the 8 weeks after it)",
        "",
        "Absolute error of each node's 8-week total, summed over the nodes of the level "
        "(cases); bottom-up sums the ZIP base forecasts.",
        "",
        "| level | nodes | cases that came | base | bottom-up | MinT |",
        "|---|---|---|---|---|---|",
    ]
    for level, n, total, err in rows:
        out.append(
            f"| {level} | {n} | {total:.0f} | {err['base']:.1f} | {err['bottom_up']:.1f} | "
            f"{err['mint']:.1f} |"
        )
    brk = dt.date(2024, 3, 31)
    result = outlook(cases, by=LEVELS, horizon=8, until=brk, calendar="US", reconcile_method="mint")
    bt = result.backtest
    own = bt[bt["break"].isin(["collapse", "stop"])].groupby("level").size()
    withheld = bt[bt["used"] == "withheld"].groupby("level").size()
    example = bt[(bt["level"] == "zip") & (bt["used"] == "withheld") & (bt["break"] == "")]
    out += [
        "",
        f"### Break window (history to {brk})",
        "",
        "Series withheld: "
        + ", ".join(
            f"{lvl} {int(withheld.get(lvl, 0))} of {int((bt['level'] == lvl).sum())} "
            f"({int(own.get(lvl, 0))} by a break of their own)"
            for lvl in LEVELS
        )
        + ". The category total: “"
        + str(bt[bt["level"] == "category"]["note"].iloc[0])
        + "”"
        + (f"; a ZIP series below it: “{example['note'].iloc[0]}”." if len(example) else "."),
    ]
    print("\n".join(out[-(len(rows) + 12) :]), flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--part", choices=["all", "categories", "sparse"], default="all")
    args = parser.parse_args(argv)
    path = shared_requests()
    if args.part in ("all", "sparse"):
        sparse = sparse_sections(path)
        if not args.no_write:
            write_block("forecast-sparse", "\n".join(sparse))
            print("docs/benchmarks.md: block 'forecast-sparse' written")
    if args.part == "sparse":
        return
    cases = load(path)
    out: list[str] = [
        "## Demand outlook on real service requests",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs "
        f"({_lscpu().get('Model name', '?')}), Python "
        f"{sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f} at the start. "
        "`python -m bench.forecast_bench` (`make bench-forecast`). **All figures come from real "
        f"data**: `service_requests_dev` ({len(cases):,} NYC Council constituent-service cases, "
        "2015-01 … 2025-01, 54 categories; NYC Council / NYC Open Data; read from ../shared, "
        "nothing copied). The product is `outlook(by=category, horizon=8, calendar=US)` as the "
        "CLI runs it: backtest origins every 2 weeks over the last 104 weeks of history, the "
        "method chosen on the earlier 26 origins and judged on the later 26 against the best of "
        "seasonal-naive, last value and 4-week mean **on those later origins** (best in "
        "hindsight). Categories with ≥ 10 cases a week in the judged year.",
        "",
    ]
    summaries: dict[str, dict[str, float]] = {}
    for title, until in (
        ("Latest stable year (history to 2023-11-26)", dt.date(2023, 11, 26)),
        ("Pre-COVID year (history to 2019-12-29)", dt.date(2019, 12, 29)),
    ):
        backtest, seconds = run_window(cases, until)
        table = stable_table(cases, backtest, until)
        lines, summary = fmt_stable(table)
        summaries[title] = summary
        out += [
            f"### {title}",
            "",
            *lines,
            "",
            summary_line(summary),
            "",
            f"Outlook of all {len(backtest)} categories with ≥ 200 cases: {seconds:.0f} s.",
            "",
        ]
        print("\n".join(out[-(len(lines) + 6) :]), flush=True)
    until = dt.date(2024, 3, 31)
    backtest, seconds = run_window(cases, until)
    before = stable_table(cases, backtest, dt.date(2023, 11, 26))
    flagged = before[before["break"] == "collapse"]
    starts = sorted(
        pd.Series([n.split(" from ")[1][:10] for n in flagged["note"]]).value_counts().items()
    )
    gains = backtest["gain"].notna().sum()
    out += [
        "### Break window (history to 2024-03-31, the export collapses from December 2023)",
        "",
        f"Of the {len(before)} categories with ≥ 10 cases a week before the break, "
        f"**{len(flagged)} are flagged as a collapse** and their forecasts withheld; the week "
        "named: " + ", ".join(f"{d} ({c})" for d, c in starts) + ". "
        f"Gains reported on this window, over all {len(backtest)} categories: {gains}. Example "
        f"note: “{flagged['note'].iloc[0] if len(flagged) else ''}”.",
        "",
        "| category | break | used | note |",
        "|---|---|---|---|",
    ]
    for _, row in before.iterrows():
        out.append(f"| {row['category']} | {row['break'] or '—'} | {row['used']} | {row['note']} |")
    out += ["", f"Outlook of all {len(backtest)} categories: {seconds:.0f} s."]
    print("\n".join(out[-(len(before) + 6) :]), flush=True)
    if not args.no_write:
        write_block("forecast", "\n".join(out))
        print("docs/benchmarks.md: block 'forecast' written")


if __name__ == "__main__":
    main()
