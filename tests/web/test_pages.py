"""The built front end ships in the package, references nothing outside it, and is served."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from wanzheng.errors import NotFoundError
from wanzheng.web.routes import pages

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 package; the httpx it supports still works here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

STATIC = pages.STATIC_DIR
# An address with a scheme, or protocol-relative (`//host/…`, not a regular expression's `\//`).
URL = re.compile(r"(?:https?:|(?<![\\\w:]))//[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}[^\s\"'`<>)]*")
# XML namespace names are identifiers that browsers never fetch.
NAMESPACES = ("//www.w3.org/",)


def _built() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.is_file())


def test_every_page_is_built() -> None:
    for name in ("dashboard.html", "resident.html", "dispatch.html", "docs.html"):
        assert (STATIC / name).is_file(), f"{name} missing: run `make web`"
    assets = [p.name for p in (STATIC / "assets").iterdir()]
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)


@pytest.mark.parametrize("suffix", [".html", ".js", ".css"])
def test_built_files_reference_no_external_url(suffix: str) -> None:
    files = [p for p in _built() if p.suffix == suffix]
    assert files, f"no {suffix} file was built"
    for path in files:
        text = path.read_text(encoding="utf-8")
        external = [u for u in URL.findall(text) if not any(n in u for n in NAMESPACES)]
        assert external == [], f"{path.name}: external URLs {external[:5]}"


def test_the_url_check_can_fail() -> None:
    bad = '<script src="https://cdn.example.com/leaflet.js"></script> url(//fonts.example.org/x)'
    assert len(URL.findall(bad)) == 2
    assert URL.findall('xmlns="http://www.w3.org/2000/svg"') == ["http://www.w3.org/2000/svg"]


def test_pages_reference_only_their_own_assets() -> None:
    for name in ("dashboard.html", "resident.html", "dispatch.html"):
        html = (STATIC / name).read_text(encoding="utf-8")
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        local = [r for r in refs if r.startswith("/static/assets/")]
        assert local, f"{name} loads no bundled asset"
        for ref in local:
            assert (STATIC / ref.removeprefix("/static/")).is_file(), f"{name}: {ref} missing"


@pytest.fixture()
def client() -> TestClient:
    app = FastAPI()
    app.include_router(pages.router)

    @app.exception_handler(NotFoundError)
    def _nf(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    return TestClient(app)


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", "dashboard"),
        ("/dashboard", "dashboard"),
        ("/resident", "resident"),
        ("/m", "resident"),
        ("/dispatch", "dispatch"),
    ],
)
def test_pages_are_served(client: TestClient, path: str, marker: str) -> None:
    res = client.get(path)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    assert f"page-{marker}" in res.text
    assert 'lang="zh-CN"' in res.text


def test_static_assets_are_served_and_paths_cannot_escape(client: TestClient) -> None:
    html = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    js = re.search(r'src="(/static/assets/[^"]+\.js)"', html)
    assert js is not None
    res = client.get(js.group(1))
    assert res.status_code == 200
    assert "immutable" in res.headers["cache-control"]
    assert client.get("/static/../routes/pages.py").status_code == 404
    assert client.get("/static/%2e%2e/routes/pages.py").status_code == 404
    assert client.get("/static/assets/nope.js").status_code == 404


FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def _dictionary() -> dict[str, set[str]]:
    """The keys of each language block of frontend/src/i18n.js."""
    text = (FRONTEND / "src" / "i18n.js").read_text(encoding="utf-8")
    zh_start = text.index('"zh-CN": {')
    en_start = text.index("  en: {")
    end = text.index("};", en_start)
    key = re.compile(r'^\s+"([a-z][\w.]*)":', re.M)
    return {
        "zh-CN": set(key.findall(text[zh_start:en_start])),
        "en": set(key.findall(text[en_start:end])),
    }


def test_both_languages_have_every_key() -> None:
    d = _dictionary()
    assert len(d["zh-CN"]) > 100
    assert d["zh-CN"] - d["en"] == set(), "keys without English"
    assert d["en"] - d["zh-CN"] == set(), "keys without Chinese"


def test_every_key_the_pages_use_is_in_the_dictionary() -> None:
    keys = _dictionary()["zh-CN"]
    used: set[str] = set()
    for path in [*FRONTEND.glob("*.html"), *(FRONTEND / "src").glob("*.js")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-[a-z]+)?="([\w.]+)"', text))
        used |= set(re.findall(r'\bt\("([a-z][\w.]+)"\)', text))
    assert used, "no translated text found"
    assert used - keys == set()
