"""WGS-84, GCJ-02 and BD-09: the three coordinate systems of Chinese map data.

* **WGS-84** — GPS, OpenStreetMap; what wanzheng uses between modules. CGCS2000
  (国家2000, used by Tianditu 天地图 and natural-resources data) is accepted as WGS-84: the
  two agree to a few centimetres.
* **GCJ-02** (国测局坐标, "火星坐标") — the obfuscated datum every map published in mainland
  China must use: Amap (高德), Tencent (腾讯), Apple and Google maps in China. The forward
  transform is public (the widely reproduced "eviltransform" formulas); the inverse has no
  closed form and is solved here by fixed-point iteration to better than 1e-9 degrees
  (about 0.1 mm), so a round trip WGS-84 → GCJ-02 → WGS-84 closes to well under 1 cm.
* **BD-09** (百度坐标) — Baidu's further transform of GCJ-02; inverted by the same iteration.

Outside China no offset is applied (GCJ-02 and BD-09 equal WGS-84 there), like the
published implementations. *Inside China* is decided by :func:`in_china`, a coarse polygon
(257 vertices) of mainland China with Hainan, Hong Kong and Macau and a coastal strip of
about 60 km for the islands, derived from Natural Earth 1:110m (public domain): China
buffered by 0.6°, minus every other country shrunk by 0.1°, minus Taiwan buffered by 0.25°.
It is accurate to some ten kilometres along land borders (enough: the offset changes by
centimetres over such distances, and data of a street office lie far inside); Kinmen and
Matsu, a few kilometres off Fujian, fall inside it. The South China Sea islands are outside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from wanzheng.errors import DataError

__all__ = [
    "COORD_SYSTEMS",
    "CoordSystem",
    "from_wgs84",
    "gcj02_offset",
    "in_china",
    "parse_coord_system",
    "to_wgs84",
]

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[CoordSystem, ...] = ("wgs84", "gcj02", "bd09")

Array = NDArray[np.float64]
_Transform = Callable[[Array, Array], tuple[Array, Array]]

# Krasovsky 1940 ellipsoid, as in the GCJ-02 formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOL_DEG = 1e-10
_MAX_ITER = 30

# lon, lat pairs; see the module docstring for how the polygon was made.
_CHINA_LONLAT = (
    79.61,
    42.64,
    80.14,
    42.48,
    80.10,
    42.98,
    80.73,
    43.23,
    79.90,
    44.99,
    82.38,
    45.62,
    83.14,
    47.42,
    85.14,
    47.11,
    85.62,
    47.50,
    85.70,
    48.52,
    86.56,
    48.65,
    87.22,
    49.22,
    86.89,
    49.60,
    87.04,
    49.73,
    87.40,
    49.32,
    88.32,
    49.49,
    88.39,
    49.30,
    87.89,
    49.22,
    88.10,
    48.67,
    88.89,
    48.16,
    90.36,
    47.76,
    91.07,
    46.92,
    90.70,
    45.74,
    91.00,
    45.38,
    93.50,
    45.07,
    94.72,
    44.45,
    95.35,
    44.33,
    95.84,
    43.38,
    96.39,
    42.83,
    99.52,
    42.63,
    100.86,
    42.76,
    101.86,
    42.61,
    103.33,
    42.01,
    104.54,
    42.01,
    104.98,
    41.71,
    106.10,
    42.23,
    107.72,
    42.58,
    109.23,
    42.62,
    110.37,
    42.96,
    111.70,
    43.79,
    111.25,
    44.47,
    111.83,
    45.19,
    113.45,
    44.91,
    114.42,
    45.43,
    115.94,
    45.82,
    116.66,
    46.47,
    117.39,
    46.77,
    118.88,
    46.91,
    119.59,
    46.80,
    119.66,
    47.01,
    118.82,
    47.66,
    118.07,
    47.96,
    117.31,
    47.60,
    116.31,
    47.75,
    115.68,
    47.65,
    115.39,
    48.17,
    116.49,
    49.77,
    115.86,
    49.73,
    116.00,
    49.94,
    116.68,
    49.99,
    117.87,
    49.62,
    119.19,
    50.21,
    119.20,
    50.65,
    120.11,
    51.72,
    120.64,
    52.02,
    120.63,
    52.45,
    120.12,
    52.67,
    120.10,
    52.82,
    120.97,
    53.35,
    122.23,
    53.53,
    123.59,
    53.56,
    125.10,
    53.26,
    126.00,
    52.88,
    127.03,
    51.40,
    127.73,
    49.85,
    129.45,
    49.53,
    130.65,
    48.80,
    131.05,
    47.89,
    132.49,
    47.89,
    133.35,
    48.28,
    135.02,
    48.58,
    135.13,
    48.48,
    134.58,
    47.52,
    134.20,
    47.16,
    133.86,
    46.07,
    133.17,
    45.07,
    131.90,
    45.22,
    131.15,
    44.91,
    131.39,
    44.12,
    131.24,
    42.92,
    130.74,
    42.81,
    130.74,
    42.43,
    131.77,
    43.12,
    131.68,
    42.36,
    131.24,
    42.33,
    131.26,
    41.02,
    130.09,
    42.08,
    129.75,
    41.84,
    130.35,
    42.36,
    130.53,
    42.36,
    130.01,
    42.84,
    129.64,
    42.34,
    128.18,
    41.93,
    128.24,
    41.37,
    127.32,
    41.41,
    126.88,
    41.69,
    126.24,
    41.03,
    125.13,
    40.48,
    124.44,
    39.94,
    124.97,
    39.72,
    124.53,
    39.37,
    123.10,
    39.07,
    122.37,
    38.61,
    121.27,
    38.33,
    121.85,
    38.08,
    122.81,
    38.04,
    123.29,
    36.47,
    121.42,
    36.10,
    121.01,
    35.63,
    120.05,
    35.12,
    120.70,
    34.79,
    121.15,
    33.66,
    122.51,
    31.91,
    122.48,
    30.55,
    122.23,
    30.44,
    122.76,
    30.16,
    122.14,
    27.69,
    121.48,
    27.58,
    119.07,
    24.10,
    117.60,
    23.12,
    116.09,
    22.20,
    114.99,
    22.09,
    114.10,
    21.45,
    113.79,
    21.74,
    113.55,
    21.53,
    111.99,
    20.97,
    111.24,
    20.86,
    111.16,
    20.62,
    111.76,
    19.60,
    111.08,
    18.92,
    110.82,
    18.26,
    109.52,
    17.54,
    108.07,
    18.09,
    108.02,
    19.62,
    108.82,
    20.36,
    109.19,
    20.46,
    109.00,
    20.98,
    108.55,
    21.09,
    108.08,
    20.93,
    107.23,
    21.14,
    107.80,
    21.51,
    107.00,
    21.72,
    106.50,
    22.15,
    106.60,
    22.72,
    105.77,
    22.88,
    105.32,
    23.23,
    104.50,
    22.72,
    102.73,
    22.61,
    102.32,
    22.42,
    102.63,
    22.01,
    102.44,
    21.93,
    102.13,
    22.35,
    101.76,
    22.25,
    101.87,
    21.10,
    101.25,
    21.10,
    101.13,
    21.28,
    100.72,
    20.96,
    100.36,
    20.93,
    101.08,
    21.48,
    101.06,
    21.71,
    100.40,
    21.46,
    99.19,
    22.03,
    99.40,
    22.88,
    98.82,
    23.08,
    98.59,
    23.95,
    97.51,
    23.87,
    97.64,
    25.13,
    98.57,
    25.97,
    98.58,
    27.45,
    98.18,
    27.68,
    97.86,
    28.23,
    97.45,
    28.18,
    97.45,
    27.79,
    96.95,
    27.71,
    97.29,
    27.94,
    97.24,
    28.17,
    96.18,
    28.34,
    96.46,
    28.83,
    96.09,
    29.32,
    95.42,
    28.93,
    94.58,
    29.17,
    93.47,
    28.56,
    92.55,
    27.81,
    91.94,
    27.71,
    92.19,
    27.50,
    92.18,
    27.24,
    91.98,
    27.21,
    92.00,
    27.41,
    91.23,
    27.94,
    90.02,
    28.19,
    89.54,
    27.96,
    88.92,
    27.27,
    89.35,
    26.99,
    89.21,
    26.84,
    88.75,
    27.05,
    88.64,
    27.95,
    88.21,
    27.80,
    88.18,
    27.27,
    87.97,
    27.29,
    88.00,
    27.79,
    85.78,
    28.11,
    84.97,
    28.55,
    84.19,
    28.75,
    83.84,
    29.23,
    83.29,
    29.37,
    81.53,
    30.31,
    80.66,
    29.74,
    80.46,
    29.84,
    80.92,
    30.17,
    78.64,
    31.48,
    78.36,
    32.65,
    79.08,
    32.60,
    79.11,
    32.96,
    78.71,
    33.48,
    78.81,
    34.29,
    77.83,
    35.35,
    77.40,
    34.98,
    77.17,
    35.04,
    77.63,
    35.44,
    76.14,
    35.81,
    75.82,
    36.60,
    75.14,
    37.03,
    74.59,
    36.92,
    74.48,
    37.09,
    75.00,
    37.20,
    74.92,
    37.32,
    74.39,
    37.32,
    74.33,
    37.52,
    74.85,
    37.52,
    74.76,
    38.31,
    74.25,
    38.50,
    73.87,
    38.42,
    73.60,
    39.32,
    73.09,
    39.28,
    73.04,
    39.48,
    73.64,
    39.53,
    73.83,
    39.68,
    73.76,
    39.97,
    74.74,
    40.46,
    75.46,
    40.66,
    76.47,
    40.54,
    76.86,
    41.16,
    78.14,
    41.28,
    78.50,
    41.67,
    80.05,
    42.21,
    79.44,
    42.52,
    79.61,
    42.64,
)
_CHINA = shapely.Polygon(np.asarray(_CHINA_LONLAT, dtype=np.float64).reshape(-1, 2))
shapely.prepare(_CHINA)

_ALIASES: dict[str, CoordSystem] = {
    "wgs84": "wgs84",
    "wgs1984": "wgs84",
    "wgs": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "osm": "wgs84",
    "openstreetmap": "wgs84",
    "地球坐标": "wgs84",
    # CGCS2000 (国家2000, Tianditu 天地图, natural-resources data) agrees with WGS-84 to a
    # few centimetres: both are ITRF-based; the difference is far below audit precision.
    "cgcs2000": "wgs84",
    "cgcs": "wgs84",
    "epsg4490": "wgs84",
    "4490": "wgs84",
    "国家2000": "wgs84",
    "2000": "wgs84",
    "天地图": "wgs84",
    "tianditu": "wgs84",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "火星": "gcj02",
    "火星坐标": "gcj02",
    "国测局": "gcj02",
    "国测局坐标": "gcj02",
    "高德": "gcj02",
    "腾讯": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "autonavi": "gcj02",
    "tencent": "gcj02",
    "qq": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "bd": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
    "百度坐标": "bd09",
}


def parse_coord_system(name: str) -> CoordSystem:
    """The canonical name (``wgs84``, ``gcj02``, ``bd09``) of a coordinate-system spelling.

    Case, spaces, ``-`` / ``_`` and a trailing ``坐标系`` / ``坐标`` / ``地图`` are ignored:
    ``WGS-84``, ``wgs_84``, ``GCJ-02``, ``火星坐标系``, ``高德``, ``BD-09``, ``百度坐标系``.

    Raises
    ------
    DataError
        For anything else, naming the value and the accepted names.
    """
    text = str(name).strip().lower()
    for ch in " -_.:":
        text = text.replace(ch, "")
    for suffix in ("坐标系", "坐标", "地图", "系"):
        if text.endswith(suffix) and text[: -len(suffix)] in _ALIASES:
            text = text[: -len(suffix)]
            break
    try:
        return _ALIASES[text]
    except KeyError:
        raise DataError(
            f"unknown coordinate system {name!r} (expected wgs84, gcj02 or bd09; "
            "also WGS-84, GCJ-02, 火星坐标, 高德, BD-09, 百度)"
        ) from None


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the coarse polygon of China (see the module docstring).

    Parameters
    ----------
    lon, lat
        Degrees (any of the three systems: their offsets of < 1 km do not matter here).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the broadcast inputs; False for NaN.
    """
    x, y = _arrays(lon, lat)
    inside = np.zeros(x.shape, dtype=bool)
    finite = np.isfinite(x) & np.isfinite(y)
    inside[finite] = shapely.contains_xy(_CHINA, x[finite], y[finite])
    return inside


