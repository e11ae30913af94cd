"""Ways to vote and the count, on ballots small enough to count by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from wanzheng.consult import check_ballot, failure_of, overdue, tally
from wanzheng.errors import DataError

OPTIONS = [(1, "A", 30.0), (2, "B", 20.0), (3, "C", 60.0)]
COSTS = {i: c for i, _, c in OPTIONS}


def test_pick_n_chooses_the_n_with_most_votes_and_reports_a_tie() -> None:
    ballots = [[1, 2], [1], [2, 3], [3], [1, 3]]  # A 3, B 2, C 3
    t = tally(method="pick_n", options=OPTIONS, ballots=ballots, pick_n=2)
    assert [(c.label, c.total, c.chosen) for c in t.counts] == [
        ("A", 3, True),
        ("C", 3, True),
        ("B", 2, False),
    ]
    assert not t.tied
    t1 = tally(method="pick_n", options=OPTIONS, ballots=ballots, pick_n=1)
    assert t1.tied and t1.chosen == [1]  # A and C both 3 for one place: reported


def test_majority_counts_paper_marks_with_online_ballots() -> None:
    t = tally(
        method="majority", options=OPTIONS, ballots=[[1], [1], [2]],
        paper={2: 4, 3: 1}, paper_ballots=6, invalid_paper=1,
    )  # fmt: skip
    assert [(c.label, c.online, c.paper, c.total) for c in t.counts] == [
        ("B", 1, 4, 5),
        ("A", 2, 0, 2),
        ("C", 0, 1, 1),
    ]
    assert t.chosen == [2] and t.ballots_online == 3 and t.ballots_paper == 6


def test_a_budget_funds_by_votes_while_the_money_lasts() -> None:
    # C 3 votes (60), A 2 (30), B 1 (20): C takes 60 of 80, A no longer fits, B does
    t = tally(method="budget", options=OPTIONS, ballots=[[3], [3], [3], [1], [1, 2]], budget=80.0)
    assert {c.label: c.chosen for c in t.counts} == {"C": True, "A": False, "B": True}
    assert t.spent == 80.0


def test_ballots_the_method_does_not_allow() -> None:
    with pytest.raises(DataError, match="exactly one"):
        check_ballot([1, 2], method="majority", option_costs=COSTS)
    with pytest.raises(DataError, match="at most 2"):
        check_ballot([1, 2, 3], method="pick_n", option_costs=COSTS, pick_n=2)
    with pytest.raises(DataError, match="over the budget"):
        check_ballot([1, 3], method="budget", option_costs=COSTS, budget=80.0)
    with pytest.raises(DataError, match="twice"):
        check_ballot([1, 1], method="pick_n", option_costs=COSTS, pick_n=2)
    with pytest.raises(DataError, match="not options"):
        check_ballot([9], method="majority", option_costs=COSTS)
    assert check_ballot([2, 1], method="budget", option_costs=COSTS, budget=50.0) == [1, 2]


def test_overdue_steps_and_their_failures() -> None:
    t = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    d = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    late = overdue(
        [(1, "vote", "李", d, None), (1, "notice", "王", d, d), (2, "execution", "城管", d, None)],
        now=t,
    )
    assert [(o.consultation_id, o.kind, o.days_late, o.failure) for o in late] == [
        (1, "vote", 9.0, "议而不决"),
        (2, "execution", 9.0, "决而不行"),
    ]
    assert failure_of("notice") == "未按期公示"
