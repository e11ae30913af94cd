"""Take the README's screenshots with the real Chromium: ``python scripts/screenshots.py``.

Starts ``wanzheng demo`` on a free port with a fresh data directory, files one report as a
resident would, signs in as the demo dispatcher, and saves the dashboard, the resident page,
the dispatcher console (1366 × 900) and the resident page and report.html on a phone
(390 × 844) into ``docs/img/`` (``report.png``, the report's map with a community opened, is
taken by hand). Needs Chromium at /usr/bin/chromium (``bash scripts/ensure-system-deps.sh``).

Then, for docs/plan.md, the demo audit gets its own plan (``wanzheng plan site`` 3 sites for
elderly stations and canteens) and a programme's progress between the demo audit
(2025-06-30) and a second audit whose ledger adds the planned facilities at the plan's sites
(2025-12-31), over an illustrative programme (the communities split between two
subdistricts by longitude, a 2025 target of 20 %), and ``dashboard-plan.png`` (1366 × 900),
``programme.png`` (1366 × 900) and ``programme-phone.png`` (390 × 844) are saved.
``--plan-only`` takes only these three.

``python scripts/screenshots.py --roles`` takes the screen guides' pictures instead
(``docs/roles/img/``): one case walked through by each role with the demo accounts — the
resident files it with a photo on a phone, the dispatcher accepts it and dispatches it to a
department and grid, the handler starts it and resolves it with a photo of the place after the
work, the grid worker sees it on a phone, and the resident follows it.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
ROLES_OUT = ROOT / "docs" / "roles" / "img"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "wanzheng-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    roles = "--roles" in sys.argv[1:]
    (ROLES_OUT if roles else OUT).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wanzheng-shots-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("wanzheng")
    server = subprocess.Popen(
        [
            str(exe),
            "demo",
            "--serve",
            "--port",
            str(port),
            "--out",
            str(work / "out"),
            "--data-dir",
            str(work / "data"),
        ],
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
            if roles:
                shoot_roles(browser, base, work)
            else:
                if "--plan-only" not in sys.argv:
                    shoot(browser, base, work / "out" / "report.html")
                make_plan_and_progress(exe, work)
                shoot_plan(browser, base)
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


def _run(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def make_plan_and_progress(exe: Path, work: Path) -> None:
    """The demo audit's own plan, a second audit with the plan built, the progress between."""
    from openpyxl import Workbook

    from wanzheng.cli.audit import demo_area_path, demo_ledger_path

    audit = work / "out"
    _run(str(exe), "plan", "site", str(audit), "--kinds", "elderly_station,canteen", "--add", "3")
    plan = json.loads((audit / "plan" / "plan.json").read_text(encoding="utf-8"))
    ledger = work / "ledger-2025-12.csv"
    rows = list(csv.reader(demo_ledger_path().open(encoding="utf-8")))
    for n, site in enumerate(plan["sites"], start=1):
        for kind in ("老年服务站", "社区食堂"):
            rows.append([f"NEW-{n}-{kind}", f"{site['name']}{kind}", kind,
                         f"{site['lon']:.7f}", f"{site['lat']:.7f}", "wgs84"])  # fmt: skip
    with ledger.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(rows[0][:6])
        w.writerows(r[:6] for r in rows[1:])
    second = work / "a-2025-12"
    _run(str(exe), "audit", str(demo_area_path()), "--facilities", str(ledger),
         "--date", "2025-12-31", "--out", str(second))  # fmt: skip
    from wanzheng.data.audit_output import load_audit_output

    table = load_audit_output(audit).communities
    comm = [
        {"id": str(i), "name": str(n), "lon": float(x)}
        for i, n, x in zip(table["id"], table["name"], table["origin_lon"], strict=True)
    ]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "社区"
    ws.append(["社区编号", "社区名称", "街道", "区"])
    mid = sorted(c["lon"] for c in comm)[len(comm) // 2]
    for c in comm:
        sub = "学院路街道" if c["lon"] < mid else "东升街道"
        ws.append([c["id"], c["name"], sub, "海淀区"])
    wt = wb.create_sheet("目标")
    wt.append(["年份", "目标比例", "范围"])
    wt.append([2025, "20%", ""])
    wp = wb.create_sheet("项目")
    wp.append(["社区编号", "设施类型", "点位", "阶段", "计划开工", "计划建成", "计划验收", "预算"])
    wp.append([comm[0]["id"], "canteen", "底商一层", "开工", "2025-03-01", "2025-09-30", "", 80])
    book = work / "programme.xlsx"
    wb.save(book)
    _run(str(exe), "plan", "progress", str(book), str(audit), str(second),
         "--dates", "2025-06-30,2025-12-31", "--out", str(audit / "progress"))  # fmt: skip


def shoot_plan(browser: object, base: str) -> None:
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    page = desk.new_page()
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.locator("#plan [data-site='0']").click()
    page.wait_for_timeout(600)
    page.evaluate(
        "() => { const s = document.getElementById('side'); "
        "s.scrollTop = document.getElementById('plan-card').offsetTop - s.offsetTop - 8; }"
    )
    page.locator(".plan-pin").first.hover()
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / "dashboard-plan.png"))
    page.goto(f"{base}/programme")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.screenshot(path=str(OUT / "programme.png"))
    phone = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    res = phone.new_page()
    res.goto(f"{base}/programme")
    res.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    res.screenshot(path=str(OUT / "programme-phone.png"))
    desk.close()
    phone.close()


