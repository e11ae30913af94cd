"""议事协商 API on SQLite and PostgreSQL: a consultation run through the HTTP API, and who may
call what — every staff endpoint refused to anonymous callers, residents' accounts, handlers
and a grid worker of another community; no answer carries a voter's identity."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from consultdata import RESIDENTS
from sqlalchemy import select

from wanzheng.cases.store import make_engine, make_sessionmaker
from wanzheng.proactive.models import OutboxRow

DAY = dt.timedelta(days=1)
COMMUNITY = "west"  # the community of grid west-1 (cases/routing.toml)


def _residents_csv() -> bytes:
    lines = ["身份证号,手机号"] + [f"{r.identifier},{r.phone}" for r in RESIDENTS[:5]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _body(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "西区小广场改造方案",
        "community_id": COMMUNITY,
        "community_name": "西区",
        "origin": "topic",
        "origin_ref": "topic-3",
        "evidence": {"heat": 14.2, "cases": 9},
        "method": "majority",
        "verify": "identifier",
        "notice_days": 7,
        "responsible": {"all": "王主任"},
        "options": [
            {"title": "增设健身器材", "cost": 30000},
            {"title": "增设休息座椅和凉亭", "cost": 50000},
        ],
    }
    return {**body, **kw}


def _load(api: Any, user: str = "admin") -> Any:
    return api.client.post(
        "/api/consult/electors",
        files={"file": ("residents.csv", _residents_csv(), "text/csv")},
        data={"community_id": COMMUNITY},
        headers=api.h(user),
    )


MEETING = {"held_at": "2026-10-30T02:00:00Z", "attendance": 3, "minutes": "纪要"}
PAPER = {"booth": "1", "ballots": 1, "invalid": 0, "counts": {}}
STAFF_CALLS = [
    ("get", "/api/consult/staff/consultations", None),
    ("get", "/api/consult/staff/overdue", None),
    ("get", "/api/consult/staff/consultations/{id}", None),
    ("post", "/api/consult/consultations", "create"),
    ("post", "/api/consult/consultations/{id}/notice", {"text": "公示"}),
    ("post", "/api/consult/consultations/{id}/meeting", MEETING),
    ("post", "/api/consult/consultations/{id}/open", {"closes_at": "2026-12-30T02:00:00Z"}),
    ("post", "/api/consult/consultations/{id}/close", None),
    ("post", "/api/consult/consultations/{id}/paper", PAPER),
    ("post", "/api/consult/consultations/{id}/paper/confirm", {"booth": "1"}),
    ("post", "/api/consult/consultations/{id}/result", {"note": ""}),
    ("post", "/api/consult/consultations/{id}/execution", {"link": "case", "ref": "X"}),
    ("post", "/api/consult/consultations/{id}/execution/done", {"note": ""}),
    ("post", "/api/consult/consultations/{id}/report-back", {"text": "反馈"}),
]  # fmt: skip


def _call(api: Any, method: str, path: str, body: Any, user: str | None, cid: int) -> Any:
    url = path.replace("{id}", str(cid))
    if body == "create":
        body = _body()
    if method == "get":
        return api.client.get(url, headers=api.h(user))
    return api.client.post(url, json=body or {}, headers=api.h(user))


def test_who_may_call_the_staff_endpoints(api: Any) -> None:
    r = api.client.post("/api/consult/consultations", json=_body(), headers=api.h("gw_west1"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for method, path, body in STAFF_CALLS:
        assert _call(api, method, path, body, None, cid).status_code == 401, path
        for user in ("resident", "city"):  # a resident's account, a department handler
            assert _call(api, method, path, body, user, cid).status_code == 403, (path, user)
        if "{id}" in path or body == "create":
            # a grid worker of another community
            assert _call(api, method, path, body, "gw_east1", cid).status_code == 403, path
    # the resident list: administrators only
    assert _load(api, "dispatcher").status_code == 403
    assert _load(api, "gw_west1").status_code == 403
    assert api.client.post("/api/consult/electors").status_code == 401
    # lists are scoped: the east grid worker sees nothing of the west
    assert api.get("/api/consult/staff/consultations", "gw_east1").json() == []
    assert [c["id"] for c in api.get("/api/consult/staff/consultations", "gw_west1").json()] == [
        cid
    ]


def test_a_consultation_through_the_api(api: Any) -> None:
    assert _load(api).json() == {"electors": 5, "communities": 1, "removed": 0}
    r = api.client.post("/api/consult/consultations", json=_body(), headers=api.h("gw_west1"))
    cid = r.json()["id"]
    # not public before the notice
    assert api.get(f"/api/consult/consultations/{cid}").status_code == 404
    assert api.get("/api/consult/consultations").json() == []
    r = api.client.post(
        f"/api/consult/consultations/{cid}/notice",
        json={"text": "公示两种方案"},
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 200, r.text
    assert [c["id"] for c in api.get("/api/consult/consultations").json()] == [cid]
    view = api.get(f"/api/consult/consultations/{cid}").json()
    a_id, b_id = (o["id"] for o in view["options"])
    api.clock.advance(days=8)
    held = (api.clock.t - DAY).isoformat()
    r = api.client.post(
        f"/api/consult/consultations/{cid}/meeting",
        json={
            "held_at": held,
            "attendance": 17,
            "attendees": ["居民代表甲"],
            "minutes": "同意投票",
        },
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 204, r.text
    closes = (api.clock.t + 5 * DAY).isoformat()
    r = api.client.post(
        f"/api/consult/consultations/{cid}/open",
        json={"closes_at": closes},
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 204, r.text

    # residents vote with the ID number on the list; one vote each
    receipts = []
    for r_, choice in zip(RESIDENTS[:3], [a_id, b_id, b_id], strict=True):
        r = api.client.post(
            f"/api/consult/consultations/{cid}/vote",
            json={"choices": [choice], "identifier": r_.identifier},
        )
        assert r.status_code == 201, r.text
        receipts.append(r.json()["receipt"])
    r = api.client.post(
        f"/api/consult/consultations/{cid}/vote",
        json={"choices": [a_id], "identifier": RESIDENTS[0].identifier},
    )
    assert r.status_code == 409 and "already voted" in r.json()["detail"]
    r = api.client.post(  # not on the list (a resident of another community)
        f"/api/consult/consultations/{cid}/vote",
        json={"choices": [a_id], "identifier": RESIDENTS[6].identifier},
    )
    assert r.status_code == 403
    # a voter reads their own ballot; a guessed receipt reads nothing
    r = api.client.post(f"/api/consult/consultations/{cid}/receipt", json={"receipt": receipts[1]})
    assert r.json() == {"choices": ["B"]}
    r = api.client.post(f"/api/consult/consultations/{cid}/receipt", json={"receipt": "x" * 16})
    assert r.status_code == 404

    # a one-time code goes to a listed phone only, and the answer is the same
    for r_ in (RESIDENTS[3], RESIDENTS[6]):
        r = api.client.post(
            "/api/consult/code", json={"community_id": COMMUNITY, "phone": r_.phone}
        )
        assert r.status_code == 202
    engine = make_engine(api.url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        sent = s.scalars(select(OutboxRow).where(OutboxRow.subject == "consult-vote")).all()
    engine.dispose()
    assert [m.recipient for m in sent] == [RESIDENTS[3].phone]
    code = re.search(r"(\d{6})", sent[0].body)
    assert code is not None

    # paper: entered by one, confirmed by another
    r = api.client.post(
        f"/api/consult/consultations/{cid}/paper",
        json={
            "booth": "社区服务站",
            "ballots": 6,
            "invalid": 0,
            "counts": {str(a_id): 4, str(b_id): 2},
        },
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 204, r.text
    r = api.client.post(
        f"/api/consult/consultations/{cid}/paper/confirm",
        json={"booth": "社区服务站"},
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 403 and "second person" in r.json()["detail"]
    r = api.client.post(
        f"/api/consult/consultations/{cid}/paper/confirm",
        json={"booth": "社区服务站"},
        headers=api.h("dispatcher"),
    )
    assert r.status_code == 204
    assert (
        api.client.post(
            f"/api/consult/consultations/{cid}/close", headers=api.h("gw_west1")
        ).status_code
        == 204
    )
    r = api.client.post(
        f"/api/consult/consultations/{cid}/result", json={}, headers=api.h("gw_west1")
    )
    assert r.status_code == 200, r.text
    counts = {c["label"]: (c["online"], c["paper"], c["chosen"]) for c in r.json()["counts"]}
    assert counts == {"A": (1, 4, True), "B": (2, 2, False)}

    # execution linked to a case of the desk, then the report-back
    case = api.submit(text="西区小广场健身器材安装", lon=api.WEST_1[0], lat=api.WEST_1[1])
    r = api.client.post(
        f"/api/consult/consultations/{cid}/execution",
        json={"link": "case", "ref": case["tracking_code"]},
        headers=api.h("gw_west1"),
    )
    assert r.status_code == 204, r.text
    # the execution stalls: overdue, seen by the staff of the community only
    api.clock.advance(days=200)
    late = api.get("/api/consult/staff/overdue", "dispatcher").json()
    assert [(o["kind"], o["failure"]) for o in late][:1] == [("execution", "决而不行")]
    assert api.get("/api/consult/staff/overdue", "gw_east1").json() == []
    for path, body in [("execution/done", {"note": "已安装"}), ("report-back", {"text": "已完工"})]:
        r = api.client.post(
            f"/api/consult/consultations/{cid}/{path}", json=body, headers=api.h("gw_west1")
        )
        assert r.status_code == 204, r.text

    # nothing anyone can read names a voter
    answers = [
        api.get(f"/api/consult/consultations/{cid}").text,
        api.get("/api/consult/consultations").text,
        api.get(f"/api/consult/staff/consultations/{cid}", "admin").text,
        api.get("/api/consult/staff/consultations", "admin").text,
    ]
    for text in answers:
        for r_ in RESIDENTS:
            assert r_.identifier not in text and r_.phone not in text
    public = api.get(f"/api/consult/consultations/{cid}").json()
    assert "居民代表甲" not in str(public) and public["result"]["chosen"] == [a_id]


def test_wrong_identifiers_are_throttled(api: Any) -> None:
    _load(api)
    statuses = []
    for _ in range(12):
        r = api.client.post(
            "/api/consult/proposals",
            json={
                "community_id": COMMUNITY, "title": "提议", "body": "内容",
                "identifier": RESIDENTS[6].identifier,
            },
        )  # fmt: skip
        statuses.append(r.status_code)
    assert statuses[0] == 403 and statuses[-1] == 429


@pytest.mark.parametrize("user", [None, "resident"])
def test_residents_file_and_support_proposals(api: Any, user: str | None) -> None:
    _load(api)
    r = api.client.post(
        "/api/consult/proposals",
        json={
            "community_id": COMMUNITY, "title": "加装电梯", "body": "老楼加装电梯",
            "identifier": RESIDENTS[0].identifier,
        },
        headers=api.h(user),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = api.client.post(
        f"/api/consult/proposals/{pid}/support", json={"identifier": RESIDENTS[1].identifier}
    )
    assert r.json() == {"supports": 2}
    listed = api.get("/api/consult/proposals", community_id=COMMUNITY).json()
    assert [(p["id"], p["supports"], p["reached"]) for p in listed] == [(pid, 2, False)]
    assert RESIDENTS[0].identifier not in str(listed)
