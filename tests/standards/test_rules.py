"""OSM-tag and keyword rules: real tag sets from the test extracts and tricky names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import osmium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wanzheng.errors import ConfigError
from wanzheng.standards import KindRules, load_catalogue, load_kind_rules


@pytest.fixture(scope="module")
def rules() -> KindRules:
    return load_kind_rules()


POI_KEYS = ("amenity", "shop", "leisure", "healthcare", "office")


def _named_features(path: Path) -> dict[str, dict[str, str]]:
    """name -> tags of the nodes, ways and relations with that name.

    When several objects share a name (a school and the bus stop area named after it), the
    first one with a POI key (amenity, shop, leisure …) is kept.
    """
    out: dict[str, dict[str, str]] = {}
    for obj in osmium.FileProcessor(str(path)):
        tags = {t.k: t.v for t in obj.tags}
        name = tags.get("name")
        if name is None:
            continue
        has_poi = any(k in tags for k in POI_KEYS)
        if name not in out or (has_poi and not any(k in out[name] for k in POI_KEYS)):
            out[name] = tags
    return out


def test_rules_reference_only_catalogue_kinds(rules: KindRules) -> None:
    keys = set(load_catalogue().keys)
    assert {r.kind for r in rules.rules} <= keys
    assert rules.origin == "builtin"
    # every audited kind can be recognised from OSM or text
    assert {k.key for k in load_catalogue().audited} <= {r.kind for r in rules.rules}


def test_real_features_cau_2026(rules: KindRules, cau_pbf: Path) -> None:
    feats = _named_features(cau_pbf)
    expected = {
        "中国农业大学东校区幼儿园": {"kindergarten"},
        "未来之星实验幼儿园": {"kindergarten"},
        # tagged amenity=hospital, named a community health service centre: both tiers
        "中国农业大学东区社区卫生服务中心": {"health_station", "community_hospital"},
        "北京京城皮肤病医院": set(),  # a specialist hospital is no community hospital
        "中国农业大学附属实验小学": {"primary_school"},
        "北京石油学院附属中学": {"junior_high"},
        "物美": {"supermarket"},
        "全时": {"convenience_store"},
        "同仁堂": {"pharmacy"},
        "近邻宝": {"parcel"},
        "原幼儿园停车场": set(),  # a car park named after a former kindergarten
        "石科院职工食堂": set(),  # a staff canteen is not a community canteen
        "社区健身器材": {"activity_site", "sports_ground"},
        "畅乐园": {"green"},
        "二里庄车站": {"public_toilet"},
        "星巴克": set(),
    }
    for name, kinds in expected.items():
        assert name in feats, name
        assert rules.kinds_for_tags(feats[name]) == kinds, (name, feats[name])


def test_real_features_tsinghua_2017(rules: KindRules, tsinghua_pbf: Path) -> None:
    feats = _named_features(tsinghua_pbf)
    expected = {
        "清华大学洁华幼儿园": {"kindergarten"},  # tagged amenity=school; the name says more
        "清华附中": {"junior_high"},
        "清华附小": {"primary_school"},
        "紫荆学生超市": {"convenience_store"},  # tag shop=convenience beats 超市 in the name
        "快到家便利超市": {"convenience_store"},  # 便利 vetoes the supermarket reading
        "清华大学西北超市": {"supermarket"},
        "千度造型烫染店": {"barber"},
        "尤萨洗衣": {"laundry"},
        "紫荆十四号楼快递服务中心": {"parcel"},  # tagged post_box; 快递 in the name
        "诗雅艺术学校": set(),
        "清华附中食堂": set(),
        "清华附中操场": set(),  # a school's sports ground is not open to residents
    }
    for name, kinds in expected.items():
        assert name in feats, name
        assert rules.kinds_for_tags(feats[name]) == kinds, (name, feats[name])


def test_real_features_zhuhai_2022(rules: KindRules, zhuhai_pbf: Path) -> None:
    feats = _named_features(zhuhai_pbf)
    assert rules.kinds_for_tags(feats["共乐幼儿园"]) == {"kindergarten"}
    assert rules.kinds_for_tags(feats["香山小学"]) == {"primary_school"}
    # a school's pitch is neither a school nor a public activity site
    assert rules.kinds_for_tags(feats["香山小学足球场"]) == set()
    assert rules.kinds_for_tags(feats["香山驿站"]) == {"green"}  # a park, not a parcel point
    assert rules.kinds_for_tags(feats["凤凰中学"]) == {"junior_high"}
    assert rules.kinds_for_tags(feats["珠海市第一中等职业学校(香华路)"]) == set()
    assert rules.kinds_for_tags(feats["香洲区文化馆"]) == {"culture_centre"}
    assert rules.kinds_for_tags(feats["珠海市妇幼保健院"]) == set()


@pytest.mark.parametrize(
    ("tags", "kinds"),
    [
        ({"shop": "convenience;hairdresser"}, {"convenience_store", "barber"}),
        ({"amenity": "childcare"}, {"nursery"}),
        ({"amenity": "social_facility", "social_facility:for": "senior"}, {"elderly_station"}),
        (
            {
                "amenity": "social_facility",
                "social_facility": "nursing_home",
                "social_facility:for": "senior",
            },
            {"nursing_home"},
        ),
        ({"healthcare": "clinic"}, {"health_station"}),
        ({"healthcare": "dentist", "amenity": "dentist"}, set()),
        ({"amenity": "school", "isced:level": "1;2"}, {"primary_school", "junior_high"}),
        ({"amenity": "school", "isced:level": "3", "name": "第一高级中学"}, set()),
        ({"highway": "bus_stop", "name": "实验幼儿园站"}, {"bus_stop"}),
        ({"public_transport": "platform", "railway": "platform"}, set()),
        ({"leisure": "pitch", "access": "private"}, set()),
        ({"leisure": "garden", "access": "private"}, set()),
        ({"landuse": "grass"}, set()),
        ({"amenity": "parcel_locker"}, {"parcel"}),
        ({"amenity": "recycling"}, {"waste_point"}),
        ({"shop": "hairdresser", "name": "宠物美容理发"}, set()),
        ({"amenity": "restaurant", "name": "幸福社区食堂"}, {"canteen"}),
        ({"amenity": "restaurant", "name": "生鲜面馆"}, set()),
        ({"amenity": "marketplace", "name": "小商品市场"}, set()),
        ({"amenity": "marketplace", "name": "西村农贸市场"}, {"vegetable_market"}),
        ({"shop": "supermarket", "name": "永辉生鲜超市"}, {"supermarket", "vegetable_market"}),
        ({"amenity": "community_centre", "name": "七甲闸社区党群服务中心"}, {"service_station"}),
        ({"name": "金东方社区居委会", "office": "government"}, {"service_station"}),
    ],
)
def test_tag_sets(rules: KindRules, tags: dict[str, str], kinds: set[str]) -> None:
    assert rules.kinds_for_tags(tags) == kinds


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("幼儿园", {"kindergarten"}),
        ("托育机构", {"nursery"}),
        ("社区养老服务驿站", {"elderly_station"}),
        ("日间照料中心", {"elderly_station"}),
        ("养老保险经办", set()),
        ("敬老院", {"nursing_home"}),
        ("社区卫生服务站", {"health_station"}),
        ("社区卫生服务中心", {"health_station", "community_hospital"}),
        ("菜市场", {"vegetable_market"}),
        ("生鲜店", {"vegetable_market"}),
        ("超市", {"supermarket"}),
        ("便利店", {"convenience_store"}),
        ("华润万家便利店", {"convenience_store"}),
        ("理发店", {"barber"}),
        ("宠物理发", set()),
        ("洗衣房", {"laundry"}),
        ("洗衣机维修", set()),
        ("大药房", {"pharmacy"}),
        ("菜鸟驿站", {"parcel"}),
        ("丰巢快递柜", {"parcel"}),
        ("户外劳动者驿站", set()),
        ("长者饭堂", {"canteen"}),
        ("助餐点", {"canteen"}),
        ("老年餐桌", {"canteen"}),
        ("养老照料中心", {"elderly_station"}),
        ("中国邮政储蓄银行", set()),
        ("村卫生室", {"health_station"}),
        ("邻里中心", {"service_station"}),
        ("公共厕所", {"public_toilet"}),
        ("垃圾分类投放点", {"waste_point"}),
        ("kindergarten", {"kindergarten"}),
        ("  Bus_Stop ", {"bus_stop"}),
        ("ＫＩＮＤＥＲＧＡＲＴＥＮ", {"kindergarten"}),  # full-width, NFKC-normalised
        ("7-ELEVEN", {"convenience_store"}),
        ("银行", set()),
        ("", set()),
    ],
)
def test_texts(rules: KindRules, text: str, kinds: set[str]) -> None:
    assert rules.kinds_for_text(text) == kinds


def _rules_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_rules_validation(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"r\.toml: rule #1 \(cinema\): field 'kind': unknown kind"
    ):
        load_kind_rules(
            _rules_file(tmp_path, '[[rule]]\nkind = "cinema"\ntags = ["amenity=cinema"]\n')
        )
    with pytest.raises(ConfigError, match="malformed tag condition"):
        load_kind_rules(_rules_file(tmp_path, '[[rule]]\nkind = "barber"\ntags = ["shop="]\n'))
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['tag'\]"):
        load_kind_rules(_rules_file(tmp_path, '[[rule]]\nkind = "barber"\ntag = ["shop=x"]\n'))
    with pytest.raises(ConfigError, match="needs 'tags' or 'keywords'"):
        load_kind_rules(_rules_file(tmp_path, '[[rule]]\nkind = "barber"\n'))
    with pytest.raises(ConfigError, match="no \\[\\[rule\\]\\] entries"):
        load_kind_rules(_rules_file(tmp_path, "[rules]\nname = 'x'\n"))


def test_rules_accept_kinds_of_an_override_catalogue(tmp_path: Path) -> None:
    override = tmp_path / "o.toml"
    override.write_text(
        '[[kind]]\nkey = "library"\nname_zh = "图书室"\nname_en = "Library"\ntier = "15min"\n'
        'threshold_m = 1000\nrequirement = "r"\nsource = "s"\nclause = "c"\n',
        encoding="utf-8",
    )
    cat = load_catalogue(override=override)
    path = _rules_file(
        tmp_path, '[[rule]]\nkind = "library"\ntags = ["amenity=library"]\nkeywords = ["图书"]\n'
    )
    rules = load_kind_rules(path, catalogue=cat)
    assert rules.kinds_for_tags({"amenity": "library"}) == {"library"}
    assert rules.kinds_for_text("社区图书室") == {"library"}
    with pytest.raises(ConfigError, match="unknown kind 'library'"):
        load_kind_rules(path)


def test_lookup_index_gives_the_same_answers_as_trying_every_rule(
    rules: KindRules, tsinghua_pbf: Path, zhuhai_pbf: Path
) -> None:
    plain = dataclasses.replace(rules, tag_index={}, always=(), keyword_pattern=None)
    checked = 0
    for path in (tsinghua_pbf, zhuhai_pbf):
        for obj in osmium.FileProcessor(str(path)):
            tags = {t.k: t.v for t in obj.tags}
            if tags:
                assert rules.kinds_for_tags(tags) == plain.kinds_for_tags(tags), tags
                checked += 1
    assert checked > 3000


_RULES = load_kind_rules()
_KEYS = set(load_catalogue().keys)


@given(
    text=st.text(max_size=40),
    tags=st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6),
)
@settings(max_examples=300, deadline=None)
def test_any_input_gives_catalogue_kinds(text: str, tags: dict[str, str]) -> None:
    rules, keys = _RULES, _KEYS
    assert rules.kinds_for_text(text) <= keys
    assert rules.kinds_for_tags(tags) <= keys
    assert rules.kinds_for_tags({**tags, "name": text}) <= keys
