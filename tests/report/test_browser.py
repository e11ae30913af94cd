"""report.html in a real Chromium: the map renders, clicks show details, nothing is fetched."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from wanzheng.audit.result import AuditResult
from wanzheng.report import write_outputs

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail(
            "Chromium is not installed: run `bash scripts/ensure-system-deps.sh` "
            "(as root) to install Debian's chromium for the browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, result: AuditResult, tmp_path: Path) -> Iterator[Any]:
    files = write_outputs(result, tmp_path / "out")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(files.report_html.as_uri())
    pg.wait_for_load_state("load")
    yield pg
    assert errors == [], f"JavaScript errors: {errors}"
    foreign = [u for u in requests if not u.startswith("file://")]
    assert foreign == [], f"the report fetched something: {foreign}"
    context.close()


def test_map_layers_render(page: Any) -> None:
    assert page.locator("svg#map .comm").count() == 3
    assert page.locator("svg#map .fac").count() == 3
    assert page.locator("#layer-network path").count() == 5
    # The layers have a real size on screen (drawn, not just present in the DOM).
    box = page.locator('svg#map .comm[data-c="0"]').bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50
    net = page.locator("#layer-network .net-street").bounding_box()
    assert net is not None and net["width"] > 50
    fac = page.locator('svg#map .fac[data-f="0"]').bounding_box()
    assert fac is not None and 6 <= fac["width"] <= 20, "markers are a few pixels wide"
    assert page.locator("#scale .scale-text").inner_text().endswith("米")


def test_click_community_shows_its_table(page: Any) -> None:
    page.locator('svg#map .comm[data-c="1"]').click()
    detail = page.locator("#detail")
    assert detail.locator("h3").inner_text() == "和平里"
    rows = detail.locator("table.community-table tbody tr:not(.group-row)")
    assert rows.count() == 4
    first = rows.nth(0).inner_text()
    assert "幼儿园" in first and "650.0" in first and "缺失" in first and "阳光幼儿园" in first
    assert "10.8 分" in first, "650 m at 60 m/min"
    assert "无数据" in rows.nth(1).inner_text()
    groups = detail.locator("table.community-table tbody tr.group-row")
    assert groups.count() == 2
    assert "完整社区要素" in groups.nth(0).inner_text()
    assert "生活圈配套" in groups.nth(1).inner_text()
    assert "综合超市" in rows.nth(3).inner_text()
    assert "不完整" in detail.inner_text()
    assert page.locator('svg#map .comm[data-c="1"]').get_attribute("class").endswith("selected")


def test_click_point_community_and_facility(page: Any) -> None:
    page.locator('svg#map .comm[data-c="2"]').click()
    assert page.locator("#detail h3").inner_text() == "东园"
    assert "> 500" in page.locator("#detail table").inner_text()
    life = page.locator("#detail .lc-missing").inner_text()
    assert life == "生活圈配套缺失（不计入结论）：综合超市"
    assert "综合超市" not in page.locator("#detail p").nth(1).inner_text(), "not a verdict gap"
    page.locator('svg#map .fac[data-f="1"]').click()
    text = page.locator("#detail").inner_text()
    assert "物美超市" in text and "综合超市" in text and "设施台账" in text


def test_keyboard_opens_a_community(page: Any) -> None:
    page.locator('svg#map .comm[data-c="0"]').focus()
    page.keyboard.press("Enter")
    assert page.locator("#detail h3").inner_text() == "阳光小区"


def test_table_button_opens_the_community(page: Any) -> None:
    page.locator('.show-c[data-c="2"]').click()
    assert page.locator("#detail h3").inner_text() == "东园"


def test_kind_toggle_hides_its_facilities(page: Any) -> None:
    markers = page.locator('.fac-kind[data-kind="supermarket"] .fac')
    assert markers.first.is_visible()
    page.locator('.kind-toggle[data-kind="supermarket"]').uncheck()
    assert not markers.first.is_visible()
    assert page.locator('.fac-kind[data-kind="kindergarten"] .fac').first.is_visible()
    assert page.locator('.kind-toggle[data-kind="health_station"]').is_disabled()


def test_zoom_buttons_change_the_view(page: Any) -> None:
    before = page.locator("svg#map").get_attribute("viewBox")
    size = page.locator('svg#map .fac[data-f="0"]').bounding_box()["width"]
    page.locator("#zoom-in").click()
    after = page.locator("svg#map").get_attribute("viewBox")
    assert after != before
    w0, w1 = float(before.split()[2]), float(after.split()[2])
    assert w1 == pytest.approx(w0 * 0.67, rel=1e-3)
    # Markers keep their size on screen while the map zooms.
    assert page.locator('svg#map .fac[data-f="0"]').bounding_box()["width"] == pytest.approx(
        size, abs=1.0
    )
    page.locator("#zoom-reset").click()
    assert float(page.locator("svg#map").get_attribute("viewBox").split()[2]) == pytest.approx(w0)


def test_show_and_hide_all_kinds(page: Any) -> None:
    page.locator("#kinds-none").click()
    assert all(not m.is_visible() for m in page.locator("svg#map .fac").all())
    page.locator("#kinds-all").click()
    assert all(m.is_visible() for m in page.locator("svg#map .fac").all())


def test_colour_communities_by_one_kind(page: Any) -> None:
    def classes() -> list[str]:
        return [
            page.locator(f'svg#map .comm[data-c="{i}"]').get_attribute("class") for i in range(3)
        ]

    assert classes() == ["comm v-undetermined", "comm v-incomplete", "comm v-incomplete"]
    page.locator("#colour-by").select_option("supermarket")
    # Supermarket: met, met, missing.
    assert classes() == ["comm v-complete", "comm v-complete", "comm v-incomplete"]
    assert "综合超市 达标（420.1 米）" in page.locator('svg#map .comm[data-c="0"]').get_attribute(
        "aria-label"
    )
    assert page.locator(".key-label").first.inner_text() == "达标"
    page.locator("#colour-by").select_option("health_station")
    assert classes() == ["comm v-undetermined"] * 3, "no data is grey, never red"
    page.locator("#colour-by").select_option("")
    assert classes()[0] == "comm v-undetermined"
    assert page.locator(".key-label").first.inner_text() == "完整"


def test_real_area_report_in_the_browser(
    browser: Any, real_result: AuditResult, tmp_path: Path
) -> None:
    files = write_outputs(real_result, tmp_path / "real")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(files.report_html.as_uri())
    names = real_result.communities["name"].tolist()
    assert pg.locator("svg#map .comm").count() == len(names) == 11
    assert pg.locator("svg#map .fac").count() == len(real_result.facilities)
    for i, name in enumerate(names):
        pg.locator(f'.show-c[data-c="{i}"]').click()
        assert pg.locator("#detail h3").inner_text() == (
            name or str(real_result.communities["id"][i])
        )
        assert pg.locator("#detail table.community-table tbody tr:not(.group-row)").count() == len(
            real_result.kinds
        )
    for key in real_result.kinds["key"]:
        pg.locator("#colour-by").select_option(key)
    pg.locator("svg#map .fac").first.click()
    assert pg.locator("#detail h3").inner_text() != ""
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    context.close()

    # Forwarded in a chat group and opened on a phone: nothing wider than the screen (wide
    # tables scroll inside their own box), the title is the area's name, not a file name.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = phone.new_page()
    pg.goto(files.report_html.as_uri())
    assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
    title = pg.locator("h1").inner_text()
    assert ".pbf" not in title and "个社区" in title, title
    phone.close()


def test_overlapping_labels_are_hidden(browser: Any, make_result: Any, tmp_path: Path) -> None:
    # Three communities named alike, two of them 1 m apart: their labels would overlap.
    res = make_result(names=("重叠的长名字小区甲", "重叠的长名字小区乙", "东园"))
    res.communities.loc[1, "geometry"] = shapely.box(116.35001, 40.0000, 116.35201, 40.0015)
    files = write_outputs(res, tmp_path / "out")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.goto(files.report_html.as_uri())

    def visible() -> list[str]:
        return pg.eval_on_selector_all(
            "#layer-labels .lbl",
            "ns => ns.map(n => getComputedStyle(n).visibility)",
        )

    assert visible().count("hidden") == 1
    assert visible()[2] == "visible"
    # Selecting the community whose label was hidden brings its label back.
    hidden = visible().index("hidden")
    pg.locator(f'.show-c[data-c="{hidden}"]').click()
    assert visible()[hidden] == "visible"
    assert visible().count("hidden") == 1
    context.close()
