"""The siting plan on the dashboard and the programme page, in a real Chromium.

The service serves the demo audit with its own plan (3 sites for elderly stations and
canteens) and a programme's progress (tests/planned.py). At a phone's 390 × 844 and a
laptop's 1366 × 900: the plan layer draws every proposed site and every community it newly
reaches, the side card names the sites in words, the programme page ranks the district and
its subdistricts; no page scrolls sideways and no raw key of the dictionary is visible.
Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from planned import build_planned_audit

from .conftest import LiveServer, PageWatch, start_server, unlabelled

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}
# a dictionary key left untranslated looks like `dash.plan.sites` or `prog.col.index`
RAW_KEY = re.compile(r"\b(?:app|nav|lang|common|map|verdict|status|dash|prog|stage|err)\.[a-z_.]+")

OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def plan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("plan-e2e")
    audit = build_planned_audit(root)
    server, thread, base = start_server(root / "data", audit)
    yield LiveServer(url=base, data_dir=root / "data")
    server.should_exit = True
    thread.join(timeout=10)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())


def _page(browser: Any, size: str) -> tuple[Any, Any]:
    w, h = VIEWPORTS[size]
    phone = size == "phone"
    context = browser.new_context(
        viewport={"width": w, "height": h},
        locale="zh-CN",
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    return context, context.new_page()


def _visible_text(page: Any) -> str:
    text: str = page.evaluate("() => document.body.innerText")
    return text


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_plan_layer_on_the_dashboard(
    plan_server: LiveServer, browser: Any, artifacts: Path, size: str
) -> None:
    base = plan_server.url
    sites = _get(f"{base}/api/plan/sites")["features"]
    reached = _get(f"{base}/api/plan/communities")["features"]
    assert len(sites) == 3 and reached
    context, page = _page(browser, size)
    watch = PageWatch(page, base)
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=30_000)
    drawn = page.locator("#map")
    assert drawn.get_attribute("data-plan-sites") == "3"
    assert drawn.get_attribute("data-plan-communities") == str(len(reached))
    assert page.locator(".plan-pin").count() == 3
    card = page.locator("#plan-card")
    assert card.is_visible()
    text = card.inner_text()
    assert "已证明最优" in text and "拟新增点位" in text
    for f in sites:
        assert f["properties"]["name"] in text
    assert page.locator("#layer-plan").is_checked()
    # the layer can be switched off and on
    page.locator("#layer-plan").uncheck()
    assert page.locator(".plan-pin").count() == 0
    page.locator("#layer-plan").check()
    assert page.locator(".plan-pin").count() == 3
    # a site in the list shows it on the map, with its tooltip in words
    page.locator("#plan [data-site='0']").click()
    page.locator(".plan-pin").first.hover()
    tip = page.locator(".leaflet-tooltip").last
    tip.wait_for(timeout=5_000)
    assert sites[0]["properties"]["name"] in tip.inner_text()
    assert "新覆盖" in tip.inner_text()
    assert page.evaluate(OVERFLOW_JS) <= 0
    visible = _visible_text(page)
    assert not RAW_KEY.findall(visible), RAW_KEY.findall(visible)
    assert unlabelled(page) == []
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"dashboard-plan-{size}.png"))
    watch.check()
    context.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_programme_page(
    plan_server: LiveServer, browser: Any, artifacts: Path, size: str
) -> None:
    base = plan_server.url
    doc = _get(f"{base}/api/plan/progress")
    context, page = _page(browser, size)
    watch = PageWatch(page, base)
    page.goto(f"{base}/programme")
    page.wait_for_selector("body[data-ready=yes]", timeout=30_000)
    assert page.locator(".nav a[aria-current=page]").inner_text() == "建设进度"
    s = doc["summary"]
    summary = page.locator("#summary").inner_text()
    assert f"{s['complete_first']} → {s['complete_last']}" in summary
    assert "40.0%" in summary  # the programme's target for 2025
    districts = page.locator("#districts tbody tr")
    assert districts.count() == 1 and "海淀区" in districts.first.inner_text()
    rows = page.locator("#subdistricts tbody tr")
    assert rows.count() == 2
    # ranked as the service ranks them, the first row first
    assert rows.first.locator("th").inner_text() == doc["subdistricts"][0]["area"]
    late = page.locator("#late").inner_text()
    assert "92" in late and "开工" in late and "社区食堂" in late
    assert page.evaluate(OVERFLOW_JS) <= 0
    visible = _visible_text(page)
    assert not RAW_KEY.findall(visible), RAW_KEY.findall(visible)
    page.screenshot(path=str(artifacts / f"programme-{size}.png"), full_page=True)
    watch.check()
    context.close()


def test_programme_page_without_progress(live_server: LiveServer, browser: Any) -> None:
    context, page = _page(browser, "phone")
    watch = PageWatch(page, live_server.url)
    page.goto(f"{live_server.url}/programme")
    page.wait_for_selector("body[data-ready=none]", timeout=30_000)
    banner = page.locator("#noprogress")
    assert banner.is_visible() and "尚无建设进度数据" in banner.inner_text()
    assert page.evaluate(OVERFLOW_JS) <= 0
    assert not RAW_KEY.findall(_visible_text(page))
    watch.check()  # no request failed: the page asked /api/plan/available first
    context.close()
