"""Proactive rules as data: a TOML file an administrator edits, validated on load.

A rule file looks like this (the default set is ``rules_default.toml`` beside this module;
the language is documented in ``docs/proactive.md``)::

    name = "my office"
    version = "2026-11"

    [[rule]]
    id = "elderly_alone_weekly_visit"
    title = "高龄独居老人每周探访"
    when = [
      { field = "age", op = ">=", value = 80 },
      { field = "living_alone", op = "==", value = true },
    ]
    action = { type = "task", to = "grid_worker", due_hours = 168 }
    cadence = "weekly"
    reason = "80 岁及以上独居老人，每周上门或电话探访一次。"

``when`` is a list of conditions that must all hold; an element may instead be
``{ any = [...] }``, ``{ all = [...] }`` or ``{ not = {...} }``. An optional
``event = "heat_wave"`` makes the rule fire once per person for every active event of that
kind in the person's area (``cadence = "event"``). Every mistake raises
:class:`~wanzheng.errors.ConfigError` naming the file, the rule and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wanzheng.errors import ConfigError
from wanzheng.proactive.registers import CHRONIC_CONDITIONS, SPECIAL_CARE
from wanzheng.standards.datafile import load_toml

__all__ = [
    "ACTIONS",
    "CADENCES",
    "EVENT_KINDS",
    "FIELDS",
    "Action",
    "Condition",
    "Rule",
    "RuleSet",
    "load_rules",
    "parse_rules",
]

Cadence = Literal["once", "weekly", "monthly", "yearly", "event"]
CADENCES: tuple[Cadence, ...] = ("once", "weekly", "monthly", "yearly", "event")
ActionType = Literal["task", "notice", "list"]
ACTIONS: tuple[ActionType, ...] = ("task", "notice", "list")

EVENT_KINDS: dict[str, str] = {
    "heat_wave": "高温",
    "cold_wave": "寒潮",
    "rainstorm": "暴雨",
    "snowstorm": "暴雪",
    "typhoon": "台风",
    "epidemic": "疫情",
}
"""Event kinds staff may enter or import: key → Chinese name."""

FieldType = Literal["int", "bool", "set", "str"]
FIELDS: dict[str, FieldType] = {
    "age": "int",
    "turns_this_month": "int",
    "newborn_age_days": "int",
    "disability_level": "int",
    "living_alone": "bool",
    "chronic_conditions": "set",
    "special_care": "set",
    "grid_id": "str",
    "community_id": "str",
}
"""Fields a condition may test, with their type. ``age`` is in completed years on the run
date; ``turns_this_month`` is the age reached on the birthday when that falls in the run's
month (else empty); ``newborn_age_days`` is the age in days of a newborn in the household
(empty when none)."""

_OPS: dict[FieldType, tuple[str, ...]] = {
    "int": ("==", "!=", "<", "<=", ">", ">=", "in"),
    "bool": ("==", "!="),
    "set": ("contains", "any_of", "none_of"),
    "str": ("==", "!=", "in"),
}
_DEFAULT_DUE_HOURS: dict[Cadence, float] = {
    "once": 168.0,
    "weekly": 168.0,
    "monthly": 720.0,
    "yearly": 720.0,
    "event": 24.0,
}
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_RULE_KEYS = {"id", "title", "when", "event", "action", "cadence", "reason", "message", "enabled"}
_ACTION_KEYS = {"type", "to", "due_hours", "category"}
_VOCAB: dict[str, dict[str, str]] = {}
for _name, _vocab in (("chronic_conditions", CHRONIC_CONDITIONS), ("special_care", SPECIAL_CARE)):
    _VOCAB[_name] = {key: key for key in _vocab} | {a: k for k, al in _vocab.items() for a in al}


@dataclass(frozen=True, slots=True)
class Condition:
    """One node of a condition tree.

    ``kind`` is ``"test"`` (``field op value``) or ``"all"`` / ``"any"`` / ``"not"`` over
    ``children``.
    """

    kind: Literal["test", "all", "any", "not"]
    field: str = ""
    op: str = ""
    value: Any = None
    children: tuple[Condition, ...] = ()

    def holds(self, facts: Mapping[str, Any]) -> bool:
        """Whether the condition is true of one person's ``facts`` (see :data:`FIELDS`)."""
        if self.kind == "all":
            return all(child.holds(facts) for child in self.children)
        if self.kind == "any":
            return any(child.holds(facts) for child in self.children)
        if self.kind == "not":
            return not self.children[0].holds(facts)
        actual = facts.get(self.field)
        if actual is None:
            return False
        op, value = self.op, self.value
        if op == "==":
            return bool(actual == value)
        if op == "!=":
            return bool(actual != value)
        if op == "<":
            return bool(actual < value)
        if op == "<=":
            return bool(actual <= value)
        if op == ">":
            return bool(actual > value)
        if op == ">=":
            return bool(actual >= value)
        if op == "in":
            return actual in value
        if op == "contains":
            return value in actual
        if op == "any_of":
            return bool(set(value) & set(actual))
        if op == "none_of":
            return not set(value) & set(actual)
        raise ConfigError(f"unknown operator {op!r}")  # unreachable after validation

    def describe(self) -> str:
        """The condition as one readable line."""
        if self.kind == "test":
            return f"{self.field} {self.op} {self.value!r}"
        if self.kind == "not":
            return f"not ({self.children[0].describe()})"
        joiner = " and " if self.kind == "all" else " or "
        return "(" + joiner.join(child.describe() for child in self.children) + ")"


