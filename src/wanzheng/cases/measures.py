"""Case-handling measures (响应率, 解决率, 满意率, average handling time, overdue).

Pure functions over a DataFrame of cases; ``docs/measures.md`` holds the definitions, which
are repeated here:

- population: cases *submitted* in the period ``[start, end)``, excluding ``merged`` and
  ``rejected`` cases (duplicates and cases not accepted are not the handlers' work);
- ``cases``: size of that population;
- ``responded_on_time``: cases whose first response (action ``start``) happened at or before
  the respond deadline;
- ``response_judged``: cases whose response can be judged at ``now``: responded, or past the
  respond deadline; a case still inside its response time is neither a success nor a failure
  yet; **响应率** = responded_on_time / response_judged;
- ``solved``: cases in state ``closed`` whose latest rating is not 不满意 (an unrated closed
  case counts as solved); **解决率** = solved / cases;
- ``rated``: cases with a rating; ``satisfied``: latest rating 满意 or 基本满意;
  **满意率** = satisfied / rated;
- **average handling time** (``avg_handling_hours``): mean over cases with a resolution of
  (latest ``resolved_at`` − ``submitted_at``), in clock hours;
- **overdue**: cases resolved after their resolve deadline, or not resolved and past it at
  ``now``.

Rates are ``NaN`` when their denominator is zero.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wanzheng.errors import DataError

__all__ = ["GROUPINGS", "MEASURE_COLUMNS", "case_measures"]

#: Columns one may group by.
GROUPINGS = ("department", "grid", "community", "category", "period", "all")

#: The input columns :func:`case_measures` needs.
MEASURE_COLUMNS = (
    "department",
    "grid",
    "community",
    "category",
    "state",
    "rating",
    "submitted_at",
    "responded_at",
    "respond_due",
    "resolved_at",
    "resolve_due",
)

#: The columns :func:`case_measures` returns, in order.
MEASURES = (
    "cases",
    "responded_on_time",
    "response_judged",
    "response_rate",
    "solved",
    "resolution_rate",
    "rated",
    "satisfied",
    "satisfaction_rate",
    "avg_handling_hours",
    "overdue",
)
# The counts summed per group (the rates are computed from them).
_COUNTS = ("cases", "responded_on_time", "response_judged", "solved", "rated", "satisfied")
# pandas' period codes of the ``period`` grouping.
_FREQ = {"month": "M", "week": "W", "day": "D"}

_EXCLUDED = ("merged", "rejected")
_SATISFIED = ("满意", "基本满意")


def case_measures(
    cases: pd.DataFrame,
    *,
    by: str,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    period: str = "month",
) -> pd.DataFrame:
    """Measures per group over cases submitted in ``[start, end)``.

    Parameters
    ----------
    cases
        One row per case with :data:`MEASURE_COLUMNS`; times timezone-aware (UTC).
    by
        One of :data:`GROUPINGS`; ``period`` groups by calendar ``month`` / ``week`` / ``day``
        of the submission (Beijing time); ``all`` gives one row.
    start, end
        Period of submission, timezone-aware.
    now
        The instant at which open cases are judged overdue.

    Returns
    -------
    DataFrame
        Index: the group key (missing keys as ``"(none)"``); columns ``cases``,
        ``responded_on_time``, ``response_judged``, ``response_rate``, ``solved``,
        ``resolution_rate``, ``rated``, ``satisfied``, ``satisfaction_rate``,
        ``avg_handling_hours``, ``overdue``.
    """
    if by not in GROUPINGS:
        raise DataError(f"by: expected one of {list(GROUPINGS)}, got {by!r}")
    missing = [c for c in MEASURE_COLUMNS if c not in cases.columns]
    if missing:
        raise DataError(f"cases: missing columns {missing}")
    for name, t in (("start", start), ("end", end), ("now", now)):
        if t.tzinfo is None:
            raise DataError(f"{name}: expected a timezone-aware datetime")
    df = cases.copy()
    for col in ("submitted_at", "responded_at", "respond_due", "resolved_at", "resolve_due"):
        df[col] = pd.to_datetime(df[col], utc=True)
    sel = (
        (df["submitted_at"] >= pd.Timestamp(start))
        & (df["submitted_at"] < pd.Timestamp(end))
        & ~df["state"].isin(_EXCLUDED)
    )
    df = df.loc[sel]
    if by == "period":
        local = df["submitted_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        freq = _FREQ.get(period)
        if freq is None:
            raise DataError(f"period: expected month, week or day, got {period!r}")
        key = local.dt.to_period(freq).astype(str)
    elif by == "all":
        key = pd.Series("all", index=df.index)
    else:
        key = df[by].fillna("(none)").astype(str)
    now_ts = pd.Timestamp(now)
    responded = df["responded_at"].notna() & (df["responded_at"] <= df["respond_due"])
    judged = df["responded_at"].notna() | (now_ts > df["respond_due"])
    solved = (df["state"] == "closed") & (df["rating"].fillna("") != "不满意")
    rated = df["rating"].notna()
    satisfied = df["rating"].isin(_SATISFIED)
    hours = (df["resolved_at"] - df["submitted_at"]).dt.total_seconds() / 3600.0
    overdue = (df["resolved_at"].notna() & (df["resolved_at"] > df["resolve_due"])) | (
        df["resolved_at"].isna() & (now_ts > df["resolve_due"])
    )
    parts = pd.DataFrame(
        {
            "key": key,
            "cases": 1,
            "responded_on_time": responded.astype(int),
            "response_judged": judged.astype(int),
            "solved": solved.astype(int),
            "rated": rated.astype(int),
            "satisfied": satisfied.astype(int),
            "handling_hours": hours,
            "overdue": overdue.astype(int),
        }
    )
    g = parts.groupby("key", sort=True)
    out = g[[*_COUNTS, "overdue"]].sum()
    out["avg_handling_hours"] = g["handling_hours"].mean()
    out.index.name = by
    return _with_rates(out)


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """The counts per group with the three rates added, columns in :data:`MEASURES`' order.

    响应率 = responded_on_time / response_judged, 解决率 = solved / cases and
    满意率 = satisfied / rated; a rate whose denominator is 0 is NaN, not 0. Shared with the
    database's aggregation (:mod:`wanzheng.cases.measures_sql`), so both define them once.
    """
    out = counts.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        judged = out["response_judged"].where(out["response_judged"] > 0)
        out["response_rate"] = out["responded_on_time"] / judged
        out["resolution_rate"] = out["solved"] / out["cases"]
        out["satisfaction_rate"] = out["satisfied"] / out["rated"].where(out["rated"] > 0)
    return out[list(MEASURES)]
