"""双报到 over HTTP: a volunteer proves the registered phone, is matched to a task by walking
distance, checks in and out with the codes the case's resident receives by SMS, the case
resolves and the hours appear in the unit's quarterly report (JSON, XLSX, HTML); and every
endpoint of ``/api/volunteers`` against every role, with no volunteer's contact leaking."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
from volunteerfixtures import T, hand_network

from wanzheng.volunteer.matching import WalkingMatcher

VOL_PHONE, OTHER_PHONE, RESIDENT_PHONE = "13700000001", "13700000002", "13900002222"
UNIT = "海淀区某研究院"


def _sms(tmp_path: Path, phone: str) -> str:
    """The body of the last SMS the default sender wrote to ``phone``."""
    path = tmp_path / "sms" / "outbox.jsonl"
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return str([m for m in lines if m["recipient"] == phone][-1]["body"])


def _account(api: Any, name: str) -> dict[str, str]:
    r = api.client.post("/api/auth/register", json={"username": name, "password": "long pw 1234"})
    assert r.status_code == 201, r.text
    r = api.client.post("/api/auth/token", json={"username": name, "password": "long pw 1234"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _setup(api: Any) -> dict[str, Any]:
    """Two registered volunteers (east-1, west-1), a dispatched case in east-1 offered as a
    task, the volunteer's account with its phone proven."""
    api.client.app.state.volunteer_matcher = WalkingMatcher.from_network(hand_network())
    d = api.h("dispatcher")
    ids = {}
    for key, phone, grid, community in [
        ("east", VOL_PHONE, "east-1", "east"),
        ("west", OTHER_PHONE, "west-1", "west"),
    ]:
        r = api.client.post(
            "/api/volunteers/registry",
            headers=d,
            json={
                "name": "李红梅" if key == "east" else "张建国",
                "phone": phone,
                "kind": "party_member",
                "community": community,
                "grid": grid,
                "unit": UNIT,
                "skills": ["elderly_help"],
                "slots": [{"day": 3, "start": "08:00", "end": "12:00"}],
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["phone"] == f"{phone[:3]}****{phone[-4:]}"
        ids[key] = r.json()["id"]
    c = api.submit(
        text="楼上独居老人想请人帮忙买菜",
        lon=T[0],
        lat=T[1],
        phone=RESIDENT_PHONE,
        category="civil_affairs.elderly",
    )
    api.act(c["id"], "dispatcher", "accept")
    api.act(c["id"], "dispatcher", "dispatch", department="civil_affairs")
    # Wednesday 11:00-12:00 Beijing (the clock starts at 10:00)
    r = api.client.post(
        "/api/volunteers/tasks",
        headers=d,
        json={
            "case_id": c["id"],
            "starts_at": "2026-09-23T11:00:00+08:00",
            "ends_at": "2026-09-23T12:00:00+08:00",
            "skill": "elderly_help",
            "title": "帮独居老人买菜",
        },
    )
    assert r.status_code == 201, r.text
    return {"case": c["id"], "task": r.json()["id"], "vol": ids["east"], "west": ids["west"]}


def test_matched_checked_in_resolved_and_reported(api: Any, tmp_path: Path) -> None:
    s = _setup(api)
    task, vol = s["task"], s["vol"]
    # nearest first by walking distance from the home grids (550 m and 750 m on the network)
    r = api.get(f"/api/volunteers/tasks/{task}/matches", "dispatcher")
    assert [(m["volunteer_id"], m["distance_m"]) for m in r.json()] == [
        (vol, 550.0),
        (s["west"], 750.0),
    ]

    # the volunteer's account proves the registered phone, then sees the task near home
    me = _account(api, "li_hongmei")
    assert api.client.get("/api/volunteers/me", headers=me).status_code == 404
    api.client.post("/api/auth/phone/code", json={"phone": VOL_PHONE}, headers=me)
    code = _sms(tmp_path, VOL_PHONE).split("验证码为 ")[1][:6]
    r = api.client.post(
        "/api/auth/phone/verify", json={"phone": VOL_PHONE, "code": code}, headers=me
    )
    assert r.status_code == 200, r.text
    assert api.client.get("/api/volunteers/me", headers=me).json()["phone"] == VOL_PHONE
    (near,) = api.client.get("/api/volunteers/me/tasks", headers=me).json()
    assert (near["id"], near["distance_m"], near["address"]) == (task, 550.0, None)
    r = api.client.post(f"/api/volunteers/tasks/{task}/claim", headers=me)
    assert r.status_code == 200 and r.json()["state"] == "claimed"

    # the grid worker asks for the check-in code: it reaches the case's resident by SMS
    api.clock.advance(hours=1)
    r = api.client.post(
        f"/api/volunteers/tasks/{task}/codes", json={"step": "checkin"}, headers=api.h("gw_east1")
    )
    assert r.status_code == 200 and r.json()["sms_to_resident"], r.text
    code = r.json()["code"]
    assert f"签到码 {code}" in _sms(tmp_path, RESIDENT_PHONE)
    r = api.client.post(
        f"/api/volunteers/tasks/{task}/checkin", json={"code": "12345x"}, headers=me
    )
    assert r.status_code == 422 and r.json()["field"] == "code"
    r = api.client.post(f"/api/volunteers/tasks/{task}/checkin", json={"code": code}, headers=me)
    assert r.status_code == 200 and r.json()["state"] == "in_progress", r.text
    assert api.get(f"/api/cases/{s['case']}", "dispatcher").json()["state"] == "in_progress"

    api.clock.advance(hours=0.75)
    code = api.client.post(
        f"/api/volunteers/tasks/{task}/codes",
        json={"step": "checkout"},
        headers=api.h("dispatcher"),
    ).json()["code"]
    r = api.client.post(
        f"/api/volunteers/tasks/{task}/checkout",
        json={"code": code, "done": True, "note": "菜已送到"},
        headers=me,
    )
    assert r.status_code == 200 and r.json()["minutes"] == 45, r.text
    assert api.get(f"/api/cases/{s['case']}", "dispatcher").json()["state"] == "resolved"

    # the unit's quarterly report: JSON, XLSX (text cells as text), print-ready HTML
    rows = api.get("/api/volunteers/reports/units", "dispatcher", quarter="2026Q3").json()
    assert [(x["name"], x["tasks"], x["hours"]) for x in rows] == [
        ("张建国", 0, 0.0),
        ("李红梅", 1, 0.75),
    ]
    r = api.get("/api/volunteers/reports/units", "admin", quarter="2026Q3", format="xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", UNIT]
    values = [[c.value for c in row] for row in wb[UNIT].iter_rows(min_row=3)]
    assert [v[1] for v in values] == ["张建国", "李红梅"] and values[1][7] == 0.75
    html = api.get(
        "/api/volunteers/reports/units", "dispatcher", quarter="2026Q3", format="html"
    ).text
    assert UNIT in html and "服务时长合计 0.75 小时" in html and VOL_PHONE not in html
    record = api.client.get(f"/api/volunteers/registry/{vol}/record", headers=me).json()
    assert record["total_minutes"] == 45 and record["entries"][0]["outcome"] == "菜已送到"


# endpoint -> users that pass authorisation ("vol" = the volunteer's own resident account,
# "plain" = a resident account that is no volunteer); others get 401/403/404
MATRIX: list[tuple[str, str, Any, set[str | None]]] = [
    (
        "GET",
        "/api/volunteers/skills",
        None,
        {"vol", "plain", "gw_east1", "gw_west1", "dispatcher", "admin"},
    ),
    ("GET", "/api/volunteers/me", None, {"vol"}),
    ("GET", "/api/volunteers/me/tasks", None, {"vol"}),
    ("GET", "/api/volunteers/me/claims", None, {"vol"}),
    ("PATCH", "/api/volunteers/me", {"skills": ["elderly_help", "visit"]}, {"vol"}),
    ("GET", "/api/volunteers/registry", None, {"gw_east1", "gw_west1", "dispatcher", "admin"}),
    ("POST", "/api/volunteers/registry", "register", {"gw_east1", "dispatcher", "admin"}),
    ("GET", "/api/volunteers/registry/{vol}", None, {"vol", "gw_east1", "dispatcher", "admin"}),
    (
        "PATCH",
        "/api/volunteers/registry/{vol}",
        {"active": True},
        {"gw_east1", "dispatcher", "admin"},
    ),
    (
        "GET",
        "/api/volunteers/registry/{vol}/record",
        None,
        {"vol", "gw_east1", "dispatcher", "admin"},
    ),
    ("GET", "/api/volunteers/tasks", None, {"gw_east1", "gw_west1", "dispatcher", "admin"}),
    ("POST", "/api/volunteers/tasks", "task", {"gw_east1", "dispatcher", "admin"}),
    ("GET", "/api/volunteers/tasks/{task}", None, {"vol", "gw_east1", "dispatcher", "admin"}),
    ("GET", "/api/volunteers/tasks/{task}/matches", None, {"gw_east1", "dispatcher", "admin"}),
    ("POST", "/api/volunteers/tasks/{task}/claim", None, {"vol"}),
    (
        "POST",
        "/api/volunteers/tasks/{task}/codes",
        {"step": "checkin"},
        {"gw_east1", "dispatcher", "admin"},
    ),
    ("POST", "/api/volunteers/tasks/{task}/checkin", {"code": "000000"}, {"vol"}),
    (
        "POST",
        "/api/volunteers/tasks/{task}/checkout",
        {"code": "000000", "done": True, "note": "好"},
        {"vol"},
    ),
    ("POST", "/api/volunteers/tasks/{task}/withdraw", None, {"vol"}),
    (
        "POST",
        "/api/volunteers/tasks/{task}/cancel",
        {"reason": "改期"},
        {"gw_east1", "dispatcher", "admin"},
    ),
    ("POST", "/api/volunteers/sweep", None, {"dispatcher", "admin"}),
    ("POST", "/api/volunteers/hours", "hours", {"dispatcher", "admin"}),
    ("GET", "/api/volunteers/reports/units?quarter=2026Q3", None, {"dispatcher", "admin"}),
]
USERS: list[str | None] = [
    None,
    "plain",
    "vol",
    "city",
    "gw_west1",
    "gw_east1",
    "dispatcher",
    "admin",
]


def test_every_endpoint_against_every_role_and_no_contact_leaks(api: Any, tmp_path: Path) -> None:
    s = _setup(api)
    # the volunteer's account: the resident fixture's account re-pointed by proving the phone
    heads: dict[str | None, dict[str, str]] = {u: api.h(u) for u in USERS if u in api.tokens}
    heads[None] = {}
    heads["plain"] = _account(api, "plain_resident")
    heads["vol"] = _account(api, "volunteer_li")
    api.client.post("/api/auth/phone/code", json={"phone": VOL_PHONE}, headers=heads["vol"])
    code = _sms(tmp_path, VOL_PHONE).split("验证码为 ")[1][:6]
    api.client.post(
        "/api/auth/phone/verify", json={"phone": VOL_PHONE, "code": code}, headers=heads["vol"]
    )
    api.clock.advance(hours=1)
    n = 0
    for method, path, body, allowed in MATRIX:
        for user in USERS:
            n += 1
            url = path.replace("{vol}", str(s["vol"])).replace("{task}", str(s["task"]))
            if body == "register":
                body_ = {
                    "name": "赵六",
                    "phone": f"1360000{n:04d}",
                    "kind": "volunteer",
                    "community": "east",
                    "grid": "east-1",
                }
            elif body == "task":
                body_ = {
                    "case_id": s["case"],
                    "starts_at": "2026-09-23T11:30:00+08:00",
                    "ends_at": "2026-09-23T12:00:00+08:00",
                }
            elif body == "hours":
                body_ = {
                    "volunteer_id": s["vol"],
                    "minutes": 30,
                    "note": "纸质签到补录",
                    "served_at": "2026-09-20T09:00:00+08:00",
                }
            else:
                body_ = body
            r = api.client.request(method, url, json=body_, headers=heads[user])
            if user in allowed:
                # authorised: the answer is the resource, or a state conflict (409: already
                # claimed, no claim to check in …) / a wrong code (422)
                assert r.status_code in (200, 201, 409, 422), (method, path, user, r.text)
            else:
                assert r.status_code in (401, 403, 404), (method, path, user, r.status_code)
                if user is None:
                    assert r.status_code == 401, (method, path, r.text)
            # no volunteer's phone reaches anyone but the volunteer themself (unmasking is
            # asked for explicitly, below); full names only dispatchers and administrators
            # (the service record and the units' report name the member)
            hidden = [OTHER_PHONE] + ([VOL_PHONE] if user != "vol" else [])
            if user not in ("vol", "dispatcher", "admin"):
                hidden += ["李红梅", "张建国"]
            for secret in hidden:
                assert secret not in r.text, (method, path, user, secret)
    # unmasking: dispatchers with a purpose, logged; never a grid worker or a resident
    url = f"/api/volunteers/registry/{s['vol']}"
    for user in ("gw_east1", "plain"):
        r = api.client.get(url, params={"unmask": "true", "purpose": "联系"}, headers=heads[user])
        assert r.status_code in (403, 404)
    r = api.client.get(
        url, params={"unmask": "true", "purpose": "安排任务"}, headers=heads["dispatcher"]
    )
    assert r.json()["phone"] == VOL_PHONE
    log = api.get("/api/admin/unmask-log", "admin").json()
    assert [x["purpose"] for x in log if x["fields"].startswith("volunteer:")] == ["安排任务"]
