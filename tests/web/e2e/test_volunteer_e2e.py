"""The volunteer's page on a phone (390 × 844) in a real Chromium against a real service with
the demo audit loaded: the volunteer signs in, sees a task near home with its walk on the
real network, takes it, checks in with the code the resident was sent and checks out; the
case resolves. No raw key or stray English on the zh-CN page, every control labelled. Then
the staff view shows the task done by the masked volunteer and the registry masked."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import PASSWORD, PHONE, LiveServer, PageWatch, start_server, unlabelled

pytestmark = pytest.mark.browser

PHONE_BEIJING = {**PHONE, "timezone_id": "Asia/Shanghai"}
VOL_PHONE, RESIDENT_PHONE = "13700000011", "13900002233"
PLACE = (116.3600, 40.0060)  # in grid east-1, about 250 m from its centre
ALLOWED_LATIN = {"English"}
BEIJING = ZoneInfo("Asia/Shanghai")


def _call(base: str, path: str, body: Any = None, token: str | None = None) -> Any:
    req = urllib.request.Request(
        f"{base}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=20) as res:
        text = res.read()
    return json.loads(text) if text else None


def _token(base: str, user: str, password: str) -> str:
    return str(
        _call(base, "/api/auth/token", {"username": user, "password": password})["access_token"]
    )


def _last_sms(data_dir: Path, phone: str, *, containing: str = "") -> str:
    """The last SMS to ``phone`` (delivered by the outbox just after the answer: waited for)."""
    path = data_dir / "sms" / "outbox.jsonl"
    deadline = time.monotonic() + 15
    while True:
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        sent = [m["body"] for m in map(json.loads, lines) if m["recipient"] == phone]
        if sent and containing in sent[-1]:
            return str(sent[-1])
        if time.monotonic() > deadline:
            raise AssertionError(f"no SMS to {phone} containing {containing!r}: {sent}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A service of its own (its own database) on the live server's demo audit."""
    root = tmp_path_factory.mktemp("e2e-volunteer")
    srv, thread, base = start_server(root / "data", live_server.data_dir.parent / "audit")
    yield LiveServer(url=base, data_dir=root / "data")
    srv.should_exit = True
    thread.join(timeout=10)


