"""load_osm lets osmium drop nodes that carry none of the rules' trigger keys.

The extract read with that filter must equal the one read without it (rules that do not say
their trigger keys), on every real extract.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from wanzheng.data.osm import load_osm
from wanzheng.errors import DataError
from wanzheng.standards import KindRules, load_kind_rules

RULES = load_kind_rules()


class NoTriggers:
    """The same rules without ``trigger_keys``: load_osm then reads every tagged node."""

    def __init__(self, rules: KindRules) -> None:
        self._rules = rules

    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        return self._rules.kinds_for_tags(tags)


def test_trigger_keys_of_the_builtin_rules() -> None:
    keys = RULES.trigger_keys
    assert keys is not None
    assert {"amenity", "shop", "healthcare", "leisure", "highway", "name"} <= keys
    # a tree or an address point can be no facility
    assert not {"natural", "addr:street", "power"} & keys
    assert RULES.kinds_for_tags({"natural": "tree", "species": "Ginkgo biloba"}) == frozenset()


def test_rules_without_an_index_name_no_trigger_keys() -> None:
    import dataclasses

    plain = dataclasses.replace(RULES, tag_index={}, always=())
    assert plain.trigger_keys is None


@pytest.mark.parametrize("name", ["tsinghua_pbf", "cau_pbf", "zhuhai_pbf", "cau_osm_bz2"])
def test_filtered_and_unfiltered_reads_agree(name: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(name)
    filtered = load_osm(path, rules=RULES)
    every = load_osm(path, rules=NoTriggers(RULES))
    assert filtered.facilities.equals(every.facilities)
    fc, ec = filtered.communities, every.communities
    assert fc.drop(columns="geometry").equals(ec.drop(columns="geometry"))
    assert all(a.equals(b) for a, b in zip(fc["geometry"], ec["geometry"], strict=True))
    assert filtered.bounds == every.bounds
    assert len(filtered.facilities) > 50


def _osm(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "one.osm"
    path.write_text(
        f'<?xml version="1.0"?>\n<osm version="0.6">\n{body}\n</osm>\n', encoding="utf-8"
    )
    return path


def test_a_file_of_trees_is_not_called_empty(tmp_path: Path) -> None:
    path = _osm(
        tmp_path,
        '<node id="1" lat="39.9" lon="116.3" version="1"><tag k="natural" v="tree"/></node>',
    )
    extract = load_osm(path, rules=RULES)
    assert len(extract.facilities) == 0 and len(extract.node_id) == 0


def test_a_file_of_untagged_nodes_is_still_empty(tmp_path: Path) -> None:
    path = _osm(tmp_path, '<node id="1" lat="39.9" lon="116.3" version="1"/>')
    with pytest.raises(DataError, match="holds no tagged OSM objects"):
        load_osm(path, rules=RULES)


def test_a_named_node_without_facility_tags_is_read(tmp_path: Path) -> None:
    """A name alone is a trigger: 幼儿园 in the name makes a kindergarten."""
    path = _osm(
        tmp_path,
        '<node id="7" lat="39.9" lon="116.3" version="1"><tag k="name" v="荷清苑幼儿园"/></node>\n'
        '<node id="8" lat="39.9" lon="116.31" version="1"><tag k="place" v="neighbourhood"/>'
        '<tag k="name" v="荷清苑"/></node>',
    )
    extract = load_osm(path, rules=RULES)
    assert extract.facilities[["id", "kind"]].values.tolist() == [["n7", "kindergarten"]]
    assert extract.communities["id"].tolist() == ["n8"]
