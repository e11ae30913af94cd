"""Deadlines, overdue list, escalation, extensions and measures through the API."""

from __future__ import annotations

from typing import Any


def test_deadlines_on_submission_follow_the_calendar(api: Any) -> None:
    # clock: Wed 2026-09-23 10:00 Beijing; urban.municipal = help profile (5 working days)
    c = api.submit()
    assert c["resolve_due"] == "2026-10-08T16:00:00Z"  # 24:00 of Thu 10-08, Beijing
    d = api.get(f"/api/cases/{c['id']}", "dispatcher").json()
    assert d["sign_due"] == "2026-09-23T04:00:00Z" and d["respond_due"] == "2026-09-24T02:00:00Z"


def test_overdue_list_escalation_and_extension(api: Any) -> None:
    a = api.submit()["id"]  # west-1, city_management
    b = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="电梯坏了")["id"]  # housing
    api.act(b, "dispatcher", "accept")
    api.clock.advance(hours=3)  # sign deadline (2 h) passed for a only
    over = api.get("/api/cases/overdue", "dispatcher").json()
    assert [o["id"] for o in over] == [a] and set(over[0]["missed"]) == {"sign"}
    assert over[0]["missed"]["sign"] == 1.0
    # the staff view shows the same (b was signed in time, its later deadlines are not due)
    assert api.get(f"/api/cases/{a}", "dispatcher").json()["overdue"] == {"sign": 1.0}
    assert api.get(f"/api/cases/{b}", "dispatcher").json()["overdue"] == {}
    assert api.get("/api/cases/overdue", "housing").json() == []
    assert [o["id"] for o in api.get("/api/cases/overdue", "city").json()] == [a]
    r = api.client.post("/api/cases/escalate", headers=api.h("dispatcher"))
    assert r.status_code == 200 and [(o["id"], o["escalation_level"]) for o in r.json()] == [(a, 1)]
    api.clock.advance(hours=24)  # +27 h: sign 25 h over, respond 3 h over (both cases)
    r = api.client.post("/api/cases/escalate", headers=api.h("dispatcher")).json()
    assert sorted((o["id"], o["escalation_level"]) for o in r) == [(a, 2), (b, 1)]
    # most late first, paged: a's sign deadline 25 h over, b's respond deadline 3 h over
    over = api.get("/api/cases/overdue", "dispatcher").json()
    assert [(o["id"], max(o["missed"].values())) for o in over] == [(a, 25.0), (b, 3.0)]
    assert [o["id"] for o in api.get("/api/cases/overdue", "dispatcher", limit=1).json()] == [a]
    page2 = api.get("/api/cases/overdue", "dispatcher", limit=1, offset=1).json()
    assert [o["id"] for o in page2] == [b] and page2[0]["missed"] == {"respond": 3.0}
    assert api.get("/api/cases/overdue", "dispatcher", offset=2).json() == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        r = api.client.get("/api/cases/overdue", params=bad, headers=api.h("dispatcher"))
        assert r.status_code == 422 and r.json()["field"] == next(iter(bad))
    ev = api.get(f"/api/cases/{a}", "dispatcher").json()["events"]
    assert [e["note"].split(" ")[0] for e in ev if e["action"] == "escalate"] == [
        "街道督办",
        "街道分管领导督办",
    ]
    # an extension needs a reason and moves the resolve deadline by working days
    r = api.client.post(
        f"/api/cases/{a}/extensions", json={"days": 2, "reason": " "}, headers=api.h("dispatcher")
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = api.client.post(
        f"/api/cases/{a}/extensions",
        json={"days": 2, "reason": "需协调供电"},
        headers=api.h("dispatcher"),
    )
    assert r.status_code == 200, r.text
    # 10-08 + 2 working days: 10-09 (Fri), 10-10 (make-up Saturday) -> 24:00 of 10-10
    assert r.json()["resolve_due"] == "2026-10-10T16:00:00Z"
    assert r.json()["extension_days"] == 2
    assert r.json()["events"][-1]["action"] == "extend"


def test_measures_api_by_department_and_grid(api: Any) -> None:
    # three cases on Wed 09-23 10:00; respond due +24 h; resolve due 10-08 24:00
    a = api.submit()["id"]  # city_management / west-1
    b = api.submit()["id"]  # city_management / west-1
    c = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="电梯坏了")["id"]  # housing
    for cid, dept, _user in (
        (a, "city_management", "city"),
        (b, "city_management", "city"),
        (c, "housing", "housing"),
    ):
        api.act(cid, "dispatcher", "accept")
        api.act(cid, "dispatcher", "dispatch", department=dept)
    api.clock.advance(hours=2)
    api.act(a, "city", "start")  # responded after 2 h (on time)
    api.act(a, "city", "resolve", note="好了")  # handling time 2 h
    api.client.post(
        f"/api/cases/{a}/actions",
        json={"action": "rate", "rating": "满意"},
        headers=api.h("dispatcher"),
    )
    api.clock.advance(hours=28)  # +30 h
    api.act(b, "city", "start")  # late response
    api.act(b, "city", "resolve", note="好了")  # handling time 30 h
    api.act(b, "dispatcher", "rate", rating="不满意")  # reopened
    api.clock.advance(days=30)  # c never responded: overdue at now; b reopened: new deadline
    rows = api.get(
        "/api/measures", "dispatcher", start="2026-09-01", end="2026-10-01", by="department"
    ).json()
    by = {r["department"]: r for r in rows}
    cm = by["city_management"]
    assert cm["cases"] == 2 and cm["responded_on_time"] == 1 and cm["response_rate"] == 0.5
    assert cm["solved"] == 1 and cm["resolution_rate"] == 0.5
    assert cm["rated"] == 2 and cm["satisfaction_rate"] == 0.5
    assert cm["avg_handling_hours"] == 2.0  # b was reopened: no current resolution
    hs = by["housing"]
    assert hs["cases"] == 1 and hs["response_rate"] == 0.0 and hs["overdue"] == 1
    assert hs["satisfaction_rate"] is None and hs["avg_handling_hours"] is None
    grid = api.get("/api/measures", "city", start="2026-09-01", end="2026-10-01", by="grid").json()
    assert {r["grid"]: r["cases"] for r in grid} == {"east-1": 1, "west-1": 2}
    bad = api.get("/api/measures", "city", start="2026-09-01", end="2026-08-01")
    assert bad.status_code == 422 and bad.json()["field"] == "end"
    bad = api.get("/api/measures", "city", start="yesterday", end="2026-08-01")
    assert bad.status_code == 422 and bad.json()["field"] == "start"


