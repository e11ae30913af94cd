"""load_osm_names and OsmExtract.way_names against the raw OSM XML of the same extract."""

from __future__ import annotations

import bz2
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wanzheng.data.osm import is_walkable, load_osm
from wanzheng.data.osm_names import load_osm_names
from wanzheng.errors import DataError
from wanzheng.standards import load_kind_rules


@pytest.fixture(scope="module")
def xml(cau_osm_bz2: Path) -> ET.Element:
    with bz2.open(cau_osm_bz2) as handle:
        return ET.parse(handle).getroot()


def _tags(element: ET.Element) -> dict[str, str]:
    return {t.get("k", ""): t.get("v", "") for t in element.findall("tag")}


def test_named_nodes_and_streets_match_the_xml(cau_pbf: Path, xml: ET.Element) -> None:
    names = load_osm_names(cau_pbf)
    by_id = names.set_index("id")
    # every named node is there, with its name (route relations are no node)
    xml_nodes = {
        f"n{n.get('id')}": _tags(n)["name"] for n in xml.findall("node") if "name" in _tags(n)
    }
    got_nodes = {i: by_id.at[i, "name"] for i in by_id.index if i.startswith("n")}
    assert got_nodes == xml_nodes
    # named street ways are lines of class road; names kept as written
    streets = {
        f"w{w.get('id')}": _tags(w)["name"]
        for w in xml.findall("way")
        if "name" in _tags(w) and "highway" in _tags(w) and _tags(w).get("area") != "yes"
    }
    got_streets = names[names["cls"] == "road"].set_index("id")["name"].to_dict()
    assert got_streets == streets
    assert (names.loc[names["cls"] == "road", "geometry"].map(lambda g: g.geom_type)
            == "LineString").all()  # fmt: skip


def test_estates_and_addresses(cau_pbf: Path) -> None:
    names = load_osm_names(cau_pbf).set_index("id")
    assert names.at["w860342589", "name"] == "静淑苑"
    assert names.at["w860342589", "cls"] == "estate"
    assert names.at["w860342589", "geometry"].geom_type == "Polygon"
    # building 10 of 石科院生活区 carries the address 学院路18号
    assert tuple(names.loc["w594886651", ["name", "street", "housenumber"]]) == (
        "10号楼",
        "学院路",
        "18号",
    )


def test_way_names_of_the_walking_network(cau_pbf: Path, xml: ET.Element) -> None:
    extract = load_osm(cau_pbf, rules=load_kind_rules())
    expected = {
        int(w.get("id", "0")): _tags(w)["name"]
        for w in xml.findall("way")
        if "name" in _tags(w) and is_walkable(_tags(w))
    }
    assert extract.way_names.to_dict() == expected
    assert set(extract.way_names.index) <= set(extract.edge_way.tolist())


def test_not_osm_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "area.osm"
    bad.write_text("<html>not osm</html>", encoding="utf-8")
    with pytest.raises(DataError, match=r"area\.osm"):
        load_osm_names(bad)
    with pytest.raises(DataError, match="file not found"):
        load_osm_names(tmp_path / "missing.osm.pbf")
