"""The resident's page on a phone (390 × 844) in a real Chromium against a real service.

A 12 MB phone photo (4000 × 3000 JPEG with EXIF) is shrunk in the browser before upload and
filed; a photo can be removed before sending; the tracking view shows the photo, the place
and which deadline the date is; "report another" gives a fresh form; a refused location and
an unknown tracking code get a sentence in Chinese; no raw key or English word is visible on
the zh-CN pages, the dispatcher's history included.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .conftest import PASSWORD, PHONE, LiveServer, PageWatch, unlabelled

pytestmark = pytest.mark.browser

ISSUE = "小区北门人行道地砖松动，下雨天踩上去溅一身水"
TRAFFIC = "路口红绿灯坏了，车辆乱行"
# Words in Latin letters a zh-CN page may show: the language switch, the map's attribution
# and the photo formats the service accepts.
ALLOWED_LATIN = {"English", "OpenStreetMap", "ODbL", "Leaflet", "JPG", "PNG", "WebP", "MB"}


SENT_JS = """
async () => {
  const img = document.querySelector('#previews img');
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  const text = new TextDecoder('latin1').decode(bytes);
  return {
    bytes: bytes.length,
    jpeg: bytes[0] === 0xff && bytes[1] === 0xd8,
    exif: text.includes('Exif\\u0000\\u0000'),
    camera: text.includes('WanzhengTestCam'),
  };
}
"""


def _phone_photo(path: Path) -> Path:
    """A phone-sized photo: 4000 × 3000 JPEG over 12 MB, with EXIF naming the camera."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "WanzhengTestCam"  # Make
    exif[0x0132] = "2026:05:01 08:30:00"  # DateTime
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=95, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size > 12_000_000
    return path


def _small_png(path: Path) -> Path:
    img = Image.new("RGB", (64, 48), (40, 120, 200))
    img.save(path, format="PNG")
    return path


def _latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z_]+", text)) - ALLOWED_LATIN


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())


