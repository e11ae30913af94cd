"""确认/改派分类 (action ``recategorise``) through the HTTP API: roles, states, re-routing,
the staff-confirmed mark and the event history."""

from __future__ import annotations

from typing import Any


def _detail(api: Any, case_id: int) -> dict[str, Any]:
    r = api.get(f"/api/cases/{case_id}", "dispatcher")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_change_before_dispatch_reroutes_and_is_in_the_history(api: Any) -> None:
    c = api.submit()  # 路灯 -> proposed urban.municipal, city_management
    assert (c["category"], c["department"]) == ("urban.municipal", "city_management")
    cid = c["id"]
    before = _detail(api, cid)
    assert before["category_source"] == "proposed"
    assert "recategorise" in before["actions"]
    r = api.act(cid, "dispatcher", "recategorise", category="urban.property", note="物业负责")
    body = r.json()
    assert body["state"] == "submitted"
    assert body["category"] == "urban.property"
    assert body["department"] == "housing"  # urban.property's department in categories.toml
    assert body["category_source"] == "staff"
    assert body["proposed_category"] == "urban.municipal"  # the proposal is kept
    ev = body["events"][-1]
    assert ev["action"] == "recategorise"
    assert ev["from_state"] == ev["to_state"] == "submitted"
    assert ev["actor_role"] == "dispatcher"
    assert ev["note"] == (
        "分类 urban.municipal → urban.property; 承办部门 city_management → housing; 物业负责"
    )
    # Still a normal case afterwards: accept and dispatch to the new department.
    api.act(cid, "dispatcher", "accept")
    r = api.act(cid, "dispatcher", "dispatch", department="housing")
    assert r.json()["state"] == "dispatched"
    assert [e["action"] for e in r.json()["events"]] == [
        "submit",
        "recategorise",
        "accept",
        "dispatch",
    ]


def test_confirm_keeps_the_category_and_marks_it(api: Any) -> None:
    cid = api.submit()["id"]
    api.act(cid, "dispatcher", "accept")
    r = api.act(cid, "admin", "recategorise", category="urban.municipal")
    body = r.json()
    assert (body["category"], body["department"], body["state"]) == (
        "urban.municipal",
        "city_management",
        "accepted",
    )
    assert body["category_source"] == "staff"
    assert body["events"][-1]["note"] == "确认分类 urban.municipal"
    assert body["events"][-1]["actor_role"] == "admin"


def test_after_dispatch_the_department_stays(api: Any) -> None:
    cid = api.submit()["id"]
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "start")
    r = api.act(cid, "dispatcher", "recategorise", category="urban.construction")
    body = r.json()
    assert (body["category"], body["department"], body["state"]) == (
        "urban.construction",
        "city_management",
        "in_progress",
    )
    r = api.act(cid, "dispatcher", "recategorise", category="urban.property")
    assert r.json()["department"] == "city_management"  # not re-routed to housing
    assert r.json()["events"][-1]["note"] == "分类 urban.construction → urban.property"


def test_unknown_or_missing_category_is_refused_naming_the_field(api: Any) -> None:
    cid = api.submit()["id"]
    for kw in ({"category": "no.such"}, {"category": "urban"}, {}):
        r = api.act(cid, "dispatcher", "recategorise", expect=422, **kw)
        assert "category" in r.text
    body = _detail(api, cid)
    assert body["category"] == "urban.municipal" and body["category_source"] == "proposed"
    assert [e["action"] for e in body["events"]] == ["submit"]


def test_roles_other_than_dispatcher_and_admin_are_refused(api: Any) -> None:
    cid = api.submit(user="resident", phone="13800001111")["id"]
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "recategorise", category="urban.property", expect=403)
    api.act(cid, "gw_west1", "recategorise", category="urban.property", expect=403)
    api.act(cid, "resident", "recategorise", category="urban.property", expect=403)
    r = api.client.post(
        f"/api/cases/{cid}/actions", json={"action": "recategorise", "category": "urban.property"}
    )
    assert r.status_code == 404  # anonymous callers are not told the case exists
    assert _detail(api, cid)["category"] == "urban.municipal"
    assert "recategorise" not in api.get(f"/api/cases/{cid}", "city").json()["actions"]


def test_states(api: Any) -> None:
    # Closed and rejected cases may still be corrected (training labels); merged ones not.
    a = api.submit()["id"]
    b = api.submit(text="路灯坏了，和昨天反映的是同一个")["id"]
    api.act(b, "dispatcher", "merge", merged_into=a)
    api.act(b, "dispatcher", "recategorise", category="urban.property", expect=409)
    c = api.submit(text="咨询一下天气预报")["id"]
    api.act(c, "dispatcher", "reject", reason="不属于政务服务范围")
    r = api.act(c, "dispatcher", "recategorise", category="other.general")
    assert r.json()["state"] == "rejected" and r.json()["category_source"] == "staff"


def test_category_source_at_intake(api: Any) -> None:
    assert api.submit(category="urban.sanitation")["category"] == "urban.sanitation"
    cases = api.get("/api/cases", "dispatcher").json()
    assert [x["category_source"] for x in cases[:1]] == ["resident"]
