"""Submission: routing, idempotency, photos, and every kind of bad input (4xx naming the field,
nothing half-written)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image


def _count(api: Any) -> int:
    return len(api.get("/api/cases", "admin", limit=1000).json())


def test_routing_by_location_and_category(api: Any) -> None:
    a = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="小区楼道堆放杂物，私拉电线充电")
    assert (a["grid"], a["category"], a["department"]) == ("east-1", "urban.safety", "safety")
    b = api.submit(lon=api.NO_GRID[0], lat=api.NO_GRID[1], text="物业不管电梯")
    assert b["grid"] is None and b["department"] == "housing"
    q = api.get("/api/cases", "dispatcher", unrouted="true").json()
    assert [c["id"] for c in q] == [b["id"]]  # the subdistrict dispatcher queue
    c = api.submit(text="随便说说", category="market.regulation")
    assert c["category"] == "market.regulation" and c["department"] == "market"
    d = api.submit(address="演示街道某小区3号楼", text="你好")
    assert d["category"] == "other.general" and d["grid"] is None


def test_admin_edits_routing_tables_and_routing_follows(api: Any) -> None:
    r = api.client.put(
        "/api/admin/tables/categories/urban.municipal",
        json={"department_key": "housing"},
        headers=api.h("admin"),
    )
    assert r.status_code == 200, r.text
    assert api.submit()["department"] == "housing"
    # move grid east-1 over the point of the west grid? -> give west-1 a new polygon far away
    r = api.client.put(
        "/api/admin/tables/grids/west-1",
        json={
            "polygon_wkt": "POLYGON ((116.371 40.011, 116.379 40.011, 116.379 40.019, "
            "116.371 40.019, 116.371 40.011))"
        },
        headers=api.h("admin"),
    )
    assert r.status_code == 200, r.text
    assert api.submit(lon=api.NO_GRID[0], lat=api.NO_GRID[1])["grid"] == "west-1"
    assert api.submit()["grid"] is None
    r = api.client.put(
        "/api/admin/tables/grids/west-1",
        json={"polygon_wkt": "POINT (1 2)"},
        headers=api.h("admin"),
    )
    assert r.status_code == 422 and r.json()["field"] == "polygon_wkt"
    r = api.client.put("/api/admin/tables/grids/new", json={"name": "x"}, headers=api.h("admin"))
    assert r.status_code == 422
    r = api.client.put(
        "/api/admin/tables/departments/new", json={"colour": "x"}, headers=api.h("admin")
    )
    assert r.status_code == 422 and r.json()["field"] == "colour"


def test_idempotency_key(api: Any) -> None:
    h = {"Idempotency-Key": "abc-123"}
    body = {"text": "路灯不亮", "lon": api.WEST_1[0], "lat": api.WEST_1[1]}
    r1 = api.client.post("/api/cases", json=body, headers=h)
    r2 = api.client.post("/api/cases", json=body, headers=h)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    assert r1.json()["tracking_code"] == r2.json()["tracking_code"]
    r3 = api.client.post("/api/cases", json={**body, "text": "别的事"}, headers=h)
    assert r3.status_code == 409 and r3.json()["field"] == "idempotency_key"
    assert _count(api) == 1


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"lon": 116.35, "lat": 40.005}, "text", 422),
        ({"text": "   ", "lon": 116.35, "lat": 40.005}, "text", 422),
        ({"text": "长" * 2001, "lon": 116.35, "lat": 40.005}, "text", 422),
        ({"text": "x", "lon": 116.40, "lat": 39.90}, "location", 422),
        ({"text": "x", "lon": -0.1276, "lat": 51.5072}, "location", 422),
        ({"text": "x", "lon": 116.35}, "location", 422),
        ({"text": "x"}, "location", 422),
        ({"text": "x", "lon": "east", "lat": 40.0}, "lon", 422),
        ({"text": "x", "lon": 116.35, "lat": 40.005, "category": "weather"}, "category", 422),
        ({"text": "x", "lon": 116.35, "lat": 40.005, "category": "urban"}, "category", 422),
        ({"text": "x", "lon": 116.35, "lat": 40.005, "phone": "12"}, "phone", 422),
        (
            {"text": "x", "lon": 116.35, "lat": 40.005, "id_number": "110105194912310021"},
            "id_number",
            422,
        ),
        ({"text": "x", "lon": 116.35, "lat": 40.005, "colour": "red"}, "colour", 422),
    ],
)
def test_bad_json_input(api: Any, body: dict[str, Any], field: str, status: int) -> None:
    r = api.client.post("/api/cases", json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert r.json()["error"] == "DataError"
    assert _count(api) == 0


def test_wrong_content_type_and_broken_json(api: Any) -> None:
    r = api.client.post("/api/cases", content=b"text=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["field"] == "content-type"
    r = api.client.post(
        "/api/cases", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["field"] == "body"
    assert _count(api) == 0


def _image(fmt: str, *, size: tuple[int, int] = (40, 30), gps: bool = False) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "TestCam"  # Make
        gps_ifd = {1: "N", 2: (40.0, 0.0, 18.0), 3: "E", 4: (116.0, 21.0, 0.0)}
        exif[0x8825] = gps_ifd
        img.save(out, format=fmt, exif=exif.tobytes())
    else:
        img.save(out, format=fmt)
    return out.getvalue()


def _form(api: Any, files: list[tuple[str, tuple[str, bytes, str]]], **fields: str) -> Any:
    data = {
        "text": "路灯坏了，见照片",
        "lon": str(api.WEST_1[0]),
        "lat": str(api.WEST_1[1]),
        **fields,
    }
    return api.client.post("/api/cases", data=data, files=files)


def test_photos_are_stored_content_addressed_without_exif(api: Any, tmp_path: Path) -> None:
    jpeg = _image("JPEG", gps=True)
    assert b"Exif" in jpeg and b"TestCam" in jpeg
    r = _form(
        api,
        [
            ("photos", ("a.jpg", jpeg, "image/jpeg")),
            ("photos", ("b.png", _image("PNG"), "image/png")),
            ("photos", ("c.webp", _image("WEBP"), "image/webp")),
        ],
    )
    assert r.status_code == 201, r.text
    detail = api.get(f"/api/cases/{r.json()['id']}", "dispatcher").json()
    assert [p.rsplit(".", 1)[1] for p in detail["photos"]] == ["jpg", "png", "webp"]
    got = api.get(detail["photos"][0], "dispatcher")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in got.content and b"TestCam" not in got.content
    assert Image.open(io.BytesIO(got.content)).getexif().get(0x8825) is None
    name = detail["photos"][0].rsplit("/", 1)[1]
    stored = list((tmp_path / "photos").rglob(name))
    assert len(stored) == 1
    import hashlib

    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == name.split(".")[0]
    # photos are not public
    assert api.get(detail["photos"][0]).status_code == 401


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"GIF89a" + b"\x00" * 100, "gif"),
        (b"not an image at all", "garbage"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "truncated png"),
        (b"", "empty"),
    ],
)
def test_bad_photos_are_refused(api: Any, payload: bytes, why: str) -> None:
    if why == "gif":
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="GIF")
        payload = out.getvalue()
    r = _form(api, [("photos", ("x.jpg", payload, "image/jpeg"))])
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "photos[0]"
    assert _count(api) == 0


def test_huge_photo_is_refused(api: Any) -> None:
    big = b"\xff\xd8\xff" + b"\x00" * 5_000_001
    r = _form(api, [("photos", ("x.jpg", big, "image/jpeg"))])
    assert r.status_code == 422 and "over the limit" in r.json()["detail"]
    # a small file claiming enormous dimensions (decompression bomb)
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, format="PNG")
    r = _form(api, [("photos", ("bomb.png", bomb.getvalue(), "image/png"))])
    assert r.status_code == 422 and r.json()["field"] == "photos[0]"
    assert _count(api) == 0
