"""Offline means offline: the API reference renders in Chromium with every request to
another host refused (an intranet with no way out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import LiveServer, PageWatch

pytestmark = pytest.mark.browser


def test_api_reference_renders_with_the_network_blocked(
    live_server: LiveServer, browser: Any, artifacts: Path
) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    blocked: list[str] = []

    def only_the_service(route: Any) -> None:
        url = route.request.url
        if url.startswith((base, "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_service)
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/docs")
    page.wait_for_selector("body[data-ready=yes]", timeout=30_000)
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    # The reference lists the service's own operations, read from /openapi.json.
    spec = page.request.get(f"{base}/openapi.json").json()
    operations = sum(len(v) for v in spec["paths"].values())
    assert page.locator(".swagger-ui .opblock").count() == operations > 20
    assert spec["info"]["title"] in page.locator(".swagger-ui .info .title").inner_text()
    # An operation opens with its parameters and its schemas (OpenAPI 3.1 JSON Schema).
    page.locator("#operations-cases-queue_api_cases_get .opblock-summary").click()
    page.wait_for_selector("#operations-cases-queue_api_cases_get .parameters", timeout=10_000)
    assert "limit" in page.locator("#operations-cases-queue_api_cases_get").inner_text()
    models = page.locator(".swagger-ui section.models").inner_text()
    assert [name for name in spec["components"]["schemas"] if name not in models] == []
    page.screenshot(path=str(artifacts / "docs.png"))
    assert blocked == []
    watch.check()
    context.close()
