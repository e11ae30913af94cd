"""Every state path through the HTTP API; the state always equals the latest event's target."""

from __future__ import annotations

from typing import Any


def _events(api: Any, case_id: int) -> list[dict[str, Any]]:
    r = api.get(f"/api/cases/{case_id}", "dispatcher")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == body["events"][-1]["to_state"]
    for a, b in zip(body["events"], body["events"][1:], strict=False):
        if b["action"] not in ("escalate", "extend"):
            assert b["from_state"] == a["to_state"]
    return list(body["events"])


def test_happy_path_submit_to_closed(api: Any) -> None:
    c = api.submit()
    assert c["state"] == "submitted"
    assert c["category"] == "urban.municipal"  # proposed from 路灯
    assert c["department"] == "city_management" and c["grid"] == "west-1"
    cid = c["id"]
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "start")
    r = api.act(cid, "city", "resolve", note="已更换灯泡")
    assert r.json()["state"] == "resolved"
    r = api.client.post(f"/api/track/{c['tracking_code']}/rating", json={"rating": "满意"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed"
    actions = [e["action"] for e in _events(api, cid)]
    assert actions == ["submit", "accept", "dispatch", "start", "resolve", "rate"]


def test_return_and_redispatch(api: Any) -> None:
    cid = api.submit()["id"]
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="housing")
    api.act(cid, "housing", "return", expect=422)  # a return needs a reason
    r = api.act(cid, "housing", "return", reason="不属于本部门职责")
    assert r.json()["state"] == "returned"
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "start")
    ev = _events(api, cid)
    assert [e["to_state"] for e in ev] == [
        "submitted",
        "accepted",
        "dispatched",
        "returned",
        "dispatched",
        "in_progress",
    ]
    assert ev[3]["note"] == "不属于本部门职责"


def test_merge_and_reject(api: Any) -> None:
    a = api.submit()["id"]
    b = api.submit(text="路灯坏了，和昨天反映的是同一个")["id"]
    r = api.act(b, "dispatcher", "merge", merged_into=a)
    assert r.json()["state"] == "merged" and r.json()["merged_into"] == a
    api.act(b, "dispatcher", "merge", merged_into=a, expect=409)  # final state
    c = api.submit(text="咨询一下天气预报")["id"]
    api.act(c, "dispatcher", "reject", expect=422)
    r = api.act(c, "dispatcher", "reject", reason="不属于政务服务范围")
    assert r.json()["state"] == "rejected"
    api.act(c, "dispatcher", "accept", expect=409)


def test_dissatisfied_reopens_once_then_goes_to_dispatcher(api: Any) -> None:
    c = api.submit()
    cid, code = c["id"], c["tracking_code"]
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "start")
    api.act(cid, "city", "resolve", note="已处理")
    r = api.client.post(f"/api/track/{code}/rating", json={"rating": "不满意", "note": "还是不亮"})
    assert r.json()["state"] == "reopened"
    detail = api.get(f"/api/cases/{cid}", "dispatcher").json()
    assert detail["reopen_count"] == 1 and detail["resolved_at"] is None
    api.act(cid, "city", "start")
    api.act(cid, "city", "resolve", note="已更换整套灯具")
    r = api.client.post(f"/api/track/{code}/rating", json={"rating": "不满意"})
    assert r.json()["state"] == "disputed"
    # The dispatcher decides: close with a note (or re-dispatch / reopen).
    r = api.act(cid, "dispatcher", "close", note="经现场核实已解决，做好解释")
    assert r.json()["state"] == "closed" and r.json()["rating"] == "不满意"
    _events(api, cid)


def test_manual_reopen_by_dispatcher(api: Any) -> None:
    c = api.submit()
    cid = c["id"]
    for user, action, kw in [
        ("dispatcher", "accept", {}),
        ("dispatcher", "dispatch", {"department": "city_management"}),
        ("city", "start", {}),
        ("city", "resolve", {"note": "ok"}),
        ("dispatcher", "rate", {"rating": "基本满意"}),
    ]:
        api.act(cid, user, action, **kw)
    r = api.act(cid, "dispatcher", "reopen", reason="回访发现问题复发")
    assert r.json()["state"] == "reopened"


