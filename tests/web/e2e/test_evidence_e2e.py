"""Evidence per audited community in the dashboard (real Chromium): the cases of our own asking
for a missing facility (tests/data/place/cases_evidence.csv) beside the community's verdict."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from .conftest import LiveServer, PageWatch, unlabelled


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())


def test_dashboard_shows_evidence_per_community(
    live_server: LiveServer, browser: Any, artifacts: Path
) -> None:
    base = live_server.url
    features = _get(f"{base}/api/audit/communities")["features"]
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    areas = {f["properties"]["name"] for f in features if f["geometry"]["type"] != "Point"}
    # the expectations of tests/data/place/SOURCE.md
    assert by_name["静淑苑"]["evidence"] == [
        {"kind": "vegetable_market", "n_cases": 4, "n_residents": 3}
    ]
    assert by_name["石科院生活区"]["evidence"] == [
        {"kind": "health_station", "n_cases": 2, "n_residents": 2}
    ]
    assert by_name["富润家园"]["evidence"] == [
        {"kind": "kindergarten", "n_cases": 1, "n_residents": 1}
    ]
    assert sum(len(p["evidence"]) for p in by_name.values()) == 3

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    chosen = by_name["静淑苑"]
    page.select_option("#community-select", chosen["id"])
    page.wait_for_selector("#map[data-reach=ready]", timeout=15_000)
    panel = page.locator("#community")
    assert panel.locator("h3").inner_text() == "静淑苑"
    items = panel.locator("#evidence li")
    assert items.count() == 1
    assert items.first.get_attribute("data-kind") == "vegetable_market"
    text = items.first.inner_text()
    assert "4 件诉求" in text and "3 位居民" in text
    # beside the verdict: the kind asked for is one the audit finds missing there
    assert chosen["kinds"]["vegetable_market"]["status"] == "missing"
    assert items.first.locator(".pill.bad").count() == 1
    assert panel.locator(".pill.verdict-incomplete").count() == 1
    assert unlabelled(page) == []
    # a community nobody asked about shows no evidence block
    other = next(p for n, p in by_name.items() if not p["evidence"] and n in areas)
    page.select_option("#community-select", other["id"])
    page.wait_for_function(
        "name => document.querySelector('#community h3')?.textContent === name",
        arg=other["name"],
        timeout=15_000,
    )
    assert page.locator("#community #evidence").count() == 0
    watch.check()
    context.close()
