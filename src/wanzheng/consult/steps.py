"""The steps of a consultation, their default schedule, and which are overdue — pure.

A consultation runs through six steps in order; each has a deadline and a responsible
person, is started and done at recorded times. A step not done by its deadline is overdue,
as a late case is (``docs/consult.md``): an overdue ``meeting``, ``vote`` or ``result`` is
议而不决 (deliberated, not decided), an overdue ``execution`` or ``report_back`` is 决而不行
(decided, not done).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_DAYS", "STEPS", "STEP_NAMES_ZH", "Overdue", "failure_of", "overdue"]

STEPS = ("notice", "meeting", "vote", "result", "execution", "report_back")
"""The steps, in order."""

STEP_NAMES_ZH = {
    "notice": "公示",
    "meeting": "议事会",
    "vote": "投票",
    "result": "结果公布",
    "execution": "执行",
    "report_back": "反馈",
}

DEFAULT_DAYS: Mapping[str, int] = {
    "notice": 2,
    "meeting": 5,  # after the notice period
    "vote": 7,
    "result": 3,
    "execution": 90,
    "report_back": 30,
}
"""Default days each step may take after the previous step's deadline (the meeting's count
starts when the notice period ends)."""


@dataclass(frozen=True, slots=True)
class Overdue:
    """One overdue step: which, whose, since when, how long, and the known failure it is."""

    consultation_id: int
    kind: str
    responsible: str
    deadline: dt.datetime
    days_late: float
    failure: str


def failure_of(kind: str) -> str:
    """议而不决 for a stalled decision, 决而不行 for a stalled execution, else 未按期公示."""
    if kind in ("meeting", "vote", "result"):
        return "议而不决"
    if kind in ("execution", "report_back"):
        return "决而不行"
    return "未按期公示"


def overdue(
    steps: list[tuple[int, str, str, dt.datetime, dt.datetime | None]], *, now: dt.datetime
) -> list[Overdue]:
    """The steps not done by their deadline, most late first.

    ``steps``: ``(consultation_id, kind, responsible, deadline, done_at)``.
    """
    late = [
        Overdue(
            consultation_id=cid,
            kind=kind,
            responsible=who,
            deadline=deadline,
            days_late=round((now - deadline).total_seconds() / 86400, 2),
            failure=failure_of(kind),
        )
        for cid, kind, who, deadline, done in steps
        if done is None and deadline < now
    ]
    return sorted(late, key=lambda o: -o.days_late)