def test_illegal_transitions_are_409_and_change_nothing(api: Any) -> None:
    cid = api.submit()["id"]
    for action, kw in [
        ("start", {}),
        ("resolve", {"note": "x"}),
        ("close", {"note": "x"}),
        ("reopen", {"reason": "x"}),
        ("rate", {"rating": "满意"}),
    ]:
        r = api.act(cid, "dispatcher", action, expect=409, **kw)
        assert r.json()["error"] == "ConflictError" and r.json()["field"] == "action"
    r = api.act(cid, "dispatcher", "fly", expect=409)
    ev = _events(api, cid)
    assert len(ev) == 1 and ev[0]["to_state"] == "submitted"


def test_tracking_view_hides_identity(api: Any) -> None:
    c = api.submit(
        name="李四",
        phone="13912345678",
        id_number="11010519491231002X",
        text="楼道灯坏了，联系我13912345678",
    )
    r = api.client.get(f"/api/track/{c['tracking_code']}")
    assert r.status_code == 200
    raw = r.text
    for secret in ("李四", "13912345678", "11010519491231002X"):
        assert secret not in raw
    assert "联系我〔手机号〕" in r.json()["text"]
    assert api.client.get("/api/track/NOSUCHCODE00").status_code == 404


def test_duplicate_candidates_then_merge(api: Any) -> None:
    a = api.submit(lon=116.3500, lat=40.0050)["id"]
    b = api.submit(lon=116.3510, lat=40.0050)["id"]  # 85 m east, same category
    api.submit(lon=116.3600, lat=40.0050)  # 850 m away
    api.submit(lon=116.3500, lat=40.0051, text="电梯坏了")  # same place, other problem
    # Same problem in other words, filed under another category by the resident: still found.
    c = api.submit(
        lon=116.3502,
        lat=40.0050,
        text="小区门口路灯坏了，晚上很黑，走路不安全",
        category="urban.safety",
    )["id"]
    api.clock.advance(days=40)
    api.submit(lon=116.3500, lat=40.0050)  # same text, 40 days later: outside the window
    r = api.get(f"/api/cases/{a}/duplicates", "dispatcher")
    assert r.status_code == 200, r.text
    got = r.json()
    assert [d["id"] for d in got] == [b, c]  # ranked by similarity
    assert 84 < got[0]["distance_m"] < 86 and got[0]["similarity"] == 1.0
    assert 0.2 <= got[1]["similarity"] < 1.0 and got[1]["category"] == "urban.safety"
    assert any("路灯" in p for p in got[1]["matched_phrases"])
    # Parameters override the settings' defaults.
    near = api.get(f"/api/cases/{a}/duplicates", "dispatcher", radius_m=50).json()
    assert [d["id"] for d in near] == [c]
    assert api.get(f"/api/cases/{a}/duplicates", "city").status_code == 403
    api.act(b, "dispatcher", "merge", merged_into=a)
    assert [d["id"] for d in api.get(f"/api/cases/{a}/duplicates", "dispatcher").json()] == [c]
    api.act(c, "dispatcher", "merge", merged_into=a)
    assert api.get(f"/api/cases/{a}/duplicates", "dispatcher").json() == []


def test_merge_links_the_cases_and_tells_both_residents(api: Any) -> None:
    first = api.submit(lon=116.3500, lat=40.0050)
    second = api.submit(lon=116.3501, lat=40.0050, text="小区门口路灯坏了，晚上很黑")
    api.act(second["id"], "dispatcher", "merge", merged_into=first["id"])
    staff = api.get(f"/api/cases/{second['id']}", "dispatcher").json()
    assert staff["state"] == "merged" and staff["merged_into"] == first["id"]
    # Nothing on the pages until the outbox is delivered (the service does it on its timer).
    assert api.client.get(f"/api/track/{first['tracking_code']}").json()["notices"] == []
    r = api.client.post("/api/proactive/outbox/deliver", headers=api.h("admin"))
    assert r.status_code == 200 and r.json()["sent"] == 2, r.text
    merged = api.client.get(f"/api/track/{second['tracking_code']}").json()
    kept = api.client.get(f"/api/track/{first['tracking_code']}").json()
    assert [n["subject"] for n in merged["notices"]] == ["您的诉求已合并办理"]
    assert f"第{first['id']}号" in merged["notices"][0]["body"]
    assert [n["subject"] for n in kept["notices"]] == ["有居民反映了同一问题"]
    # Neither page learns the other resident's tracking code.
    assert first["tracking_code"] not in str(merged) and second["tracking_code"] not in str(kept)
    # A second delivery pass sends nothing again.
    assert (
        api.client.post("/api/proactive/outbox/deliver", headers=api.h("admin")).json()["sent"] == 0
    )


