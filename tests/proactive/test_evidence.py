"""Cases as evidence of missing facilities, on a hand-labelled set."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wanzheng.errors import ConfigError, DataError
from wanzheng.proactive.evidence import (
    EVIDENCE_COLUMNS,
    evidence_counts,
    load_evidence_rules,
    match_kinds,
    parse_evidence_rules,
)
from wanzheng.standards.catalogue import load_catalogue

# (text, expected kinds) — written by hand; the negatives are complaints about facilities
# that exist, or lack cues in another clause.
LABELLED = [
    ("附近没有菜市场，买菜要走两公里", ("vegetable_market",)),
    ("菜场太远了，老人买菜很不方便", ("vegetable_market",)),
    ("我们小区买菜难，希望开个生鲜店", ("vegetable_market",)),
    ("老人吃饭难，希望社区办个食堂", ("canteen",)),
    ("社区能不能开个老年餐桌", ("canteen",)),
    ("小区里没有托育机构，双职工没人带孩子", ("nursery",)),
    ("孩子入园难，附近幼儿园学位不够", ("kindergarten",)),
    ("老人白天没地方去，希望建日间照料中心", ("elderly_station",)),
    ("看病难，最近的社区医院太远", ("health_station",)),
    ("小区没有健身器材，孩子没地方玩", ("activity_site",)),
    ("希望增设快递柜", ("parcel",)),
    ("两三岁的宝宝没地方去", ("nursery",)),
    ("小区没有婴幼儿活动的地方", ("nursery",)),
    ("附近没有卫生站，看病要坐车", ("health_station",)),
    ("希望社区建一个养老驿站", ("elderly_station",)),
    ("周边没有超市", ("supermarket",)),
    ("幼儿园学位不够", ("kindergarten",)),
    ("菜市场噪音扰民", ()),
    ("菜市场门口占道经营", ()),
    ("楼下没有路灯，去菜市场路上很黑", ()),
    ("幼儿园门口接送拥堵", ()),
    ("食堂油烟太大", ()),
    ("公共厕所太臭了", ()),
    ("健身器材坏了没人修", ()),
    ("路灯不亮", ()),
    ("超市卖过期食品", ()),
    ("快递驿站丢件", ()),
]


def test_default_rules_use_catalogue_kinds() -> None:
    keys = [k.key for k in load_catalogue().kinds]
    rules = load_evidence_rules(kinds=keys)
    assert {r.kind for r in rules.rules} <= set(keys)
    assert rules.window == 12


@pytest.mark.parametrize(("text", "kinds"), LABELLED)
def test_labelled_texts(text: str, kinds: tuple[str, ...]) -> None:
    assert match_kinds(text, "", load_evidence_rules()) == kinds


def test_category_alone_counts() -> None:
    doc: dict[str, Any] = {
        "rule": [{"kind": "canteen", "categories": ["老年助餐"], "nouns": ["食堂"]}],
        "lack": ["没有"],
    }
    rules = parse_evidence_rules(doc)
    assert match_kinds("请求处理", "老年助餐", rules) == ("canteen",)
    assert match_kinds("没有食堂", "", rules) == ("canteen",)


def test_counts_per_community_and_kind() -> None:
    cases = pd.DataFrame(
        [
            # C1: 3 cases about the market from 2 residents, 1 canteen case, 1 unrelated
            ("1", "C1", "附近没有菜市场，买菜要走两公里", "u1", "2026-10-01"),
            ("2", "C1", "菜场太远了，电话13812345678", "u1", "2026-10-05"),
            ("3", "C1", "买菜难", "u2", "2026-10-09"),
            ("4", "C1", "老人吃饭难", "", "2026-10-10"),
            ("5", "C1", "路灯不亮", "u3", "2026-10-11"),
            # C2: 2 anonymous market cases
            ("6", "C2", "买菜不方便", None, "2026-10-02"),
            ("7", "C2", "没地方买菜", None, "2026-10-03"),
            # no community: left out
            ("8", "", "买菜难", "u9", "2026-10-04"),
        ],
        columns=["id", "community_id", "text", "resident_id", "created_at"],
    )
    out = evidence_counts(cases, load_evidence_rules())
    assert list(out.columns) == list(EVIDENCE_COLUMNS)
    got = {(r.community_id, r.kind): (r.n_cases, r.n_residents) for r in out.itertuples()}
    assert got == {
        ("C1", "vegetable_market"): (3, 2),
        ("C1", "canteen"): (1, 1),
        ("C2", "vegetable_market"): (2, 2),
    }
    market = out[(out["community_id"] == "C1") & (out["kind"] == "vegetable_market")].iloc[0]
    assert market["examples"][0] == "买菜难"  # newest first
    assert "13812345678" not in " ".join(market["examples"])  # masked
    with pytest.raises(DataError):
        evidence_counts(cases.drop(columns=["text"]), load_evidence_rules())
    empty = evidence_counts(cases[cases["id"] == "5"], load_evidence_rules())
    assert empty.empty and list(empty.columns) == list(EVIDENCE_COLUMNS)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"rule": [{"kind": "moon_base", "nouns": ["月球"]}], "lack": ["没有"]}, "not a kind"),
        ({"rule": [{"kind": "canteen"}]}, "needs phrases, nouns or categories"),
        ({"rule": [{"kind": "canteen", "nouns": ["食堂"]}]}, "need 'lack' cues"),
        ({"rule": [{"kind": "canteen", "phrases": "吃饭难"}]}, "list of non-empty strings"),
        ({"rule": [{"kind": "canteen", "phrases": ["x"], "colour": 1}]}, "unknown key(s) colour"),
        ({"rule": [{"kind": "canteen", "phrases": ["x"]}] * 2}, "two rules"),
        ({"rule": [], "window": 0}, "'window'"),
        ({"rules": []}, "unknown top-level"),
    ],
)
def test_rule_mistakes(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_evidence_rules(doc, origin="ev.toml", kinds=["canteen", "nursery"])
    assert "ev.toml" in str(info.value) and message in str(info.value)
