"""The residents' voting page (/consult) on a phone (390 × 844) in a real Chromium against a
real service: the consultation's options with a map of each option's reach, a resident not
on the list refused, a vote cast with the ID number, a second vote refused, the voter's own
ballot read back by receipt and a guessed receipt reading nothing; no control without a name,
nothing wider than the phone, no request leaving the service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from consultdata import RESIDENTS

from .conftest import PASSWORD, PHONE, LiveServer, PageWatch, unlabelled

pytestmark = pytest.mark.browser

COMMUNITY = "demo-west"


def _open_consultation(data_dir: Path) -> int:
    """A consultation of our own on the live service's database, its vote open now."""
    from wanzheng.consult import OptionDraft
    from wanzheng.consult import store as cs
    from wanzheng.consult.electors import load_electors, store_electors
    from wanzheng.consult.proposals import create_proposal
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings

    settings = Settings(data_dir=data_dir)
    csv = data_dir / "consult-residents.csv"
    csv.write_text(
        "身份证号,手机号\n" + "".join(f"{r.identifier},{r.phone}\n" for r in RESIDENTS[:3]),
        encoding="utf-8",
    )
    rows = load_electors(csv, secret=settings.secret_key, community_id=COMMUNITY)
    now = dt.datetime.now(dt.UTC)
    t0 = now - dt.timedelta(days=10)
    options = [
        OptionDraft(
            title="在学院路东侧新建社区食堂", description="步行 300 米内新覆盖居民约 2,680 人",
            source="plan", cost=120.0, residents_new=2680.0,
            site={"id": "S1", "name": "学院路东侧", "lon": 116.3524, "lat": 39.9980,
                  "kind": "canteen", "threshold_m": 300.0},
            reach=[[116.3521, 39.9976, 2680.0]],
        ),
        OptionDraft(
            title="在石科院北门新建社区食堂", source="plan", cost=80.0, residents_new=1002.0,
            site={"id": "S2", "name": "石科院北门", "lon": 116.3506, "lat": 39.9980,
                  "kind": "canteen", "threshold_m": 300.0},
            reach=[[116.3479, 39.9987, 1002.0]],
        ),
    ]  # fmt: skip
    engine = make_engine(settings.resolved_database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        store_electors(s, rows=rows, source="e2e", now=t0)
        cid = cs.create_consultation(
            s, title="社区食堂选址投票", community_id=COMMUNITY, community_name="示范社区",
            origin="gap", origin_ref="canteen",
            evidence={"kind": "canteen", "distance_m": 348.3, "threshold_m": 300},
            options=options, responsible="王主任", by="staff", now=t0, verify="identifier",
        )  # fmt: skip
        cs.post_notice(s, consultation_id=cid, text="两处选址公示", by="staff", now=t0)
        cs.record_meeting(
            s, consultation_id=cid, held_at=t0 + dt.timedelta(days=8), attendance=12,
            attendees=["居民代表甲"], minutes="交由居民投票", by="staff", now=now,
        )  # fmt: skip
        cs.open_vote(
            s, consultation_id=cid, closes_at=now + dt.timedelta(days=7), by="staff", now=now
        )
        create_proposal(
            s, community_id=COMMUNITY, title="小广场增设座椅", body="老人散步没有地方休息",
            threshold=20, secret=settings.secret_key, now=now, identifier=RESIDENTS[1].identifier,
        )  # fmt: skip
        s.commit()
    engine.dispose()
    return cid


@pytest.fixture(scope="module")
def consultation(live_server: LiveServer) -> int:
    return _open_consultation(live_server.data_dir)


def test_a_resident_votes_on_a_phone(
    live_server: LiveServer, browser: Any, artifacts: Path, consultation: int
) -> None:
    base, cid = live_server.url, consultation
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/consult")
    page.wait_for_selector("body[data-ready=yes]", timeout=20_000)
    page.locator(f'a[data-id="{cid}"]').click()
    page.wait_for_selector("#vote-form:not([hidden])")
    assert page.locator("#c-title").inner_text() == "社区食堂选址投票"
    assert "最近的设施步行 348 米" in page.locator("#c-origin").inner_text()
    # both options, each with a map of its site and the residents it newly reaches
    assert page.locator("#options .option").count() == 2
    assert page.locator("#options .option-map[data-reach='1']").count() == 2
    assert "估算费用 120 元" in page.locator("#options .option").first.inner_text()
    assert "议而不决" not in page.locator("#steps").inner_text()
    assert unlabelled(page) == []
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 390, width

    # not on the list: refused in Chinese
    page.locator("#choices input[type=radio]").first.check()
    page.fill("#identifier", RESIDENTS[6].identifier)
    page.locator("#cast").click()
    page.wait_for_function("() => document.querySelector('#vote-error').textContent !== ''")
    assert page.locator("#vote-error").inner_text() == "未能在本社区居民名册中核对到您的信息"

    # on the list: the vote is cast and a receipt shown once
    page.fill("#identifier", RESIDENTS[0].identifier)
    page.locator("#cast").click()
    page.wait_for_selector("#receipt-box:not([hidden])")
    receipt = page.locator("#receipt").inner_text().strip()
    assert len(receipt) >= 12
    page.screenshot(path=str(artifacts / "consult-vote.png"), full_page=True)

    # the voter reads their own ballot back; a guessed receipt reads nothing
    page.fill("#check-receipt", receipt)
    page.locator("#check").click()
    page.wait_for_function("() => document.querySelector('#check-out').textContent !== ''")
    assert page.locator("#check-out").inner_text() == "您的选票：方案 A"
    page.fill("#check-receipt", "guessed-receipt-0000")
    page.locator("#check").click()
    page.wait_for_function(
        "() => document.querySelector('#check-out').textContent.includes('没有找到')"
    )

    # one vote each: the same resident again is refused
    page.reload()
    page.wait_for_selector("#vote-form:not([hidden])")
    page.locator("#choices input[type=radio]").nth(1).check()
    page.fill("#identifier", RESIDENTS[0].identifier)
    page.locator("#cast").click()
    page.wait_for_function("() => document.querySelector('#vote-error').textContent !== ''")
    assert page.locator("#vote-error").inner_text() == "您已经投过票了，每人只能投一票"
    # a proposal supported from the list page, once
    page.goto(f"{base}/consult")
    page.wait_for_selector("#proposals .proposal")
    proposal = page.locator("#proposals .proposal").first
    assert "联署 1 / 20" in proposal.inner_text()
    proposal.locator("button.support").click()
    assert unlabelled(page) == []
    page.fill("#support-identifier", RESIDENTS[2].identifier)
    page.locator("#support-send").click()
    page.wait_for_selector("#proposals .proposal .supports:has-text('联署 2 / 20')")
    page.locator("#proposals .proposal button.support").first.click()
    page.fill("#support-identifier", RESIDENTS[2].identifier)
    page.locator("#support-send").click()
    page.wait_for_function("() => document.querySelector('#support-error').textContent !== ''")
    assert page.locator("#support-error").inner_text() == "您已经联署过这项提议"
    # nothing on the page names a voter
    body = page.locator("body").inner_text()
    assert all(r.identifier not in body and r.phone not in body for r in RESIDENTS)
    # the browser logs the refusals it was shown (not on the list, a guessed receipt, a
    # second vote, a second support); nothing else
    expected = ("403 (Forbidden)", "404 (Not Found)", "409 (Conflict)")
    assert [e for e in watch.errors if not e.endswith(expected)] == []
    assert len(watch.errors) == 4
    assert watch.foreign == []
    ctx.close()


def test_staff_enter_a_booth_count_that_another_must_confirm(
    live_server: LiveServer, browser: Any, artifacts: Path, consultation: int
) -> None:
    base, cid = live_server.url, consultation
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/consult/staff")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.locator(f'#list button[data-id="{cid}"]').click()
    page.wait_for_selector("#action-title:has-text('投票与计票')")
    assert "网上已投 1 人" in page.locator("#d-summary").inner_text()
    page.fill("#f-booth", "社区服务站")
    page.fill("#f-ballots", "5")
    ids = page.eval_on_selector_all("#action-fields input[id^=f-o]", "els => els.map(e => e.id)")
    page.fill(f"#{ids[0]}", "3")
    page.fill(f"#{ids[1]}", "2")
    page.locator("#action-submit").click()
    page.wait_for_selector("#d-paper td:has-text('待复核')")
    # the one who entered it cannot confirm it
    page.locator("#confirm-form button[type=submit]").click()
    page.wait_for_selector("#toast.show.error")
    assert page.locator("#toast").inner_text() == "录入人不能复核自己录入的票数"
    assert unlabelled(page) == []

    # a new consultation with options written by staff
    page.locator("#new-box summary").click()
    page.fill("#n-title", "楼道堆物清理方式")
    page.fill("#n-community", COMMUNITY)
    page.select_option("#n-origin", "topic")
    page.fill("#n-responsible", "网格长")
    page.fill("#n-options", "统一清运|500\n居民自行清理|0")
    assert unlabelled(page) == []
    page.locator("#new-submit").click()
    page.wait_for_selector("#d-title:has-text('楼道堆物清理方式')")
    assert page.locator("#action-title").inner_text() == "发布公示"
    assert page.locator("#list tr").count() == 2
    page.screenshot(path=str(artifacts / "consult-staff.png"), full_page=True)
    assert [e for e in watch.errors if not e.endswith("403 (Forbidden)")] == []
    assert watch.foreign == []
    ctx.close()
