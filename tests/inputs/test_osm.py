"""load_osm on the real extracts in tests/data and on small hand-written OSM files."""

from __future__ import annotations

import bz2
import gzip
import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import shapely

from wanzheng.data.osm import OsmExtract, is_walkable, load_osm, parse_levels
from wanzheng.data.osm_names import load_osm_names
from wanzheng.errors import DataError, RoutingError
from wanzheng.network.graph import build_graph
from wanzheng.standards import load_kind_rules

RULES = load_kind_rules()


@pytest.fixture(scope="module")
def cau(cau_pbf: Path) -> OsmExtract:
    return load_osm(cau_pbf, rules=RULES)


@pytest.fixture(scope="module")
def cau_xml(cau_osm_bz2: Path) -> ET.Element:
    with bz2.open(cau_osm_bz2) as handle:
        return ET.parse(handle).getroot()


def _tags(element: ET.Element) -> dict[str, str]:
    return {tag.get("k", ""): tag.get("v", "") for tag in element.findall("tag")}


# An independent statement of the walking rule of docs/network.md, written against raw XML.
_WALK = {
    "footway", "path", "pedestrian", "steps", "corridor", "living_street", "residential",
    "service", "unclassified", "road", "track", "cycleway", "bridleway", "tertiary",
    "tertiary_link", "secondary", "secondary_link", "primary", "primary_link",
}  # fmt: skip


def _walkable_xml(tags: dict[str, str]) -> bool:
    hw = tags.get("highway")
    foot = tags.get("foot")
    if hw is None or foot in ("no", "use_sidepath", "private"):
        return False
    allowed = foot in ("yes", "designated", "permissive", "official")
    if hw in ("motorway", "motorway_link"):
        return allowed
    if hw in ("trunk", "trunk_link"):
        return allowed or tags.get("sidewalk") in ("yes", "both", "left", "right")
    if hw not in _WALK:
        return False
    return allowed or tags.get("access") not in ("no", "private")


def test_walk_network_matches_the_xml(cau: OsmExtract, cau_xml: ET.Element) -> None:
    walk_ways = {}
    for way in cau_xml.iter("way"):
        if _walkable_xml(_tags(way)):
            walk_ways[int(way.get("id", "0"))] = [int(nd.get("ref", "0")) for nd in way.iter("nd")]
    assert set(np.unique(cau.edge_way).tolist()) == set(walk_ways)
    assert cau.edge_u.shape[0] == sum(len(refs) - 1 for refs in walk_ways.values())
    used = {ref for refs in walk_ways.values() for ref in refs}
    assert set(cau.node_id.tolist()) == used
    # segments in way order: node pairs equal the consecutive refs of each way
    pairs = set(
        zip(cau.node_id[cau.edge_u].tolist(), cau.node_id[cau.edge_v].tolist(), strict=True)
    )
    expected = {pair for refs in walk_ways.values() for pair in itertools.pairwise(refs)}
    assert pairs == expected


def test_node_locations_come_from_the_file(cau: OsmExtract, cau_xml: ET.Element) -> None:
    where = {
        int(node.get("id", "0")): (float(node.get("lon", "nan")), float(node.get("lat", "nan")))
        for node in cau_xml.iter("node")
    }
    lon = np.array([where[i][0] for i in cau.node_id.tolist()])
    lat = np.array([where[i][1] for i in cau.node_id.tolist()])
    np.testing.assert_allclose(cau.node_lon, lon, atol=1e-9, rtol=0)
    np.testing.assert_allclose(cau.node_lat, lat, atol=1e-9, rtol=0)


def test_highway_per_edge(cau: OsmExtract, cau_xml: ET.Element) -> None:
    highway = {int(w.get("id", "0")): _tags(w).get("highway") for w in cau_xml.iter("way")}
    assert [highway[w] for w in cau.edge_way.tolist()] == cau.edge_highway.tolist()
    assert "motorway" not in set(cau.edge_highway.tolist())


