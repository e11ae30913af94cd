"""Programme progress on four hand-made communities and two dated audits."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from wanzheng.data.programme import Programme
from wanzheng.errors import DataError
from wanzheng.plan.programme import DatedAudit, community_verdicts, programme_progress

KINDS = pd.DataFrame({"key": ["a", "b", "c"], "in_verdict": [True, True, False]})


def audit(day: str, a: list[str], b: list[str]) -> DatedAudit:
    comm = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "population": [100.0, 200.0, 300.0, 400.0],
            "a_status": a,
            "b_status": b,
            "c_status": ["missing"] * 4,  # not in the verdict: never matters
            "verdict": ["complete"] * 4,  # typed in and wrong: must be ignored
        }
    )
    return DatedAudit(date=dt.date.fromisoformat(day), communities=comm, kinds=KINDS)


PROGRAMME = Programme(
    communities=pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "name": ["甲", "乙", "丙", "丁"],
            "subdistrict": ["东", "东", "西", "西"],
            "district": ["区"] * 4,
        }
    ),
    targets=pd.DataFrame({"year": [2025, 2025], "share": [0.5, 0.25], "area": ["", "西"]}),
    projects=pd.DataFrame(
        {
            "community_id": ["3", "4", "2"],
            "kind": ["b", "a", "b"],
            "site": ["", "", ""],
            "stage": ["started", "accepted", "planned"],
            "planned_started": pd.to_datetime(["2025-01-01", "2025-01-01", "2026-01-01"]),
            "planned_built": pd.to_datetime(["2025-12-01", "2025-06-01", "2026-06-01"]),
            "planned_accepted": pd.to_datetime(["2026-06-01", "2025-09-01", None]),
            "budget": [1.0, 2.0, 3.0],
            "row": [2, 3, 4],
        }
    ),
)

FIRST = audit(
    "2025-06-30", ["met", "met", "missing", "met"], ["met", "missing", "missing", "no_data"]
)
LAST = audit("2025-12-31", ["met", "met", "met", "met"], ["met", "met", "missing", "no_data"])


def test_verdicts_are_recomputed_from_statuses() -> None:
    v = community_verdicts(FIRST)
    assert list(v["verdict"]) == ["complete", "incomplete", "incomplete", "undetermined"]
    assert list(v["met"]) == [2, 1, 0, 1]
    assert list(v["required"]) == [2, 2, 2, 1]


def test_progress_by_hand() -> None:
    p = programme_progress(PROGRAMME, [LAST, FIRST])  # order does not matter
    s = p.summary
    assert (s["first"], s["last"]) == ("2025-06-30", "2025-12-31")
    assert (s["complete_first"], s["complete_last"]) == (1, 2)
    assert s["share_complete"] == 0.5 and s["target"] == 0.5 and s["target_met"] is True
    assert s["became_complete"] == 1 and s["residents_newly_complete"] == 200.0
    ch = p.changes.set_index("id")
    assert list(ch.index) == ["2", "3"]
    assert ch.loc["2", "kinds_closed"] == "b" and bool(ch.loc["2", "became_complete"])
    assert ch.loc["3", "kinds_closed"] == "a" and not bool(ch.loc["3", "became_complete"])
    areas = p.areas.set_index(["level", "area"])
    # index: 东 = mean(2/2, 2/2) = 100; 西 = mean(1/2, 1/1) = 75; district = mean of all four
    assert areas.loc[("subdistrict", "东"), "index"] == pytest.approx(100.0)
    assert areas.loc[("subdistrict", "西"), "index"] == pytest.approx(75.0)
    assert areas.loc[("district", "区"), "index"] == pytest.approx(87.5)
    assert areas.loc[("subdistrict", "东"), "rank"] == 1
    assert areas.loc[("subdistrict", "西"), "rank"] == 2
    # 西 has its own target 25 %: 0 of 2 complete (4 is undetermined) -> not met
    assert areas.loc[("subdistrict", "西"), "target"] == 0.25
    assert areas.loc[("subdistrict", "西"), "target_met"] == False  # noqa: E712
    assert areas.loc[("subdistrict", "东"), "target_met"] == True  # noqa: E712  (the general 50 %)
    # project of 3: started, to be built by 2025-12-01 -> 30 days late on 2025-12-31;
    # project of 4 accepted: never late; project of 2 planned for 2026: not yet due
    assert list(p.late["community_id"]) == ["3"]
    assert list(p.late["late_stage"]) == ["built"] and list(p.late["days_late"]) == [30]


def test_errors_are_named() -> None:
    with pytest.raises(DataError, match="at least one dated audit"):
        programme_progress(PROGRAMME, [])
    with pytest.raises(DataError, match="two audits share a date"):
        programme_progress(PROGRAMME, [FIRST, FIRST])
    other = Programme(
        communities=pd.DataFrame(
            {"id": ["9"], "name": ["外"], "subdistrict": [""], "district": [""]}
        ),
        targets=PROGRAMME.targets,
        projects=PROGRAMME.projects.iloc[:0],
    )
    with pytest.raises(DataError, match="communities not in any audit: 9"):
        programme_progress(other, [FIRST])


def test_nothing_changed_between_the_audits() -> None:
    # the same statuses at both dates: no change, nobody newly complete (no error either)
    again = audit("2025-12-31", ["met", "met", "missing", "met"], [
        "met", "missing", "missing", "no_data"])  # fmt: skip
    p = programme_progress(PROGRAMME, [FIRST, again])
    assert len(p.changes) == 0
    assert p.summary["became_complete"] == 0
    assert p.summary["residents_newly_complete"] == 0.0
    assert p.summary["complete_first"] == p.summary["complete_last"] == 1
