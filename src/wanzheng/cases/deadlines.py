"""Deadlines on the official Chinese working-day calendar, overdue checks and 督办 levels.

Times are timezone-aware datetimes (stored in UTC); calendar days are Beijing days (UTC+8,
no daylight saving). Working days come from ``chinese_calendar`` (official holidays *and*
make-up working days such as Saturday 2026-10-10); for years the package does not cover yet,
Monday–Friday are working days.

Rules
-----
- sign (签收) due ``sign_hours`` clock hours after submission;
- respond (响应, first ``start``) due ``respond_hours`` clock hours after submission;
- resolve (办结) due at 24:00 Beijing time of the N-th working day *after* the submission
  day, N = ``resolve_days`` + approved extension days.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar

from wanzheng.cases.categories import DeadlineProfile
from wanzheng.errors import DataError

__all__ = [
    "BEIJING",
    "Deadlines",
    "add_working_days",
    "build_deadlines",
    "is_working_day",
    "missed_deadlines",
    "overdue_hours",
]

#: Beijing time (China Standard Time, UTC+8, no DST).
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


@functools.lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """True on official working days (make-up Saturdays/Sundays included).

    Years outside the calendar shipped with ``chinese_calendar`` fall back to Monday–Friday.
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _aware(t: dt.datetime, name: str) -> dt.datetime:
    if t.tzinfo is None:
        raise DataError(f"{name}: expected a timezone-aware datetime, got naive {t.isoformat()}")
    return t


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """End (24:00 Beijing time) of the ``days``-th working day after the day of ``start``.

    Parameters
    ----------
    start
        Timezone-aware instant (e.g. the submission time).
    days
        Number of working days, ≥ 1.

    Returns
    -------
    datetime
        The deadline, in UTC.
    """
    if days < 1:
        raise DataError(f"days: expected at least 1 working day, got {days}")
    return _end_of_working_day(_aware(start, "start").astimezone(BEIJING).date(), days)


@functools.lru_cache(maxsize=4096)
def _end_of_working_day(day: dt.date, days: int) -> dt.datetime:
    """24:00 Beijing time (in UTC) of the ``days``-th working day after ``day`` (memoised:
    every submission of a day asks for the same few answers)."""
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BEIJING)
    return end.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The three deadlines of one case (UTC)."""

    sign_due: dt.datetime
    respond_due: dt.datetime
    resolve_due: dt.datetime


def build_deadlines(
    submitted_at: dt.datetime, profile: DeadlineProfile, *, extension_days: int = 0
) -> Deadlines:
    """Deadlines of a case submitted at ``submitted_at`` under ``profile``.

    ``extension_days`` (approved extensions, working days) lengthen only the resolve deadline.
    """
    t = _aware(submitted_at, "submitted_at").astimezone(dt.UTC)
    return Deadlines(
        sign_due=t + dt.timedelta(hours=profile.sign_hours),
        respond_due=t + dt.timedelta(hours=profile.respond_hours),
        resolve_due=add_working_days(t, profile.resolve_days + extension_days),
    )


def missed_deadlines(
    *,
    sign_due: dt.datetime,
    respond_due: dt.datetime,
    resolve_due: dt.datetime,
    accepted_at: dt.datetime | None,
    responded_at: dt.datetime | None,
    resolved_at: dt.datetime | None,
    now: dt.datetime,
) -> dict[str, float]:
    """Deadlines missed and *still unmet* at ``now``, with hours overdue.

    A deadline counts when its event has not happened and ``now`` is past it; one met late
    is history (it shows in the measures) and no longer escalates.

    Returns
    -------
    dict
        ``{"sign" | "respond" | "resolve": hours past the deadline}``.
    """
    out: dict[str, float] = {}
    for name, due, done in (
        ("sign", sign_due, accepted_at),
        ("respond", respond_due, responded_at),
        ("resolve", resolve_due, resolved_at),
    ):
        if done is None and now > due:
            out[name] = (now - due).total_seconds() / 3600.0
    return out


def overdue_hours(missed: dict[str, float]) -> float:
    """Hours since the earliest still-unmet deadline passed (0 when none)."""
    return max(missed.values(), default=0.0)
