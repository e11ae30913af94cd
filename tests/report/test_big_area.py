"""A city-sized result: the outputs are written in seconds and report.html stays usable."""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

from wanzheng.audit.result import AuditResult
from wanzheng.report import OutputFiles, write_outputs
from wanzheng.report.html import BUILDING_LIMIT, NETWORK_EDGE_LIMIT, render_html

CHROMIUM = Path("/usr/bin/chromium")


def _bigarea() -> Any:
    """``tests/report/bigarea.py`` (imported by path: tests are not a package)."""
    spec = importlib.util.spec_from_file_location("bigarea", Path(__file__).with_name("bigarea.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big() -> AuditResult:
    """60k edges, 12k buildings, 500 communities, 20 kinds, 1,600 facilities: above every
    level-of-detail limit, yet quick enough for the test suite. The full city-sized figures
    (200k / 50k / 2,000) come from ``python tests/report/bigarea.py`` (docs/report.md)."""
    result: AuditResult = _bigarea().build_big_result(
        n_edges=60_000, n_buildings=12_000, n_communities=500, n_facilities=1_600
    )
    return result


@pytest.fixture(scope="module")
def written(
    big: AuditResult, tmp_path_factory: pytest.TempPathFactory
) -> tuple[OutputFiles, float]:
    t0 = time.perf_counter()
    files = write_outputs(big, tmp_path_factory.mktemp("big") / "out")
    return files, time.perf_counter() - t0


def test_big_outputs_are_written_in_seconds(written: tuple[OutputFiles, float]) -> None:
    files, seconds = written
    # About 2-3 s on the reference machine (shared, loaded); minutes would mean per-row Python.
    assert seconds < 30, f"writing took {seconds:.1f} s"
    size = files.report_html.stat().st_size
    assert size < 4e6, f"report.html is {size / 1e6:.1f} MB"


def test_big_tables_are_complete(big: AuditResult, written: tuple[OutputFiles, float]) -> None:
    files, _ = written
    back = pd.read_csv(files.communities_csv, encoding="utf-8-sig", dtype={"id": str})
    assert len(back) == 500
    assert back["kind00_share_within"].notna().all()
    info = pyogrio.read_info(files.gpkg, layer="network")
    assert info["features"] == 60_000, "the GeoPackage keeps every edge"


def test_big_map_is_simplified_and_says_so(
    big: AuditResult, written: tuple[OutputFiles, float]
) -> None:
    files, _ = written
    page = files.report_html.read_text("utf-8")
    note = page.split('id="lod-note"')[1].split("</div>")[0]
    assert "步行路网共 60,000 段" in note and "省略人行道" in note
    assert "建筑共 12,000 栋" in note and "密度" in note
    assert "社区一览" in note
    assert "设施共 1,600 处" in note and "隐藏" in note
    assert page.count('class="fac-kind"') == page.count('style="display:none"') == 20
    assert 'class="kind-toggle" data-kind="kind00" >' in page, "unchecked at first"
    net = page.split('id="layer-network"')[1].split("</g>")[0]
    segments = net.count("M")
    # Roads are drawn twice (casing and line); at most the limit of distinct segments.
    distinct = sum(
        d.count("M") for d in re.findall(r'class="net net-(?:road|street|path)" d="([^"]*)"', net)
    )
    assert 0 < distinct <= NETWORK_EDGE_LIMIT < segments
    assert 'class="map lod-net"' in page, "thin lines for a simplified network"
    assert 'class="bld-density d4"' in page and 'class="bld bld-res"' not in page
    # Communities and facilities stay complete.
    assert page.count('class="comm ') == 500
    assert page.count('class="fac"') == len(big.facilities)
    # Whole-metre coordinates in the simplified layers.
    assert re.search(r"M-?\d+ -?\d+l-?\d+ -?\d+", net)
    assert not re.search(r"M-?\d+\.\d", net)


def test_small_area_is_not_simplified(make_result: Any) -> None:
    page = render_html(make_result())
    assert 'id="lod-note"' not in page and '<tbody id="matrix-body"' not in page
    assert BUILDING_LIMIT > 2


@pytest.mark.browser
def test_big_report_loads_in_the_browser(written: tuple[OutputFiles, float]) -> None:
    from playwright.sync_api import sync_playwright

    files, _ = written
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pg = b.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        pg.goto(files.report_html.as_uri(), wait_until="load")
        pg.wait_for_function("document.querySelectorAll('#matrix-body tr').length === 250")
        seconds = time.perf_counter() - t0
        assert "已显示 250 / 500 个社区" in pg.locator("#matrix-more").inner_text()
        pg.locator("#matrix-more-btn").click()
        assert pg.locator("#matrix-body tr").count() == 500
        assert pg.locator("#matrix-more").is_hidden()
        pg.locator('.show-c[data-c="420"]').click()
        assert pg.locator("#detail h3").inner_text() == "社区420"
        pg.locator('.show-c[data-c="5"]').click()
        assert pg.locator("#detail h3").inner_text() == "社区5"
        pg.locator("#zoom-in").click()
        assert pg.locator('.fac-kind[data-kind="kind03"]').is_hidden()
        pg.select_option("#colour-by", "kind03")
        assert pg.locator('.fac-kind[data-kind="kind03"]').is_visible()
        assert pg.locator('.kind-toggle[data-kind="kind03"]').is_checked()
        b.close()
    assert not errors, errors
    assert seconds < 20, f"loading took {seconds:.1f} s"
    print(f"report.html loaded in {seconds:.2f} s")
