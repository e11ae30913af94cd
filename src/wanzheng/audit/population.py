"""Residents per community: given figures, or an estimate from residential floor area.

The estimate, per community polygon::

    population = Σ footprint_area_m2(b) × levels(b) / floor_area_per_person_m2

over the residential buildings ``b`` whose representative point lies in the polygon.

* **Footprint area** is measured in a local transverse Mercator
  (:func:`wanzheng.geo.local_projection`), exact to < 1e-5 over a district.
* **Levels**: the ``building:levels`` value; unknown (or ≤ 0) counts as
  ``default_levels`` = 6, the classic Chinese walk-up block (多层住宅 of up to six floors
  without a lift) that makes up most of the older compounds where OSM lacks levels. Towers
  are under-counted by this default; map ``building:levels`` or give populations to fix it.
* **Which buildings**: ``residential`` buildings (``building=residential``, ``apartments``,
  ``house``, ``dormitory`` …), and plain ``building=yes`` inside a community polygon:
  communities are residential areas, and most buildings in Chinese OSM data carry no more
  specific value (165 of 255 in the Haidian test extract). Buildings tagged as anything
  else (school, commercial, office …) never count.
* **Floor area per person**: 36.52 m², the per-capita housing floor area (人均住房建筑面积)
  of urban family households in China's 7th population census (2020), 国家统计局《中国人口
  普查年鉴—2020》. It is a gross (建筑面积) figure, like footprint × levels. Cities differ
  (Beijing and Shanghai are lower); pass your own figure.
* A building in two overlapping communities counts for the smaller one only.

Given populations are kept (``population_source = "given"``); a community with no
residential building in its polygon (or given as a point) has population NaN and source
``"unknown"`` — unknown is not zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from wanzheng.errors import ConfigError, DataError
from wanzheng.geo import local_projection

__all__ = [
    "DEFAULT_FLOOR_AREA_PER_PERSON_M2",
    "DEFAULT_LEVELS",
    "POPULATION_COLUMNS",
    "estimate_population",
    "footprint_area_m2",
    "residential_floor_area",
]

DEFAULT_FLOOR_AREA_PER_PERSON_M2 = 36.52
"""Urban per-capita housing floor area, 7th national census (2020), m² per person."""

DEFAULT_LEVELS = 6.0
"""Levels assumed for a residential building without ``building:levels``."""

POPULATION_COLUMNS = [
    "id",
    "population",
    "population_source",
    "population_estimate",
    "floor_area_m2",
    "n_buildings",
]

_POLYGONAL = ("Polygon", "MultiPolygon")


def footprint_area_m2(geometries: NDArray[np.object_] | list[object]) -> NDArray[np.float64]:
    """Planar area in m² of WGS-84 polygons, in a local transverse Mercator.

    Non-polygonal or missing geometries have area 0.
    """
    geoms = np.asarray(geometries, dtype=object)
    if geoms.size == 0:
        return np.zeros(0)
    polygonal = np.array(
        [g is not None and getattr(g, "geom_type", "") in _POLYGONAL for g in geoms], dtype=bool
    )
    area = np.zeros(len(geoms))
    if not polygonal.any():
        return area
    bounds = shapely.bounds(geoms[polygonal])
    proj = local_projection(
        np.concatenate([bounds[:, 0], bounds[:, 2]]), np.concatenate([bounds[:, 1], bounds[:, 3]])
    )

    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = proj.forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    area[polygonal] = shapely.area(shapely.transform(geoms[polygonal], forward))
    return area


def _check_positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name}: expected a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def residential_floor_area(
    communities: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    default_levels: float = DEFAULT_LEVELS,
) -> pd.DataFrame:
    """The residential buildings of every community polygon and their gross floor area.

    A building counts when it is residential (or plain ``building=yes``) and its
    representative point lies within a community polygon; a building inside several
    communities counts for the smallest one.

    Returns
    -------
    pandas.DataFrame
        One row per counted building: ``building`` (row position in ``buildings``),
        ``community`` (row position in ``communities``), ``floor_area_m2`` (footprint m² ×
        levels, unknown levels taken as ``default_levels``), ``lon``, ``lat`` (WGS-84 of the
        representative point).
    """
    columns = ["building", "community", "floor_area_m2", "lon", "lat"]
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    comm_geoms = np.asarray(communities["geometry"].to_numpy(), dtype=object)
    is_area = np.array(
        [g is not None and getattr(g, "geom_type", "") in _POLYGONAL for g in comm_geoms],
        dtype=bool,
    )
    if not len(buildings) or not is_area.any():
        return empty
    b_geoms = np.asarray(buildings["geometry"].to_numpy(), dtype=object)
    valid = np.array(
        [g is not None and getattr(g, "geom_type", "") in _POLYGONAL for g in b_geoms],
        dtype=bool,
    )
    residential = buildings["residential"].to_numpy(dtype=bool)
    unspecified = buildings["building"].astype(object).fillna("").to_numpy() == "yes"
    idx = np.flatnonzero(valid & (residential | unspecified))
    if not idx.size:
        return empty
    points = shapely.point_on_surface(b_geoms[idx])
    area_idx = np.flatnonzero(is_area)
    tree = shapely.STRtree(comm_geoms[area_idx])
    b_pos, c_pos = tree.query(points, predicate="within")
    # a building inside several communities counts for the smallest one
    comm_area = shapely.area(comm_geoms[area_idx])
    order = np.lexsort((comm_area[c_pos], b_pos))
    b_pos, c_pos = b_pos[order], c_pos[order]
    first = np.ones(len(b_pos), dtype=bool)
    first[1:] = b_pos[1:] != b_pos[:-1]
    b_pos, c_pos = b_pos[first], c_pos[first]
    chosen = idx[b_pos]
    levels = pd.to_numeric(buildings["levels"], errors="coerce").to_numpy(np.float64)
    lv = levels[chosen]
    lv = np.where(np.isfinite(lv) & (lv > 0), lv, default_levels)
    return pd.DataFrame(
        {
            "building": chosen.astype(np.int64),
            "community": area_idx[c_pos].astype(np.int64),
            "floor_area_m2": footprint_area_m2(b_geoms[chosen]) * lv,
            "lon": shapely.get_x(points[b_pos]),
            "lat": shapely.get_y(points[b_pos]),
        },
        columns=columns,
    )


def estimate_population(
    communities: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    floor_area_per_person_m2: float = DEFAULT_FLOOR_AREA_PER_PERSON_M2,
    default_levels: float = DEFAULT_LEVELS,
) -> pd.DataFrame:
    """Population of every community: given, else estimated from residential floor area.

    Parameters
    ----------
    communities
        ``id``, ``geometry`` (WGS-84 Polygon / MultiPolygon / Point) and optionally
        ``population`` (NaN when unknown).
    buildings
        ``id``, ``geometry`` (WGS-84 Polygon), ``levels`` (NaN unknown), ``building`` (the
        OSM value), ``residential`` (bool).
    floor_area_per_person_m2
        Residential gross floor area per resident, m² (default 36.52, 7th census 2020).
    default_levels
        Levels of a residential building whose level count is unknown (default 6).

    Returns
    -------
    pandas.DataFrame
        One row per community, in input order: ``id``, ``population`` (given, else the
        estimate, NaN when neither), ``population_source`` (``given`` / ``estimated`` /
        ``unknown``), ``population_estimate`` (from buildings even where a figure was
        given; NaN without buildings), ``floor_area_m2`` (residential gross floor area),
        ``n_buildings`` (residential buildings counted).

    Raises
    ------
    ConfigError
        A non-positive floor area per person or default level count.
    DataError
        A table lacks a required column.
    """
    per_person = _check_positive(floor_area_per_person_m2, "floor_area_per_person_m2")
    levels_default = _check_positive(default_levels, "default_levels")
    for frame, name, cols in (
        (communities, "communities", ("id", "geometry")),
        (buildings, "buildings", ("geometry", "levels", "building", "residential")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(f"estimate_population: the {name} table lacks column(s) {missing}")
    n = len(communities)
    homes = residential_floor_area(communities, buildings, default_levels=levels_default)
    floor = np.zeros(n)
    count = np.zeros(n, dtype=np.int64)
    np.add.at(floor, homes["community"].to_numpy(np.int64), homes["floor_area_m2"].to_numpy())
    np.add.at(count, homes["community"].to_numpy(np.int64), 1)
    estimate = np.where(count > 0, floor / per_person, np.nan)
    if "population" in communities.columns:
        given = pd.to_numeric(communities["population"], errors="coerce").to_numpy(np.float64)
    else:
        given = np.full(n, np.nan)
    has_given = np.isfinite(given)
    population = np.where(has_given, given, estimate)
    source = np.where(has_given, "given", np.where(np.isfinite(estimate), "estimated", "unknown"))
    return pd.DataFrame(
        {
            "id": communities["id"].to_numpy(),
            "population": population,
            "population_source": source.astype(object),
            "population_estimate": estimate,
            "floor_area_m2": floor,
            "n_buildings": count,
        },
        columns=POPULATION_COLUMNS,
    )
