"""Authorisation: every role × endpoint, scopes (own grid, own department, own cases),
masking of personal data and the unmasking log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROLES = [None, "resident", "gw_west1", "city", "dispatcher", "admin"]

# endpoint -> set of users allowed (None = anonymous)
MATRIX: dict[tuple[str, str], set[str | None]] = {
    ("GET", "/api/cases"): {"resident", "gw_west1", "city", "dispatcher", "admin"},
    ("GET", "/api/cases/overdue"): {"gw_west1", "city", "dispatcher", "admin"},
    ("POST", "/api/cases/escalate"): {"dispatcher", "admin"},
    ("GET", "/api/cases/{id}"): {"resident", "gw_west1", "city", "dispatcher", "admin"},
    ("GET", "/api/cases/{id}/contact"): {"gw_west1", "city", "dispatcher", "admin"},
    ("POST", "/api/cases/{id}/extensions"): {"dispatcher", "admin"},
    ("GET", "/api/measures"): {"gw_west1", "city", "dispatcher", "admin"},
    ("GET", "/api/cases/{id}/duplicates"): {"dispatcher", "admin"},
    ("POST", "/api/cases/{id}/actions"): {"dispatcher", "admin"},
    ("GET", "/api/admin/tables/categories"): {"admin"},
    ("GET", "/api/admin/tables/grids"): {"admin"},
    ("PUT", "/api/admin/tables/departments/new_dept"): {"admin"},
    ("POST", "/api/admin/users"): {"admin"},
    ("GET", "/api/admin/unmask-log"): {"admin"},
    ("GET", "/api/track/{code}"): {None, "resident", "gw_west1", "city", "dispatcher", "admin"},
    ("POST", "/api/cases"): {None, "resident", "gw_west1", "city", "dispatcher", "admin"},
    ("GET", "/api/auth/me"): {None, "resident", "gw_west1", "city", "dispatcher", "admin"},
    ("GET", "/open311/v2/services.json"): {
        None,
        "resident",
        "gw_west1",
        "city",
        "dispatcher",
        "admin",
    },
}

_BODIES: dict[str, Any] = {
    "/api/cases/{id}/extensions": {"days": 2, "reason": "需协调施工单位"},
    "/api/admin/tables/departments/new_dept": {"name": "新部门"},
    "/api/admin/users": {"username": "u_{user}", "password": "long enough pw", "role": "resident"},
    "/api/cases": {"text": "路灯坏了", "lon": 116.35, "lat": 40.005},
    "/api/cases/{id}/actions": {"action": "accept"},
}


@pytest.mark.parametrize("user", ROLES)
def test_role_endpoint_matrix(api: Any, user: str | None) -> None:
    # the case belongs to the resident, lies in grid west-1, department city_management
    c = api.submit(user="resident")
    for (method, path), allowed in MATRIX.items():
        url = path.replace("{id}", str(c["id"])).replace("{code}", c["tracking_code"])
        body = _BODIES.get(path)
        if isinstance(body, dict) and "username" in body:
            body = {**body, "username": f"u_{user}"}
        params = {"start": "2026-09-01", "end": "2026-10-01"} if "measures" in path else None
        r = api.client.request(method, url, json=body, params=params, headers=api.h(user))
        if user in allowed:
            assert r.status_code < 300, (method, path, user, r.text)
        else:
            assert r.status_code in (401, 403, 404), (method, path, user, r.status_code)
            if user is None:
                assert r.status_code in (401, 404)


def test_scopes_of_queues(api: Any) -> None:
    west = api.submit(user="resident")["id"]  # west-1, city_management
    east = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="电梯坏了")["id"]  # housing
    ids = lambda u: {c["id"] for c in api.get("/api/cases", u).json()}  # noqa: E731
    assert ids("gw_west1") == {west}
    assert ids("gw_east1") == {east}
    assert ids("city") == {west}
    assert ids("housing") == {east}
    assert ids("resident") == {west}
    assert ids("dispatcher") == ids("admin") == {west, east}
    assert api.get(f"/api/cases/{east}", "city").status_code == 404
    assert api.get(f"/api/cases/{east}", "resident").status_code == 404
    # out-of-scope staff cannot act either
    api.act(east, "dispatcher", "accept")
    api.act(east, "dispatcher", "dispatch", department="housing")
    api.act(east, "city", "start", expect=404)
    api.act(east, "gw_west1", "start", expect=404)
    api.act(east, "gw_east1", "start")
    # a handler may not take a dispatcher's action
    r = api.act(west, "city", "accept", expect=403)
    assert r.json()["error"] == "PermissionDeniedError"


def test_masking_everywhere_and_unmask_is_logged(api: Any) -> None:
    c = api.submit(name="李四", phone="13912345678", id_number="11010519491231002X")
    cid = c["id"]
    for user in ("gw_west1", "city", "dispatcher", "admin"):
        for path in (f"/api/cases/{cid}", "/api/cases", f"/api/cases/{cid}/contact"):
            raw = api.get(path, user).text
            assert "13912345678" not in raw and "11010519491231002X" not in raw
            assert "李四" not in raw
    contact = api.get(f"/api/cases/{cid}/contact", "city").json()
    assert contact == {
        "name": "李*",
        "phone": "139****5678",
        "id_number": "1101**********002X",
        "masked": True,
    }
    r = api.get(f"/api/cases/{cid}/contact", "city", unmask="true", purpose="回访")
    assert r.status_code == 403
    r = api.get(f"/api/cases/{cid}/contact", "dispatcher", unmask="true")
    assert r.status_code == 422 and r.json()["field"] == "purpose"
    r = api.get(f"/api/cases/{cid}/contact", "dispatcher", unmask="true", purpose="电话回访")
    assert r.json() == {
        "name": "李四",
        "phone": "13912345678",
        "id_number": "11010519491231002X",
        "masked": False,
    }
    log = api.get("/api/admin/unmask-log", "admin").json()
    assert len(log) == 1 and log[0]["actor"] == "dispatcher:dispatcher"
    assert log[0]["case_id"] == cid and log[0]["purpose"] == "电话回访"


def test_login_logout_and_token_hashing(api: Any) -> None:
    r = api.client.post("/api/auth/token", json={"username": "city", "password": "wrong"})
    assert r.status_code == 403
    r = api.client.post(
        "/api/auth/token", json={"username": "city", "password": "correct horse battery"}
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/auth/me", headers=h).json()["role"] == "handler"
    # only a hash of the token is stored
    from sqlalchemy import select

    from wanzheng.cases.store import Token, make_engine, make_sessionmaker

    engine = make_engine(api.url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        stored = s.scalars(select(Token.token_hash)).all()
    engine.dispose()
    assert token not in stored and all(len(t) == 64 for t in stored)
    assert api.client.post("/api/auth/logout", headers=h).status_code == 204
    assert api.client.get("/api/cases", headers=h).status_code == 401
    r = api.client.get("/api/cases", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_a_token_revoked_elsewhere_is_refused_within_the_cache_ttl(api: Any) -> None:
    """Tokens are remembered per process for a few seconds (``CaseDesk.actors``); a token
    deleted by another process (another worker's logout, the CLI) stops working once its
    entry is older than the TTL."""
    import time

    from sqlalchemy import delete

    from wanzheng.cases.store import Token, make_engine, make_sessionmaker

    api.client.app.state.desk.actors.ttl_s = 0.3
    h = api.h("city")
    assert api.client.get("/api/cases", headers=h).status_code == 200
    engine = make_engine(api.url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        s.execute(delete(Token))
        s.commit()
    engine.dispose()
    time.sleep(0.4)
    assert api.client.get("/api/cases", headers=h).status_code == 401


def test_resident_sees_cases_of_a_phone_only_once_proven(api: Any, tmp_path: Path) -> None:
    c = api.submit(phone="13700001234", text="路灯坏了")
    r = api.client.post("/api/auth/register", json={"username": "zhang", "password": "pw123456"})
    assert r.status_code == 201, r.text
    tok = api.client.post(
        "/api/auth/token", json={"username": "zhang", "password": "pw123456"}
    ).json()
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    assert api.client.get("/api/cases", headers=h).json() == []
    r = api.client.post("/api/auth/phone/code", json={"phone": "13700001234"}, headers=h)
    assert r.status_code == 202
    (sms,) = (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    code = json.loads(sms)["body"].split("验证码为 ")[1][:6]
    r = api.client.post(
        "/api/auth/phone/verify", json={"phone": "13700001234", "code": code}, headers=h
    )
    assert r.status_code == 200, r.text
    mine = api.client.get("/api/cases", headers=h).json()
    assert [m["id"] for m in mine] == [c["id"]]
    assert mine[0]["contact"]["phone"] == "137****1234"