def gcj02_offset(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 minus WGS-84 at WGS-84 points, in degrees (no test for being in China).

    The published formula: a sum of sines in (lon − 105°, lat − 35°) scaled on the
    Krasovsky ellipsoid (a = 6,378,245 m, e² = 0.006693421622966).
    """
    lng, la = _arrays(lon, lat)
    x = lng - 105.0
    y = la - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += common
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = la / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _wgs_to_gcj(lon: Array, lat: Array) -> tuple[Array, Array]:
    d_lon, d_lat = gcj02_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_bd(lon: Array, lat: Array) -> tuple[Array, Array]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: Array, lat: Array) -> tuple[Array, Array]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _Transform,
    lon: Array,
    lat: Array,
    start: tuple[Array, Array],
) -> tuple[Array, Array]:
    """Solve forward(x) = target by fixed-point iteration x ← x + (target − forward(x)).

    The offsets change by < 1e-5 of the step per degree, so each step gains about five
    digits; two or three steps reach 1e-10 degrees.
    """
    x, y = start[0].copy(), start[1].copy()
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = lon - fx, lat - fy
        x += ex
        y += ey
        if not np.any(np.abs(ex) > _TOL_DEG) and not np.any(np.abs(ey) > _TOL_DEG):
            break
    return x, y


def _gcj_to_wgs(lon: Array, lat: Array) -> tuple[Array, Array]:
    d_lon, d_lat = gcj02_offset(lon, lat)
    return _invert(_wgs_to_gcj, lon, lat, (lon - d_lon, lat - d_lat))


def _bd_to_gcj(lon: Array, lat: Array) -> tuple[Array, Array]:
    return _invert(_gcj_to_bd, lon, lat, _bd_to_gcj_approx(lon, lat))


def _forward_in_china(func: _Transform, lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Apply func where the WGS-84 input lies in China; identity elsewhere."""
    x, y = _arrays(lon, lat)
    mask = in_china(x, y)
    if mask.any():
        ox, oy = func(x[mask], y[mask])
        x[mask] = ox
        y[mask] = oy
    return x, y


def _inverse_in_china(func: _Transform, lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Apply the inverse func where its WGS-84 result or the input lies in China.

    Deciding on the result keeps the definition of "in China" the same in both directions
    (the WGS-84 position is in the polygon), so every round trip from a point in China
    closes exactly; a shifted point just inside the polygon's edge whose preimage falls
    just outside is still converted.
    """
    x, y = _arrays(lon, lat)
    finite = np.isfinite(x) & np.isfinite(y)
    if finite.any():
        ox, oy = func(x[finite], y[finite])
        accept = in_china(ox, oy) | in_china(x[finite], y[finite])
        idx = np.flatnonzero(finite.ravel())[accept]
        x.ravel()[idx] = ox[accept]
        y.ravel()[idx] = oy[accept]
    return x, y


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Array, Array]:
    """Convert coordinates in ``crs`` to WGS-84.

    Parameters
    ----------
    lon, lat
        Degrees in ``crs``; scalars or arrays (broadcast).
    crs
        ``wgs84``, ``gcj02`` or ``bd09`` (any spelling :func:`parse_coord_system` accepts).

    Returns
    -------
    (lon, lat)
        float64 arrays in WGS-84 degrees; NaNs, and points outside China both before
        and after conversion, are returned unchanged. Inverses are iterated to 1e-10° (≈ 0.01 mm).
    """
    system = parse_coord_system(crs)
    if system == "wgs84":
        return _arrays(lon, lat)
    if system == "gcj02":
        return _inverse_in_china(_gcj_to_wgs, lon, lat)

    def bd_to_wgs(x: Array, y: Array) -> tuple[Array, Array]:
        return _gcj_to_wgs(*_bd_to_gcj(x, y))

    return _inverse_in_china(bd_to_wgs, lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Array, Array]:
    """Convert WGS-84 coordinates to ``crs`` (``wgs84``, ``gcj02``, ``bd09``).

    Points outside China (:func:`in_china`) and NaNs are returned unchanged.
    """
    system = parse_coord_system(crs)
    if system == "wgs84":
        return _arrays(lon, lat)
    if system == "gcj02":
        return _forward_in_china(_wgs_to_gcj, lon, lat)

    def wgs_to_bd(x: Array, y: Array) -> tuple[Array, Array]:
        return _gcj_to_bd(*_wgs_to_gcj(x, y))

    return _forward_in_china(wgs_to_bd, lon, lat)
