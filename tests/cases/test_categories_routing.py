"""Category tree, keyword classifier, routing tables and point-in-polygon routing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wanzheng.cases.categories import KeywordClassifier, load_categories
from wanzheng.cases.routing import GridIndex, in_china_bbox, load_routing_seed
from wanzheng.errors import ConfigError, DataError


def test_tree_leaves_have_department_and_profile() -> None:
    tree = load_categories()
    seed = load_routing_seed()
    departments = {d["key"] for d in seed.departments}
    leaves = tree.leaves()
    assert len(leaves) >= 15
    for c in leaves:
        assert c.department in departments, c.key
        assert c.profile in tree.profiles
    assert tree.profiles["complaint"].resolve_days == 10
    assert tree.profiles["consult"].resolve_days == 1


def test_level1_names_come_from_the_shared_list(data_dir: Path) -> None:
    with (data_dir / "message_categories_cn" / "categories_3level.csv").open(encoding="utf-8") as f:
        level1 = {row["level1"] for row in csv.DictReader(f)}
    tree = load_categories()
    tops = {c.name for c in tree.categories.values() if c.parent is None}
    assert tops - {"其他"} <= level1


def test_keyword_classifier() -> None:
    clf = KeywordClassifier.from_tree(load_categories())
    assert clf.propose_category("楼下烧烤油烟太大，噪音扰民") == ("environment.pollution", 1.0)
    # 电梯 (property) once; 垃圾 and 清运 (sanitation) twice -> sanitation with 2/3
    key, conf = clf.propose_category("电梯坏了，垃圾也没人清运") or ("", 0.0)
    assert key == "urban.sanitation" and conf == pytest.approx(2 / 3)
    assert clf.propose_category("你好") is None


def _count_every_keyword(clf: KeywordClassifier, text: str) -> tuple[str, float] | None:
    """The classifier's rule written out plainly: count every keyword of every leaf."""
    counts = [(sum(text.count(w) for w in words), key) for key, words in clf.keywords]
    total = sum(n for n, _ in counts)
    if total == 0:
        return None
    best_n, best_key = max(counts, key=lambda item: item[0])  # first leaf wins a tie
    return best_key, best_n / total


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_keyword_classifier_counts_like_the_plain_rule(data: st.DataObject) -> None:
    tree_clf = KeywordClassifier.from_tree(load_categories())
    # a small tree with overlapping keywords (灯 inside 路灯, 哈哈 overlapping itself) and ties
    small = KeywordClassifier(
        (("a", ("路灯", "灯")), ("b", ("灯光", "哈哈")), ("c", ("哈",)), ("d", ("路",)))
    )
    words = [w for _, ws in tree_clf.keywords for w in ws] + ["路灯", "灯光", "哈哈", "哈"]
    pieces = st.one_of(st.sampled_from(words), st.text(alphabet="路灯光哈，。的a1 ", max_size=4))
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    for clf in (tree_clf, small):
        assert clf.propose_category(text) == _count_every_keyword(clf, text)


def test_tree_validation(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text(
        "[profiles.a]\nsign_hours=1\nrespond_hours=1\nresolve_days=1\n"
        '[[categories]]\nkey="x"\nname="X"\nparent="nope"\n',
        "utf-8",
    )
    with pytest.raises(ConfigError, match="parent 'nope'"):
        load_categories(p)


def test_grid_index_point_in_polygon() -> None:
    seed = load_routing_seed()
    idx = GridIndex.build(
        [(g["key"], g["polygon"]) for g in seed.grids], [a["polygon"] for a in seed.areas]
    )
    assert idx.grid_of(116.350, 40.005) == "west-1"
    assert idx.grid_of(116.350, 40.015) == "west-2"
    assert idx.grid_of(116.360, 40.005) == "east-1"
    assert idx.grid_of(116.375, 40.015) is None  # served area, no grid
    assert idx.in_served_area(116.375, 40.015)
    assert not idx.in_served_area(116.40, 39.90)
    assert idx.grid_of(116.345, 40.005) == "west-1"  # the boundary belongs to the grid


def test_china_bbox_and_bad_polygon() -> None:
    assert in_china_bbox(116.35, 40.0) and not in_china_bbox(-0.13, 51.5)
    with pytest.raises(DataError, match="WKT polygon"):
        GridIndex.build([("g", "POINT (1 2)")], [])