def _photo(path: Path, colour: tuple[int, int, int]) -> Path:
    """A plain photo file for the uploads (a lamp post on a wall), made here."""
    from PIL import Image

    img = Image.new("RGB", (1200, 900), colour)
    for y in range(150, 800):
        for x in range(560, 640):
            img.putpixel((x, y), (60, 60, 60))
    for y in range(100, 180):
        for x in range(520, 680):
            img.putpixel((x, y), (250, 220, 60))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path


def _sign_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/dispatch")  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.locator("#login-form button[type=submit]").click()  # type: ignore[attr-defined]
    page.wait_for_selector("#console:not([hidden])", timeout=30_000)  # type: ignore[attr-defined]


def _act(page: object, label: str) -> None:
    page.locator("#case-view .actions button", has_text=label).click()  # type: ignore[attr-defined]


def shoot_roles(browser: object, base: str, work: Path) -> None:
    """One case through every role's screens, into ``docs/roles/img/``."""
    b: Any = browser
    phone_opts: dict[str, Any] = {
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    }
    # --- resident: files the problem with a photo, gets a tracking code ----------------------
    phone = b.new_context(**phone_opts)
    res = phone.new_page()
    res.goto(f"{base}/resident")
    res.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    res.fill("#text", "小区东门的路灯不亮已经一周了，晚上很黑，老人出门不安全")
    box = res.locator("#map").bounding_box()
    res.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    res.wait_for_selector("#loc-status.ok")
    res.set_input_files("#photos", str(_photo(work / "before.jpg", (40, 40, 70))))
    res.wait_for_selector("#previews[data-count='1']:not([data-busy])", timeout=30_000)
    res.wait_for_timeout(800)
    res.screenshot(path=str(ROLES_OUT / "resident-report.png"), full_page=True)
    res.locator("#submit").click()
    res.wait_for_selector("#tracking-code", timeout=30_000)
    code = res.locator("#tracking-code").inner_text().strip()
    res.screenshot(path=str(ROLES_OUT / "resident-receipt.png"))

    # --- dispatcher: lands on 已提交, accepts, dispatches to a department and a grid ----------
    desk = b.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    _sign_in(page, base, "dispatcher")
    page.wait_for_selector(".qitem", timeout=30_000)
    page.locator(".qitem").first.click()
    page.wait_for_selector("#case-view h3", timeout=30_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(ROLES_OUT / "dispatcher-case.png"))
    _act(page, "签收")
    page.wait_for_selector("#detail-state:has-text('已签收')")
    _act(page, "派单")
    page.locator("#f-department").select_option("city_management")
    page.locator("#f-grid").select_option("west-1")
    page.locator("#action-form").scroll_into_view_if_needed()
    page.screenshot(path=str(ROLES_OUT / "dispatcher-dispatch.png"))
    page.locator("#action-form button[type=submit]").click()
    page.wait_for_selector("#detail-state:has-text('已派单')")
    page.locator("#rates").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ROLES_OUT / "dispatcher-rates.png"))

    # --- handler: lands on 已派单, starts, resolves with a photo after the work ---------------
    work_ctx = b.new_context(viewport=DESKTOP, locale="zh-CN")
    hpage = work_ctx.new_page()
    _sign_in(hpage, base, "city-management")
    hpage.wait_for_selector(".qitem", timeout=30_000)
    hpage.screenshot(path=str(ROLES_OUT / "handler-queue.png"))
    hpage.locator(".qitem").first.click()
    hpage.wait_for_selector("#case-view h3", timeout=30_000)
    _act(hpage, "响应办理")
    hpage.wait_for_selector("#detail-state:has-text('办理中')")
    _act(hpage, "办结")
    hpage.fill("#f-note", "已更换东门路灯灯泡，夜间照明恢复")
    hpage.set_input_files("#f-after", str(_photo(work / "after.jpg", (120, 160, 210))))
    hpage.wait_for_selector("#after-previews[data-count='1']", timeout=30_000)
    hpage.locator("#action-form").scroll_into_view_if_needed()
    hpage.screenshot(path=str(ROLES_OUT / "handler-resolve.png"))
    hpage.locator("#action-form button[type=submit]").click()
    hpage.wait_for_selector("#after-photos img", timeout=30_000)
    hpage.locator("#after-photos").scroll_into_view_if_needed()
    hpage.wait_for_timeout(500)
    hpage.screenshot(path=str(ROLES_OUT / "handler-resolved.png"))

    # --- grid worker, on a phone: the grid's own cases ---------------------------------------
    gw = b.new_context(**phone_opts).new_page()
    _sign_in(gw, base, "grid-west-1")
    gw.wait_for_selector(".qtab.on", timeout=30_000)
    gw.locator(".qtab", has_text="已办结待评价").click()
    gw.locator(".qitem").first.click()
    gw.wait_for_selector("#case-view h3", timeout=30_000)
    gw.wait_for_timeout(800)
    gw.screenshot(path=str(ROLES_OUT / "grid-worker-case.png"), full_page=True)

    # --- resident: follows the case, sees the photo after the work, rates it -----------------
    res.goto(f"{base}/resident?code={code}")
    res.wait_for_selector("#case-after-photos img", timeout=30_000)
    res.wait_for_timeout(500)
    res.screenshot(path=str(ROLES_OUT / "resident-track.png"), full_page=True)
    for ctx in (phone, desk, work_ctx):
        ctx.close()


if __name__ == "__main__":
    main()
