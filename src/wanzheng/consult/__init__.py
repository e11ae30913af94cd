"""共建共治 — consultations (议事协商): residents decide among the ways to close a measured gap.

A consultation starts from something measured (a community's missing kind from an audit, a
hot topic, a residents' proposal that reached its support threshold), offers concrete options
(the plan's costed siting alternatives, or options written by staff), runs six timed steps
(公示, 议事会, 投票, 结果公布, 执行, 反馈) and counts secret ballots of the residents on the
office's list, online and on paper. The pure parts are assembled here; persistence is in
``consult.store`` and its tables in ``consult.models``. User guide: ``docs/consult.md``.
"""

from __future__ import annotations

from wanzheng.consult.options import OptionDraft, community_gaps, gap_options
from wanzheng.consult.steps import DEFAULT_DAYS, STEP_NAMES_ZH, STEPS, Overdue, failure_of, overdue
from wanzheng.consult.tally import METHODS, Count, Tally, check_ballot, tally

__all__ = [
    "DEFAULT_DAYS",
    "METHODS",
    "STEPS",
    "STEP_NAMES_ZH",
    "Count",
    "OptionDraft",
    "Overdue",
    "Tally",
    "check_ballot",
    "community_gaps",
    "failure_of",
    "gap_options",
    "overdue",
    "tally",
]
