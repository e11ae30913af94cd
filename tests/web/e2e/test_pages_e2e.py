"""The three pages in a real Chromium against a real service.

A resident files a case with a pin and a photo and gets a tracking code; a dispatcher
signs in, sees it in the queue with its proposed category, photo and a likely duplicate,
merges the duplicate, accepts, assigns, starts and resolves the case; the resident rates it
满意 and the dispatcher's satisfaction rate shows it. The dashboard shows the audit of the
embedded demo area. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .conftest import PASSWORD, PHONE, LiveServer, PageWatch, unlabelled

pytestmark = pytest.mark.browser

ISSUE = "小区东门的路灯不亮已经一周了，晚上很黑，老人出门不安全"
DUPLICATE = "东门路灯不亮一周了，晚上太黑"


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())


def _png(path: Path) -> Path:
    """A small real PNG photo (64 × 48, an orange lamp post on grey)."""
    img = Image.new("RGB", (64, 48), (120, 120, 120))
    for y in range(8, 44):
        for x in range(30, 34):
            img.putpixel((x, y), (240, 140, 20))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def test_dashboard_shows_the_demo_audit(
    live_server: LiveServer, browser: Any, artifacts: Path
) -> None:
    base = live_server.url
    summary = _get(f"{base}/api/audit/summary")
    kinds = _get(f"{base}/api/audit/kinds")
    communities = _get(f"{base}/api/audit/communities")["features"]
    assert summary["counts"]["communities"] == len(communities) > 0
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)

    # The map drew every community and every facility; the summary agrees with the API.
    drawn = page.locator("#map")
    assert drawn.get_attribute("data-communities") == str(len(communities))
    facilities = int(drawn.get_attribute("data-facilities") or 0)
    assert facilities == summary["counts"]["facilities"] > 0
    stats = page.locator("#stats").inner_text()
    assert f"{summary['counts']['communities']}\n社区" in stats
    assert page.locator("#kinds input[name=kind]").count() == len(kinds)

    # Turning one kind off hides exactly its facilities.
    busiest = max(kinds, key=lambda k: k["facilities"])
    page.locator(f'#kinds input[value="{busiest["key"]}"]').uncheck()
    assert int(drawn.get_attribute("data-facilities") or 0) == facilities - busiest["facilities"]
    page.locator(f'#kinds input[value="{busiest["key"]}"]').check()

    # Choose the community that lacks the fewest kinds: side panel and 5/10/15-minute reach.
    chosen = min(communities, key=lambda f: len(f["properties"]["missing"]))["properties"]
    page.select_option("#community-select", chosen["id"])
    page.wait_for_selector("#map[data-reach=ready]", timeout=15_000)
    panel = page.locator("#community")
    assert panel.locator("h3").inner_text() == chosen["name"]
    assert panel.locator("#missing-verdict .pill").count() == len(chosen["missing"])
    assert panel.locator("#missing-life .pill").count() == len(chosen["missing_life_circle"])
    assert panel.locator("table.kinds-table tbody tr").count() == len(kinds)
    reach = _get(f"{base}/api/audit/communities/{chosen['id']}/reach")["features"]
    lengths = {
        f["properties"]["minutes"]: f["properties"]["streets_m"]
        for f in reach
        if f["properties"]["part"] == "streets"
    }
    assert lengths[5] < lengths[10] < lengths[15], "a longer walk reaches more streets"

    # The coverage chart was drawn, with its figures as a table for screen readers.
    assert page.locator("#chart canvas").count() >= 1
    assert page.locator("#coverage-table tr").count() == sum(
        1 for k in kinds if k["threshold_m"] is not None
    )
    page.screenshot(path=str(artifacts / "dashboard.png"))
    assert unlabelled(page) == []

    # The chart says "no data" for a kind no source records, instead of 0 %.
    silent = [k for k in kinds if k["threshold_m"] is not None and k["facilities"] == 0]
    if silent:
        name = silent[0]["name_zh"]
        row = page.locator("#coverage-table tr", has_text=name)
        assert row.locator("td").inner_text() == "无数据"

    # Keyboard only: focus the community list and pick another community with the arrows.
    page.locator("#community-select").focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#map[data-reach=ready]", timeout=15_000)
    assert page.locator("#community h3").inner_text() != chosen["name"]

    # The three exports download from the service.
    for link in ("#export-xlsx", "#export-gpkg", "#export-html"):
        href = page.locator(link).get_attribute("href")
        res = page.request.get(f"{base}{href}")
        assert res.status == 200, href
        assert len(res.body()) > 1000
    # English is one click away.
    page.locator("#lang-switch").click()
    assert page.locator("#h-summary").inner_text() == "Summary"
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("#lang-switch").click()
    watch.check()
    context.close()


def _deliver_outbox(data_dir: Path) -> None:
    """One delivery pass of the notification outbox of the live service's database."""
    from wanzheng.cases.store import make_engine, make_sessionmaker
    from wanzheng.proactive.outbox import PageLogSender, deliver
    from wanzheng.settings import Settings

    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url, pool_size=1)
    sm = make_sessionmaker(engine)
    report = deliver(sm, PageLogSender(sm, data_dir / "notices.jsonl"), now=dt.datetime.now(dt.UTC))
    engine.dispose()
    assert report.sent == 2  # the merged case's resident and the kept case's resident