def _window() -> tuple[dt.datetime, dt.datetime]:
    """A one-hour task starting in five minutes, not crossing midnight in Beijing."""
    start = (dt.datetime.now(BEIJING) + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    midnight = (start + dt.timedelta(days=1)).replace(hour=0, minute=0)
    return start, min(start + dt.timedelta(hours=1), midnight)


def test_volunteer_takes_checks_in_and_out_on_a_phone(
    server: LiveServer, browser: Any, artifacts: Path
) -> None:
    base = server.url
    staff = _token(base, "dispatcher", PASSWORD)
    # the volunteer's account proves the phone the community registers
    _call(base, "/api/auth/register", {"username": "vol_wang", "password": "vol-pass-2026"})
    mine = _token(base, "vol_wang", "vol-pass-2026")
    every_day = [{"day": d, "start": "00:00", "end": "24:00"} for d in range(1, 8)]
    vol = _call(
        base,
        "/api/volunteers/registry",
        {
            "name": "王建华",
            "phone": VOL_PHONE,
            "kind": "party_member",
            "community": "east",
            "grid": "east-1",
            "unit": "海淀区某研究院",
            "skills": ["elderly_help"],
            "slots": every_day,
        },
        staff,
    )
    _call(base, "/api/auth/phone/code", {"phone": VOL_PHONE}, mine)
    code = _last_sms(server.data_dir, VOL_PHONE).split("验证码为 ")[1][:6]
    _call(base, "/api/auth/phone/verify", {"phone": VOL_PHONE, "code": code}, mine)
    # a resident's case in east-1, dispatched, offered as a task
    case = _call(
        base,
        "/api/cases",
        {
            "text": "独居老人家里灯泡坏了，需要人帮忙换",
            "lon": PLACE[0],
            "lat": PLACE[1],
            "phone": RESIDENT_PHONE,
            "category": "civil_affairs.elderly",
        },
    )
    for action in ({"action": "accept"}, {"action": "dispatch", "department": "civil_affairs"}):
        _call(base, f"/api/cases/{case['id']}/actions", action, staff)
    start, end = _window()
    task = _call(
        base,
        "/api/volunteers/tasks",
        {
            "case_id": case["id"],
            "title": "帮独居老人换灯泡",
            "skill": "elderly_help",
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        },
        staff,
    )

    phone = browser.new_context(**PHONE_BEIJING)
    page = phone.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/volunteer")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.fill("#username", "vol_wang")
    page.fill("#password", "vol-pass-2026")
    page.locator("#login-form button[type=submit]").click()
    card = page.locator(f'#tasks .task[data-task="{task["id"]}"]')
    card.wait_for(timeout=20_000)
    # the walk from the home grid on the audit's (real OSM) network
    walk = re.search(r"约 ([\d,]+) 米 · 步行 (\d+) 分钟", card.inner_text())
    assert walk is not None, card.inner_text()
    assert 0 < int(walk.group(1).replace(",", "")) <= 1200
    assert page.locator("#vol-name").inner_text() == "王建华 · 在职党员"
    assert unlabelled(page) == []
    card.locator(".claim-btn").click()
    claim = page.locator(f'#claims .claim[data-task="{task["id"]}"]')
    claim.wait_for()
    assert "待签到" in claim.inner_text()

    # the check-in code reaches the resident by SMS; a wrong one is refused in Chinese
    issued = _call(base, f"/api/volunteers/tasks/{task['id']}/codes", {"step": "checkin"}, staff)
    _last_sms(server.data_dir, RESIDENT_PHONE, containing=f"签到码 {issued['code']}")
    page.fill(f"#in-{task['id']}", "000000" if issued["code"] != "000000" else "111111")
    claim.locator("button[type=submit]").click()
    page.wait_for_selector("#msg.error")
    assert "签到码不正确" in page.locator("#msg").inner_text()
    page.fill(f"#in-{task['id']}", issued["code"])
    claim.locator("button[type=submit]").click()
    page.wait_for_function(
        f"() => document.querySelector('#claims .claim[data-task=\"{task['id']}\"]')"
        "?.innerText.includes('服务中')"
    )
    assert _call(base, f"/api/cases/{case['id']}", token=staff)["state"] == "in_progress"
    page.screenshot(path=str(artifacts / "volunteer-checked-in.png"), full_page=True)
    assert unlabelled(page) == []

    out = _call(base, f"/api/volunteers/tasks/{task['id']}/codes", {"step": "checkout"}, staff)
    page.fill(f"#note-{task['id']}", "灯泡已换好")
    page.fill(f"#out-{task['id']}", out["code"])
    claim.locator("button[type=submit]").click()
    page.wait_for_selector("body:not([data-busy])")
    assert "已完成" in (page.locator("#history").text_content() or "")
    assert re.search(r"完成任务 1 项", page.locator("#record").inner_text())
    assert _call(base, f"/api/cases/{case['id']}", token=staff)["state"] == "resolved"
    body = page.locator("body").inner_text()
    assert not re.search(r"\b(vol|vs|err)\.[a-z]", body), "a raw i18n key is shown"
    assert set(re.findall(r"[A-Za-z_][A-Za-z_]+", body)) <= ALLOWED_LATIN
    page.screenshot(path=str(artifacts / "volunteer-done.png"), full_page=True)
    # the one failed request the browser logs is the wrong code typed on purpose
    assert sum("status of 422" in e for e in watch.errors) == 1, watch.errors
    watch.errors = [e for e in watch.errors if "status of 422" not in e]
    watch.check()
    phone.close()
    assert vol["phone"] == "137****0011"

    # the staff view: the task done by the (masked) volunteer, the registry masked
    desk = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = desk.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/volunteer/staff")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    row = page.locator(f'#task-table tr[data-task="{task["id"]}"]')
    row.wait_for(timeout=20_000)
    assert "已完成" in row.inner_text() and "王**" in row.inner_text()
    page.locator("#vol-table tbody tr").first.wait_for()
    registry = page.locator("#vol-table").inner_text()
    assert "137****0011" in registry and VOL_PHONE not in registry and "王建华" not in registry
    assert unlabelled(page) == []
    page.screenshot(path=str(artifacts / "volunteer-staff.png"), full_page=True)
    watch.check()
    desk.close()
