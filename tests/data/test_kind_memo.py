"""The memo of KindRules.kinds_for_tags: same kinds as fresh evaluation, keyed on tag patterns.

Checked on every tagged object of the real extracts (and of an 8-fold tiling of one), and on
small hand-made cases where the memo would go wrong if free text or an unrelated tag slipped
into or out of its key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import osmium
import pytest

from wanzheng.data.osm import load_osm
from wanzheng.standards import KindRules, load_kind_rules


def _tag_sets(path: Path) -> list[dict[str, str]]:
    return [
        {t.k: t.v for t in obj.tags}
        for obj in osmium.FileProcessor(str(path)).with_filter(osmium.filter.EmptyTagFilter())
    ]


@pytest.fixture
def rules() -> KindRules:
    return load_kind_rules()  # a fresh memo per test


@pytest.mark.parametrize("name", ["tsinghua_pbf", "cau_pbf", "zhuhai_pbf"])
def test_memo_gives_the_kinds_of_fresh_evaluation_on_real_extracts(
    name: str, rules: KindRules, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(name)
    tag_sets = _tag_sets(path)
    fresh = [rules.evaluate_tags(t) for t in tag_sets]
    assert [rules.kinds_for_tags(t) for t in tag_sets] == fresh
    first = rules.memo_info()
    assert first.calls == len(tag_sets) > 1000
    # distinct tag patterns are a few hundred at most on a real extract (docs/audit.md
    # gives the hit rates: 82-93 % on the three extracts)
    assert 50 <= first.size == first.misses <= 400
    assert first.hit_rate > 0.75
    # a second round: every pattern is known, only names with rule words are evaluated
    assert [rules.kinds_for_tags(t) for t in tag_sets] == fresh
    second = rules.memo_info()
    assert second.misses == first.misses
    assert second.hits - first.hits == len(tag_sets) - first.name_decides


def test_memo_and_fresh_rules_read_the_same_extract(rules: KindRules, tsinghua_pbf: Path) -> None:
    """load_osm with the memo equals load_osm with rules evaluated afresh every time."""

    class Fresh:
        def kinds_for_tags(self, tags: dict[str, str]) -> frozenset[str]:
            return rules.evaluate_tags(tags)

    memo = load_osm(tsinghua_pbf, rules=rules)
    fresh = load_osm(tsinghua_pbf, rules=Fresh())
    assert rules.memo_info().hits > 500
    cols = ["id", "name", "kind", "lon", "lat", "osm_tags"]
    assert memo.facilities[cols].equals(fresh.facilities[cols])
    assert len(memo.facilities) > 100


def test_a_name_with_a_rule_word_is_never_answered_from_the_memo(rules: KindRules) -> None:
    plain = {"building": "yes"}
    assert rules.kinds_for_tags(plain) == frozenset()
    # same tag pattern, but the name says 幼儿园: evaluated afresh, not the memo's empty answer
    named = {"building": "yes", "name": "清华大学附属幼儿园"}
    assert rules.kinds_for_tags(named) == {"kindergarten"}
    # a veto word in the name (宠物) is free text too
    pets = {"amenity": "kindergarten", "name": "宠物幼儿园"}
    assert rules.kinds_for_tags({"amenity": "kindergarten"}) == {"kindergarten"}
    assert rules.kinds_for_tags(pets) == frozenset()
    info = rules.memo_info()
    assert info.name_decides == 2
    assert info.misses == 2


def test_names_without_rule_words_share_the_memo(rules: KindRules) -> None:
    a = rules.kinds_for_tags({"amenity": "pharmacy", "name": "同仁堂"})
    b = rules.kinds_for_tags({"amenity": "pharmacy", "name": "老百姓大药房"})
    c = rules.kinds_for_tags({"amenity": "pharmacy"})
    assert a == b == c == {"pharmacy"}
    info = rules.memo_info()
    # 老百姓大药房 holds the keyword 药房: evaluated afresh; the other two share one pattern
    assert (info.hits, info.misses, info.name_decides) == (1, 1, 1)


def test_tags_no_rule_mentions_do_not_split_the_memo(rules: KindRules) -> None:
    for n in range(5):
        assert rules.kinds_for_tags({"shop": "convenience", "opening_hours": f"0{n}:00-22:00"}) == {
            "convenience_store"
        }
    info = rules.memo_info()
    assert (info.hits, info.misses) == (4, 1)
    # a tag that a condition mentions does split it: kindergarten:for=pets vetoes
    assert rules.kinds_for_tags({"amenity": "kindergarten"}) == {"kindergarten"}
    assert rules.kinds_for_tags({"amenity": "kindergarten", "kindergarten:for": "pets"}) == (
        frozenset()
    )


def test_replaced_rules_start_with_an_empty_memo(rules: KindRules) -> None:
    rules.kinds_for_tags({"amenity": "pharmacy"})
    other = dataclasses.replace(rules, rules=rules.rules[:1], tag_index={}, always=())
    assert other.memo_info().calls == 0
    assert other.kinds_for_tags({"amenity": "pharmacy"}) == frozenset()
    assert rules.kinds_for_tags({"amenity": "pharmacy"}) == {"pharmacy"}
