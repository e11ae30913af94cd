"""Rule files: the default set loads; every kind of mistake is named clearly."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from wanzheng.errors import ConfigError
from wanzheng.proactive.rules import load_rules, parse_rules

GOOD: dict[str, Any] = tomllib.loads(
    """
name = "t"
[[rule]]
id = "r1"
title = "探访"
when = [{ field = "age", op = ">=", value = 80 }]
action = { type = "task", to = "grid_worker" }
cadence = "weekly"
reason = "因为"
"""
)


def _with(**changes: Any) -> dict[str, Any]:
    rule = dict(GOOD["rule"][0]) | changes
    return {"name": "t", "rule": [rule]}


def test_default_rules_load() -> None:
    rules = load_rules()
    ids = [r.id for r in rules.rules]
    assert "elderly_alone_weekly_visit" in ids
    assert "heat_wave_elderly_alone_check" in ids
    assert len(ids) == len(set(ids)) >= 8
    heat = rules.by_id("heat_wave_elderly_alone_check")
    assert heat.event == "heat_wave" and heat.cadence == "event"
    assert heat.action.due_hours == 24
    # Chinese values in the file are normalised to register keys.
    tekun = rules.by_id("tekun_monthly_visit")
    assert tekun.when.children[0].value == "tekun"


def test_good_rule_defaults() -> None:
    rule = parse_rules(GOOD).rules[0]
    assert rule.action.due_hours == 168
    assert rule.action.category == "other.general"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cadence": "daily"}, "key 'cadence' must be one of"),
        ({"when": [{"field": "height", "op": ">", "value": 1}]}, "unknown field 'height'"),
        ({"when": [{"field": "age", "op": "contains", "value": 1}]}, "operator 'contains'"),
        ({"when": [{"field": "age", "op": ">=", "value": "80"}]}, "whole numbers"),
        ({"when": [{"field": "special_care", "op": "contains", "value": "贫困"}]}, "'贫困'"),
        ({"when": [{"field": "age", "op": "in", "value": []}]}, "non-empty list"),
        ({"when": []}, "key 'when'"),
        ({"reason": ""}, "key 'reason'"),
        ({"action": {"type": "sms"}}, "action.type"),
        ({"action": {"type": "task", "to": "民政"}}, "'grid_worker'"),
        ({"action": {"type": "notice"}}, "needs a 'message'"),
        ({"action": {"type": "list"}}, "must name a department"),
        ({"action": {"type": "task", "due_hours": -1}}, "due_hours"),
        ({"event": "heat_wave"}, 'cadence = "event"'),
        ({"event": "meteor"}, "key 'event'"),
        ({"cadence": "event"}, 'cadence = "event"'),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"id": "Bad Id"}, "lower_snake_case"),
        ({"when": [{"any": []}]}, "'any' needs a non-empty list"),
    ],
)
def test_mistakes_raise_config_error_naming_rule_and_key(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules(_with(**changes), origin="office.toml")
    assert "office.toml" in str(info.value)
    assert message in str(info.value)


def test_duplicate_ids_and_unknown_top_level_key() -> None:
    doc = {"rule": [GOOD["rule"][0], GOOD["rule"][0]]}
    with pytest.raises(ConfigError, match="'r1' is used twice"):
        parse_rules(doc)
    with pytest.raises(ConfigError, match="unknown top-level"):
        parse_rules({"rules": []})


def test_file_errors(tmp_path: Any) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules(bad)
    with pytest.raises(ConfigError, match=r"missing\.toml: rule file not found"):
        load_rules(tmp_path / "missing.toml")


def test_nested_conditions() -> None:
    doc = _with(
        when=[
            {
                "any": [
                    {"field": "age", "op": ">=", "value": 90},
                    {"not": {"field": "living_alone", "op": "==", "value": False}},
                ]
            }
        ]
    )
    cond = parse_rules(doc).rules[0].when
    assert cond.holds({"age": 95, "living_alone": False})
    assert cond.holds({"age": 70, "living_alone": True})
    assert not cond.holds({"age": 70, "living_alone": False})
    assert not cond.holds({"age": None, "living_alone": False})


def test_public_api_matches_all() -> None:
    import wanzheng.proactive as proactive

    for name in proactive.__all__:
        assert hasattr(proactive, name), name
