"""Naming a point from the area's own data: ``石科院生活区附近 · 学院路``.

A resident who drops a pin, and the staff who read the case, see where it is in words instead
of raw coordinates. The name is built from the audit's communities and the street names of its
walking network, nothing else (no geocoding service):

* the community whose area covers the point (the smallest when nested) → ``石科院生活区``;
  else the nearest named community within :data:`NEAR_COMMUNITY_M` → ``石科院生活区附近``;
* the nearest named street within :data:`NEAR_STREET_M` → ``学院路``;
* joined with `` · ``; ``None`` when neither is found (the caller shows coordinates).

Communities without a name of their own (``未命名住区 #3``) are not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from wanzheng.geo import LocalProjection, local_projection

__all__ = ["NEAR_COMMUNITY_M", "NEAR_STREET_M", "PlaceName", "PlaceNamer", "build_place_namer"]

NEAR_COMMUNITY_M = 200.0
"""A point this close (m) to a named community is ``<community>附近``."""
NEAR_STREET_M = 120.0
"""The nearest named street within this distance (m) is named."""
_UNNAMED = "未命名"


@dataclass(frozen=True, slots=True)
class PlaceName:
    """The words for a point, and what they were made of."""

    text: str | None
    community_id: str = ""
    community_name: str = ""
    inside: bool = False
    street: str = ""
    street_m: float | None = None


@dataclass(frozen=True, slots=True)
class PlaceNamer:
    """Names points of one area (:func:`build_place_namer`)."""

    projection: LocalProjection
    community_ids: tuple[str, ...]
    community_names: tuple[str, ...]
    street_names: tuple[str, ...]
    _communities: np.ndarray = field(repr=False)  # metric geometries
    _community_tree: shapely.STRtree = field(repr=False)
    _streets: np.ndarray = field(repr=False)
    _street_tree: shapely.STRtree = field(repr=False)

    def describe(self, lon: float, lat: float) -> PlaceName:
        """The name of the WGS-84 point (``text`` is ``None`` when nothing is near)."""
        x, y = self.projection.forward(lon, lat)
        point = shapely.Point(float(x), float(y))
        cid = cname = ""
        inside = False
        if len(self._communities):
            hits = self._community_tree.query(point, predicate="intersects")
            if len(hits):
                k = int(hits[int(np.argmin(shapely.area(self._communities[hits])))])
                inside = True
            else:
                near, dist = self._community_tree.query_nearest(
                    point, max_distance=NEAR_COMMUNITY_M, return_distance=True
                )
                k = int(near[0]) if len(near) else -1
            if k >= 0:
                cid, cname = self.community_ids[k], self.community_names[k]
        street, street_m = "", None
        if len(self._streets):
            near, dist = self._street_tree.query_nearest(
                point, max_distance=NEAR_STREET_M, return_distance=True
            )
            if len(near):
                street, street_m = self.street_names[int(near[0])], round(float(dist[0]), 1)
        parts = []
        if cname:
            parts.append(cname if inside else f"{cname}附近")
        if street:
            parts.append(street)
        return PlaceName(
            text=" · ".join(parts) if parts else None,
            community_id=cid,
            community_name=cname,
            inside=inside,
            street=street,
            street_m=street_m,
        )


def build_place_namer(communities: pd.DataFrame, network: pd.DataFrame) -> PlaceNamer:
    """A namer from the audit's communities and walking network.

    Parameters
    ----------
    communities
        ``id``, ``name``, ``geometry`` (WGS-84 polygons; points are used for "nearby" only).
    network
        One row per edge: ``lon_u``, ``lat_u``, ``lon_v``, ``lat_v`` and ``name`` (``""`` for
        unnamed ways). Without a ``name`` column no street is named.
    """
    comm = communities[["id", "name", "geometry"]].copy()
    comm["name"] = comm["name"].fillna("").astype(str)
    comm = comm[(comm["name"] != "") & ~comm["name"].str.startswith(_UNNAMED)]
    comm = comm[pd.notna(comm["geometry"])].reset_index(drop=True)
    if "name" in network:
        named = network[network["name"].fillna("").astype(str) != ""]
    else:
        named = network.iloc[0:0]
    lon = np.concatenate([named["lon_u"].to_numpy(np.float64), named["lon_v"].to_numpy(np.float64)])
    lat = np.concatenate([named["lat_u"].to_numpy(np.float64), named["lat_v"].to_numpy(np.float64)])
    geoms = np.asarray(comm["geometry"].to_numpy(), dtype=object)
    if len(geoms):
        b = shapely.bounds(geoms)
        lon = np.concatenate([lon, b[:, 0], b[:, 2]])
        lat = np.concatenate([lat, b[:, 1], b[:, 3]])
    projection = local_projection(lon, lat) if len(lon) else local_projection(116.4, 39.9)

    def fwd(c: np.ndarray) -> np.ndarray:
        return np.column_stack(projection.forward(c[:, 0], c[:, 1]))

    comm_m = np.asarray(shapely.transform(geoms, fwd), dtype=object) if len(geoms) else geoms
    xu, yu = projection.forward(
        named["lon_u"].to_numpy(np.float64), named["lat_u"].to_numpy(np.float64)
    )
    xv, yv = projection.forward(
        named["lon_v"].to_numpy(np.float64), named["lat_v"].to_numpy(np.float64)
    )
    coords = np.stack([np.column_stack([xu, yu]), np.column_stack([xv, yv])], axis=1)
    segments = (
        np.asarray(shapely.linestrings(coords), dtype=object)
        if len(coords)
        else np.empty(0, dtype=object)
    )
    return PlaceNamer(
        projection=projection,
        community_ids=tuple(comm["id"].astype(str)),
        community_names=tuple(comm["name"]),
        street_names=tuple(named["name"].astype(str)) if "name" in named else (),
        _communities=comm_m,
        _community_tree=shapely.STRtree(comm_m),
        _streets=segments,
        _street_tree=shapely.STRtree(segments),
    )
