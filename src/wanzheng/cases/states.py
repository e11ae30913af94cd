"""The case state machine, read from ``states.toml``.

States and transitions are data: a transition names its action, the states it may start
from, the state it leads to, the roles that may take it and the fields it needs. The store
applies a transition with :func:`StateMachine.transition`; anything not in the table raises
:class:`~wanzheng.errors.ConflictError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wanzheng.errors import ConfigError, ConflictError, PermissionDeniedError
from wanzheng.standards.datafile import load_toml

__all__ = [
    "ROLES",
    "Escalation",
    "Label",
    "RatingRule",
    "State",
    "StateMachine",
    "Transition",
    "load_state_machine",
]

#: Every role of the case desk, in the order of the user guides.
ROLES: tuple[str, ...] = ("resident", "grid_worker", "handler", "dispatcher", "admin")

_FIELDS = frozenset({"note", "reason", "department", "merged_into", "rating", "category"})


@dataclass(frozen=True, slots=True)
class State:
    """One state: its key, zh-CN and English labels, Open311 status and whether it is final."""

    key: str
    label: str
    open311: str
    final: bool
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move: ``action`` from any of ``sources`` to ``target``.

    ``target`` is None for an action that keeps the case in its state (``recategorise``).
    """

    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    requires: frozenset[str]
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class Label:
    """What people read for a key: zh-CN and English."""

    label: str
    label_en: str


@dataclass(frozen=True, slots=True)
class RatingRule:
    """What a resident's rating does to a resolved case."""

    values: tuple[str, ...]
    dissatisfied: str
    auto_reopens: int
    reopen_to: str
    then_to: str

    def target(self, rating: str, *, reopen_count: int) -> str:
        """The state a rating leads to, given how often the case was reopened already."""
        if rating not in self.values:
            raise ConflictError(f"rating: expected one of {list(self.values)}, got {rating!r}")
        if rating != self.dissatisfied:
            return "closed"
        return self.reopen_to if reopen_count < self.auto_reopens else self.then_to


