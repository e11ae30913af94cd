"""Deadline arithmetic on the official calendar: holidays, make-up working days, time zones."""

from __future__ import annotations

import datetime as dt

import pytest

from wanzheng.cases.categories import DeadlineProfile
from wanzheng.cases.deadlines import (
    BEIJING,
    add_working_days,
    build_deadlines,
    is_working_day,
    missed_deadlines,
)
from wanzheng.cases.states import load_state_machine
from wanzheng.errors import DataError


def cst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)  # type: ignore[misc]


def test_calendar_2026_national_day_and_mid_autumn() -> None:
    assert not is_working_day(dt.date(2026, 9, 25))  # 中秋节 (Friday)
    assert not is_working_day(dt.date(2026, 10, 1))
    assert not is_working_day(dt.date(2026, 10, 7))
    assert is_working_day(dt.date(2026, 10, 10))  # Saturday, make-up working day
    assert is_working_day(dt.date(2026, 9, 20))  # Sunday, make-up working day
    assert not is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday


def test_five_working_days_across_mid_autumn_and_national_day() -> None:
    # Wed 09-23 10:00: 09-24 (1), [25 holiday, 26-27 weekend], 28 (2), 29 (3), 30 (4),
    # [10-01..07 holiday], 10-08 Thu (5) -> due at 24:00 of 10-08.
    due = add_working_days(cst(2026, 9, 23, 10, 0), 5)
    assert due == cst(2026, 10, 9, 0, 0)
    assert due.tzinfo == dt.UTC and due == dt.datetime(2026, 10, 8, 16, 0, tzinfo=dt.UTC)


def test_make_up_saturday_counts() -> None:
    assert add_working_days(cst(2026, 10, 9, 15, 0), 1) == cst(2026, 10, 11, 0, 0)
    assert add_working_days(cst(2026, 10, 9, 15, 0), 2) == cst(2026, 10, 13, 0, 0)


def test_make_up_sunday_counts() -> None:
    assert add_working_days(cst(2026, 9, 19, 9, 0), 1) == cst(2026, 9, 21, 0, 0)


def test_day_boundary_is_beijing_not_utc() -> None:
    # 2026-09-23 17:00 UTC is Thursday 09-24 01:00 in Beijing: the next working day is 09-28.
    t = dt.datetime(2026, 9, 23, 17, 0, tzinfo=dt.UTC)
    assert add_working_days(t, 1) == cst(2026, 9, 29, 0, 0)


def test_years_beyond_the_calendar_fall_back_to_weekdays() -> None:
    assert add_working_days(cst(2027, 1, 8, 12, 0), 1) == cst(2027, 1, 12, 0, 0)


def test_cross_check_against_hand_list_for_october_2026() -> None:
    holidays = {dt.date(2026, 10, d) for d in range(1, 8)}
    makeup = {dt.date(2026, 10, 10)}
    start = dt.date(2026, 9, 30)
    for n in range(1, 15):
        day, left = start, n
        while left:
            day += dt.timedelta(days=1)
            if (day.weekday() < 5 and day not in holidays) or day in makeup:
                left -= 1
        expect = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)
        assert add_working_days(cst(2026, 9, 30, 8, 0), n) == expect, n


def test_bad_input() -> None:
    with pytest.raises(DataError, match="days"):
        add_working_days(cst(2026, 9, 23, 10, 0), 0)
    with pytest.raises(DataError, match="naive"):
        add_working_days(dt.datetime(2026, 9, 23), 1)


def test_build_deadlines_and_extension() -> None:
    p = DeadlineProfile(key="help", label="求助", sign_hours=2, respond_hours=24, resolve_days=5)
    t = cst(2026, 9, 23, 10, 0)
    d = build_deadlines(t, p)
    assert d.sign_due == cst(2026, 9, 23, 12, 0)
    assert d.respond_due == cst(2026, 9, 24, 10, 0)
    assert d.resolve_due == cst(2026, 10, 9, 0, 0)
    d2 = build_deadlines(t, p, extension_days=2)  # 10-09 (6), 10-10 make-up Saturday (7)
    assert d2.resolve_due == cst(2026, 10, 11, 0, 0)


def test_missed_deadlines_and_escalation_levels() -> None:
    t = cst(2026, 9, 23, 10, 0)
    kw = {
        "sign_due": t + dt.timedelta(hours=2),
        "respond_due": t + dt.timedelta(hours=24),
        "resolve_due": cst(2026, 10, 9, 0, 0),
    }
    now = t + dt.timedelta(hours=5)
    assert missed_deadlines(
        **kw, accepted_at=None, responded_at=None, resolved_at=None, now=now
    ) == {"sign": 3.0}
    assert (
        missed_deadlines(**kw, accepted_at=now, responded_at=None, resolved_at=None, now=now) == {}
    )
    esc = load_state_machine().escalation
    assert [esc.level(h) for h in (0, 0.5, 23.9, 24, 47, 48, 1000)] == [0, 1, 1, 2, 2, 3, 3]
