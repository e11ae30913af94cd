"""Masking of personal data and the measures on a hand-checkable data set."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from wanzheng.cases.masking import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    redact_text,
)
from wanzheng.cases.measures import case_measures
from wanzheng.errors import DataError


def test_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("010-62731234") == "********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_name("王小明") == "王**"
    assert mask_phone(None) is None


def test_normalise() -> None:
    assert normalise_phone("+86 138 1234 1234") == "13812341234"
    with pytest.raises(DataError, match="phone"):
        normalise_phone("12345")
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(DataError, match="check digit"):
        normalise_id_number("110105194912310021")


def test_redact_text() -> None:
    assert redact_text("打13812341234或11010519491231002X") == "打138****1234或1101**********002X"
    assert redact_text("门牌号1234") == "门牌号1234"


def T(day: int, hour: int = 0) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(2026, 9, day, hour, tzinfo=dt.UTC))


def _cases() -> pd.DataFrame:
    # Six cases, two departments; all submitted on 09-01 00:00 UTC; respond due +24 h,
    # resolve due 09-08 00:00.
    rows = [
        # dept, state, rating, responded, resolved
        ("A", "closed", "满意", T(1, 2), T(3)),  # on time, solved, satisfied, 48 h
        ("A", "closed", "不满意", T(2, 1), T(9)),  # late response, not solved, overdue, 192 h
        ("A", "in_progress", None, T(1, 5), None),  # open, past due at now -> overdue
        ("A", "merged", None, None, None),  # excluded
        ("B", "closed", "基本满意", T(1, 1), T(2)),  # 24 h
        ("B", "closed", None, T(1, 1), T(5)),  # unrated but closed: solved; 96 h
    ]
    return pd.DataFrame(
        [
            {
                "department": d,
                "grid": "g",
                "community": "c",
                "category": "k",
                "state": s,
                "rating": r,
                "submitted_at": T(1),
                "responded_at": resp,
                "respond_due": T(2),
                "resolved_at": res,
                "resolve_due": T(8),
            }
            for d, s, r, resp, res in rows
        ]
    )


def test_measures_by_department_by_hand() -> None:
    out = case_measures(
        _cases(),
        by="department",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(20).to_pydatetime(),
    )
    a, b = out.loc["A"], out.loc["B"]
    assert a["cases"] == 3 and b["cases"] == 2
    assert a["responded_on_time"] == 2 and a["response_rate"] == pytest.approx(2 / 3)
    assert a["solved"] == 1 and a["resolution_rate"] == pytest.approx(1 / 3)
    assert a["rated"] == 2 and a["satisfaction_rate"] == pytest.approx(0.5)
    assert a["avg_handling_hours"] == pytest.approx((48 + 192) / 2)
    assert a["overdue"] == 2
    assert b["response_rate"] == 1.0 and b["resolution_rate"] == 1.0
    assert b["rated"] == 1 and b["satisfaction_rate"] == 1.0
    assert b["avg_handling_hours"] == pytest.approx((24 + 96) / 2) and b["overdue"] == 0
    total = case_measures(
        _cases(),
        by="all",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(20).to_pydatetime(),
    ).loc["all"]
    assert total["cases"] == 5 and total["satisfaction_rate"] == pytest.approx(2 / 3)


def test_measures_period_and_empty() -> None:
    out = case_measures(
        _cases(),
        by="period",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(20).to_pydatetime(),
    )
    assert list(out.index) == ["2026-09"]
    none = case_measures(
        _cases(),
        by="department",
        start=T(10).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(20).to_pydatetime(),
    )
    assert len(none) == 0
    rated0 = _cases().assign(rating=None)
    out = case_measures(
        rated0,
        by="all",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(20).to_pydatetime(),
    )
    assert math.isnan(out.loc["all", "satisfaction_rate"])
    with pytest.raises(DataError, match="by"):
        case_measures(
            _cases(),
            by="weather",
            start=T(1).to_pydatetime(),
            end=T(30).to_pydatetime(),
            now=T(20).to_pydatetime(),
        )


def test_a_case_inside_its_response_time_is_not_a_failure() -> None:
    # Three cases due to be responded to by 09-02 00:00: one responded on time, one not yet
    # responded; judged at 09-01 12:00 the second is pending (not counted), at 09-03 it failed.
    cases = _cases().iloc[[0, 2]].copy()
    cases.loc[cases.index[1], "responded_at"] = None
    cases.loc[cases.index[1], "state"] = "dispatched"
    early = case_measures(
        cases,
        by="all",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(1, 12).to_pydatetime(),
    ).loc["all"]
    assert early["cases"] == 2 and early["response_judged"] == 1
    assert early["response_rate"] == 1.0
    late = case_measures(
        cases,
        by="all",
        start=T(1).to_pydatetime(),
        end=T(30).to_pydatetime(),
        now=T(3).to_pydatetime(),
    ).loc["all"]
    assert late["response_judged"] == 2 and late["response_rate"] == 0.5
