"""Public views (tracking page, Open311) show case text through ``wanzheng.text.redact``;
the handling staff see it in full."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

TEXT = (
    "家门口井盖丢了，座机010-62345678，银行卡6222 0212 3456 7894 缴费被扣，"
    "邮箱wang.xm@example.com，住5号楼2单元301室"
)
SECRETS = ("010-62345678", "6222 0212 3456 7894", "wang.xm@example.com", "2单元301室")
MASKED = "座机〔电话〕，银行卡〔银行卡号〕 缴费被扣，邮箱〔邮箱〕，住5号楼〔详细地址〕"


def test_public_views_mask_and_staff_see_in_full(api: Any) -> None:
    c = api.submit(text=TEXT, address="幸福小区5号楼2单元301室")
    cid = c["id"]
    api.act(cid, "dispatcher", "accept", note="已联系，回电13912345678")

    track = api.client.get(f"/api/track/{c['tracking_code']}")
    assert track.status_code == 200
    for secret in (*SECRETS, "13912345678"):
        assert secret not in track.text
    assert MASKED in track.json()["text"]
    notes = [e["note"] for e in track.json()["events"] if e["note"]]
    assert notes == ["已联系，回电〔手机号〕"]

    rid = str(cid)
    one = api.client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert MASKED in one["description"]
    assert one["address"] == "幸福小区5号楼〔详细地址〕"
    assert "〔手机号〕" in one["status_notes"]
    listing = api.client.get("/open311/v2/requests.json")
    xml = api.client.get(f"/open311/v2/requests/{rid}.xml")
    for body in (listing.text, xml.text):
        for secret in (*SECRETS, "13912345678"):
            assert secret not in body
    x = ET.fromstring(xml.content)
    assert MASKED in (x.findtext("request/description") or "")

    # The dispatcher and the department handling it see the resident's words.
    staff = api.get(f"/api/cases/{cid}", "dispatcher").json()
    assert staff["text"] == TEXT
    assert staff["address"] == "幸福小区5号楼2单元301室"
    assert [e["note"] for e in staff["events"] if e["note"]] == ["已联系，回电13912345678"]