def test_a_finished_case_shows_no_overdue_deadline(api: Any) -> None:
    """Resolved late, or rejected without ever being signed: the staff view and the overdue
    list stop counting them."""
    done = api.submit()["id"]
    dropped = api.submit()["id"]
    api.clock.advance(days=30)  # every deadline passed
    assert set(api.get(f"/api/cases/{dropped}", "dispatcher").json()["overdue"]) == {
        "sign",
        "respond",
        "resolve",
    }
    api.act(done, "dispatcher", "accept")
    api.act(done, "dispatcher", "dispatch", department="city_management")
    api.act(done, "city", "start")
    api.act(done, "city", "resolve", note="已处理")
    api.act(dropped, "dispatcher", "reject", reason="不属于政务服务范围")
    for cid in (done, dropped):
        assert api.get(f"/api/cases/{cid}", "dispatcher").json()["overdue"] == {}
    assert api.get("/api/cases/overdue", "dispatcher").json() == []


def test_the_queue_filters_by_category_and_overdue(api: Any) -> None:
    a = api.submit()["id"]  # west-1, city_management
    b = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="电梯坏了")["id"]  # housing
    api.act(b, "dispatcher", "accept")
    cat_a = api.get(f"/api/cases/{a}", "dispatcher").json()["category"]
    cat_b = api.get(f"/api/cases/{b}", "dispatcher").json()["category"]
    assert cat_a != cat_b
    assert [c["id"] for c in api.get("/api/cases", "dispatcher", category=cat_b).json()] == [b]
    assert api.get("/api/cases", "dispatcher", overdue="true").json() == []  # nothing due yet
    api.clock.advance(hours=3)  # a's sign deadline (2 h) passed; b was signed in time
    over = api.get("/api/cases", "dispatcher", overdue="true").json()
    assert [c["id"] for c in over] == [a] and over[0]["overdue"] == {"sign": 1.0}
    # the same cases as the overdue list, in the caller's scope only
    assert {o["id"] for o in api.get("/api/cases/overdue", "dispatcher").json()} == {a}
    assert api.get("/api/cases", "housing", overdue="true").json() == []
    assert api.get("/api/cases", "dispatcher", overdue="true", category=cat_b).json() == []
    r = api.client.get("/api/cases?category=no.such", headers=api.h("dispatcher"))
    assert r.status_code == 422 and r.json()["field"] == "category"


def test_the_overdue_queue_and_the_overdue_list_agree(api: Any) -> None:
    """``GET /api/cases?overdue=true`` (newest first) and ``GET /api/cases/overdue`` (most
    late first) hold the same cases with the same missed deadlines, for every staff role, on
    cases in every kind of state, walked in pages of 2."""
    west = [api.submit()["id"] for _ in range(4)]  # city_management
    east = [
        api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="电梯坏了")["id"] for _ in range(4)
    ]
    for cid in (west[1], west[2], west[3], east[1], east[2]):
        api.act(cid, "dispatcher", "accept")
    api.act(west[2], "dispatcher", "dispatch", department="city_management")
    api.act(west[3], "dispatcher", "dispatch", department="city_management")
    api.act(west[3], "city", "start")
    api.clock.advance(hours=3)  # the unsigned ones are late now
    api.act(east[3], "dispatcher", "reject", reason="不属于政务服务范围")  # late, then rejected
    api.act(west[3], "city", "resolve", note="已处理")
    api.clock.advance(days=20)  # every open case is past a deadline now
    seen = set()
    for user in ("dispatcher", "admin", "city", "housing", "gw_west1", "gw_east1"):
        queue: dict[int, dict[str, float]] = {}
        listed: dict[int, dict[str, float]] = {}
        for offset in range(0, 20, 2):
            page = api.get("/api/cases", user, overdue="true", limit=2, offset=offset).json()
            queue |= {c["id"]: c["overdue"] for c in page}
            late = api.get("/api/cases/overdue", user, limit=2, offset=offset).json()
            listed |= {o["id"]: o["missed"] for o in late}
        assert queue == listed, user
        seen |= set(listed)
    assert seen == {*west[:3], *east[:3]}  # not the rejected nor the resolved one
