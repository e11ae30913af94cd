"""A consultation end to end on SQLite and PostgreSQL: a measured gap (the audit of the CAU
extract), two costed options from the office's sites, notice, meeting, online votes (one-time
codes through the outbox) and paper votes (a booth's subtotal and a second person confirming),
the result, execution linked to a programme project, report-back, and overdue steps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from consultdata import COMMUNITY, RESIDENTS
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from wanzheng.audit.reach import graph_from_edges
from wanzheng.consult import OptionDraft, community_gaps, gap_options
from wanzheng.consult import ballots as bl
from wanzheng.consult import electors as el
from wanzheng.consult import proposals as pr
from wanzheng.consult import store as cs
from wanzheng.consult.models import Ballot, Elector, Voter
from wanzheng.consult.steps import STEPS
from wanzheng.data.audit_output import AuditOutput
from wanzheng.data.candidates import load_candidates
from wanzheng.db import make_engine, make_sessionmaker
from wanzheng.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError
from wanzheng.plan import MCLP
from wanzheng.plan.siting import build_problem, demand_points
from wanzheng.proactive.models import OutboxRow

SECRET = "consult-test-secret-key-of-enough-length-0123"
T0 = dt.datetime(2027, 3, 1, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def options(consult_audit: AuditOutput, candidates_csv: Path) -> list[OptionDraft]:
    a = consult_audit
    graph = graph_from_edges(a.network)
    assert graph is not None
    names = dict(zip(a.kinds["key"].astype(str), a.kinds["name_zh"].astype(str), strict=True))
    cand = load_candidates(candidates_csv, kinds=names, default_crs="wgs84")
    return gap_options(
        graph,
        communities=a.communities,
        facilities=a.facilities,
        kinds=a.kinds,
        candidates=cand,
        community_id=COMMUNITY,
        kind="canteen",
        n=3,
    )


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url, pool_size=2)
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def test_the_gap_and_its_costed_options(
    consult_audit: AuditOutput, candidates_csv: Path, options: list[OptionDraft]
) -> None:
    a = consult_audit
    gaps = community_gaps(a.communities, a.kinds, community_id=COMMUNITY).set_index("kind")
    # the audit's own figure, read independently from communities.csv
    audit = pd.read_csv(a.out_dir / "communities.csv", dtype={"id": str}).set_index("id")
    assert audit.at[COMMUNITY, "canteen_status"] == "missing"
    assert gaps.at["canteen", "distance_m"] == pytest.approx(
        audit.at[COMMUNITY, "canteen_distance_m"]
    )
    assert gaps.at["canteen", "threshold_m"] == 300
    # two options: the far site (学士居, cheapest) reaches nobody of the community
    assert [o.site["id"] for o in options if o.site] == ["S2", "S1"]  # same reach: cheaper first
    assert [o.cost for o in options] == [80.0, 120.0]
    population = float(audit.at[COMMUNITY, "population"])
    assert [o.residents_new for o in options] == [population, population]
    assert options[0].reach[0][2] == population
    # the first option is the plan's own optimum with one site (MCLP, HiGHS)
    graph = graph_from_edges(a.network)
    assert graph is not None
    names = dict(zip(a.kinds["key"].astype(str), a.kinds["name_zh"].astype(str), strict=True))
    cand = load_candidates(candidates_csv, kinds=names, default_crs="wgs84")
    inputs = build_problem(
        graph,
        demand=demand_points(a.communities),
        candidates=cand,
        facilities=a.facilities,
        kinds=[("canteen", 300.0)],
    )
    best = MCLP(inputs.problem, p=1).solve(time_limit_s=30)
    assert best.residents_newly_covered() == pytest.approx(options[0].residents_new)
    with pytest.raises(DataError, match="not missing"):
        gap_options(
            graph,
            communities=a.communities,
            facilities=a.facilities,
            kinds=a.kinds,
            candidates=cand,
            community_id=COMMUNITY,
            kind="elderly_station",
        )


def _code_from_outbox(session: Session, phone: str) -> str:
    row = session.scalars(
        select(OutboxRow).where(OutboxRow.recipient == phone).order_by(OutboxRow.id.desc())
    ).first()
    assert row is not None and row.channel == "sms"
    found = re.search(r"验证码为 (\d{6})", row.body)
    assert found is not None
    return found.group(1)


def test_a_consultation_end_to_end(
    session: Session, options: list[OptionDraft], electors_csv: Path
) -> None:
    out = el.import_electors(session, path=electors_csv, secret=SECRET, now=T0)
    assert out == {"electors": 7, "communities": 2, "removed": 0}
    cid = cs.create_consultation(
        session,
        title="石科院生活区助餐点选址",
        community_id=COMMUNITY,
        community_name="石科院生活区",
        origin="gap",
        origin_ref="canteen",
        evidence={"kind": "canteen", "distance_m": 348.3, "threshold_m": 300},
        options=options[:2],
        responsible={
            "notice": "王主任",
            "meeting": "王主任",
            "vote": "李委员",
            "result": "李委员",
            "execution": "街道城管科",
            "report_back": "王主任",
        },
        by="staff1",
        now=T0,
        notice_days=7,
    )
    session.commit()
    # no PII anywhere in the stored resident list
    raw = " ".join(str(v) for row in session.execute(select(Elector)).all() for v in row)
    assert all(r.identifier not in raw and r.phone not in raw for r in RESIDENTS)

    view = cs.view_consultation(session, consultation_id=cid, now=T0)
    assert [s["kind"] for s in view["steps"]] == list(STEPS)
    # default schedule: notice in 2 days; the meeting 5 days after the 7-day notice period
    deadlines = [dt.datetime.fromisoformat(s["deadline"]) for s in view["steps"]]
    assert deadlines[0] == T0 + 2 * DAY
    assert deadlines[1] == T0 + (2 + 7 + 5) * DAY
    a_id, b_id = (o["id"] for o in view["options"])

    # notice, then the meeting: not within the notice period
    with pytest.raises(ConflictError, match="notice"):
        cs.record_meeting(
            session, consultation_id=cid, held_at=T0, attendance=9, attendees=[],
            minutes="x", by="staff1", now=T0,
        )  # fmt: skip
    earliest = cs.post_notice(
        session, consultation_id=cid, text="拟在两处选址中选一处建社区食堂", by="staff1", now=T0
    )
    assert earliest == T0 + 7 * DAY
    with pytest.raises(ConflictError, match="notice period"):
        cs.record_meeting(
            session, consultation_id=cid, held_at=T0 + 6 * DAY, attendance=9, attendees=[],
            minutes="x", by="staff1", now=T0 + 6 * DAY,
        )  # fmt: skip
    cs.record_meeting(
        session,
        consultation_id=cid,
        held_at=T0 + 8 * DAY,
        attendance=23,
        attendees=["王主任", "居民代表甲", "居民代表乙"],
        minutes="两处选址各有利弊，交由居民投票。",
        by="staff1",
        now=T0 + 8 * DAY,
    )
    t_vote = T0 + 9 * DAY
    cs.open_vote(session, consultation_id=cid, closes_at=t_vote + 7 * DAY, by="staff1", now=t_vote)
    session.commit()

    # online votes: phone on the list -> a code through the outbox -> one vote
    receipts = {}
    for r, choice in zip(RESIDENTS[:3], [a_id, a_id, b_id], strict=True):
        assert el.send_vote_code(
            session, community_id=COMMUNITY, phone=r.phone, secret=SECRET, now=t_vote
        )
        code = _code_from_outbox(session, r.phone)
        receipts[r.phone] = bl.cast_vote(
            session, consultation_id=cid, choices=[choice], secret=SECRET, now=t_vote,
            phone=r.phone, code=code,
        )  # fmt: skip
        session.commit()
    # a neighbour's phone is not on this community's list: no code is sent
    assert not el.send_vote_code(
        session, community_id=COMMUNITY, phone=RESIDENTS[6].phone, secret=SECRET, now=t_vote
    )
    # one vote each
    r0 = RESIDENTS[0]
    el.send_vote_code(session, community_id=COMMUNITY, phone=r0.phone, secret=SECRET, now=t_vote)
    code = _code_from_outbox(session, r0.phone)
    with pytest.raises(ConflictError, match="already voted"):
        bl.cast_vote(
            session, consultation_id=cid, choices=[b_id], secret=SECRET, now=t_vote,
            phone=r0.phone, code=code,
        )  # fmt: skip
    session.rollback()
    # a wrong code, and a ballot of two choices in a majority vote
    r3 = RESIDENTS[3]
    with pytest.raises(PermissionDeniedError, match="code"):
        bl.cast_vote(
            session, consultation_id=cid, choices=[a_id], secret=SECRET, now=t_vote,
            phone=r3.phone, code="000000",
        )  # fmt: skip
    session.rollback()
    with pytest.raises(DataError, match="exactly one"):
        bl.cast_vote(
            session, consultation_id=cid, choices=[a_id, b_id], secret=SECRET, now=t_vote,
            phone=r3.phone, code="000000",
        )  # fmt: skip
    session.rollback()

    # a resident reads their own ballot by receipt; nobody reads another's
    assert bl.read_receipt(
        session, consultation_id=cid, receipt=receipts[RESIDENTS[2].phone], secret=SECRET
    ) == ["B"]
    with pytest.raises(NotFoundError):
        bl.read_receipt(session, consultation_id=cid, receipt="guessed", secret=SECRET)
    # the ballot table cannot be joined to the voters: no elector, no time of day
    ballot_cols = {c["name"] for c in inspect(session.connection()).get_columns("consult_ballots")}
    assert ballot_cols == {"key", "consultation_id", "day", "choices", "receipt_hash"}
    assert session.query(Voter).count() == 3 and session.query(Ballot).count() == 3

    # paper: booth subtotal entered by one, confirmed by another
    with pytest.raises(DataError, match="marks on 9 valid"):
        bl.enter_paper(
            session, consultation_id=cid, booth="1号投票点", ballots=10, invalid=1,
            counts={a_id: 3, b_id: 5}, by="staff1", now=t_vote + DAY,
        )  # fmt: skip
    bl.enter_paper(
        session, consultation_id=cid, booth="1号投票点", ballots=10, invalid=1,
        counts={a_id: 3, b_id: 6}, by="staff1", now=t_vote + DAY,
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError, match="second person"):
        bl.confirm_paper(
            session, consultation_id=cid, booth="1号投票点", by="staff1", now=t_vote + DAY
        )
    t_close = t_vote + 7 * DAY
    cs.close_vote(session, consultation_id=cid, by="staff1", now=t_close)
    with pytest.raises(ConflictError, match="not confirmed"):
        cs.post_result(session, consultation_id=cid, by="staff1", now=t_close)
    bl.confirm_paper(session, consultation_id=cid, booth="1号投票点", by="staff2", now=t_close)
    # unposted: the public sees no count yet
    assert cs.view_consultation(session, consultation_id=cid, now=t_close)["result"] is None
    result = cs.post_result(session, consultation_id=cid, by="staff1", now=t_close)
    session.commit()
    by_label = {c["label"]: c for c in result["counts"]}
    assert (by_label["A"]["online"], by_label["A"]["paper"]) == (2, 3)
    assert (by_label["B"]["online"], by_label["B"]["paper"]) == (1, 6)
    assert result["chosen"] == [b_id] and not result["tied"]
    assert (result["ballots_online"], result["ballots_paper"], result["invalid_paper"]) == (
        3,
        10,
        1,
    )

    public = cs.view_consultation(session, consultation_id=cid, now=t_close)
    assert public["result"] == result
    text = repr(public)
    for r in RESIDENTS:
        assert r.phone not in text and r.identifier not in text
    assert "staff2" not in text and "居民代表甲" not in text  # confirmer and attendees: staff only
    staff = cs.view_consultation(session, consultation_id=cid, now=t_close, staff=True)
    assert staff["paper"][0]["confirmed_by"] == "staff2" and staff["voters_online"] == 3

    # a stalled execution shows as overdue: 决而不行
    exec_deadline = dt.datetime.fromisoformat(staff["steps"][4]["deadline"])
    late = cs.overdue_steps(session, now=exec_deadline + 3 * DAY)
    assert [(o.consultation_id, o.kind, o.failure) for o in late] == [
        (cid, "execution", "决而不行")
    ]
    assert late[0].days_late == 3 and late[0].responsible == "街道城管科"
    listed = cs.list_consultations(session, now=exec_deadline + 3 * DAY)
    assert listed[0]["step"] == "execution" and listed[0]["overdue"] == ["execution"]

    # execution linked to the programme's project, then report-back
    projects = pd.DataFrame(
        {"community_id": [COMMUNITY], "kind": ["canteen"], "site": ["学院路西侧底商"]}
    )
    keys = cs.project_keys(projects)
    with pytest.raises(NotFoundError, match="project"):
        cs.link_execution(
            session, consultation_id=cid, link="project", ref="nope", by="staff1",
            now=t_close, projects=keys,
        )  # fmt: skip
    with pytest.raises(ConflictError, match="execution"):
        cs.report_back(session, consultation_id=cid, text="x", by="staff1", now=t_close)
    cs.link_execution(
        session, consultation_id=cid, link="project", ref=keys[0], by="staff1",
        now=t_close + DAY, projects=keys,
    )  # fmt: skip
    t_done = exec_deadline + 5 * DAY
    cs.complete_execution(
        session, consultation_id=cid, note="助餐点已建成开放", by="staff1", now=t_done
    )
    cs.report_back(
        session, consultation_id=cid, text="助餐点已于学院路西侧开放，欢迎就餐", by="staff1",
        now=t_done + DAY,
    )  # fmt: skip
    session.commit()
    assert cs.overdue_steps(session, now=t_done + DAY) == []
    final = cs.view_consultation(session, consultation_id=cid, now=t_done + DAY)
    assert all(s["done_at"] for s in final["steps"])
    assert final["steps"][4]["detail"]["ref"] == f"{COMMUNITY}:canteen:学院路西侧底商"
    assert cs.list_consultations(session, now=t_done + DAY)[0]["step"] == "closed"


def test_a_vote_stalled_before_the_result_is_yi_er_bu_jue(
    session: Session, options: list[OptionDraft]
) -> None:
    cid = cs.create_consultation(
        session, title="t", community_id=COMMUNITY, origin="topic", origin_ref="T1",
        options=options[:2], responsible="王主任", by="s", now=T0,
    )  # fmt: skip
    cs.post_notice(session, consultation_id=cid, text="公示", by="s", now=T0)
    late = cs.overdue_steps(session, now=T0 + 40 * DAY)
    assert [o.kind for o in late] == ["meeting", "vote", "result"]
    assert {o.failure for o in late} == {"议而不决"}
    assert late[0].days_late == 40 - 14  # meeting deadline: 2 + 7 + 5 days
    assert cs.overdue_steps(session, now=T0 + 40 * DAY, scope={"elsewhere"}) == []


def test_identifier_votes_pick_n_and_budget_and_proposals(
    session: Session, electors_csv: Path
) -> None:
    el.import_electors(session, path=electors_csv, secret=SECRET, now=T0)
    opts = [
        OptionDraft(title=t, cost=c) for t, c in [("健身角", 30.0), ("座椅", 20.0), ("凉亭", 60.0)]
    ]
    # a proposal must reach its threshold before it can start a consultation
    pid = pr.create_proposal(
        session, community_id=COMMUNITY, title="小广场改造", body="增加座椅和健身器材",
        threshold=2, secret=SECRET, now=T0, identifier=RESIDENTS[0].identifier,
    )  # fmt: skip
    session.commit()
    with pytest.raises(ConflictError, match="2 supports"):
        cs.create_consultation(
            session, title="小广场", community_id=COMMUNITY, origin="proposal",
            origin_ref=str(pid), options=opts, responsible="王", by="s", now=T0,
            method="budget", budget=60.0,
        )  # fmt: skip
    with pytest.raises(ConflictError, match="already supports"):
        pr.support_proposal(
            session, proposal_id=pid, secret=SECRET, now=T0, identifier=RESIDENTS[0].identifier
        )
    session.rollback()
    with pytest.raises(PermissionDeniedError, match="resident list"):
        pr.support_proposal(  # a resident of the neighbouring community
            session, proposal_id=pid, secret=SECRET, now=T0, identifier=RESIDENTS[6].identifier
        )
    n = pr.support_proposal(
        session, proposal_id=pid, secret=SECRET, now=T0, identifier=RESIDENTS[1].identifier
    )
    assert n == 2 and pr.list_proposals(session)[0]["reached"]
    cid = cs.create_consultation(
        session, title="小广场", community_id=COMMUNITY, origin="proposal",
        origin_ref=str(pid), options=opts, responsible="王", by="s", now=T0,
        method="budget", budget=60.0, verify="identifier", notice_days=1,
    )  # fmt: skip
    cs.post_notice(session, consultation_id=cid, text="公示", by="s", now=T0)
    cs.record_meeting(
        session, consultation_id=cid, held_at=T0 + DAY, attendance=5, attendees=[],
        minutes="纪要", by="s", now=T0 + DAY,
    )  # fmt: skip
    cs.open_vote(session, consultation_id=cid, closes_at=T0 + 5 * DAY, by="s", now=T0 + DAY)
    ids = [o["id"] for o in cs.view_consultation(session, consultation_id=cid, now=T0)["options"]]
    with pytest.raises(DataError, match="over the budget"):
        bl.cast_vote(
            session, consultation_id=cid, choices=[ids[0], ids[2]], secret=SECRET,
            now=T0 + DAY, identifier=RESIDENTS[0].identifier,
        )  # fmt: skip
    ballots = [[ids[0], ids[1]], [ids[2]], [ids[0]], [ids[0], ids[1]]]
    for r, b in zip(RESIDENTS[:4], ballots, strict=True):
        bl.cast_vote(
            session, consultation_id=cid, choices=b, secret=SECRET, now=T0 + DAY,
            identifier=r.identifier,
        )  # fmt: skip
    cs.close_vote(session, consultation_id=cid, by="s", now=T0 + 2 * DAY)
    result = cs.post_result(session, consultation_id=cid, by="s", now=T0 + 2 * DAY)
    # votes: 健身角 3, 座椅 2, 凉亭 1; funded by votes while money lasts: 30 + 20 = 50 <= 60,
    # 凉亭 (60) no longer fits
    assert [(c["label"], c["total"], c["chosen"]) for c in result["counts"]] == [
        ("A", 3, True),
        ("B", 2, True),
        ("C", 1, False),
    ]
    assert result["spent"] == 50.0
