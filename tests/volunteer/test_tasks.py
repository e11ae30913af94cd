"""A volunteer matched to a task by walking distance checks in and out with the place's
codes, the case resolves and counts in its measures, and the hours appear in the unit's
quarterly report; no-shows, scopes and masking. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from volunteerfixtures import SECRET, T0, Desk, hand_network

from wanzheng.cases.crud import get_case, measures_frame
from wanzheng.cases.measures import case_measures
from wanzheng.cases.models import CaseEvent, UnmaskLog
from wanzheng.errors import NotFoundError, PermissionDeniedError
from wanzheng.proactive.models import OutboxRow, ProactiveAction
from wanzheng.proactive.service import create_task_case
from wanzheng.volunteer.ledger import service_record, unit_report
from wanzheng.volunteer.matching import WalkingMatcher
from wanzheng.volunteer.registry import get_volunteer, list_volunteers, volunteer_view
from wanzheng.volunteer.suggest import match_volunteers, tasks_for_volunteer
from wanzheng.volunteer.tasks import (
    check_in,
    check_out,
    claim_task,
    get_task,
    issue_place_code,
    publish_task,
    record_no_shows,
)

START = T0 + dt.timedelta(hours=1)  # Wednesday 10:00 Beijing, inside everyone's slot
END = START + dt.timedelta(minutes=90)


def _code_in_sms(desk: Desk, key: str) -> str:
    row = desk.session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    assert row is not None and row.channel == "sms" and row.recipient == "13900002222"
    return row.body.split("码 ")[1].split(" ")[0]


def test_matched_by_distance_checked_in_resolved_and_in_the_units_report(desk: Desk) -> None:
    s, matcher = desk.session, WalkingMatcher.from_network(hand_network())
    task = publish_task(
        s,
        case_id=desk.case_id,
        actor=desk.dispatcher,
        starts_at=START,
        ends_at=END,
        now=T0,
        title="帮独居老人买菜",
        skill="elderly_help",
    )
    s.commit()
    assert (task.grid_key, task.source, task.state) == ("east-1", "case", "open")

    # nearest first: east-1 (550 m), west-1 (750 m); west-2 (1,350 m) is beyond 1,200 m
    matches = match_volunteers(s, task_id=task.id, actor=desk.dispatcher, matcher=matcher, now=T0)
    assert [(m["volunteer_id"], m["distance_m"]) for m in matches] == [
        (desk.vol_ids["east1"], 550.0),
        (desk.vol_ids["west1"], 750.0),
    ]
    assert matches[0]["name"] == "李**" and matches[0]["walk_min"] == 10
    # the volunteer's own list shows the task with the same walk, its place to ~100 m
    (mine,) = tasks_for_volunteer(s, actor=desk.vols["east1"], matcher=matcher, now=T0)
    assert mine["id"] == task.id and mine["distance_m"] == 550.0 and mine["address"] is None

    claim_task(s, task_id=task.id, actor=desk.vols["east1"], now=T0)
    s.commit()
    with pytest.raises(NotFoundError):  # taken: no longer shown to other volunteers
        claim_task(s, task_id=task.id, actor=desk.vols["west1"], now=T0)
    s.rollback()

    # the check-in code goes to the resident of the case by SMS (and to the staff member)
    placed = issue_place_code(
        s, task_id=task.id, step="checkin", actor=desk.gw_east, secret=SECRET, now=START
    )
    s.commit()
    issued = placed.issued
    assert placed.sms_to_resident and _code_in_sms(desk, issued.key) == issued.code
    wrong = "000000" if issued.code != "000000" else "111111"
    assert not check_in(
        s, task_id=task.id, actor=desk.vols["east1"], code=wrong, secret=SECRET, now=START
    )
    s.commit()
    assert get_case(s, case_id=desk.case_id, actor=desk.dispatcher).state == "dispatched"
    assert check_in(
        s,
        task_id=task.id,
        actor=desk.vols["east1"],
        code=issued.code,
        secret=SECRET,
        now=START + dt.timedelta(minutes=2),
    )
    s.commit()
    case = get_case(s, case_id=desk.case_id, actor=desk.dispatcher)
    assert case.state == "in_progress" and case.responded_at == START + dt.timedelta(minutes=2)

    out = issue_place_code(
        s,
        task_id=task.id,
        step="checkout",
        actor=desk.dispatcher,
        secret=SECRET,
        now=START + dt.timedelta(minutes=80),
        notify=False,
    )
    assert not out.sms_to_resident
    entry = check_out(
        s,
        task_id=task.id,
        actor=desk.vols["east1"],
        code=out.issued.code,
        secret=SECRET,
        now=START + dt.timedelta(minutes=82),
        done=True,
        note="已买菜送到家",
    )
    s.commit()
    assert entry is not None and entry.minutes == 80
    case = get_case(s, case_id=desk.case_id, actor=desk.dispatcher)
    assert case.state == "resolved" and case.resolved_at == START + dt.timedelta(minutes=82)
    last = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert last is not None and last.action == "resolve" and "李**完成志愿任务" in (last.note or "")
    assert last.actor_id == desk.dispatcher.user_id  # in the publisher's name

    # the case counts in its measures: responded on time, handled in 3 h 22 min
    m = case_measures(
        measures_frame(s),
        by="all",
        start=T0 - dt.timedelta(days=1),
        end=T0 + dt.timedelta(days=1),
        now=START + dt.timedelta(hours=2),
    )
    row = m.iloc[0]
    assert row["cases"] == 1 and row["responded_on_time"] == 1
    assert row["avg_handling_hours"] == pytest.approx((60 + 60 + 82) / 60)

    report = unit_report(s, year=2026, quarter=3, actor=desk.dispatcher)
    assert list(report["name"]) == ["张建国", "李红梅"]  # by unit, then name; west-2 has no unit
    assert list(report["hours"]) == [0.0, round(80 / 60, 2)]
    assert list(report["tasks"]) == [0, 1] and set(report["unit"]) == {"海淀区某研究院"}
    assert unit_report(s, year=2026, quarter=4, actor=desk.dispatcher)["hours"].sum() == 0
    record = service_record(s, volunteer_id=desk.vol_ids["east1"], actor=desk.vols["east1"])
    assert record.total_minutes == 80 and record.tasks_done == 1
    assert record.entries.iloc[0]["outcome"] == "已买菜送到家"


def test_proactive_visit_no_shows_scopes_and_masking(desk: Desk) -> None:
    s = desk.session
    # a proactive visit (the rule's case, dispatched to the register's grid by the rule)
    proposal = {
        "key": "visit_alone:P7:2026-W39",
        "rule_id": "visit_alone",
        "title": "独居老人探访",
        "category": "civil_affairs.elderly",
        "due_at": END + dt.timedelta(days=1),
        "reason": "独居，80 岁以上",
        "person_id": "P7",
        "grid_id": "east-1",
        "community_id": "east",
    }
    visit, routed = create_task_case(s, proposal=proposal, now=T0)
    s.add(
        ProactiveAction(
            key=proposal["key"],
            rule_id="visit_alone",
            action="task",
            to="grid",
            person_id="P7",
            grid_id="east-1",
            community_id="east",
            period="2026-W39",
            title="独居老人探访",
            reason=proposal["reason"],
            created_at=T0,
            due_at=END + dt.timedelta(days=1),
            case_id=visit.id,
        )
    )
    assert routed and visit.state == "dispatched" and visit.lon is None
    vtask = publish_task(
        s, case_id=visit.id, actor=desk.gw_east, starts_at=START, ends_at=END, now=T0, skill="visit"
    )
    assert (vtask.source, vtask.title) == ("proactive", "独居老人探访")
    # no map location: the place is the grid's centre, the east-1 volunteer's home (0 m)
    matches = match_volunteers(
        s,
        task_id=vtask.id,
        actor=desk.gw_east,
        matcher=WalkingMatcher.from_network(hand_network()),
        now=T0,
    )
    assert [(m["volunteer_id"], m["distance_m"]) for m in matches] == [(desk.vol_ids["east1"], 0.0)]
    task = publish_task(
        s, case_id=desk.case_id, actor=desk.gw_east, starts_at=START, ends_at=END, now=T0
    )
    claim_task(s, task_id=task.id, actor=desk.vols["west2"], now=T0)
    s.commit()
    assert task.title == "养老与助残"  # the category's name when no title is given
    # not checked in 30 minutes after the start: a no-show, and the task is open again
    assert record_no_shows(s, now=START + dt.timedelta(minutes=29)) == []
    (ns,) = record_no_shows(s, now=START + dt.timedelta(minutes=31))
    s.commit()
    assert ns.state == "no_show" and task.state == "open" and task.volunteer_id is None
    record = service_record(s, volunteer_id=desk.vol_ids["west2"], actor=desk.dispatcher)
    assert (record.no_shows, record.total_minutes) == (1, 0)
    # past its end an open task expires
    record_no_shows(s, now=END)
    assert task.state == "expired"

    # grid workers: their grid's tasks and volunteers only
    with pytest.raises(NotFoundError):
        get_task(s, task_id=task.id, actor=desk.gw_west)
    assert [v.id for v in list_volunteers(s, actor=desk.gw_west)] == [desk.vol_ids["west1"]]
    with pytest.raises(NotFoundError):
        get_volunteer(s, volunteer_id=desk.vol_ids["east1"], actor=desk.gw_west)
    # masked for a grid worker, who may not unmask; a dispatcher unmasks with a purpose, logged
    v = get_volunteer(s, volunteer_id=desk.vol_ids["west1"], actor=desk.gw_west)
    shown = volunteer_view(s, v, actor=desk.gw_west, now=T0)
    assert (shown["name"], shown["phone"], shown["masked"]) == ("张**", "138****0001", True)
    with pytest.raises(PermissionDeniedError):
        volunteer_view(s, v, actor=desk.gw_west, now=T0, unmask=True, purpose="联系")
    full = volunteer_view(s, v, actor=desk.dispatcher, now=T0, unmask=True, purpose="安排任务")
    assert full["phone"] == "13800000001"
    (log,) = s.scalars(select(UnmaskLog)).all()
    assert log.person_id == v.person_id and log.purpose == "安排任务"
    # the volunteer sees their own registration unmasked, nobody else's
    own = volunteer_view(s, v, actor=desk.vols["west1"], now=T0)
    assert own["phone"] == "13800000001"
    with pytest.raises(NotFoundError):
        get_volunteer(s, volunteer_id=desk.vol_ids["east1"], actor=desk.vols["west1"])