def test_pbf_and_xml_give_the_same_extract(cau: OsmExtract, cau_osm_bz2: Path) -> None:
    other = load_osm(cau_osm_bz2, rules=RULES)
    np.testing.assert_array_equal(other.node_id, cau.node_id)
    np.testing.assert_array_equal(other.edge_u, cau.edge_u)
    np.testing.assert_array_equal(other.edge_v, cau.edge_v)
    assert other.facilities[["id", "kind"]].values.tolist() == (
        cau.facilities[["id", "kind"]].values.tolist()
    )
    assert other.communities["id"].tolist() == cau.communities["id"].tolist()
    assert len(other.buildings) == len(cau.buildings)
    # the XML export carries its requested box (SOURCE.md); the pyosmium PBF has none
    assert other.bounds == (116.34403, 39.99767, 116.35974, 40.00888)
    lo_lon, lo_lat, hi_lon, hi_lat = cau.bounds
    assert lo_lon <= cau.node_lon.min() and hi_lon >= cau.node_lon.max()
    assert lo_lat <= cau.node_lat.min() and hi_lat >= cau.node_lat.max()


def test_facilities_are_the_tagged_objects_of_the_xml(cau: OsmExtract, cau_xml: ET.Element) -> None:
    expected = set()
    for element in cau_xml:
        if element.tag == "node" or (
            element.tag == "way"
            and element.find("nd") is not None
            and element.findall("nd")[0].get("ref") == element.findall("nd")[-1].get("ref")
        ):
            for kind in RULES.kinds_for_tags(_tags(element)):
                expected.add((f"{element.tag[0]}{element.get('id')}", kind))
    got = set(zip(cau.facilities["id"], cau.facilities["kind"], strict=True))
    assert {pair for pair in got if pair[0][0] in "nw"} == expected
    assert len(got) == len(cau.facilities)  # one row per (object, kind)


def test_facility_counts_match_source_md(cau: OsmExtract) -> None:
    counts = cau.facilities["kind"].value_counts().to_dict()
    # SOURCE.md: kindergarten 2; marketplace 2 + greengrocer 1 are the vegetable markets
    assert counts["kindergarten"] == 2
    assert counts["vegetable_market"] == 3
    assert "物美" in set(cau.facilities.loc[cau.facilities["kind"] == "supermarket", "name"])
    kg = cau.facilities[cau.facilities["kind"] == "kindergarten"]
    assert set(kg["name"]) == {"中国农业大学东校区幼儿园", "未来之星实验幼儿园"}
    assert set(cau.facilities["source"]) == {"osm"}
    assert cau.facilities.loc[kg.index, "osm_tags"].tolist() == ["amenity=kindergarten"] * 2
    # the 未来之星 kindergarten is an area: its point lies inside the area
    assert kg["id"].str[0].tolist() == ["n", "w"]


def test_area_facility_point_is_inside(cau: OsmExtract, cau_xml: ET.Element) -> None:
    row = cau.facilities[cau.facilities["id"] == "w1192949960"].iloc[0]
    nodes = {
        n.get("id"): (float(n.get("lon", "nan")), float(n.get("lat", "nan")))
        for n in cau_xml.iter("node")
    }
    way = next(w for w in cau_xml.iter("way") if w.get("id") == "1192949960")
    ring = shapely.Polygon([nodes[nd.get("ref")] for nd in way.iter("nd")])
    assert ring.contains(shapely.Point(row["lon"], row["lat"]))
    assert math.isclose(row["lon"], ring.centroid.x, abs_tol=1e-9)


def test_communities_match_source_md(cau: OsmExtract) -> None:
    comm = cau.communities
    landuse = comm[comm["source"] == "landuse"]
    # SOURCE.md: 12 landuse=residential objects, 11 named (one is a node, one a relation
    # whose second outer way lies outside the extract)
    assert len(landuse) == 12
    assert int(landuse["named"].sum()) == 11
    assert {"富润家园", "农大小区-北区", "清华东路27号院", "静淑苑", "双泉嘉苑", "学士居"} <= set(
        landuse["name"]
    )
    assert comm.loc[~comm["named"], "name"].tolist() == ["未命名住区 #1"]
    # the three place=neighbourhood nodes are historic=yes (demolished villages): not communities
    assert (comm["source"] == "place").sum() == 0
    assert comm["population"].isna().all()
    relation = comm[comm["id"] == "r14400092"].iloc[0]
    assert relation["name"] == "双泉堡甲2号院"
    assert isinstance(relation["geometry"], shapely.Polygon)
    polygons = landuse[landuse["id"].str.startswith(("w", "r"))]["geometry"]
    assert all(isinstance(g, shapely.Polygon) and g.is_valid for g in polygons)


