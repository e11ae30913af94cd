"""Evaluate proactive rules over a register: which tasks, notices and list rows are due.

Pure: records and events in, a DataFrame of proposed actions out. Writing them (cases,
outbox messages, department lists) is ``proactive/service.py``'s job; a dry run is just
this function's output shown to a person.

Cadence and duplicates. Every proposed action has a **key**
``{rule_id}:{person_id}:{period}`` where the period is ``once``, the ISO week
(``2026-W48``), the month (``2026-11``), the year (``2026``) or ``event:{event_id}``.
The same rule, person and period always give the same key, so a store that keeps keys
unique makes re-running idempotent: ``existing_keys`` marks what was already generated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wanzheng.data.tabular import DEFAULT_LIMITS, Limits, cell_text, read_table
from wanzheng.errors import DataError
from wanzheng.proactive.rules import EVENT_KINDS, Rule, RuleSet

__all__ = [
    "EVENT_ALIASES",
    "PROPOSAL_COLUMNS",
    "Event",
    "department_lists",
    "evaluate",
    "facts",
    "load_events",
    "period_of",
]

PROPOSAL_COLUMNS: tuple[str, ...] = (
    "key",
    "rule_id",
    "title",
    "action",
    "to",
    "category",
    "person_id",
    "grid_id",
    "community_id",
    "period",
    "event_id",
    "starts_at",
    "due_at",
    "reason",
    "message",
    "new",
)

DEFAULT_EVENT_HOURS = 72.0
"""How long an event without an end time counts as active, in hours."""


@dataclass(frozen=True, slots=True)
class Event:
    """A weather or other event entered by staff or imported (高温, 寒潮 …).

    Attributes
    ----------
    id
        Stable identifier; part of the dedup key of every task it triggers.
    kind
        A key of :data:`~wanzheng.proactive.rules.EVENT_KINDS`.
    starts_at, ends_at
        When the event is in force; without an end it lasts :data:`DEFAULT_EVENT_HOURS`.
    grid_ids, community_ids
        Where it applies; both empty means the whole office's area.
    note
        Free text (e.g. the warning's wording).
    """

    id: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    grid_ids: frozenset[str] = field(default_factory=frozenset)
    community_ids: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise DataError(
                f"event {self.id!r}: kind must be one of {', '.join(EVENT_KINDS)}, "
                f"got {self.kind!r}"
            )
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise DataError(f"event {self.id!r}: ends_at lies before starts_at")

    def active(self, now: dt.datetime) -> bool:
        """Whether the event is in force at ``now``."""
        end = self.ends_at or self.starts_at + dt.timedelta(hours=DEFAULT_EVENT_HOURS)
        return self.starts_at <= now < end

    def covers(self, *, grid_id: str, community_id: str) -> bool:
        """Whether the event applies to a person in that grid and community."""
        if not self.grid_ids and not self.community_ids:
            return True
        return grid_id in self.grid_ids or community_id in self.community_ids


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _keys(value: Any) -> frozenset[str]:
    return frozenset(part for part in str(value or "").split(";") if part)


def facts(record: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    """The values a condition may test (see :data:`~wanzheng.proactive.rules.FIELDS`).

    Parameters
    ----------
    record
        One register record (as in :class:`~wanzheng.proactive.registers.Register`).
    on
        The run date.
    """
    birth: dt.date = record["birth_date"]
    newborn = record.get("newborn_birth_date")
    newborn_days = None
    if isinstance(newborn, dt.date) and not pd.isna(newborn):
        days = (on - newborn).days
        newborn_days = days if days >= 0 else None
    return {
        "age": _age(birth, on),
        "turns_this_month": (on.year - birth.year) if birth.month == on.month else None,
        "newborn_age_days": newborn_days,
        "disability_level": int(record.get("disability_level") or 0),
        "living_alone": bool(record.get("living_alone")),
        "chronic_conditions": frozenset(
            filter(None, str(record.get("chronic_conditions") or "").split(";"))
        ),
        "special_care": frozenset(filter(None, str(record.get("special_care") or "").split(";"))),
        "grid_id": str(record["grid_id"]),
        "community_id": str(record["community_id"]),
    }


def period_of(rule: Rule, on: dt.date, event: Event | None = None) -> str:
    """The cadence period a run on ``on`` falls in (``2026-W48``, ``2026-11`` …)."""
    if rule.cadence == "event":
        if event is None:
            raise DataError(f"rule {rule.id!r} needs an event")
        return f"event:{event.id}"
    if rule.cadence == "once":
        return "once"
    if rule.cadence == "weekly":
        year, week, _ = on.isocalendar()
        return f"{year}-W{week:02d}"
    if rule.cadence == "monthly":
        return f"{on.year}-{on.month:02d}"
    return f"{on.year}"


def evaluate(
    rules: RuleSet | Sequence[Rule],
    records: pd.DataFrame,
    *,
    now: dt.datetime,
    events: Iterable[Event] = (),
    existing_keys: Iterable[str] = (),
) -> pd.DataFrame:
    """Which actions the rules propose for the register at ``now``.

    Parameters
    ----------
    rules
        A validated rule set (disabled rules are skipped).
    records
        Register records (see :class:`~wanzheng.proactive.registers.Register`).
    now
        The run time; its date decides ages and periods.
    events
        Known events; only those active at ``now`` trigger event rules.
    existing_keys
        Keys already generated; their rows come out with ``new = False``.

    Returns
    -------
    pandas.DataFrame
        One row per (rule, person, period), columns :data:`PROPOSAL_COLUMNS`, ordered by
        rule order then ``person_id``. ``starts_at`` is ``now`` (or the event's start) and
        ``due_at`` is ``starts_at + due_hours``.
    """
    rule_list = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
    on = now.date()
    active = [e for e in events if e.active(now)]
    existing = set(existing_keys)
    people = [
        (rec, facts(rec, on))
        for rec in (
            {str(k): v for k, v in row.items()} for row in records.to_dict(orient="records")
        )
    ]
    people.sort(key=lambda p: str(p[0]["person_id"]))
    rows: list[dict[str, Any]] = []
    for rule in rule_list:
        if not rule.enabled:
            continue
        triggers: list[Event | None] = (
            [e for e in active if e.kind == rule.event] if rule.event else [None]
        )
        for event in triggers:
            start = event.starts_at if event is not None else now
            period = period_of(rule, on, event)
            for rec, fact in people:
                if event is not None and not event.covers(
                    grid_id=fact["grid_id"], community_id=fact["community_id"]
                ):
                    continue
                if not rule.when.holds(fact):
                    continue
                key = f"{rule.id}:{rec['person_id']}:{period}"
                rows.append(
                    {
                        "key": key,
                        "rule_id": rule.id,
                        "title": rule.title,
                        "action": rule.action.type,
                        "to": rule.action.to,
                        "category": rule.action.category,
                        "person_id": str(rec["person_id"]),
                        "grid_id": fact["grid_id"],
                        "community_id": fact["community_id"],
                        "period": period,
                        "event_id": event.id if event is not None else "",
                        "starts_at": start,
                        "due_at": start + dt.timedelta(hours=rule.action.due_hours),
                        "reason": rule.reason,
                        "message": rule.message,
                        "new": key not in existing,
                    }
                )
    return pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))


def department_lists(proposals: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The ``list`` actions grouped by department: department → its rows."""
    lists = proposals[proposals["action"] == "list"]
    return {str(dept): frame.reset_index(drop=True) for dept, frame in lists.groupby("to")}


_KIND_LOOKUP = {**{k: k for k in EVENT_KINDS}, **{v: k for k, v in EVENT_KINDS.items()}}


EVENT_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "事件编号"),
    "kind": ("类型", "事件类型"),
    "starts_at": ("开始时间",),
    "ends_at": ("结束时间",),
    "grid_ids": ("网格", "网格编号"),
    "community_ids": ("社区", "社区编号"),
    "note": ("备注", "说明"),
}
"""Event file column → other headers accepted for it."""


