"""Routing: location → grid (point in polygon) → community; category → department.

The tables are data: seeded from ``routing.toml`` and then edited by an administrator in
the database. :class:`GridIndex` is built from whatever grid rows the store holds.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from wanzheng.errors import ConfigError, DataError

__all__ = [
    "CHINA_BBOX",
    "GridIndex",
    "RoutingSeed",
    "in_china_bbox",
    "load_routing_seed",
    "parse_polygon",
]

#: Coarse bounding box of the People's Republic of China (lon/lat, WGS-84).
CHINA_BBOX: tuple[float, float, float, float] = (73.4, 18.1, 135.1, 53.6)


def in_china_bbox(lon: float, lat: float) -> bool:
    """True when the point lies inside the coarse bounding box of China."""
    return CHINA_BBOX[0] <= lon <= CHINA_BBOX[2] and CHINA_BBOX[1] <= lat <= CHINA_BBOX[3]


def parse_polygon(wkt: str, *, where: str) -> BaseGeometry:
    """Parse a WKT polygon (WGS-84 lon/lat), refusing anything else with a DataError."""
    try:
        geom = shapely.from_wkt(wkt)
    except Exception as exc:  # shapely raises its own GEOSException
        raise DataError(f"{where}: expected a WKT polygon, got {wkt[:60]!r}") from exc
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
        raise DataError(f"{where}: expected a valid WKT polygon, got {wkt[:60]!r}")
    return geom


@dataclass(frozen=True, slots=True)
class GridIndex:
    """Point-in-polygon lookup of grids and served areas, with a snapshot of the small
    lookup tables intake needs (grid → community, category → department and deadlines), so
    that a submission reads nothing else from the database."""

    grid_keys: tuple[str, ...]
    grid_polygons: tuple[BaseGeometry, ...]
    area_polygons: tuple[BaseGeometry, ...]
    communities: Mapping[str, str] = field(default_factory=dict)
    #: category key -> (department, sign_hours, respond_hours, resolve_days, name)
    categories: Mapping[str, tuple[str | None, float | None, float | None, int | None, str]] = (
        field(default_factory=dict)
    )

    @classmethod
    def build(
        cls,
        grids: list[tuple[str, str]],
        areas: list[str],
        *,
        communities: Mapping[str, str] | None = None,
        categories: Mapping[str, tuple[str | None, float | None, float | None, int | None, str]]
        | None = None,
    ) -> GridIndex:
        """Build from ``(grid key, WKT)`` pairs and area WKTs (plus the lookup snapshot)."""
        polys = tuple(parse_polygon(w, where=f"grid {k!r}") for k, w in grids)
        for p in polys:
            shapely.prepare(p)
        area = tuple(parse_polygon(w, where="area") for w in areas)
        for p in area:
            shapely.prepare(p)
        return cls(
            tuple(k for k, _ in grids),
            polys,
            area,
            dict(communities or {}),
            dict(categories or {}),
        )

    def grid_of(self, lon: float, lat: float) -> str | None:
        """Key of the first grid covering the point (boundary included), else None."""
        if not self.grid_polygons:
            return None
        # one vectorised test of all grids, no point object: for a point, intersects = covers
        hit = np.flatnonzero(shapely.intersects_xy(self.grid_polygons, lon, lat))
        return self.grid_keys[int(hit[0])] if hit.shape[0] else None

    def in_served_area(self, lon: float, lat: float) -> bool:
        """True when there is no area table or some area covers the point."""
        if not self.area_polygons:
            return True
        return bool(shapely.intersects_xy(self.area_polygons, lon, lat).any())


@dataclass(frozen=True, slots=True)
class RoutingSeed:
    """The routing tables of ``routing.toml``: lists of plain dicts."""

    areas: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    communities: list[dict[str, Any]]
    grids: list[dict[str, Any]]
    origin: str


def load_routing_seed(path: Path | None = None) -> RoutingSeed:
    """Read the routing seed tables (default: the packaged demo ``routing.toml``)."""
    if path is None:
        text = resources.files("wanzheng.cases").joinpath("routing.toml").read_text("utf-8")
        origin = "wanzheng/cases/routing.toml"
    else:
        text = path.read_text("utf-8")
        origin = str(path)
    raw = tomllib.loads(text)
    seed = RoutingSeed(
        areas=list(raw.get("areas", [])),
        departments=list(raw.get("departments", [])),
        communities=list(raw.get("communities", [])),
        grids=list(raw.get("grids", [])),
        origin=origin,
    )
    communities = {c["key"] for c in seed.communities}
    for i, g in enumerate(seed.grids):
        where = f"{origin}: grids[{i}]"
        for k in ("key", "name", "community", "polygon"):
            if k not in g:
                raise ConfigError(f"{where}: missing key {k!r}")
        if g["community"] not in communities:
            raise ConfigError(f"{where}: unknown community {g['community']!r}")
        parse_polygon(g["polygon"], where=where)
    for i, a in enumerate(seed.areas):
        parse_polygon(a.get("polygon", ""), where=f"{origin}: areas[{i}]")
    return seed