def test_a_phone_photo_is_shrunk_filed_and_shown(
    live_server: LiveServer, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = live_server.url
    big = _phone_photo(tmp_path / "IMG_0001.jpg")
    small = _small_png(tmp_path / "second.png")
    phone = browser.new_context(
        **PHONE,
        geolocation={"latitude": 40.00312, "longitude": 116.35544},
        permissions=["geolocation"],
    )
    page = phone.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/resident")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.fill("#text", ISSUE)
    page.locator("#locate").click()
    page.wait_for_selector("#loc-status.ok")

    # Two photos chosen, the first removed with its own button, the phone photo added again.
    page.set_input_files("#photos", [str(small), str(big)])
    page.wait_for_selector("#previews[data-count='2']:not([data-busy])", timeout=30_000)
    assert unlabelled(page) == []
    remove = page.locator("#previews .remove").first
    assert remove.get_attribute("aria-label") == "删除第 1 张照片"
    remove.click()
    assert page.locator("#previews img").count() == 1
    # What will go over the wire is the preview's blob: a JPEG far under the 5 MB limit,
    # without the EXIF block or the camera's name.
    sent = page.evaluate(SENT_JS)
    assert 20_000 < sent["bytes"] < 3_000_000, sent
    assert sent["jpeg"] and not sent["exif"] and not sent["camera"], sent
    page.screenshot(path=str(artifacts / "resident-photo.png"), full_page=True)
    assert _latin_words(page.locator("body").inner_text()) == set()
    page.locator("#submit").click()
    page.wait_for_selector("#tracking-code", timeout=30_000)
    code = page.locator("#tracking-code").inner_text().strip()

    # The receipt names which deadline its date is and offers to report another problem.
    receipt = page.locator("#receipt").inner_text()
    assert "办结时限" in receipt
    assert _latin_words(receipt.replace(code, "")) == set()

    # Another problem: a fresh form, no photo, no pin left from the last one.
    page.locator("#another").click()
    assert page.locator("#report-form").is_visible()
    assert page.locator("#text").input_value() == ""
    assert page.locator("#previews img").count() == 0
    assert page.locator("#loc-status").inner_text() == "尚未选择位置"

    # The tracking view: the photo (shrunk to a long side of 2000 px), the place, the deadline.
    page.locator("#tab-track").click()
    page.locator(f'#mine .chip[data-code="{code}"]').click()
    page.wait_for_function(
        "() => document.querySelector('#case-photos img')?.naturalWidth > 0", timeout=15_000
    )
    size = page.evaluate(
        "() => { const i = document.querySelector('#case-photos img');"
        " return [i.naturalWidth, i.naturalHeight]; }"
    )
    assert size == [2000, 1500]
    tracked = _get(f"{base}/api/track/{code}")
    assert len(tracked["photos"]) == 1
    with urllib.request.urlopen(f"{base}{tracked['photos'][0]}", timeout=10) as res:
        stored = Image.open(io.BytesIO(res.read()))
        assert stored.size == (2000, 1500) and not stored.getexif()
    assert page.locator("#case-place").inner_text() != ""
    assert "办结时限" in page.locator("#case-due").locator("xpath=..").inner_text()
    text = page.locator("#case").inner_text()
    assert _latin_words(text.replace(code, "")) == set(), text
    page.screenshot(path=str(artifacts / "resident-track.png"), full_page=True)

    # A photo of a case is shown only with its own tracking code.
    other = _get(f"{base}/api/track/{code}")["photos"][0].replace(code, "ZZZZZZZZ")
    req = urllib.request.Request(f"{base}{other}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 404
    refused.value.close()  # the error holds the answer's socket
    watch.check()
    phone.close()


def test_refusals_read_as_sentences_in_chinese_and_english(
    live_server: LiveServer, browser: Any, artifacts: Path
) -> None:
    base = live_server.url
    phone = browser.new_context(**PHONE)  # no permission to use the location
    page = phone.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/resident")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.locator("#locate").click()
    page.wait_for_selector("#loc-status.error", timeout=15_000)
    assert "允许" in page.locator("#loc-status").inner_text()

    # The map names streets and communities (no tiles carry names here) once zoomed in.
    assert int(page.locator("#map").get_attribute("data-labels") or 0) > 0
    for _ in range(3):
        page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_selector("#map .map-label.community, #map .map-label.street", timeout=10_000)

    # An unknown tracking code: a sentence, not `tracking_code: no case with this code`.
    page.locator("#tab-track").click()
    page.fill("#code", "NOSUCH99")
    page.locator("#track-form button[type=submit]").click()
    page.wait_for_selector("#case .error")
    assert page.locator("#case .error").inner_text() == "没有找到这个查询码，请核对后再试"
    assert _latin_words(page.locator("body").inner_text()) == set()
    page.locator("#lang-switch").click()
    page.locator("#track-form button[type=submit]").click()
    page.wait_for_selector("#case .error:has-text('tracking code')")
    assert "tracking_code" not in page.locator("#case").inner_text()
    page.locator("#lang-switch").click()
    # the browser logs the two 404 answers of the unknown code; nothing else went wrong
    assert [e for e in watch.errors if "404 (Not Found)" not in e] == []
    assert watch.foreign == []
    phone.close()


def test_the_history_names_roles_units_and_actions_in_chinese(
    live_server: LiveServer, browser: Any
) -> None:
    base = live_server.url
    req = urllib.request.Request(
        f"{base}/api/cases",
        data=json.dumps({"text": TRAFFIC, "lon": 116.3555, "lat": 40.0031}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        case_id = json.loads(res.read())["id"]
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/dispatch")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.fill("#username", "dispatcher")
    page.fill("#password", "wrong-password")
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("#login-error:has-text('用户名或密码不正确')")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector(f'.qitem[data-id="{case_id}"]', timeout=10_000)
    page.locator(f'.qitem[data-id="{case_id}"]').click()
    page.wait_for_selector(f"#case-view h3:has-text('#{case_id}')")
    page.locator("#case-view .actions button", has_text="签收").click()
    page.wait_for_selector("#detail-state:has-text('已签收')")
    page.locator("#case-view .actions button", has_text="派单").click()
    page.locator("#f-department").select_option(index=0)
    unit = page.locator("#f-department option").first.inner_text()
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已派单')")
    history = page.locator("#case-view .timeline").inner_text()
    assert f"派往{unit}" in history
    assert "居民" in history and "调度员" in history
    # A required note is labelled once, in Chinese: not `说明 (说明)`.
    page.locator("#case-view .actions button", has_text="响应办理").click()
    page.wait_for_selector("#detail-state:has-text('办理中')")
    page.locator("#case-view .actions button", has_text="办结").click()
    assert page.locator("label[for=f-note]").inner_text() == "说明"
    view = page.locator("#case-view").inner_text()
    assert _latin_words(view) == set(), view
    # the browser logs the 403 answer to the wrong password; nothing else went wrong
    assert [e for e in watch.errors if "403 (Forbidden)" not in e] == []
    assert watch.foreign == []
    desk.close()


def test_the_dashboard_cannot_scroll_away(live_server: LiveServer, browser: Any) -> None:
    base = live_server.url
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    labels = _get(f"{base}/api/audit/labels")
    assert {c["name"] for c in labels["communities"]} >= {"富润家园", "石科院生活区"}
    assert labels["streets"] and all(s["name"] for s in labels["streets"])
    # Scroll the side panel far past its end with the wheel: the page itself stays put.
    side = page.locator(".side").bounding_box()
    assert side is not None
    page.mouse.move(side["x"] + side["width"] / 2, side["y"] + side["height"] / 2)
    for _ in range(30):
        page.mouse.wheel(0, 800)
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
    assert page.evaluate("() => document.querySelector('.side').scrollTop") > 0
    desk.close()
