"""Proactive tasks as case-desk cases: routed, timed, idempotent, measured (both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from wanzheng.cases.states import load_state_machine
from wanzheng.cases.store import (
    Actor,
    Case,
    NewCase,
    apply_action,
    case_events,
    create_case,
    grid_index,
    list_cases,
    make_engine,
    make_sessionmaker,
)
from wanzheng.errors import ConfigError, DataError
from wanzheng.proactive.hotspots import find_hotspots, governance_task, rank_month
from wanzheng.proactive.outbox import outbox_frame
from wanzheng.proactive.registers import Register, Viewer
from wanzheng.proactive.rules import load_rules
from wanzheng.proactive.service import (
    cases_frame,
    department_list,
    propose,
    record_governance_task,
    run_rules,
    task_completion,
)
from wanzheng.proactive.store import import_register
from wanzheng.proactive.tasks import Event

# Wednesday 2026-11-25 10:00 Beijing.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
ADMIN = Viewer(user="admin", role="administrator")
GRIDS = {"G01": "west-1", "G02": "east-1"}
COMMUNITIES = {"C01": "west", "C02": "east"}


@pytest.fixture
def session(database_url: str, register: Register) -> Iterator[Session]:
    engine = make_engine(database_url, pool_size=2)
    records = register.records.copy()
    records["grid_id"] = records["grid_id"].map(GRIDS)
    records["community_id"] = records["community_id"].map(COMMUNITIES)
    desk_register = dataclasses.replace(register, records=records)
    with make_sessionmaker(engine)() as s:
        import_register(s, register=desk_register, viewer=ADMIN, now=NOW)
        s.commit()
        yield s
    engine.dispose()


def test_dry_run_writes_nothing(session: Session) -> None:
    proposals = propose(session, rules=load_rules(), now=NOW)
    assert len(proposals) == 13 and proposals["new"].all()
    session.commit()
    assert list_cases(session, actor=Actor.system(), case_type="proactive") == []


def test_run_creates_routed_timed_cases_once(session: Session) -> None:
    report = run_rules(session, rules=load_rules(), now=NOW)
    session.commit()
    # weekly visits R01, R03, R09; severe disability R06; 特困 R07
    assert (report.tasks, report.notices, report.list_rows, report.unrouted) == (5, 3, 5, 0)
    cases = list_cases(session, actor=Actor.system(), case_type="proactive")
    assert len(cases) == 5
    by_text = {c.text.split("台账编号 ")[1][:3]: c for c in cases if "每周探访" in c.text}
    assert sorted(by_text) == ["R01", "R03", "R09"]
    r01 = by_text["R01"]
    assert r01.grid_key == "west-1" and r01.community_key == "west"
    assert r01.state == "dispatched" and r01.department_key == "civil_affairs"
    assert r01.resolve_due == NOW + dt.timedelta(days=7)
    assert [e.action for e in case_events(session, case_id=r01.id)] == [
        "submit",
        "accept",
        "dispatch",
    ]
    # The grid worker of west-1 sees R01's and R03's visits, not R09's (east-1).
    worker = Actor(role="grid_worker", username="gw", grid_key="west-1")
    mine = list_cases(session, actor=worker, case_type="proactive")
    assert len(mine) == 2
    assert len(outbox_frame(session)) == 3
    assert sorted(department_list(session, department="社会事务办")["person_id"]) == [
        "R02",
        "R03",
        "R06",
        "R09",
    ]
    again = run_rules(session, rules=load_rules(), now=NOW + dt.timedelta(hours=3))
    session.commit()
    assert (again.tasks, again.notices, again.list_rows) == (0, 0, 0)
    assert len(list_cases(session, actor=Actor.system(), case_type="proactive")) == 5


def test_cold_wave_task_due_within_24_hours(session: Session) -> None:
    cold = Event(
        id="CW1",
        kind="cold_wave",
        starts_at=dt.datetime(2026, 11, 25, 6, 0),  # Beijing wall clock
        grid_ids=frozenset({"east-1"}),
    )
    report = run_rules(session, rules=load_rules(), now=NOW, events=[cold])
    session.commit()
    cold_rows = report.proposals[report.proposals["rule_id"] == "cold_wave_elderly_alone_check"]
    assert sorted(cold_rows["person_id"]) == ["R06", "R09"]
    cases = list_cases(session, actor=Actor.system(), case_type="proactive")
    cold_cases = [c for c in cases if "寒潮" in c.text]
    assert len(cold_cases) == 2
    for case in cold_cases:
        assert case.resolve_due == dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)  # +24 h
        assert case.grid_key == "east-1"


def test_completion_rate(session: Session) -> None:
    run_rules(session, rules=load_rules(), now=NOW)
    session.commit()
    machine = load_state_machine()
    worker = Actor(role="grid_worker", username="gw", grid_key="west-1")
    west = list_cases(session, actor=worker, case_type="proactive")
    done = west[0]
    apply_action(session, case_id=done.id, actor=worker, action="start", now=NOW, machine=machine)
    apply_action(
        session,
        case_id=done.id,
        actor=worker,
        action="resolve",
        now=NOW + dt.timedelta(days=2),
        machine=machine,
        note="已上门探访，老人身体状况良好",
    )
    session.commit()
    later = NOW + dt.timedelta(days=8)
    rates = task_completion(session, now=later)
    weekly = rates.loc["elderly_alone_weekly_visit"]
    assert (weekly["tasks"], weekly["completed"], weekly["on_time"]) == (3, 1, 1)
    assert weekly["overdue"] == 2  # R03's and R09's visits were due after 7 days
    assert weekly["completion_rate"] == pytest.approx(1 / 3)
    total = task_completion(session, now=later, by="all").loc["all"]
    assert total["tasks"] == 5 and total["completed"] == 1
    with pytest.raises(DataError, match=r"^by: "):
        task_completion(session, now=later, by="colour")


def test_hotspot_topic_becomes_one_governance_case(session: Session) -> None:
    index = grid_index(session)
    rng = np.random.default_rng(3)
    for k in range(5):
        create_case(
            session,
            new=NewCase(
                text=f"西区3号楼门口路灯不亮{'，晚上太黑' if k % 2 else ''}",
                lon=116.350 + rng.uniform(-0.0003, 0.0003),
                lat=40.005 + rng.uniform(-0.0003, 0.0003),
                category="urban.municipal",
            ),
            now=NOW - dt.timedelta(days=12 - 2 * k),
            index=index,
        )
    session.commit()
    cases = cases_frame(session)
    assert len(cases) == 5 and set(cases["grid_id"]) == {"west-1"}
    hot = find_hotspots(cases, as_of=NOW)
    assert len(hot.clusters) == 1
    ranked = rank_month(hot, cases, month="2026-11")
    proposal = governance_task(ranked.iloc[0], now=NOW, month="2026-11")
    top = ranked.iloc[0]
    case_id, created = record_governance_task(
        session, proposal=proposal, now=NOW, lon=float(top["lon"]), lat=float(top["lat"])
    )
    session.commit()
    assert created
    again_id, again = record_governance_task(
        session, proposal=proposal, now=NOW, lon=float(top["lon"]), lat=float(top["lat"])
    )
    assert (again_id, again) == (case_id, False)
    case = session.get(Case, case_id)
    assert case is not None
    assert case.case_type == "proactive" and case.grid_key == "west-1"
    assert case.state == "dispatched" and case.department_key == "city_management"
    assert "每月一题" in case.text
    assert len(cases_frame(session)) == 5  # proactive cases are not counted as requests
    assert len(cases_frame(session, case_type=None)) == 6
    assert isinstance(cases["created_at"].iloc[0], pd.Timestamp)


def test_unknown_category_is_a_config_error(session: Session) -> None:
    rules = load_rules()
    rule = rules.by_id("tekun_monthly_visit")
    bad_rule = dataclasses.replace(
        rule, action=dataclasses.replace(rule.action, category="no.such")
    )
    bad = dataclasses.replace(rules, rules=(bad_rule,))
    with pytest.raises(ConfigError, match=r"no\.such"):
        run_rules(session, rules=bad, now=NOW)