@dataclass(frozen=True, slots=True)
class Action:
    """What a rule produces.

    Attributes
    ----------
    type
        ``task`` (a proactive case for the grid worker of the person's grid), ``notice`` (a
        message to the resident through the outbox) or ``list`` (a row on a department's
        list).
    to
        ``grid_worker`` for tasks, ``resident`` for notices, the department's name for lists.
    due_hours
        Hours from the task's start (the run, or the event's start) to its deadline.
    category
        Case-desk category key of a task (default ``"other.general"``); the case's
        department follows from it. Checked against the case desk's table when the rule
        runs.
    """

    type: ActionType
    to: str
    due_hours: float
    category: str = "other.general"


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule."""

    id: str
    title: str
    when: Condition
    action: Action
    cadence: Cadence
    reason: str
    message: str = ""
    event: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule file."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    origin: str

    def by_id(self, rule_id: str) -> Rule:
        """The rule called ``rule_id``.

        Raises
        ------
        ConfigError
            No such rule.
        """
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise ConfigError(f"{self.origin}: no rule {rule_id!r}")


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: expected a table like {{ field = ..., op = ..., value = ... }}"
        )
    keys = set(raw)
    for combinator in ("all", "any"):
        if keys == {combinator}:
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConfigError(f"{where}: '{combinator}' needs a non-empty list of conditions")
            return Condition(
                kind="all" if combinator == "all" else "any",
                children=tuple(
                    _condition(c, f"{where}.{combinator}[{i}]") for i, c in enumerate(items)
                ),
            )
    if keys == {"not"}:
        return Condition(kind="not", children=(_condition(raw["not"], f"{where}.not"),))
    if keys != {"field", "op", "value"}:
        raise ConfigError(
            f"{where}: expected keys field, op, value (or a single all / any / not), "
            f"got {', '.join(sorted(keys))}"
        )
    field, op, value = raw["field"], raw["op"], raw["value"]
    if field not in FIELDS:
        raise ConfigError(f"{where}: unknown field {field!r}; expected one of {', '.join(FIELDS)}")
    ftype = FIELDS[field]
    if op not in _OPS[ftype]:
        raise ConfigError(
            f"{where}: operator {op!r} does not apply to {ftype} field {field!r}; "
            f"use one of {', '.join(_OPS[ftype])}"
        )
    many = op in {"in", "any_of", "none_of"}
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        raise ConfigError(f"{where}: operator {op!r} needs a non-empty list, got {value!r}")
    checked: list[Any] = []
    for item in values:
        if ftype == "int" and not (isinstance(item, int) and not isinstance(item, bool)):
            raise ConfigError(f"{where}: field {field!r} compares with whole numbers, got {item!r}")
        if ftype == "bool" and not isinstance(item, bool):
            raise ConfigError(f"{where}: field {field!r} compares with true/false, got {item!r}")
        if ftype == "str" and not isinstance(item, str):
            raise ConfigError(f"{where}: field {field!r} compares with text, got {item!r}")
        if ftype == "set":
            vocab = _VOCAB[field]
            if not isinstance(item, str) or item not in vocab:
                raise ConfigError(
                    f"{where}: {item!r} is not a value of {field!r}; "
                    f"expected one of {', '.join(vocab)}"
                )
            item = vocab[item]
        checked.append(item)
    final: Any = (tuple(checked) if ftype != "set" else frozenset(checked)) if many else checked[0]
    return Condition(kind="test", field=field, op=op, value=final)


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"{where}: key '{key}' must be non-empty text, got {value!r}")
    return value.strip()


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a [[rule]] table")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"expected {', '.join(sorted(_RULE_KEYS))}"
        )
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise ConfigError(f"{where}: key 'id' must be a lower_snake_case name, got {rule_id!r}")
    where = f"{where} ({rule_id!r})"
    title = _text(raw, "title", where)
    reason = _text(raw, "reason", where)
    message = _text(raw, "message", where, required=False)
    when_raw = raw.get("when")
    if not isinstance(when_raw, list) or not when_raw:
        raise ConfigError(f"{where}: key 'when' must be a non-empty list of conditions")
    when = Condition(
        kind="all",
        children=tuple(_condition(c, f"{where}: when[{i}]") for i, c in enumerate(when_raw)),
    )
    cadence = raw.get("cadence")
    if cadence not in CADENCES:
        raise ConfigError(
            f"{where}: key 'cadence' must be one of {', '.join(CADENCES)}, got {cadence!r}"
        )
    event = raw.get("event")
    if event is not None and event not in EVENT_KINDS:
        raise ConfigError(
            f"{where}: key 'event' must be one of {', '.join(EVENT_KINDS)}, got {event!r}"
        )
    if (event is None) != (cadence != "event"):
        raise ConfigError(
            f"{where}: a rule with 'event' must have cadence = \"event\" and only such a rule may"
        )
    action_raw = raw.get("action")
    if not isinstance(action_raw, Mapping):
        raise ConfigError(f"{where}: key 'action' must be a table {{ type = ..., to = ... }}")
    unknown = set(action_raw) - _ACTION_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: action: unknown key(s) {', '.join(sorted(unknown))}; "
            f"expected {', '.join(sorted(_ACTION_KEYS))}"
        )
    atype = action_raw.get("type")
    if atype not in ACTIONS:
        raise ConfigError(
            f"{where}: action.type must be one of {', '.join(ACTIONS)}, got {atype!r}"
        )
    to = action_raw.get("to", {"task": "grid_worker", "notice": "resident"}.get(atype, ""))
    if atype == "task" and to != "grid_worker":
        raise ConfigError(f"{where}: action.to of a task must be 'grid_worker', got {to!r}")
    if atype == "notice" and to != "resident":
        raise ConfigError(f"{where}: action.to of a notice must be 'resident', got {to!r}")
    if atype == "list" and (not isinstance(to, str) or not to.strip()):
        raise ConfigError(f"{where}: action.to of a list must name a department")
    if atype == "notice" and not message:
        raise ConfigError(f"{where}: a notice needs a 'message' for the resident")
    due = action_raw.get("due_hours", _DEFAULT_DUE_HOURS[cadence])
    if isinstance(due, bool) or not isinstance(due, int | float) or not 0 < due <= 24 * 366:
        raise ConfigError(f"{where}: action.due_hours must be a number of hours > 0, got {due!r}")
    category = action_raw.get("category", "other.general")
    if not isinstance(category, str) or not category:
        raise ConfigError(f"{where}: action.category must be text, got {category!r}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: key 'enabled' must be true or false, got {enabled!r}")
    return Rule(
        id=rule_id,
        title=title,
        when=when,
        action=Action(type=atype, to=str(to).strip(), due_hours=float(due), category=category),
        cadence=cadence,
        reason=reason,
        message=message,
        event=event,
        enabled=enabled,
    )


def parse_rules(doc: Mapping[str, Any], *, origin: str = "<rules>") -> RuleSet:
    """Validate a parsed rule document (the TOML as a dict).

    Raises
    ------
    ConfigError
        Unknown keys, fields, operators, values, actions or cadences, missing reasons,
        repeated rule ids; the message names ``origin``, the rule and the key.
    """
    unknown = set(doc) - {"name", "version", "rule"}
    if unknown:
        raise ConfigError(
            f"{origin}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
            "expected name, version and [[rule]] tables"
        )
    raw_rules = doc.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{origin}: no [[rule]] tables")
    rules = tuple(_rule(r, f"{origin}: rule {i + 1}") for i, r in enumerate(raw_rules))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"{origin}: rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    return RuleSet(
        name=str(doc.get("name", "")),
        version=str(doc.get("version", "")),
        rules=rules,
        origin=origin,
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rule file; ``None`` loads the project's default rule set.

    Raises
    ------
    ConfigError
        The file cannot be read, is not TOML, or a rule is invalid.
    """
    doc, origin = load_toml(
        path, package="wanzheng.proactive", name="rules_default.toml", what="rule"
    )
    return parse_rules(doc, origin=origin)


def describe(rules: Sequence[Rule]) -> list[str]:
    """One line per rule: id, cadence, action and condition (for ``--dry-run`` output)."""
    return [
        f"{r.id}: {r.cadence}, {r.action.type} → {r.action.to}"
        + (f", on {r.event}" if r.event else "")
        + f"; when {r.when.describe()}"
        for r in rules
    ]