def _stored_location(data_dir: Path, case_id: int) -> tuple[float, float]:
    """(lon, lat) of a stored case, read from the live service's database."""
    from wanzheng.cases.models import Case
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings

    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.lon is not None and case.lat is not None
        where = (case.lon, case.lat)
    engine.dispose()
    return where


def _submit_json(base: str, text: str, lon: float, lat: float) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{base}/api/cases",
        data=json.dumps({"text": text, "lon": lon, "lat": lat}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        out: dict[str, Any] = json.loads(res.read())
        return out


def _act(page: Any, label: str) -> None:
    page.locator("#case-view .actions button", has_text=label).click()


def test_resident_files_dispatcher_handles_resident_rates(
    live_server: LiveServer, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = live_server.url
    photo = _png(tmp_path / "lamp.png")

    # --- the resident, on a phone ---------------------------------------------------------
    phone = browser.new_context(
        **PHONE,
        geolocation={"latitude": 40.00312, "longitude": 116.35544},
        permissions=["geolocation"],
    )
    res_page = phone.new_page()
    res_watch = PageWatch(res_page, base)
    res_page.goto(f"{base}/resident")
    res_page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    res_page.locator("#submit").click()
    assert res_page.locator("#form-error").inner_text() == "请填写问题描述"
    res_page.fill("#text", ISSUE)
    assert unlabelled(res_page) == []
    # The phone's location puts the pin where the phone is …
    res_page.locator("#locate").click()
    res_page.wait_for_selector("#loc-status.ok")
    # The status shows the coordinates at once and the place's name when /api/audit/place
    # answers (the order depends on the machine's load): wait for the name, the end state.
    res_page.wait_for_function(
        "() => document.querySelector('#loc-status').textContent.includes('附近')",
        timeout=20_000,
    )
    assert (
        res_page.locator("#loc-status").inner_text()
        == "已选位置: 中建壹品·学府公馆附近 · 小月河西路"
    )
    # … and a tap on the map moves it.
    box = res_page.locator("#map").bounding_box()
    assert box is not None
    res_page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # (the status shows the coordinates, then the place's name once /api/audit/place
    # answers: the pin's coordinates are read back from the stored case below)
    assert res_page.locator("#loc-status").inner_text().startswith("已选位置")
    res_page.set_input_files("#photos", str(photo))
    res_page.wait_for_selector("#previews[data-count='1']:not([data-busy])", timeout=15_000)
    res_page.screenshot(path=str(artifacts / "resident.png"), full_page=True)
    res_page.locator("#submit").click()
    res_page.wait_for_selector("#tracking-code", timeout=15_000)
    code = res_page.locator("#tracking-code").inner_text().strip()
    assert len(code) >= 6
    res_page.screenshot(path=str(artifacts / "resident-receipt.png"))
    tracked = _get(f"{base}/api/track/{code}")
    assert tracked["text"] == ISSUE and tracked["state"] == "submitted"
    case_id = tracked["id"]
    lon, lat = _stored_location(live_server.data_dir, case_id)

    # A neighbour reports the same lamp a little later, and two other problems come in
    # (through the API).
    dup = _submit_json(base, DUPLICATE, lon + 0.0002, lat)
    _submit_json(base, "3号楼楼道垃圾堆放好几天没人清理，有异味", lon - 0.003, lat + 0.002)
    _submit_json(base, "夜里工地施工噪音太大，影响休息", lon + 0.004, lat - 0.002)

    # --- the dispatcher ---------------------------------------------------------------------
    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/dispatch")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector(f'.qitem[data-id="{case_id}"]', timeout=10_000)
    assert unlabelled(page) == []
    assert "已提交" in page.locator(".qtab.on").inner_text()

    # The resident's case: proposed category, the photo, a deadline countdown and the
    # neighbour's report as a likely duplicate.
    page.locator(f'.qitem[data-id="{case_id}"]').click()
    page.wait_for_selector("#photos img", timeout=10_000)
    assert page.locator(f'.qitem[data-id="{case_id}"] .due').inner_text().startswith("时限")
    assert page.locator("#proposed").inner_text() != "–"
    dupes = page.locator("#case-view .dupes li")
    assert dupes.count() == 1 and f"#{dup['id']}" in dupes.first.inner_text()
    page.screenshot(path=str(artifacts / "dispatcher.png"))

    # The duplicate: its candidates list the resident's case; merge it there.
    page.locator(f'.qitem[data-id="{dup["id"]}"]').click()
    page.wait_for_selector(f'[data-merge="{case_id}"]')
    page.locator(f'[data-merge="{case_id}"]').click()
    assert page.locator("#f-merged").input_value() == str(case_id)
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已合并')")

    # Work the resident's case through to resolved.
    page.locator(".qtab[data-state=submitted]").click()
    page.locator(f'.qitem[data-id="{case_id}"]').click()
    page.wait_for_selector(f"#case-view h3:has-text('#{case_id}')")
    _act(page, "签收")
    page.wait_for_selector("#detail-state:has-text('已签收')")
    # Confirm the proposed category: the select starts on it, and the case is marked confirmed.
    _act(page, "确认/改派分类")
    assert page.locator("#f-category").input_value() == "urban.municipal"
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#category-confirmed")
    assert page.locator("#detail-state").inner_text() == "已签收"
    _act(page, "派单")
    page.locator("#f-department").select_option(index=1)
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已派单')")
    _act(page, "响应办理")
    page.wait_for_selector("#detail-state:has-text('办理中')")
    _act(page, "办结")
    page.fill("#f-note", "已更换东门路灯灯泡，夜间照明恢复")
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已办结待评价')")
    history = page.locator("#case-view .timeline li")
    assert history.count() == 6  # submitted, accepted, category, assigned, started, resolved
    assert history.first.inner_text().count("提交") >= 1
    page.screenshot(path=str(artifacts / "dispatcher-resolved.png"))

    # Three days later every open case is past its deadline: the queue shows it in red.
    page.clock.set_system_time(dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    page.locator(".qtab[data-state=submitted]").click()
    late = page.locator(".qitem.overdue")
    assert late.count() == 2  # the two other problems, still waiting to be accepted
    assert "已超时" in late.first.inner_text()
    page.clock.set_system_time(dt.datetime.now(dt.UTC))

    # The service's outbox timer delivers the merge messages; here one pass is run directly.
    _deliver_outbox(live_server.data_dir)

    # --- the resident rates the result ---------------------------------------------------------
    res_page.goto(f"{base}/resident?code={code}")
    res_page.wait_for_selector("#rate-form", timeout=15_000)
    # The neighbour's report was merged into the resident's case: the page says so.
    assert "有居民反映了同一问题" in res_page.locator(".notices").inner_text()
    # The tabs work from the keyboard.
    res_page.locator("#tab-track").focus()
    res_page.keyboard.press("ArrowLeft")
    assert res_page.locator("#tab-report").get_attribute("aria-selected") == "true"
    res_page.keyboard.press("ArrowRight")
    assert res_page.locator("#panel-track").is_visible()
    assert res_page.locator("#case-state").inner_text() == "已办结待评价"
    assert "已更换东门路灯灯泡" in res_page.locator(".timeline").inner_text()
    res_page.screenshot(path=str(artifacts / "resident-rate.png"))
    res_page.locator("label.rating", has_text="满意").first.click()
    res_page.locator("#rate-form button[type=submit]").click()
    res_page.wait_for_selector("#case-state:has-text('已关闭')", timeout=10_000)
    assert "满意" in res_page.locator(".rated").inner_text()
    assert _get(f"{base}/api/track/{code}")["rating"] == "满意"

    # --- the three rates now count the closed, satisfied case ----------------------------------
    page.locator("#rates-form button[type=submit]").click()
    page.wait_for_selector("#rates .stat:has-text('满意率'):has-text('1/1')", timeout=10_000)
    satisfaction = page.locator("#rates .stat", has_text="满意率").inner_text()
    assert satisfaction.startswith("100.0%"), satisfaction

    # --- 需求预测: two years of back-dated cases, then the outlook card --------------------------
    _back_dated_history(live_server, weeks=100, lon=116.35544, lat=40.00312)
    page.locator("#outlook-load").click()
    row = page.locator(".outlook-row[data-category='urban.sanitation']")
    row.wait_for(timeout=120_000)
    text = row.inner_text()
    assert "下周" in text and "80% 区间" in text and "方法：" in text, text
    assert "对比基线：" in text and "区间覆盖率" in text, text
    outlook = _get_staff(base, page)
    [bt] = [b for b in outlook["backtest"] if b["category"] == "urban.sanitation"]
    assert row.get_attribute("data-used") == bt["used"] and bt["break"] == ""
    page.locator(".outlook").screenshot(path=str(artifacts / "dispatch-outlook.png"))
    res_watch.check()
    watch.check()
    phone.close()
    desk.close()


def _back_dated_history(live: LiveServer, *, weeks: int, lon: float, lat: float) -> None:
    """About 4 sanitation cases a week for ``weeks`` weeks before today, in the live database."""
    import numpy as np

    from wanzheng.cases.store import (
        NewCase,
        create_case,
        grid_index,
        make_engine,
        make_sessionmaker,
    )
    from wanzheng.settings import Settings

    url = Settings(data_dir=live.data_dir).resolved_database_url
    engine = make_engine(url, pool_size=1)
    rng = np.random.default_rng(5)
    now = dt.datetime.now(dt.UTC)
    with make_sessionmaker(engine)() as s:
        index = grid_index(s)
        for w in range(weeks):
            start = now - dt.timedelta(weeks=weeks - w)
            for _ in range(int(rng.poisson(4))):
                create_case(
                    s,
                    new=NewCase(
                        text="垃圾桶满了没人清运", lon=lon, lat=lat, category="urban.sanitation"
                    ),
                    now=start + dt.timedelta(hours=float(rng.uniform(0, 160))),
                    index=index,
                )
        s.commit()
    engine.dispose()


def _get_staff(base: str, page: Any) -> Any:
    """The outlook as the signed-in page's token sees it."""
    token = page.evaluate("() => sessionStorage.getItem('wanzheng.token')")
    req = urllib.request.Request(
        f"{base}/api/proactive/outlook?by=category&horizon=8&min_total=20",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=120) as res:
        return json.loads(res.read())