def test_buildings_match_source_md(cau: OsmExtract, tsinghua_pbf: Path) -> None:
    assert len(cau.buildings) == 257
    assert int(cau.buildings["residential"].sum()) == 58
    assert (
        cau.buildings["geometry"].map(lambda g: g.geom_type).isin(["Polygon", "MultiPolygon"]).all()
    )
    tsinghua = load_osm(tsinghua_pbf, rules=RULES)
    assert len(tsinghua.buildings) == 521
    assert int(tsinghua.buildings["residential"].sum()) == 147
    assert len(tsinghua.communities) == 6 and tsinghua.communities["named"].all()
    # SOURCE.md counts one amenity=kindergarten; the rules also read 幼儿园 in a school's name
    kg = tsinghua.facilities[tsinghua.facilities["kind"] == "kindergarten"]
    assert set(kg["name"]) == {"清华大学附属幼儿园", "清华大学洁华幼儿园"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("6", 6.0), (" 12 ", 12.0), ("2.5", 2.5), ("5-6", 5.5), ("5;6", 5.5), ("0", 0.0)],
)
def test_parse_levels(value: str, expected: float) -> None:
    assert parse_levels(value) == expected


@pytest.mark.parametrize("value", [None, "", "five", "-2", "6 floors", "300"])
def test_parse_levels_unknown(value: str | None) -> None:
    assert math.isnan(parse_levels(value))


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "service", "access": "no", "foot": "permissive"}, True),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "primary", "foot": "use_sidepath"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "designated"}, True),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "sidewalk": "both"}, True),
        ({"highway": "trunk_link", "sidewalk": "separate"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "platform"}, False),
        ({"highway": "cycleway"}, True),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"building": "yes"}, False),
    ],
)
def test_is_walkable(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable
    assert _walkable_xml(tags) is walkable


SMALL_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
 <bounds minlat="39.9990" minlon="116.3490" maxlat="40.0020" maxlon="116.3520"/>
 <node id="1" lat="40.0000" lon="116.3500"/>
 <node id="2" lat="40.0000" lon="116.3510"/>
 <node id="3" lat="40.0010" lon="116.3510"/>
 <node id="4" lat="40.0010" lon="116.3500"/>
 <node id="5" lat="40.0000" lon="116.3490"/>
 <node id="6" lat="40.0005" lon="116.3505">
  <tag k="amenity" v="pharmacy"/><tag k="shop" v="hairdresser"/><tag k="name" v="两用楼"/>
 </node>
 <node id="7" lat="40.0015" lon="116.3515">
  <tag k="place" v="neighbourhood"/><tag k="name" v="西小区"/><tag k="population" v="2,400"/>
 </node>
 <node id="8" lat="40.0016" lon="116.3516">
  <tag k="place" v="neighbourhood"/><tag k="historic" v="yes"/><tag k="name" v="旧村"/>
 </node>
 <way id="10"><nd ref="5"/><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="service"/>
  <tag k="access" v="private"/></way>
 <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
 <way id="13"><nd ref="4"/><nd ref="99"/><nd ref="1"/><tag k="highway" v="path"/></way>
 <way id="14"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
  <tag k="building" v="apartments"/><tag k="building:levels" v="5-6"/></way>
 <way id="15"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
  <tag k="landuse" v="residential"/></way>
</osm>
"""


@pytest.fixture
def small(tmp_path: Path) -> OsmExtract:
    path = tmp_path / "small.osm"
    path.write_text(SMALL_OSM, encoding="utf-8")
    return load_osm(path, rules=RULES)


def test_small_network(small: OsmExtract) -> None:
    # way 10 (footway, 2 segments) and the node-less tail of way 13: 4→99 missing, 99→1 missing
    assert small.edge_way.tolist() == [10, 10]
    assert small.node_id.tolist() == [1, 2, 4, 5]  # node 4 kept by way 13 though unconnected
    assert small.node_id[small.edge_u].tolist() == [5, 1]
    assert small.node_id[small.edge_v].tolist() == [1, 2]
    assert small.edge_highway.tolist() == ["footway", "footway"]
    assert small.bounds == (116.349, 39.999, 116.352, 40.002)


def test_small_facilities_one_row_per_kind(small: OsmExtract) -> None:
    rows = small.facilities.sort_values("kind")
    assert rows["id"].tolist() == ["n6", "n6"]
    assert rows["kind"].tolist() == ["barber", "pharmacy"]
    assert set(rows["name"]) == {"两用楼"}
    assert set(rows["osm_tags"]) == {"amenity=pharmacy;shop=hairdresser"}


def test_small_communities_and_buildings(small: OsmExtract) -> None:
    comm = small.communities
    assert comm["id"].tolist() == ["n7", "w15"]
    assert comm["name"].tolist() == ["西小区", "未命名住区 #1"]
    assert comm["source"].tolist() == ["place", "landuse"]
    assert comm["named"].tolist() == [True, False]
    assert comm["population"].iloc[0] == 2400.0 and math.isnan(comm["population"].iloc[1])
    assert comm["geometry"].iloc[0].equals(shapely.Point(116.3515, 40.0015))
    b = small.buildings.iloc[0]
    assert (b["id"], b["building"], b["levels"], b["residential"]) == (
        "w14",
        "apartments",
        5.5,
        True,
    )
    assert isinstance(b["geometry"], shapely.Polygon)
    assert b["geometry"].bounds == pytest.approx((116.35, 40.0, 116.351, 40.001))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(DataError, match=r"nowhere\.osm\.pbf: file not found"):
        load_osm(path, rules=RULES)


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "area.geojson"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"area\.geojson: unknown OSM file type"):
        load_osm(path, rules=RULES)


def test_truncated_pbf(tmp_path: Path, cau_pbf: Path) -> None:
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(cau_pbf.read_bytes()[:60_000])
    with pytest.raises(DataError, match=r"cut\.osm\.pbf: cannot read as OSM data \(PBF error"):
        load_osm(path, rules=RULES)


def test_garbage_pbf(tmp_path: Path) -> None:
    path = tmp_path / "garbage.osm.pbf"
    path.write_bytes(b"this is not a protocol buffer at all" * 10)
    with pytest.raises(DataError, match=r"garbage\.osm\.pbf: cannot read as OSM data"):
        load_osm(path, rules=RULES)


def test_truncated_xml(tmp_path: Path, cau_osm_bz2: Path) -> None:
    path = tmp_path / "cut.osm.bz2"
    path.write_bytes(bz2.compress(bz2.decompress(cau_osm_bz2.read_bytes())[:300_000]))
    with pytest.raises(DataError, match=r"cut\.osm\.bz2: cannot read as OSM data \(XML"):
        load_osm(path, rules=RULES)


def test_xml_that_is_not_osm(tmp_path: Path) -> None:
    path = tmp_path / "page.osm"
    path.write_text('<?xml version="1.0"?>\n<html><body>地图</body></html>\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"page\.osm: cannot read as OSM data.*html"):
        load_osm(path, rules=RULES)


_TWO_NODES = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="{id}" lat="{lat}" lon="116.35"/>
 <node id="2" lat="40.0" lon="116.36"><tag k="amenity" v="kindergarten"/></node>
 <way id="10"><nd ref="{id}"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.mark.parametrize(
    ("lat", "node_id", "message"),
    [
        ("999", "1", r"line 3: .*coordinate: '999'; lat must be a number in \[-90, 90\]"),
        ("abc", "1", r"line 3: .*coordinate: 'abc'"),
        ("40.0", "99999999999999999999999", r"line 3: .*illegal id: '99999999999999999999999'"),
    ],
)
@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2"])
def test_bad_values_name_the_line(
    tmp_path: Path, lat: str, node_id: str, message: str, suffix: str
) -> None:
    text = _TWO_NODES.format(lat=lat, id=node_id).encode()
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(bz2.compress(text) if suffix.endswith(".bz2") else text)
    with pytest.raises(DataError, match=rf"bad{re.escape(suffix)}: {message}"):
        load_osm(path, rules=RULES)
    with pytest.raises(DataError, match=rf"bad{re.escape(suffix)}: {message}"):
        load_osm_names(path)


def test_empty_osm(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.osm: the file holds no tagged OSM objects"):
        load_osm(path, rules=RULES)


def test_no_walkable_ways(tmp_path: Path) -> None:
    path = tmp_path / "buildings_only.osm"
    path.write_text(
        SMALL_OSM.replace('v="footway"', 'v="construction"').replace('v="path"', 'v="proposed"'),
        encoding="utf-8",
    )
    extract = load_osm(path, rules=RULES)
    assert extract.edge_u.shape == (0,)
    assert len(extract.buildings) == 1
    with pytest.raises(RoutingError, match=r"buildings_only\.osm: no walkable ways"):
        build_graph(extract)


def test_gzip_xml_reads_like_plain_xml(tmp_path: Path, small: OsmExtract) -> None:
    path = tmp_path / "small.osm.gz"
    path.write_bytes(gzip.compress(SMALL_OSM.encode("utf-8")))
    zipped = load_osm(path, rules=RULES)
    np.testing.assert_array_equal(zipped.node_id, small.node_id)
    assert zipped.facilities["id"].tolist() == small.facilities["id"].tolist()
    assert zipped.communities["name"].tolist() == small.communities["name"].tolist()


# A residential multipolygon whose second outer way was cut off by the extract: osmium cannot
# assemble it, and load_osm builds it from the closed, untagged outer way that is present.
# Relation 31's only present member (way 22) lacks node 98, so it cannot be built at all.
CUT_RELATION_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
 <node id="1" lat="40.0000" lon="116.3500"/>
 <node id="2" lat="40.0000" lon="116.3510"/>
 <node id="3" lat="40.0010" lon="116.3510"/>
 <node id="4" lat="40.0010" lon="116.3500"/>
 <way id="20"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
 <way id="21"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
 <way id="22"><nd ref="1"/><nd ref="98"/><nd ref="3"/><nd ref="1"/></way>
 <relation id="30"><member type="way" ref="21" role="outer"/>
  <member type="way" ref="77" role="outer"/>
  <tag k="type" v="multipolygon"/><tag k="landuse" v="residential"/><tag k="name" v="切院"/>
 </relation>
 <relation id="31"><member type="way" ref="22" role="outer"/>
  <member type="way" ref="78" role="outer"/>
  <tag k="type" v="multipolygon"/><tag k="landuse" v="residential"/>
 </relation>
</osm>
"""


def test_relation_cut_by_the_extract_is_built_from_present_members(tmp_path: Path) -> None:
    path = tmp_path / "cut.osm"
    path.write_text(CUT_RELATION_OSM, encoding="utf-8")
    extract = load_osm(path, rules=RULES)
    comm = extract.communities
    assert comm["id"].tolist() == ["r30"]
    assert comm["name"].tolist() == ["切院"]
    geometry = comm["geometry"].iloc[0]
    assert isinstance(geometry, shapely.Polygon)
    assert geometry.bounds == pytest.approx((116.35, 40.0, 116.351, 40.001))
    assert extract.edge_way.tolist() == [20]


def test_wkb_linestring_reader_matches_shapely(cau_pbf: Path) -> None:
    import osmium

    from wanzheng.data.osm import _linestring_coordinates

    factory = osmium.geom.WKBFactory()
    lines: list[str] = []
    sizes: list[int] = []
    for obj in osmium.FileProcessor(str(cau_pbf)).with_locations():
        if isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
            lines.append(factory.create_linestring(obj, use_nodes=osmium.geom.use_nodes.ALL))
            sizes.append(len(obj.nodes))
    n_points = np.asarray(sizes, dtype=np.int64)
    expected = shapely.get_coordinates(shapely.from_wkb(np.asarray(lines, dtype=object)))
    assert len(lines) > 100
    got = _linestring_coordinates(lines, n_points)
    assert got.shape == (int(n_points.sum()), 2)
    assert np.array_equal(got, expected)
    # big-endian WKB (another byte order than the fast path reads) goes through shapely
    big = [shapely.to_wkb(shapely.from_wkb(line), hex=True, byte_order=0) for line in lines[:5]]
    assert np.array_equal(
        _linestring_coordinates(big, n_points[:5]), expected[: n_points[:5].sum()]
    )


def test_only_a_tagged_non_highway_way_is_not_an_empty_file(tmp_path: Path) -> None:
    # the main pass hides ways without a highway tag from Python; the file is still not empty
    path = tmp_path / "stream.osm"
    path.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        ' <node id="1" lat="40.0" lon="116.35"/><node id="2" lat="40.001" lon="116.35"/>\n'
        ' <way id="5"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="stream"/></way>\n'
        "</osm>\n",
        encoding="utf-8",
    )
    extract = load_osm(path, rules=RULES)
    assert extract.edge_u.shape == (0,) and len(extract.facilities) == 0
    with pytest.raises(RoutingError, match=r"stream\.osm: no walkable ways"):
        build_graph(extract)
