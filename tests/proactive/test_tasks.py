"""Rule evaluation over the constructed register, worked out by hand (run on 2026-11-25)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from wanzheng.errors import DataError
from wanzheng.proactive.registers import Register
from wanzheng.proactive.rules import load_rules
from wanzheng.proactive.tasks import Event, department_lists, evaluate, facts, load_events

NOW = dt.datetime(2026, 11, 25, 10, 0)  # a Wednesday, ISO week 48

# Hand-worked expectations (see tests/data/proactive/register_small.csv):
EXPECTED_NO_EVENTS = {
    # R01 86 alone, R03 89 alone (birthday 11-30 not yet), R09 100 alone
    "elderly_alone_weekly_visit": ["R01", "R03", "R09"],
    # R02 turns 80, R03 turns 90, R09 turns 100 in November 2026
    "milestone_birthday_allowance": ["R02", "R03", "R09"],
    # R04's newborn is 24 days old; R05's is 116 days old
    "newborn_care_notice": ["R04"],
    "severe_disability_monthly_visit": ["R06"],
    "tekun_monthly_visit": ["R07"],
    "dibao_annual_review": ["R06"],
    "youfu_festival_visit": ["R08"],
    # ≥ 65 with hypertension or diabetes: R01 (86), R07 (66)
    "chronic_elderly_health_notice": ["R01", "R07"],
}


def _by_rule(frame: pd.DataFrame) -> dict[str, list[str]]:
    return {str(k): sorted(g["person_id"]) for k, g in frame.groupby("rule_id")}


def test_default_rules_on_small_register(register: Register) -> None:
    out = evaluate(load_rules(), register.records, now=NOW)
    assert _by_rule(out) == EXPECTED_NO_EVENTS
    assert len(out) == 13
    weekly = out[out["rule_id"] == "elderly_alone_weekly_visit"].iloc[0]
    assert weekly["period"] == "2026-W48"
    assert weekly["key"] == "elderly_alone_weekly_visit:R01:2026-W48"
    assert weekly["due_at"] == NOW + dt.timedelta(days=7)
    assert weekly["action"] == "task" and weekly["grid_id"] == "G01"
    assert "每周" in weekly["reason"]
    assert out["new"].all()


def test_cold_wave_in_one_grid(register: Register, proactive_data: Path) -> None:
    events = load_events(proactive_data / "events_small.csv")
    out = evaluate(load_rules(), register.records, now=NOW, events=events)
    cold = out[out["rule_id"] == "cold_wave_elderly_alone_check"]
    # Only G02 is covered: R06 (76, alone) and R09 (100, alone); R01/R03 live in G01.
    assert sorted(cold["person_id"]) == ["R06", "R09"]
    assert set(cold["period"]) == {"event:CW-2026-11-25"}
    assert set(cold["due_at"]) == {dt.datetime(2026, 11, 26, 6, 0)}
    # The July heat wave is long over.
    assert "heat_wave_elderly_alone_check" not in set(out["rule_id"])
    assert len(out) == 15


def test_rerun_is_idempotent_by_key(register: Register) -> None:
    rules = load_rules()
    first = evaluate(rules, register.records, now=NOW)
    again = evaluate(
        rules, register.records, now=NOW + dt.timedelta(days=2), existing_keys=first["key"]
    )
    assert list(again["key"]) == list(first["key"])
    assert not again["new"].any()
    # 2026-12-02 lies in a new week and a new month: weekly and monthly rows are new;
    # yearly and once rows repeat their keys; nobody turns 80/90/100 in December.
    later = evaluate(
        rules, register.records, now=NOW + dt.timedelta(days=7), existing_keys=first["key"]
    )
    new = later[later["new"]]
    assert sorted(new["rule_id"].unique()) == [
        "elderly_alone_weekly_visit",
        "severe_disability_monthly_visit",
        "tekun_monthly_visit",
    ]
    assert set(new["period"]) == {"2026-W49", "2026-12"}
    assert "milestone_birthday_allowance" not in set(later["rule_id"])
    assert not later[later["period"].isin(["2026", "once"])]["new"].any()


def test_facts_hand_checked(register: Register) -> None:
    rec = register.records.set_index("person_id")
    f = facts(rec.loc["R03"].to_dict() | {"person_id": "R03"}, dt.date(2026, 11, 25))
    assert f["age"] == 89 and f["turns_this_month"] == 90
    f = facts(rec.loc["R03"].to_dict() | {"person_id": "R03"}, dt.date(2026, 11, 30))
    assert f["age"] == 90
    f = facts(rec.loc["R04"].to_dict() | {"person_id": "R04"}, dt.date(2026, 11, 25))
    assert f["newborn_age_days"] == 24 and f["turns_this_month"] is None


def test_department_lists(register: Register) -> None:
    out = evaluate(load_rules(), register.records, now=NOW)
    lists = department_lists(out)
    assert sorted(lists) == ["社会事务办", "退役军人服务站"]
    assert sorted(lists["社会事务办"]["person_id"]) == ["R02", "R03", "R06", "R09"]


def test_event_validation(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="kind must be one of"):
        Event(id="e", kind="meteor", starts_at=NOW)
    bad = tmp_path / "ev.csv"
    bad.write_text("id,kind,starts_at\nE1,大风,2026-01-01 00:00\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: column 'kind'"):
        load_events(bad)
    bad.write_text("id,kind,starts_at\nE1,寒潮,昨天\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: column 'starts_at'"):
        load_events(bad)
