"""Take the README's screenshots with the real Chromium: ``python scripts/screenshots.py``.

Starts ``wanzheng demo`` on a free port with a fresh data directory, files one report as a
resident would, signs in as the demo dispatcher, and saves the dashboard, the resident page,
the dispatcher console (1366 × 900) and the resident page and report.html on a phone
(390 × 844) into ``docs/img/`` (``report.png``, the report's map with a community opened, is
taken by hand). Needs Chromium at /usr/bin/chromium (``bash scripts/ensure-system-deps.sh``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "wanzheng-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wanzheng-shots-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("wanzheng")
    server = subprocess.Popen(
        [str(exe), "demo", "--serve", "--port", str(port), "--out", str(work / "out"),
         "--data-dir", str(work / "data")],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/ui/vocabulary", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the demo service did not start") from None
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            shoot(browser, base, work / "out" / "report.html")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def shoot(browser: object, base: str, report: Path) -> None:
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = desk.new_page()
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.screenshot(path=str(OUT / "dashboard.png"))

    phone = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    res = phone.new_page()
    res.goto(f"{base}/resident")
    res.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    res.fill("#text", "小区东门的路灯不亮已经一周了，晚上很黑，老人出门不安全")
    box = res.locator("#map").bounding_box()
    res.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    res.wait_for_selector("#loc-status.ok")
    res.wait_for_timeout(800)
    res.screenshot(path=str(OUT / "resident.png"))
    res.locator("#submit").click()
    res.wait_for_selector("#tracking-code", timeout=30_000)
    res.screenshot(path=str(OUT / "resident-receipt.png"))
    rep = phone.new_page()
    rep.goto(report.as_uri())
    rep.screenshot(path=str(OUT / "report-phone.png"))

    page = desk.new_page()
    page.goto(f"{base}/dispatch")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector(".qitem", timeout=30_000)
    page.locator(".qitem").first.click()
    page.wait_for_selector("#case-view h3", timeout=30_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "dispatcher.png"))
    desk.close()
    phone.close()


if __name__ == "__main__":
    main()