@dataclass(frozen=True, slots=True)
class Escalation:
    """督办 levels: level 1 when a deadline passes, one more per ``interval_hours`` overdue."""

    interval_hours: float
    levels: tuple[str, ...]

    def level(self, overdue_hours: float) -> int:
        """Escalation level (0 = none) of a case overdue by ``overdue_hours`` hours."""
        if overdue_hours <= 0:
            return 0
        return min(len(self.levels), 1 + int(overdue_hours // self.interval_hours))


@dataclass(frozen=True, slots=True)
class StateMachine:
    """States, transitions, rating rule and escalation levels of the case desk."""

    version: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    rating: RatingRule
    escalation: Escalation
    origin: str
    events: dict[str, Label] = field(default_factory=dict)
    roles: dict[str, Label] = field(default_factory=dict)

    def action_label(self, action: str) -> str:
        """The zh-CN label of an event of a case's history (a transition or another event)."""
        t = self.transitions.get(action)
        if t is not None and t.label:
            return t.label
        e = self.events.get(action)
        return e.label if e is not None else action

    def role_label(self, role: str) -> str:
        """The zh-CN name of a role (who took an action in a history)."""
        r = self.roles.get(role)
        return r.label if r is not None else role

    def transition(self, state: str, action: str, *, role: str) -> Transition:
        """Check that ``role`` may take ``action`` from ``state`` and return the transition.

        Raises
        ------
        ConflictError
            The action is unknown or not allowed from ``state``.
        PermissionDeniedError
            The role may not take this action.
        """
        t = self.transitions.get(action)
        if t is None:
            raise ConflictError(
                f"action: unknown action {action!r}; expected one of {sorted(self.transitions)}"
            )
        if role not in t.roles:
            raise PermissionDeniedError(f"action: role {role!r} may not {action!r} a case")
        if state not in t.sources:
            raise ConflictError(
                f"action: cannot {action!r} a case in state {state!r} "
                f"(allowed from {sorted(t.sources)})"
            )
        return t

    def actions_from(self, state: str, *, role: str) -> list[str]:
        """Actions ``role`` may take on a case in ``state`` (scope checks aside)."""
        return [a for a, t in self.transitions.items() if state in t.sources and role in t.roles]

    def open_states(self) -> frozenset[str]:
        """States that are not final."""
        return frozenset(k for k, s in self.states.items() if not s.final)


def _need(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    return table[key]


def _labels(table: dict[str, Any], where: str) -> dict[str, Label]:
    return {
        k: Label(label=str(_need(v, "label", f"{where}.{k}")), label_en=str(v.get("label_en", k)))
        for k, v in table.items()
    }


def load_state_machine(path: Path | None = None) -> StateMachine:
    """Read and validate the state machine (default: the packaged ``states.toml``).

    Raises
    ------
    ConfigError
        A transition names an unknown state, role or field, or a key is missing.
    """
    raw, origin = load_toml(
        path, package="wanzheng.cases", name="states.toml", what="state machine"
    )
    states: dict[str, State] = {}
    for key, st in _need(raw, "states", origin).items():
        states[key] = State(
            key=key,
            label=str(_need(st, "label", f"{origin}: states.{key}")),
            open311=str(_need(st, "open311", f"{origin}: states.{key}")),
            final=bool(st.get("final", False)),
            label_en=str(st.get("label_en", key)),
        )
        if states[key].open311 not in ("open", "closed"):
            raise ConfigError(f"{origin}: states.{key}: open311 must be 'open' or 'closed'")
    transitions: dict[str, Transition] = {}
    for i, tr in enumerate(_need(raw, "transitions", origin)):
        where = f"{origin}: transitions[{i}]"
        t = Transition(
            action=str(_need(tr, "action", where)),
            label=str(tr.get("label", "")),
            sources=frozenset(_need(tr, "from", where)),
            target=str(tr["to"]) if "to" in tr else None,
            roles=frozenset(_need(tr, "roles", where)),
            requires=frozenset(tr.get("requires", [])),
            label_en=str(tr.get("label_en", tr.get("action", ""))),
        )
        for s in (*t.sources, *([t.target] if t.target is not None else [])):
            if s not in states:
                raise ConfigError(f"{where}: unknown state {s!r}")
        if not t.roles <= set(ROLES):
            raise ConfigError(f"{where}: unknown role in {sorted(t.roles)}")
        if not t.requires <= _FIELDS:
            raise ConfigError(f"{where}: unknown required field in {sorted(t.requires)}")
        if t.action in transitions:
            raise ConfigError(f"{where}: action {t.action!r} defined twice")
        transitions[t.action] = t
    r = _need(raw, "rating", origin)
    rating = RatingRule(
        values=tuple(_need(r, "values", f"{origin}: rating")),
        dissatisfied=str(_need(r, "dissatisfied", f"{origin}: rating")),
        auto_reopens=int(_need(r, "auto_reopens", f"{origin}: rating")),
        reopen_to=str(_need(r, "reopen_to", f"{origin}: rating")),
        then_to=str(_need(r, "then_to", f"{origin}: rating")),
    )
    for s in (rating.reopen_to, rating.then_to):
        if s not in states:
            raise ConfigError(f"{origin}: rating: unknown state {s!r}")
    e = _need(raw, "escalation", origin)
    escalation = Escalation(
        interval_hours=float(_need(e, "interval_hours", f"{origin}: escalation")),
        levels=tuple(_need(e, "levels", f"{origin}: escalation")),
    )
    if escalation.interval_hours <= 0 or not escalation.levels:
        raise ConfigError(f"{origin}: escalation: need interval_hours > 0 and at least one level")
    events = _labels(raw.get("events", {}), f"{origin}: events")
    roles = _labels(raw.get("roles", {}), f"{origin}: roles")
    unknown = set(roles) - set(ROLES) - {"system"}
    if unknown:
        raise ConfigError(f"{origin}: roles: unknown role {sorted(unknown)}")
    return StateMachine(
        events=events,
        roles=roles,
        version=str(raw.get("version", "")),
        states=states,
        transitions=transitions,
        rating=rating,
        escalation=escalation,
        origin=origin,
    )
