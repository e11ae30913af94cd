"""A real service for the browser tests: uvicorn on a free localhost port, a temporary SQLite
database, the audit of the embedded demo area, and Debian's Chromium driven by Playwright.

The browser tests never skip: without Chromium they fail and say how to install it.
Screenshots go to ``test-artifacts/web/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from serving import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"
PASSWORD = "dispatch-pass-2026"
USERS = {"dispatcher": "dispatcher", "admin": "admin"}  # username -> role
#: The browser context of a phone (390 × 844 CSS px at 2×, touch, zh-CN): the pages' first users.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def build_audit_dir(out: Path) -> Path:
    """Audit the embedded demo area (Haidian, © OpenStreetMap contributors) into ``out``."""
    from wanzheng.audit.run import run_audit
    from wanzheng.cli.audit import demo_area_path
    from wanzheng.data.osm import load_osm
    from wanzheng.report import write_dashboard_extras, write_outputs
    from wanzheng.standards import load_catalogue, load_kind_rules

    catalogue = load_catalogue()
    area = demo_area_path()
    extract = load_osm(area, rules=load_kind_rules(catalogue=catalogue))
    result = run_audit(extract, catalogue=catalogue, sources={"osm_file": area.name})
    result = _with_cases(result, area)
    write_outputs(result, out)
    write_dashboard_extras(result, out)
    return out


def _with_cases(result: Any, area: Path) -> Any:
    """The audit with residents' cases of our own (tests/data/place/cases_evidence.csv) tied
    to its communities, as ``wanzheng audit --cases`` does."""
    import dataclasses

    from wanzheng.cli.place import audit_evidence, read_cases
    from wanzheng.data.osm_names import load_osm_names
    from wanzheng.place import build_gazetteer

    data = Path(__file__).resolve().parents[2] / "data" / "place" / "cases_evidence.csv"
    cases = read_cases(data, ["title", "text"], all_needed=False)
    gazetteer = build_gazetteer(
        load_osm_names(area), communities=result.communities[["id", "name", "geometry"]]
    )
    evidence, _ = audit_evidence(cases, gazetteer)
    return dataclasses.replace(result, evidence=evidence)


@dataclass
class LiveServer:
    """A running service."""

    url: str
    data_dir: Path


def start_server(data_dir: Path, audit_dir: Path | None) -> tuple[Any, threading.Thread, str]:
    """Prepare the database, create staff users, start uvicorn in a thread; return its URL."""
    import uvicorn

    from wanzheng.cases.seed import prepare_database
    from wanzheng.cases.users import create_user
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings
    from wanzheng.web import create_app

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, audit_dir=audit_dir)
    url = settings.resolved_database_url
    prepare_database(url)
    engine = make_engine(url, pool_size=4)
    with make_sessionmaker(engine)() as session:
        for name, role in USERS.items():
            create_user(session, username=name, password=PASSWORD, role=role, display_name=name)
        session.commit()
    engine.dispose()
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", workers=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/ui/vocabulary", timeout=2) as res:
                if res.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service did not start on {base}")
        time.sleep(0.1)
    return server, thread, base


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The whole service on a free port with the demo audit loaded."""
    root = tmp_path_factory.mktemp("e2e")
    audit_dir = build_audit_dir(root / "audit")
    server, thread, base = start_server(root / "data", audit_dir)
    yield LiveServer(url=base, data_dir=root / "data")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, with no network beyond localhost."""
    exe = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if exe is None:
        pytest.fail(
            "Chromium is not installed: run `bash scripts/ensure-system-deps.sh` as root "
            "(apt-get install chromium) for the browser tests",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(exe),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are saved."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PageWatch:
    """Collects JavaScript errors and requests that leave the service."""

    def __init__(self, page: Any, base: str) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

        def request(r: Any) -> None:
            if not (r.url.startswith(base) or r.url.startswith(("blob:", "data:"))):
                self.foreign.append(r.url)

        page.on("request", request)

    def check(self) -> None:
        assert self.errors == [], f"JavaScript errors: {self.errors}"
        assert self.foreign == [], f"requests outside the service: {self.foreign}"


UNLABELLED_JS = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.offsetParent !== null || el.type === 'file')
  .filter((el) => el.type !== 'hidden')
  .filter((el) => {
    const named = el.labels?.length || el.getAttribute('aria-label') ||
      el.getAttribute('aria-labelledby') || el.getAttribute('title');
    const text = el.tagName === 'BUTTON' && el.textContent.trim();
    return !(named || text);
  })
  .map((el) => el.outerHTML.slice(0, 120))
"""


def unlabelled(page: Any) -> list[str]:
    """Visible form controls and buttons that a screen reader could not name."""
    found: list[str] = page.evaluate(UNLABELLED_JS)
    return found
