"""Placing case texts on the three test extracts.

``tests/data/place/addresses.csv`` holds 73 texts we wrote with the place each one names (or
``unplaced``), decided by reading the OSM data, not by running the matcher (its SOURCE.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import shapely

from wanzheng.cases.routing import GridIndex
from wanzheng.data.osm_names import load_osm_names
from wanzheng.place import Gazetteer, build_gazetteer, find_mentions, place_text
from wanzheng.place.table import place_cases


def _expected(data_dir: Path, name: str) -> list[dict[str, str]]:
    with (data_dir / "place" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _hit(expect: str, placement: object) -> bool:
    p = placement
    if expect == "unplaced":
        return not p.placed  # type: ignore[attr-defined]
    if expect.startswith("id:"):
        return bool(p.placed and p.entry in expect[3:].split("|"))  # type: ignore[attr-defined]
    a, b = expect[2:].split("|")
    return bool(
        p.placed  # type: ignore[attr-defined]
        and p.how == "intersection"  # type: ignore[attr-defined]
        and set(p.matched.split(" × ")) == {a, b}  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("name", ["addresses.csv", "addresses_holdout.csv"])
def test_hand_written_addresses(
    data_dir: Path, gazetteers: dict[str, Gazetteer], name: str
) -> None:
    rows = _expected(data_dir, name)
    assert len(rows) >= 35
    should_place = [r for r in rows if r["expect"] != "unplaced"]
    should_not = [r for r in rows if r["expect"] == "unplaced"]
    assert len(should_not) >= 6
    wrong = []
    for r in rows:
        p = place_text(r["text"], gazetteers[r["area"]])
        if not _hit(r["expect"], p):
            wrong.append((r["text"], r["expect"], p.placed, p.entry, p.matched, p.reason))
        if not p.placed:
            assert p.reason and p.lon is None and p.confidence is None  # never a silent guess
        else:
            assert 0.6 <= (p.confidence or 0) <= 0.99
    assert wrong == []
    assert len(should_place) + len(should_not) == len(rows)


def test_building_estate_and_community(cau_gazetteer: Gazetteer) -> None:
    building = place_text("石科院生活区10号楼楼道灯不亮", cau_gazetteer)
    assert building.how == "building" and building.confidence == 0.95
    # the building's OSM outline contains the location; the community is the audit's estate
    names = load_osm_names(Path(__file__).parents[1] / "data/osm_bj_haidian_cau_2026/map.osm.pbf")
    outline = names.loc[names["id"] == "w594886651", "geometry"].iloc[0]
    assert outline.covers(shapely.Point(building.lon, building.lat))
    assert (building.community_id, building.community_name) == ("w595108678", "石科院生活区")
    estate = place_text("静淑苑的路灯坏了", cau_gazetteer)
    variant = place_text("静淑小区的路灯坏了", cau_gazetteer)
    assert estate.entry == variant.entry == "w860342589"
    assert estate.confidence == 0.9 and variant.confidence == pytest.approx(0.9 * 0.85)


def test_intersection_lies_on_both_streets(data_dir: Path, cau_gazetteer: Gazetteer) -> None:
    p = place_text("学清路与清华东路交叉口红绿灯坏了", cau_gazetteer)
    assert p.how == "intersection" and p.confidence == 0.9
    names = load_osm_names(data_dir / "osm_bj_haidian_cau_2026" / "map.osm.pbf")
    point = shapely.Point(p.lon, p.lat)
    for street in ("学清路", "清华东路"):
        lines = shapely.union_all(names.loc[names["name"] == street, "geometry"].to_numpy())
        # the centre of the crossings of the carriageways and side roads: within 30 m
        # (3e-4°) of each street's mapped lines
        assert shapely.distance(lines, point) < 3e-4


def test_unplaced_reasons(cau_gazetteer: Gazetteer) -> None:
    cases = {
        "志新西路与双泉堡西路交叉口井盖坏了": ("roads_do_not_meet", ("志新西路 × 双泉堡西路",)),
        "学院路上井盖松动": ("road_only", ("学院路",)),
        "我家楼下太吵": ("no_place", ()),
        "中关村北大街施工噪音": ("unknown_place", ("中关村北大街",)),
        "从静淑苑到双泉嘉苑没有路灯": ("conflict", ("静淑苑", "双泉嘉苑")),
    }
    for text, (reason, candidates) in cases.items():
        p = place_text(text, cau_gazetteer)
        assert not p.placed and (p.reason, p.candidates) == (reason, candidates), text
    ambiguous = place_text("星巴克门口停车占道", cau_gazetteer)
    assert ambiguous.reason == "ambiguous"
    assert sorted(ambiguous.candidates) == ["星巴克 (n13097805787)", "星巴克 (n297113664)"]


def test_min_confidence_keeps_weak_matches_unplaced(cau_gazetteer: Gazetteer) -> None:
    weak = place_text("物美门口占道", cau_gazetteer)  # a two-character shop name: 0.65
    assert weak.placed and weak.confidence == 0.65
    stricter = place_text("物美门口占道", cau_gazetteer, min_confidence=0.7)
    assert not stricter.placed and stricter.reason == "low_confidence"


def test_street_followed_by_an_office_is_not_a_street(cau_gazetteer: Gazetteer) -> None:
    assert [m.key for m in find_mentions("学院路上坑洼", cau_gazetteer)] == ["学院路"]
    assert find_mentions("学院路街道办事处", cau_gazetteer) == []


def test_grid_from_the_desk_polygons(cau_gazetteer: Gazetteer) -> None:
    grids = GridIndex.build(
        [
            (
                "g-sw",
                "POLYGON ((116.346 39.997, 116.350 39.997, 116.350 40.000, 116.346 40.000, "
                "116.346 39.997))",
            )
        ],
        [],
    )
    inside = place_text("富润家园东门垃圾满了", cau_gazetteer, grids=grids)
    outside = place_text("静淑苑东门垃圾满了", cau_gazetteer, grids=grids)
    # 富润家园 lies at about 116.348, 39.998 (inside the box), 静淑苑 at 116.344, 40.004
    assert inside.grid_id == "g-sw"
    assert outside.grid_id == ""


def test_ledger_and_community_file_names_are_places(
    cau_gazetteer: Gazetteer, data_dir: Path
) -> None:
    from wanzheng.data.communities import load_communities
    from wanzheng.data.ledger import load_ledger
    from wanzheng.standards import load_kind_rules

    pbf = data_dir / "osm_bj_haidian_cau_2026" / "map.osm.pbf"
    ledger = load_ledger(data_dir / "inputs" / "ledger_haidian.csv", rules=load_kind_rules())
    comm = load_communities(data_dir / "inputs" / "communities_haidian.geojson")
    gaz = build_gazetteer(load_osm_names(pbf), communities=comm, facilities=ledger.facilities)
    # HD-009 学清路社区党群服务中心 is only in the ledger (an invented place, see its SOURCE.md)
    p = place_text("学清路社区党群服务中心活动室空调坏了", gaz)
    row = ledger.facilities[ledger.facilities["id"] == "HD-009"].iloc[0]
    assert p.entry == "HD-009"
    assert (p.lon, p.lat) == pytest.approx((row["lon"], row["lat"]), abs=1e-7)
    # the community of a placed case is the file's: 石科院生活区 is HD-C02 there
    q = place_text("石科院生活区10号楼漏水", gaz)
    assert (q.community_id, q.community_name) == ("HD-C02", "石科院生活区")


def test_place_cases_keeps_coordinates_and_order(cau_gazetteer: Gazetteer) -> None:
    out = place_cases(
        ["a", "b", "c"],
        ["静淑苑路灯坏了", "没有地名", "随便"],
        cau_gazetteer,
        lon=[None, None, 116.3479],
        lat=[None, None, 39.9985],
    )
    assert list(out["id"]) == ["a", "b", "c"]
    assert list(out["how"]) == ["estate", "unplaced", "coordinates"]
    assert np.isnan(out.at[1, "lon"]) and np.isnan(out.at[1, "confidence"])
    assert out.at[1, "community_id"] == "" and "no place named" in out.at[1, "reason"]
    assert out.at[2, "confidence"] == 1.0
    assert out.at[2, "community_id"] == "w594891968"  # the point lies inside 富润家园


def test_gazetteer_counts(cau_gazetteer: Gazetteer) -> None:
    e = cau_gazetteer.entries
    # streets are one place per name: 学清路 is 16 OSM ways
    assert (e["name"] == "学清路").sum() == 1
    assert set(e["cls"]) <= {"community", "estate", "building", "address", "poi", "road", "water"}
    # numbered buildings stand in their estate: six in 石科院生活区 (1, 6, 10, 11, 17, 19 …)
    estate = int(np.flatnonzero((e["id"] == "w595108678").to_numpy())[0])
    numbers = sorted(e.loc[e["estate"] == estate, "number"])
    assert numbers == [1, 6, 10, 11, 17, 19, 20, 21]
