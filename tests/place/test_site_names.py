"""Names for proposed sites (学院路与成府路交叉口附近), worked out by hand.

The hand-made area at (116.35, 40.0): 学院路 runs east–west along latitude 40.0 from 500 m west
to 500 m east of the origin, 成府路 north–south along longitude 116.35 from 500 m south to
500 m north; they cross at the origin (each street is two edges meeting there). A shop
便民超市 stands 400 m east and 100 m north of the crossing; the community 石科院生活区 is a
100 m square around (200 m west, 200 m north).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from wanzheng.place.reverse import build_place_namer, crossings, named_points

LON0, LAT0 = 116.35, 40.0
M_LAT = 1.0 / 111_320.0
M_LON = 1.0 / (111_320.0 * np.cos(np.radians(LAT0)))


def at(east_m: float, north_m: float) -> tuple[float, float]:
    return LON0 + east_m * M_LON, LAT0 + north_m * M_LAT


def network() -> pd.DataFrame:
    w, e, s, n, o = at(-500, 0), at(500, 0), at(0, -500), at(0, 500), at(0, 0)
    return pd.DataFrame(
        {
            "lon_u": [w[0], o[0], s[0], o[0], e[0]],
            "lat_u": [w[1], o[1], s[1], o[1], e[1]],
            "lon_v": [o[0], e[0], o[0], n[0], e[0] + 0.001],
            "lat_v": [o[1], e[1], o[1], n[1], e[1]],
            "length_m": [500.0, 500.0, 500.0, 500.0, 85.0],
            "highway": ["secondary", "secondary", "tertiary", "tertiary", "footway"],
            "name": ["学院路", "学院路", "成府路", "成府路", ""],
        }
    )


def communities() -> pd.DataFrame:
    x0, y0 = at(-250, 150)
    x1, y1 = at(-150, 250)
    return pd.DataFrame(
        {"id": ["c1"], "name": ["石科院生活区"], "geometry": [shapely.box(x0, y0, x1, y1)]}
    )


def pois() -> pd.DataFrame:
    x, y = at(400, 100)
    return pd.DataFrame({"name": ["便民超市", ""], "lon": [x, x + 0.001], "lat": [y, y]})


def test_crossings_of_named_streets() -> None:
    cross = crossings(network())
    # only the origin has two names; the unnamed footway's end at the east end is no crossing
    assert list(cross["name"]) == ["学院路与成府路"]
    assert (cross.loc[0, "lon"], cross.loc[0, "lat"]) == pytest.approx(at(0, 0))


@pytest.mark.parametrize(
    ("east_m", "north_m", "name"),
    [
        # 36 m from the crossing (≤ 60 m)
        (30, 20, "学院路与成府路交叉口附近"),
        # 30 m from the shop (≤ 80 m); 学院路 130 m away, the crossing 534 m
        (400, 130, "便民超市旁"),
        # 50 m from 学院路 (≤ 120 m), 255 m from the crossing, 326 m from the shop
        (250, -50, "学院路"),
        # inside the community; 学院路 150 m, 成府路 150 m: both farther than 120 m
        (-200, 200, "石科院生活区"),
        # 80 m north of the community (≤ 200 m) and 60 m west of 成府路
        (-60, 330, "石科院生活区附近 · 成府路"),
        # nothing near: 学院路 300 m to the south, 成府路 450 m, the shop 403 m,
        # so the nearest street with its side and distance rounded to 50 m
        (450, -300, "学院路以南约 300 米"),
        (-450, 310, "学院路以北约 300 米"),
    ],
)
def test_site_names_by_hand(east_m: float, north_m: float, name: str) -> None:
    namer = build_place_namer(communities(), network(), pois=pois())
    assert namer.name_site(*at(east_m, north_m)) == name


def test_an_area_without_names_gives_none() -> None:
    net = network().assign(name="")
    namer = build_place_namer(communities().iloc[:0], net)
    assert namer.name_site(*at(30, 20)) is None


def test_describe_is_unchanged_by_crossings_and_places() -> None:
    # residents' pins keep their words: no crossing, no shop in describe()
    namer = build_place_namer(communities(), network(), pois=pois())
    assert namer.describe(*at(400, 130)).text is None
    assert namer.describe(*at(30, 20)).text == "学院路"


def test_named_points_of_an_osm_names_table() -> None:
    # a shop (point), a named building (polygon: a point inside it), a street and a region
    # (left out), an unnamed address (left out)
    x0, y0 = at(100, 100)
    x1, y1 = at(140, 140)
    names = pd.DataFrame(
        {
            "name": ["便民超市", "信息楼", "学院路", "海淀区", ""],
            "cls": ["poi", "building", "road", "region", "building"],
            "geometry": [
                shapely.Point(*at(400, 100)),
                shapely.box(x0, y0, x1, y1),
                shapely.LineString([at(-500, 0), at(500, 0)]),
                shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1),
                shapely.Point(*at(0, 0)),
            ],
        }
    )
    points = build_place_namer(communities(), network(), pois=named_points(names))
    assert list(named_points(names)["name"]) == ["便民超市", "信息楼"]
    building = named_points(names).iloc[1]
    assert shapely.box(x0, y0, x1, y1).contains(shapely.Point(building["lon"], building["lat"]))
    # 30 m from the shop, and beside the building (its inside point within 80 m)
    assert points.name_site(*at(400, 130)) == "便民超市旁"
    assert points.name_site(*at(150, 110)) == "信息楼旁"
