"""The measures of :func:`wanzheng.cases.measures.case_measures`, aggregated in the database.

One ``SELECT … GROUP BY`` with conditional counts and sums over the cases submitted in the
period (read by the index on ``submitted_at``), on SQLite and PostgreSQL through SQLAlchemy
Core: a month of a city's cases is tens of thousands of rows, and reading them one by one
into pandas took seconds at a million stored cases (``docs/benchmarks.md``, block
``scale``). The definitions are those of :mod:`wanzheng.cases.measures` (and
``docs/measures.md``), expression by expression; ``tests/cases/test_measures_sql.py``
compares both on both databases.

Grouping by ``period`` (calendar month / week / day of the submission in Beijing time) maps
``submitted_at`` to the period's label with a ``CASE`` over the periods' UTC boundaries,
computed here with pandas' own periods, so the labels are those ``case_measures`` gives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from wanzheng.cases.measures import _COUNTS, _EXCLUDED, _FREQ, _SATISFIED, GROUPINGS, _with_rates
from wanzheng.cases.models import Case
from wanzheng.errors import DataError

__all__ = ["sql_measures"]

_COLUMNS = {
    "department": Case.department_key,
    "grid": Case.grid_key,
    "community": Case.community_key,
    "category": Case.category_key,
}


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """1 where ``condition`` holds, else 0 (NULL comparisons count as false, as NaT's do)."""
    return func.sum(case((condition, 1), else_=0))


def _hours(dialect: str) -> ColumnElement[Any]:
    """``resolved_at − submitted_at`` in hours on the given backend (NULL when unresolved)."""
    if dialect == "sqlite":  # naive UTC text: julianday gives days as a float
        return (func.julianday(Case.resolved_at) - func.julianday(Case.submitted_at)) * 24.0
    if dialect == "postgresql":
        return cast(func.extract("epoch", Case.resolved_at - Case.submitted_at), Float) / 3600.0
    raise DataError(f"database: measures in SQL support sqlite and postgresql, not {dialect}")


def _period_key(start: dt.datetime, end: dt.datetime, period: str) -> ColumnElement[Any]:
    """``submitted_at`` → the label of its Beijing calendar period (as pandas writes it)."""
    freq = _FREQ.get(period)
    if freq is None:
        raise DataError(f"period: expected month, week or day, got {period!r}")
    tz = "Asia/Shanghai"
    first = pd.Timestamp(start).tz_convert(tz).tz_localize(None).to_period(freq)
    last = (pd.Timestamp(end) - pd.Timedelta(microseconds=1)).tz_convert(tz)
    periods = pd.period_range(first, last.tz_localize(None).to_period(freq), freq=freq)
    whens = []
    for p in periods[:-1]:
        upper = (p + 1).start_time.tz_localize(tz).tz_convert("UTC").to_pydatetime()
        whens.append((Case.submitted_at < upper, literal(str(p))))
    if not whens:
        return literal(str(periods[-1]))
    return case(*whens, else_=literal(str(periods[-1])))


def sql_measures(
    session: Session,
    *,
    by: str,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    period: str = "month",
    case_type: str | None = None,
) -> pd.DataFrame:
    """:func:`~wanzheng.cases.measures.case_measures` over the stored cases submitted in
    ``[start, end)`` (of ``case_type`` when given), computed by the database.

    Returns the same frame: index the group key (``"(none)"`` for a missing key), sorted;
    the same columns, counts as integers, rates ``NaN`` when their denominator is zero.
    """
    if by not in GROUPINGS:
        raise DataError(f"by: expected one of {list(GROUPINGS)}, got {by!r}")
    for name, t in (("start", start), ("end", end), ("now", now)):
        if t.tzinfo is None:
            raise DataError(f"{name}: expected a timezone-aware datetime")
    if by == "period":
        if end <= start:
            key: ColumnElement[Any] = literal("")  # no case can be in an empty period
        else:
            key = _period_key(start, end, period)
    elif by == "all":
        key = literal("all")
    else:
        key = func.coalesce(_COLUMNS[by], "(none)")
    key = key.label("key")
    hours = _hours(session.get_bind().dialect.name)
    q = (
        select(
            key,
            func.count().label("cases"),
            _flag(and_(Case.responded_at.is_not(None), Case.responded_at <= Case.respond_due)),
            _flag(or_(Case.responded_at.is_not(None), Case.respond_due < now)),
            _flag(
                and_(
                    Case.state == "closed",
                    or_(Case.rating.is_(None), Case.rating != "不满意"),
                )
            ),
            _flag(Case.rating.is_not(None)),
            _flag(Case.rating.in_(_SATISFIED)),
            func.avg(case((Case.resolved_at.is_not(None), hours))),
            _flag(
                or_(
                    and_(Case.resolved_at.is_not(None), Case.resolved_at > Case.resolve_due),
                    and_(Case.resolved_at.is_(None), Case.resolve_due < now),
                )
            ),
        )
        .where(Case.submitted_at >= start, Case.submitted_at < end)
        .where(Case.state.not_in(_EXCLUDED))
        .group_by(key)
    )
    if case_type is not None:
        q = q.where(Case.case_type == case_type)
    rows = sorted(session.execute(q).all(), key=lambda r: str(r[0]))
    names = [*_COUNTS, "avg_handling_hours", "overdue"]
    out = pd.DataFrame(
        [[int(v) if n != "avg_handling_hours" else v for n, v in zip(names, r[1:], strict=True)]
         for r in rows],
        columns=names,
        index=pd.Index([str(r[0]) for r in rows], name=by),
    )  # fmt: skip
    for n in (*_COUNTS, "overdue"):
        out[n] = out[n].astype("int64")
    out["avg_handling_hours"] = out["avg_handling_hours"].astype("float64")
    return _with_rates(out)
