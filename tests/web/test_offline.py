"""No page the service serves, /docs included, references a host other than itself.

Every GET route of the real application without path parameters is fetched; for each HTML
answer, every resource it names (scripts, styles, icons) and every resource those name in
turn (chunks a script imports, files a stylesheet loads) is fetched from the service and
searched for an address on another host. Addresses of XML namespaces are names, never
fetched, and allowed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from wanzheng.cases.seed import prepare_database
from wanzheng.settings import Settings
from wanzheng.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# An address with a scheme, or protocol-relative (`//host/…`, not a regular expression's `\//`).
URL = re.compile(r"(?:https?:|(?<![\\\w:]))//[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}[^\s\"'`<>)]*")
NAMESPACES = ("//www.w3.org/",)
# What a page or asset names: HTML attributes, CSS url(), ES module imports.
REFS = {
    "html": re.compile(r"""(?:src|href)=["']([^"']+)["']"""),
    "css": re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']"""),
    "js": re.compile(r"""(?:\bimport|\bfrom)\s*\(?\s*["'](\.{0,2}/[^"']+\.(?:js|css))["']"""),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("offline")
    settings = Settings(data_dir=data)
    prepare_database(settings.resolved_database_url)
    with TestClient(create_app(settings)) as c:
        yield c


def _get_paths(routes: list[Any]) -> Iterator[str]:
    """Paths of GET routes without parameters, through included routers (their routes carry
    their prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _get_paths(inner.routes)
        elif (
            isinstance(route, APIRoute | Route)
            and "{" not in route.path
            and "GET" in (route.methods or set())
        ):
            yield route.path


def _pages(client: TestClient) -> list[str]:
    return sorted(set(_get_paths(client.app.routes)))  # type: ignore[attr-defined]


def _external(text: str) -> list[str]:
    return [u for u in URL.findall(text) if not any(n in u for n in NAMESPACES)]


def _resolve(ref: str, at: str) -> str | None:
    if ref.startswith(("data:", "blob:", "#", "mailto:")):
        return None
    if ref.startswith("/"):
        return ref
    return str(Path(at).parent / ref)


def test_no_served_page_names_another_host(client: TestClient) -> None:
    pages = _pages(client)
    assert {"/", "/resident", "/dispatch", "/docs"} <= set(pages)
    seen: set[str] = set()
    html_pages = 0
    for path in pages:
        res = client.get(path)
        if not res.headers.get("content-type", "").startswith("text/html"):
            continue
        html_pages += 1
        todo = [(path, "html", res.text)]
        while todo:
            at, kind, text = todo.pop()
            assert _external(text) == [], f"{at} names another host"
            for found in REFS[kind].findall(text):
                ref = found if isinstance(found, str) else next(g for g in found if g)
                assert not ref.startswith("//") and not re.match(r"^[a-z]+://", ref), (
                    f"{at} loads {ref}"
                )
                target = _resolve(ref, at)
                # Links to pages and downloads are the service's own; resources are fetched.
                if target is None or target in seen or not target.startswith("/static/"):
                    continue
                if not re.fullmatch(r"[\w./\-]+", target):  # built at run time (`${url}`)
                    continue
                seen.add(target)
                sub = client.get(target)
                assert sub.status_code == 200, f"{at} names {target}, answered {sub.status_code}"
                sub_kind = target.rsplit(".", 1)[-1]
                if sub_kind in REFS:
                    todo.append((target, sub_kind, sub.text))
    assert html_pages >= 6  # /, /dashboard, /resident, /m, /dispatch, /docs
    assert any(s.endswith(".css") for s in seen) and any(s.endswith(".js") for s in seen)


def test_the_docs_are_ours_and_the_cdn_pages_are_gone(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert client.get("/redoc").status_code == 404
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_the_check_finds_a_foreign_host() -> None:
    page = '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js">'
    assert _external(page) and REFS["html"].findall(page)[0].startswith("https://")
    assert _external("@import url(//fonts.example.org/a.css)") != []
