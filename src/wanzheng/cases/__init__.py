"""民呼 — the case desk: states as data, routing, deadlines, escalation, measures, storage.

Pure modules: :mod:`~wanzheng.cases.states`, :mod:`~wanzheng.cases.categories`,
:mod:`~wanzheng.cases.routing`, :mod:`~wanzheng.cases.deadlines`,
:mod:`~wanzheng.cases.measures`, :mod:`~wanzheng.cases.masking`. Persistence (SQLAlchemy,
on the database of :mod:`wanzheng.db`): :mod:`~wanzheng.cases.models` (tables),
:mod:`~wanzheng.cases.users`, :mod:`~wanzheng.cases.seed`, :mod:`~wanzheng.cases.tables`,
:mod:`~wanzheng.cases.intake`, :mod:`~wanzheng.cases.crud`, :mod:`~wanzheng.cases.contacts`,
:mod:`~wanzheng.cases.duplicates`, assembled in :mod:`~wanzheng.cases.store`; the group
committer :mod:`~wanzheng.cases.batch`. Other I/O: :mod:`~wanzheng.cases.photos` (photo
files), :mod:`~wanzheng.cases.transfer` (XLSX/CSV).

Seams for other modules (see docs/cases.md): ``intake.create_case(..., new=NewCase(...,
case_type="proactive"))`` creates proactive tasks; a :class:`CategoryClassifier` proposes a
category on arrival.
"""

from __future__ import annotations

from wanzheng.cases.categories import (
    Category,
    CategoryClassifier,
    CategoryTree,
    DeadlineProfile,
    KeywordClassifier,
    load_categories,
)
from wanzheng.cases.deadlines import Deadlines, add_working_days, build_deadlines, is_working_day
from wanzheng.cases.measures import case_measures
from wanzheng.cases.states import StateMachine, load_state_machine

__all__ = [
    "Category",
    "CategoryClassifier",
    "CategoryTree",
    "DeadlineProfile",
    "Deadlines",
    "KeywordClassifier",
    "StateMachine",
    "add_working_days",
    "build_deadlines",
    "case_measures",
    "is_working_day",
    "load_categories",
    "load_state_machine",
]
