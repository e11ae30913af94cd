"""WGS-84 / GCJ-02 / BD-09 conversion: published test points, round trips, China mask."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from wanzheng.errors import DataError
from wanzheng.geo import from_wgs84, gcj02_offset, in_china, parse_coord_system, to_wgs84

GEOD = Geod(ellps="WGS84")

# (wgs lon, wgs lat, gcj lon, gcj lat): the test vectors of the open "eviltransform"
# implementations (github.com/googollee/eviltransform), Shanghai, Shenzhen and Beijing.
PUBLISHED = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


def _china_sample(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """n random points inside the China polygon."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(73.0, 135.0, 4 * n)
    lat = rng.uniform(18.0, 53.5, 4 * n)
    keep = in_china(lon, lat)
    assert keep.sum() >= n
    return lon[keep][:n], lat[keep][:n]


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), PUBLISHED)
def test_published_gcj02_points(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = from_wgs84(wlon, wlat, "gcj02")
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)
    back_lon, back_lat = to_wgs84(glon, glat, "gcj02")
    assert float(back_lon) == pytest.approx(wlon, abs=1e-9)
    assert float(back_lat) == pytest.approx(wlat, abs=1e-9)


def test_offset_size_in_beijing_is_a_few_hundred_metres() -> None:
    # The well-known size of the GCJ-02 shift: several hundred metres, mostly eastwards.
    d_lon, d_lat = gcj02_offset([116.3376], [40.0045])
    shift = _metres(np.array([116.3376]), np.array([40.0045]), 116.3376 + d_lon, 40.0045 + d_lat)
    assert 300.0 < shift[0] < 700.0
    assert d_lon[0] > 0


def test_bd09_is_gcj02_plus_baidu_shift() -> None:
    # BD-09 adds roughly (+0.0065, +0.006) degrees to GCJ-02: ~ 0.6-0.8 km in Beijing.
    glon, glat = from_wgs84(116.391, 39.907, "gcj02")
    blon, blat = from_wgs84(116.391, 39.907, "bd09")
    assert float(blon - glon) == pytest.approx(0.0065, abs=0.0005)
    assert float(blat - glat) == pytest.approx(0.006, abs=0.0005)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_at_thousands_of_points(crs: str) -> None:
    lon, lat = _china_sample(5000)
    clon, clat = from_wgs84(lon, lat, crs)
    moved = _metres(lon, lat, clon, clat)
    assert moved.min() > 1.0  # every point inside China is shifted
    back_lon, back_lat = to_wgs84(clon, clat, crs)
    err = _metres(lon, lat, back_lon, back_lat)
    assert err.max() < 0.01  # the brief asks 0.5 m; we reach < 1 cm
    # and the other direction, from coordinates in crs. Within ~1 km of the polygon's edge a
    # shifted point may have no preimage in China (its inverse lies outside); skip those few.
    wlon, wlat = to_wgs84(lon, lat, crs)
    ok = in_china(wlon, wlat)
    assert ok.mean() > 0.99
    again_lon, again_lat = from_wgs84(wlon[ok], wlat[ok], crs)
    assert _metres(lon[ok], lat[ok], again_lon, again_lat).max() < 0.01


def test_no_offset_outside_china() -> None:
    # Tokyo, Seoul, Taipei, Hanoi, London, a NaN
    lon = np.array([139.7, 126.98, 121.56, 105.85, -0.12, np.nan])
    lat = np.array([35.7, 37.57, 25.03, 21.03, 51.5, np.nan])
    for crs in ("gcj02", "bd09"):
        out_lon, out_lat = from_wgs84(lon, lat, crs)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
        out_lon, out_lat = to_wgs84(lon, lat, crs)
        np.testing.assert_array_equal(out_lon, lon)


def test_in_china_polygon() -> None:
    inside = {
        "Beijing": (116.39, 39.9),
        "Hangzhou Binjiang": (120.2, 30.2),
        "Zhuhai": (113.57, 22.27),
        "Hong Kong": (114.17, 22.28),
        "Sanya": (109.5, 18.25),
        "Kashgar": (75.99, 39.47),
        "Mohe": (122.5, 53.0),
        "Shengsi islands": (122.45, 30.72),
        "Dandong": (124.38, 40.12),
    }
    outside = {
        "Taipei": (121.56, 25.03),
        "Seoul": (126.98, 37.57),
        "Pyongyang": (125.75, 39.03),
        "Ulaanbaatar": (106.9, 47.9),
        "Hanoi": (105.85, 21.03),
        "Vladivostok": (131.9, 43.1),
        "Kathmandu": (85.3, 27.7),
        "Almaty": (76.9, 43.25),
    }
    lon = [p[0] for p in inside.values()] + [p[0] for p in outside.values()]
    lat = [p[1] for p in inside.values()] + [p[1] for p in outside.values()]
    mask = in_china(lon, lat)
    assert mask[: len(inside)].all(), dict(zip(inside, mask[: len(inside)], strict=True))
    assert not mask[len(inside) :].any(), dict(zip(outside, mask[len(inside) :], strict=True))
    assert in_china(116.4, 39.9).shape == ()


def test_scalar_and_array_shapes() -> None:
    lon, lat = from_wgs84(116.4, 39.9, "gcj02")
    assert lon.shape == () and lat.shape == ()
    lon2, lat2 = to_wgs84([[116.4, 116.5]], [[39.9, 39.95]], "bd09")
    assert lon2.shape == (1, 2) and lat2.shape == (1, 2)
    # inputs are not modified in place
    a = np.array([116.4])
    from_wgs84(a, np.array([39.9]), "gcj02")
    assert a[0] == 116.4


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("WGS84", "wgs84"),
        ("wgs-84", "wgs84"),
        (" WGS_84 ", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("GPS", "wgs84"),
        ("GCJ02", "gcj02"),
        ("gcj-02", "gcj02"),
        ("火星坐标", "gcj02"),
        ("火星坐标系", "gcj02"),
        ("高德", "gcj02"),
        ("高德坐标系", "gcj02"),
        ("BD09", "bd09"),
        ("bd-09", "bd09"),
        ("BD09LL", "bd09"),
        ("百度", "bd09"),
        ("百度坐标系", "bd09"),
        ("CGCS2000", "wgs84"),
        ("国家2000坐标系", "wgs84"),
        ("天地图", "wgs84"),
    ],
)
def test_parse_coord_system(name: str, expected: str) -> None:
    assert parse_coord_system(name) == expected


@pytest.mark.parametrize("name", ["utm50", "", "beijing54", "bd10", "xian80"])
def test_unknown_coord_system(name: str) -> None:
    with pytest.raises(DataError, match="unknown coordinate system"):
        parse_coord_system(name)
    with pytest.raises(DataError):
        to_wgs84(116.4, 39.9, name)