def _jpeg(color: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="JPEG")
    return out.getvalue()


def test_handler_attaches_after_photos_when_resolving(api: Any) -> None:
    """办结照片: the handler in scope attaches them; staff and the resident see them apart from
    the resident's own photos; outside the states of handling, out of scope or as a resident
    they are refused."""
    c = api.submit()
    cid, code = c["id"], c["tracking_code"]
    files = [("photos", ("after.jpg", _jpeg((10, 200, 10)), "image/jpeg"))]

    def post(user: str, expect: int) -> dict[str, Any]:
        r = api.client.post(f"/api/cases/{cid}/photos", files=files, headers=api.h(user))
        assert r.status_code == expect, r.text
        return dict(r.json())

    post("dispatcher", 409)  # submitted: nothing is being handled yet
    api.act(cid, "dispatcher", "accept")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    api.act(cid, "city", "start")
    post("housing", 404)  # another department: the case is not theirs
    post("resident", 403)
    body = post("city", 200)
    assert body["photos"] == [] and len(body["after_photos"]) == 1
    assert body["events"][-1]["action"] == "photo"
    assert body["state"] == "in_progress"
    api.act(cid, "city", "resolve", note="已更换灯泡")
    photo = api.client.get(body["after_photos"][0], headers=api.h("city"))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    public = api.client.get(f"/api/track/{code}").json()
    assert public["photos"] == [] and len(public["after_photos"]) == 1
    shown = api.client.get(public["after_photos"][0])
    assert shown.status_code == 200 and shown.content == photo.content
    # at most six photos of the handler per case
    files = [("photos", (f"{i}.jpg", _jpeg((i, 0, 0)), "image/jpeg")) for i in range(6)]
    post("city", 409)


def test_dispatch_chooses_the_grid(api: Any) -> None:
    """派单 to a grid: its grid worker sees the case, the other grid's does not; the console
    offers the grids (with their community) from the vocabulary."""
    vocab = api.client.get("/api/ui/vocabulary").json()
    grids = {g["key"]: g for g in vocab["grids"]}
    assert grids["east-1"]["name"] == "东区第一网格" and grids["east-1"]["community"] == "东区社区"
    cid = api.submit()["id"]  # pinned in west-1
    api.act(cid, "dispatcher", "accept")
    r = api.act(cid, "dispatcher", "dispatch", department="city_management", grid="east-1")
    assert r.json()["grid"] == "east-1"
    assert api.get(f"/api/cases/{cid}", "gw_east1").status_code == 200
    assert api.get(f"/api/cases/{cid}", "gw_west1").status_code == 404
    other = api.submit()["id"]
    api.act(other, "dispatcher", "accept")
    r = api.act(other, "dispatcher", "dispatch", department="city_management", grid="x", expect=422)
    assert "grid" in r.text


def test_next_due_follows_what_has_happened(api: Any) -> None:
    """The deadline a case runs against comes from the service: sign until accepted, respond
    until handling starts (a re-dispatch after a return keeps the response met), resolve until
    resolved, none after."""
    cid = api.submit()["id"]

    def due() -> str | None:
        return api.get(f"/api/cases/{cid}", "dispatcher").json()["next_due"]

    assert due() == "sign"
    api.act(cid, "dispatcher", "accept")
    assert due() == "respond"
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    assert due() == "respond"
    api.act(cid, "city", "start")
    assert due() == "resolve"
    api.act(cid, "city", "return", reason="需要城管执法配合")
    api.act(cid, "dispatcher", "dispatch", department="city_management")
    assert due() == "resolve"  # it was responded to once: the clock is the resolve deadline
    api.act(cid, "city", "start")
    api.act(cid, "city", "resolve", note="已修复")
    assert due() is None
