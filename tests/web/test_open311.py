"""Open311 GeoReport v2: services, requests GET/POST, single request, tokens; JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def test_services_json_and_xml(api: Any) -> None:
    r = api.client.get("/open311/v2/services.json")
    assert r.status_code == 200
    codes = {s["service_code"] for s in r.json()}
    assert "urban.municipal" in codes and "urban" not in codes
    s = next(s for s in r.json() if s["service_code"] == "urban.municipal")
    assert s["service_name"] == "市政设施" and s["group"] == "城乡建设"
    assert s["metadata"] is False and s["type"] == "realtime"
    x = ET.fromstring(api.client.get("/open311/v2/services.xml").content)
    assert x.tag == "services" and len(x.findall("service")) == len(codes)
    d = api.client.get("/open311/v2/services/urban.municipal.json").json()
    assert d == {"service_code": "urban.municipal", "attributes": []}
    r = api.client.get("/open311/v2/services/nope.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    assert api.client.get("/open311/v2/services.yaml").status_code == 404


def test_post_requires_api_key_and_creates_a_case(api: Any) -> None:
    form = {
        "service_code": "urban.municipal",
        "lat": "40.005",
        "long": "116.35",
        "description": "路灯不亮，电话13912345678",
        "first_name": "四",
        "last_name": "李",
        "phone": "13912345678",
    }
    r = api.client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = api.client.post("/open311/v2/requests.json", data={**form, "api_key": "bogus"})
    assert r.status_code == 403
    r = api.client.post("/open311/v2/requests.json", data={**form, "api_key": api.tokens["admin"]})
    assert r.status_code == 201, r.text
    out = r.json()[0]
    rid, token = out["service_request_id"], out["token"]
    one = api.client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["status"] == "open" and one["service_code"] == "urban.municipal"
    assert one["agency_responsible"] == "城市管理办公室"
    assert "13912345678" not in str(one) and "李四" not in str(one)
    assert one["status_notes"].startswith("已提交")
    assert api.client.get(f"/open311/v2/tokens/{token}.json").json() == [
        {"service_request_id": rid, "token": token}
    ]
    # our states -> open/closed
    cid = int(rid)
    for user, action, kw in [
        ("dispatcher", "accept", {}),
        ("dispatcher", "dispatch", {"department": "city_management"}),
        ("city", "start", {}),
        ("city", "resolve", {"note": "已维修"}),
        ("dispatcher", "rate", {"rating": "满意"}),
    ]:
        api.act(cid, user, action, **kw)
    one = api.client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["status"] == "closed" and one["status_notes"].startswith("已关闭")
    x = ET.fromstring(api.client.get(f"/open311/v2/requests/{rid}.xml").content)
    assert x.tag == "service_requests" and x.find("request/status").text == "closed"  # type: ignore[union-attr]
    closed = api.client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert [c["service_request_id"] for c in closed] == [rid]
    assert api.client.get("/open311/v2/requests.json", params={"status": "open"}).json() == []


def test_open311_bad_input_is_400_with_description(api: Any) -> None:
    key = api.tokens["resident"]
    r = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "weather",
            "lat": "40.005",
            "long": "116.35",
            "description": "x",
        },
    )
    assert r.status_code == 400 and "category" in r.json()[0]["description"]
    r = api.client.post(
        "/open311/v2/requests.xml",
        data={
            "api_key": key,
            "service_code": "urban.municipal",
            "lat": "north",
            "long": "116.35",
            "description": "x",
        },
    )
    assert r.status_code == 400
    assert ET.fromstring(r.content).find("error/code").text == "400"  # type: ignore[union-attr]
    r = api.client.post("/open311/v2/requests.json", json={"api_key": key})
    assert r.status_code == 400 and "content-type" in r.json()[0]["description"]
    r = api.client.get("/open311/v2/requests.json", params={"status": "pending"})
    assert r.status_code == 400
    assert api.client.get("/open311/v2/requests/999.json").status_code == 404
    assert api.client.get("/api/cases").status_code == 401  # nothing was created publicly