def _when(value: str, where: str, *, required: bool) -> dt.datetime | None:
    text = value.strip()
    if not text:
        if required:
            raise DataError(f"{where} is empty; expected a time like 2026-07-10 08:00")
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise DataError(f"{where}: expected a time like 2026-07-10 08:00, got {text!r}") from exc


def load_events(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> list[Event]:
    """Read events from a CSV or XLSX: ``id, kind, starts_at, ends_at, grid_ids, community_ids,
    note`` (the one table reader: any of its encodings, Chinese headers as in
    :data:`EVENT_ALIASES`, limits).

    ``kind`` is a key or Chinese name of :data:`~wanzheng.proactive.rules.EVENT_KINDS`;
    ``grid_ids`` / ``community_ids`` are ``;``-separated (empty = everywhere).

    Raises
    ------
    DataError
        Names the file, row and column of a bad value.
    """
    path = Path(path)
    read = read_table(path, aliases=EVENT_ALIASES, limits=limits)
    read.require("id", "kind", "starts_at")
    table = read.frame.map(cell_text)
    for col in ("ends_at", "grid_ids", "community_ids", "note"):
        if col not in table.columns:
            table[col] = ""
    events: list[Event] = []
    for n, row in zip(read.rows.tolist(), table.to_dict(orient="records"), strict=True):
        where = f"{path}: row {n}"
        kind = _KIND_LOOKUP.get(row["kind"].strip())
        if kind is None:
            raise DataError(
                f"{where}: column 'kind': expected one of {', '.join(_KIND_LOOKUP)}, "
                f"got {row['kind']!r}"
            )
        start = _when(row["starts_at"], f"{where}: column 'starts_at'", required=True)
        end = _when(row.get("ends_at", ""), f"{where}: column 'ends_at'", required=False)
        if not row["id"].strip():
            raise DataError(f"{where}: column 'id' is empty")
        if start is None:  # pragma: no cover - required=True guarantees a value
            raise DataError(f"{where}: column 'starts_at' is empty")
        if end is not None and end < start:
            raise DataError(f"{where}: column 'ends_at' lies before starts_at")

        def ids(text: str) -> frozenset[str]:
            return frozenset(p for p in re.split(r"[;；,，\s]+", text) if p)

        events.append(
            Event(
                id=row["id"].strip(),
                kind=kind,
                starts_at=start,
                ends_at=end,
                grid_ids=ids(row.get("grid_ids", "")),
                community_ids=ids(row.get("community_ids", "")),
                note=row.get("note", "").strip(),
            )
        )
    return events
