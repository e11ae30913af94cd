"""A dispatcher's and a handler's day in the console, in a real Chromium, on a phone (390×844)
and a laptop (1366×900).

The dispatcher lands on 已提交, accepts a case and dispatches it to a chosen grid; the handler
lands on 已派单 (their own work, not an empty 已提交), starts the case, resolves it with a photo
of the place after the work, and sees it in the case; the resident's tracking page shows it.
The 响应率 card follows each action without pressing 计算. Screenshots go to
``test-artifacts/web/``.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .conftest import PASSWORD, LiveServer, PageWatch, unlabelled

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}
WEST_1 = (116.350, 40.005)  # inside grid west-1 of the packaged routing tables


def _jpeg(path: Path) -> Path:
    """A real photo file (96 × 64 JPEG): a repaired lamp, yellow on dark blue."""
    img = Image.new("RGB", (96, 64), (20, 30, 80))
    for y in range(10, 54):
        for x in range(44, 52):
            img.putpixel((x, y), (250, 220, 40))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _submit(base: str, text: str) -> dict[str, Any]:
    body = {"text": text, "lon": WEST_1[0], "lat": WEST_1[1]}
    req = urllib.request.Request(
        f"{base}/api/cases",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        out: dict[str, Any] = json.loads(res.read())
        return out


def _handler(data_dir: Path, username: str) -> None:
    """A handler of 城管 (city_management), created in the service's own database."""
    from wanzheng.cases.users import create_user
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings

    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url, pool_size=1)
    with make_sessionmaker(engine)() as session:
        create_user(
            session,
            username=username,
            password=PASSWORD,
            role="handler",
            display_name=username,
            department="city_management",
        )
        session.commit()
    engine.dispose()


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/dispatch")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("#console:not([hidden])", timeout=15_000)


def _response_fraction(page: Any) -> tuple[int, int]:
    """响应率's ``on time / judged`` as the card shows it."""
    text = page.locator("#rates .stat", has_text="响应率").inner_text()
    found = re.search(r"(\d+)/(\d+)", text)
    assert found is not None, text
    return int(found.group(1)), int(found.group(2))


def _act(page: Any, label: str) -> None:
    page.locator("#case-view .actions button", has_text=label).click()


def _photo_width(page: Any, selector: str) -> int:
    """The natural width of the first image at selector once the browser has finished loading it.

    An <img> exists before its bytes arrive; reading naturalWidth then gives 0 (a race that
    failed CI once). `complete` turns true when the load ends, successfully or not, so a
    broken photo still fails the assert.
    """
    page.wait_for_function(
        "(sel) => { const i = document.querySelector(sel); return !!i && i.complete; }",
        arg=selector,
        timeout=15_000,
    )
    return page.locator(selector).first.evaluate("(img) => img.naturalWidth")


def _no_horizontal_overflow(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_dispatcher_chooses_the_grid_handler_resolves_with_a_photo(
    live_server: LiveServer, browser: Any, artifacts: Path, tmp_path: Path, size: str
) -> None:
    base = live_server.url
    width, height = VIEWPORTS[size]
    handler = f"city-{size}"
    _handler(live_server.data_dir, handler)
    case = _submit(base, f"西区3号楼前路灯不亮（{size}）")
    cid = case["id"]
    options: dict[str, Any] = {"viewport": {"width": width, "height": height}, "locale": "zh-CN"}
    if size == "phone":
        options |= {"device_scale_factor": 2, "is_mobile": True, "has_touch": True}

    # --- the dispatcher: lands on 已提交, accepts, dispatches to grid east-1 -----------------
    desk = browser.new_context(**options)
    page = desk.new_page()
    watch = PageWatch(page, base)
    _sign_in(page, base, "dispatcher")
    page.wait_for_selector(f'.qitem[data-id="{cid}"]', timeout=10_000)
    assert "已提交" in page.locator(".qtab.on").inner_text()
    page.locator(f'.qitem[data-id="{cid}"]').click()
    page.wait_for_selector(f"#case-view h3:has-text('#{cid}')")
    assert page.locator("#case-grid").inner_text() == "西区社区 · 西区第一网格"
    _act(page, "签收")
    page.wait_for_selector("#detail-state:has-text('已签收')")
    _act(page, "派单")
    grid = page.locator("#f-grid")
    assert grid.input_value() == "west-1"  # starts on the grid of the pin
    choices = grid.locator("option").all_inner_texts()
    assert choices[0] == "按位置（自动）" and "东区社区 · 东区第一网格" in choices
    page.locator("#f-department").select_option("city_management")
    grid.select_option("east-1")
    assert unlabelled(page) == []
    page.screenshot(path=str(artifacts / f"console-dispatch-{size}.png"))
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已派单')")
    assert page.locator("#case-grid").inner_text() == "东区社区 · 东区第一网格"
    assert "派往城市管理办公室（东区第一网格）" in page.locator("#case-view .timeline").inner_text()
    _no_horizontal_overflow(page)
    watch.check()

    # --- the handler: lands on 已派单, starts, resolves with a photo of the place ------------
    work = browser.new_context(**options)
    hpage = work.new_page()
    hwatch = PageWatch(hpage, base)
    _sign_in(hpage, base, handler)
    hpage.wait_for_selector(f'.qitem[data-id="{cid}"]', timeout=10_000)
    assert "已派单" in hpage.locator(".qtab.on").inner_text()
    hpage.wait_for_selector("#rates .stat:has-text('响应率')", timeout=10_000)
    before = _response_fraction(hpage)
    hpage.locator(f'.qitem[data-id="{cid}"]').click()
    hpage.wait_for_selector(f"#case-view h3:has-text('#{cid}')")
    _act(hpage, "响应办理")
    hpage.wait_for_selector("#detail-state:has-text('办理中')")
    # the measures follow the action: one more case judged, responded on time
    after = f"{before[0] + 1}/{before[1] + 1}"
    hpage.wait_for_function(
        f"() => document.querySelector('#rates').innerText.includes('{after}')", timeout=10_000
    )
    _act(hpage, "办结")
    hpage.fill("#f-note", "已更换灯泡，夜间照明恢复")
    hpage.set_input_files("#f-after", str(_jpeg(tmp_path / "after.jpg")))
    hpage.wait_for_selector("#after-previews[data-count='1']", timeout=15_000)
    assert unlabelled(hpage) == []
    hpage.screenshot(path=str(artifacts / f"console-resolve-{size}.png"), full_page=True)
    hpage.locator("#action-form button[type=submit]").click()
    hpage.wait_for_selector("#detail-state:has-text('已办结待评价')")
    assert _photo_width(hpage, "#after-photos img") == 96  # the photo itself, shown in the case
    history = hpage.locator("#case-view .timeline").inner_text()
    assert "上传办结照片" in history and "办结" in history
    _no_horizontal_overflow(hpage)
    hpage.screenshot(path=str(artifacts / f"console-resolved-{size}.png"), full_page=True)
    hwatch.check()

    # --- the resident's tracking page shows the photo after the work --------------------------
    res = browser.new_context(**options).new_page()
    res.goto(f"{base}/resident?code={case['tracking_code']}")
    assert _photo_width(res, "#case-after-photos img") == 96
    desk.close()
    work.close()
