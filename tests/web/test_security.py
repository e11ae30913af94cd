"""Security headers on every response (the intake fast path included) and photos scoped like
case reads."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

FRAME = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "same-origin",
}


def _assert_security_headers(r: Any, *, cache: str | None = "no-store") -> None:
    for name, value in FRAME.items():
        assert r.headers.get(name) == value, (r.request.url, name, r.headers)
    if cache is not None:
        assert r.headers.get("cache-control") == cache, (r.request.url, r.headers)


def test_security_headers_on_every_kind_of_response(api: Any) -> None:
    # the anonymous JSON submission is answered by the intake fast path (no routing)
    r = api.client.post(
        "/api/cases", json={"text": "路灯坏了", "lon": api.WEST_1[0], "lat": api.WEST_1[1]}
    )
    assert r.status_code == 201
    _assert_security_headers(r)
    code = r.json()["tracking_code"]
    # its errors too
    r = api.client.post("/api/cases", json={"text": ""})
    assert r.status_code == 422
    _assert_security_headers(r)
    # routed answers: personal data, public views, errors, the framework's own 404/405
    for path, user, status in [
        ("/api/cases", "resident", 200),
        (f"/api/track/{code}", None, 200),
        ("/api/auth/me", "dispatcher", 200),
        ("/api/cases/1/contact", None, 401),
        ("/api/nothing-here", None, 404),
        ("/open311/v2/services.json", None, 200),
    ]:
        r = api.get(path, user)
        assert r.status_code == status, (path, r.text)
        _assert_security_headers(r)
    r = api.client.put("/api/auth/me")
    assert r.status_code == 405
    _assert_security_headers(r)
    r = api.client.post(
        "/api/auth/token", json={"username": "dispatcher", "password": "correct horse battery"}
    )
    assert r.status_code == 200
    _assert_security_headers(r)
    # pages keep their own revalidation policy (no personal data in them), framing still denied
    r = api.client.get("/resident")
    _assert_security_headers(r, cache=None)
    assert r.headers["cache-control"] in ("no-cache", "no-store")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_photos_only_for_callers_who_may_see_their_case(api: Any) -> None:
    # a resident's case in grid west-1 (department city_management) with a photo
    r = api.client.post(
        "/api/cases",
        data={"text": "路灯坏了，见照片", "lon": str(api.WEST_1[0]), "lat": str(api.WEST_1[1])},
        files=[("photos", ("a.jpg", _jpeg(), "image/jpeg"))],
        headers=api.h("resident"),
    )
    assert r.status_code == 201, r.text
    (url,) = api.get(f"/api/cases/{r.json()['id']}", "dispatcher").json()["photos"]
    for user in ("resident", "gw_west1", "city", "dispatcher", "admin"):
        got = api.get(url, user)
        assert got.status_code == 200, (user, got.text)
        assert got.headers["content-type"] == "image/jpeg"
        _assert_security_headers(got)
    # staff outside the case's scope: as if the photo did not exist
    for user in ("gw_east1", "housing"):
        got = api.get(url, user)
        assert got.status_code == 404, (user, got.status_code)
    assert api.get(url).status_code == 401
    # an unknown photo and a photo of someone else's case look the same
    missing = "/api/photos/" + "0" * 64 + ".jpg"
    assert api.get(missing, "gw_east1").json() == api.get(url, "gw_east1").json()
