"""A resident account sees only the cases it filed, claimed by tracking code, or that were
filed with a phone it proved by a one-time code: a phone is never a key to other accounts'
data (issue 17, security item 1)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

VICTIM_PHONE = "13912345678"


def _account(api: Any, username: str) -> dict[str, str]:
    r = api.client.post(
        "/api/auth/register", json={"username": username, "password": "long enough pw"}
    )
    assert r.status_code == 201, r.text
    r = api.client.post(
        "/api/auth/token", json={"username": username, "password": "long enough pw"}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _sms(tmp_path: Path) -> list[dict[str, str]]:
    """What the default SMS sender wrote (``<data_dir>/sms/outbox.jsonl``)."""
    path = tmp_path / "sms" / "outbox.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _code_sent_to(tmp_path: Path, phone: str) -> str:
    last = [m for m in _sms(tmp_path) if m["recipient"] == phone][-1]
    return str(last["body"].split("验证码为 ")[1][:6])


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def _sees_nothing(api: Any, h: dict[str, str], case_id: int, photo: str) -> None:
    """Every endpoint that shows case data gives this account nothing of ``case_id``."""
    r = api.client.get("/api/cases", headers=h)
    assert r.status_code == 200 and r.json() == []
    for method, path in [
        ("GET", f"/api/cases/{case_id}"),
        ("GET", f"/api/cases/{case_id}/contact"),
        ("GET", f"/api/cases/{case_id}/duplicates"),
        ("GET", "/api/cases/overdue"),
        ("GET", photo),
        ("POST", f"/api/cases/{case_id}/actions"),
        ("POST", f"/api/cases/{case_id}/extensions"),
    ]:
        body = {"action": "accept"} if path.endswith("actions") else {"days": 1, "reason": "x"}
        r = api.client.request(method, path, headers=h, json=body if method == "POST" else None)
        assert r.status_code in (403, 404), (method, path, r.status_code)
        assert VICTIM_PHONE not in r.text and "单元" not in r.text


def test_a_phone_is_never_a_key_to_someone_elses_cases(api: Any, tmp_path: Path) -> None:
    # the victim files anonymously, with their phone, a photo and a detailed address
    r = api.client.post(
        "/api/cases",
        data={
            "text": "我家3号楼2单元501漏水",
            "lon": str(api.WEST_1[0]),
            "lat": str(api.WEST_1[1]),
            "phone": VICTIM_PHONE,
        },
        files=[("photos", ("a.jpg", _jpeg(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    victim_case = r.json()
    (photo,) = api.get(f"/api/cases/{victim_case['id']}", "dispatcher").json()["photos"]

    # an attacker registers naming the victim's phone: refused as a field, or ignored
    r = api.client.post(
        "/api/auth/register",
        json={"username": "attacker", "password": "long enough pw", "phone": VICTIM_PHONE},
    )
    assert r.status_code in (201, 422)
    if r.status_code == 422:
        assert r.json()["field"] == "phone"
        attacker = _account(api, "attacker")
    else:
        r = api.client.post(
            "/api/auth/token", json={"username": "attacker", "password": "long enough pw"}
        )
        attacker = {"Authorization": f"Bearer {r.json()['access_token']}"}
    _sees_nothing(api, attacker, victim_case["id"], photo)
    # asking for a code to the victim's phone sends it to the victim, not the attacker
    r = api.client.post("/api/auth/phone/code", json={"phone": VICTIM_PHONE}, headers=attacker)
    assert r.status_code == 202 and r.json()["expires_in_s"] == 600
    assert VICTIM_PHONE in {m["recipient"] for m in _sms(tmp_path)}
    assert all(m["channel"] == "sms" for m in _sms(tmp_path))
    sent = _code_sent_to(tmp_path, VICTIM_PHONE)
    guess = "000000" if sent != "000000" else "111111"
    r = api.client.post(
        "/api/auth/phone/verify", json={"phone": VICTIM_PHONE, "code": guess}, headers=attacker
    )
    assert r.status_code == 403 and r.json()["field"] == "code"
    _sees_nothing(api, attacker, victim_case["id"], photo)
    assert api.client.get("/api/auth/me", headers=attacker).json()["phone_verified"] is False

    # the victim's own account proves the phone with the code it received: sees the case
    victim = _account(api, "victim")
    assert api.client.get("/api/cases", headers=victim).json() == []
    r = api.client.post("/api/auth/phone/code", json={"phone": VICTIM_PHONE}, headers=victim)
    assert r.status_code == 202
    code = _code_sent_to(tmp_path, VICTIM_PHONE)
    r = api.client.post(
        "/api/auth/phone/verify", json={"phone": VICTIM_PHONE, "code": code}, headers=victim
    )
    assert r.status_code == 200 and r.json()["phone_verified"] is True
    assert [c["id"] for c in api.client.get("/api/cases", headers=victim).json()] == [
        victim_case["id"]
    ]
    assert api.client.get(photo, headers=victim).status_code == 200
    # the attacker's earlier code was replaced: it cannot be used any more either
    r = api.client.post(
        "/api/auth/phone/verify", json={"phone": VICTIM_PHONE, "code": sent}, headers=attacker
    )
    assert r.status_code == 403
    _sees_nothing(api, attacker, victim_case["id"], photo)

    # a case the victim files logged in is the victim account's: another account that proves
    # the same phone (a family member holding it) sees the unowned case, not the owned one
    owned = api.client.post(
        "/api/cases",
        json={"text": "楼道灯坏了", "lon": api.WEST_1[0], "lat": api.WEST_1[1]},
        headers=victim,
    ).json()
    family = _account(api, "family")
    api.client.post("/api/auth/phone/code", json={"phone": VICTIM_PHONE}, headers=family)
    r = api.client.post(
        "/api/auth/phone/verify",
        json={"phone": VICTIM_PHONE, "code": _code_sent_to(tmp_path, VICTIM_PHONE)},
        headers=family,
    )
    assert r.status_code == 200
    assert {c["id"] for c in api.client.get("/api/cases", headers=family).json()} == {
        victim_case["id"]
    }
    assert api.client.get(f"/api/cases/{owned['id']}", headers=family).status_code == 404
    assert {c["id"] for c in api.client.get("/api/cases", headers=victim).json()} == {
        victim_case["id"],
        owned["id"],
    }
    # the resident of the fixture (another proven phone) sees none of these
    assert api.get("/api/cases", "resident").json() == []


def test_claim_by_tracking_code(api: Any) -> None:
    filed = api.submit()  # anonymous, no phone
    alice = _account(api, "alice")
    bob = _account(api, "bobby")
    assert api.client.get(f"/api/cases/{filed['id']}", headers=alice).status_code == 404
    r = api.client.post(f"/api/track/{filed['tracking_code']}/claim", headers=alice)
    assert r.status_code == 200 and r.json()["id"] == filed["id"]
    assert [c["id"] for c in api.client.get("/api/cases", headers=alice).json()] == [filed["id"]]
    # claiming again is a no-op; another account cannot take it
    assert (
        api.client.post(f"/api/track/{filed['tracking_code']}/claim", headers=alice).status_code
        == 200
    )
    r = api.client.post(f"/api/track/{filed['tracking_code']}/claim", headers=bob)
    assert r.status_code == 409
    assert api.client.get("/api/cases", headers=bob).json() == []
    # anonymous callers and staff cannot claim
    assert api.client.post(f"/api/track/{filed['tracking_code']}/claim").status_code == 401
    r = api.client.post(f"/api/track/{filed['tracking_code']}/claim", headers=api.h("city"))
    assert r.status_code == 403
    # guessing codes is throttled like passwords: 5 unknown codes lock the account out
    statuses = [
        api.client.post(f"/api/track/ZZZZ{i:04d}/claim", headers=bob).status_code for i in range(5)
    ]
    assert statuses == [404, 404, 404, 404, 429]
    r = api.client.post(f"/api/track/{filed['tracking_code']}/claim", headers=bob)
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 900
