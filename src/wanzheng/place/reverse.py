"""Naming a point from the area's own data: ``石科院生活区附近 · 学院路``.

A resident who drops a pin, and the staff who read the case, see where it is in words instead
of raw coordinates. The name is built from the audit's communities and the street names of its
walking network, nothing else (no geocoding service):

* the community whose area covers the point (the smallest when nested) → ``石科院生活区``;
  else the nearest named community within :data:`NEAR_COMMUNITY_M` → ``石科院生活区附近``;
* the nearest named street within :data:`NEAR_STREET_M` → ``学院路``;
* joined with `` · ``; ``None`` when neither is found (the caller shows coordinates).

Communities without a name of their own (``未命名住区 #3``) are not used.

A proposed site (a siting plan's candidate taken from the network) needs a name a meeting can
say aloud even where :meth:`PlaceNamer.describe` finds nothing; :meth:`PlaceNamer.name_site`
adds the crossings of named streets (``学院路与成府路交叉口附近``) and named places such as the
audit's facilities (``林大北路东口旁``), and falls back to the nearest named street or community
at any distance with its direction (``学清路以北约 250 米``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import shapely.ops

from wanzheng.geo import LocalProjection, local_projection

__all__ = [
    "NEAR_COMMUNITY_M",
    "NEAR_CROSSING_M",
    "NEAR_POI_M",
    "NEAR_STREET_M",
    "PlaceName",
    "PlaceNamer",
    "build_place_namer",
    "crossings",
    "named_points",
]

NEAR_COMMUNITY_M = 200.0
"""A point this close (m) to a named community is ``<community>附近``."""
NEAR_STREET_M = 120.0
"""The nearest named street within this distance (m) is named."""
NEAR_CROSSING_M = 60.0
"""A site this close (m) to where two named streets meet is ``<A>与<B>交叉口附近``."""
NEAR_POI_M = 80.0
"""A site this close (m) to a named place (a facility, a shop) is ``<place>旁``."""
_UNNAMED = "未命名"


def _empty_tree() -> shapely.STRtree:
    return shapely.STRtree(np.empty(0, dtype=object))


def _empty_geoms() -> np.ndarray:
    return np.empty(0, dtype=object)


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
    crossing_names: tuple[str, ...] = ()
    poi_names: tuple[str, ...] = ()
    _crossings: np.ndarray = field(default_factory=_empty_geoms, repr=False)
    _crossing_tree: shapely.STRtree = field(default_factory=_empty_tree, repr=False)
    _pois: np.ndarray = field(default_factory=_empty_geoms, repr=False)
    _poi_tree: shapely.STRtree = field(default_factory=_empty_tree, repr=False)

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

    def name_site(self, lon: float, lat: float) -> str | None:
        """A name for a proposed site at the WGS-84 point, for people to say in a meeting.

        ``<community or community附近> · <locator>`` where the locator is, the first found:
        the crossing of two named streets within :data:`NEAR_CROSSING_M`
        (``学院路与成府路交叉口附近``), a named place within :data:`NEAR_POI_M` (``<place>旁``),
        the nearest named street within :data:`NEAR_STREET_M`. With neither part, the nearest
        named street (else community) at any distance with its direction and distance rounded
        to 50 m (``学清路以北约 250 米``). ``None`` only when the area has no name at all.
        """
        base = self.describe(lon, lat)
        x, y = self.projection.forward(lon, lat)
        point = shapely.Point(float(x), float(y))
        community = ""
        if base.community_name:
            community = base.community_name if base.inside else f"{base.community_name}附近"
        locator = ""
        hit = _nearest(self._crossing_tree, point, NEAR_CROSSING_M)
        if hit is not None:
            locator = f"{self.crossing_names[hit[0]]}交叉口附近"
        else:
            hit = _nearest(self._poi_tree, point, NEAR_POI_M)
            locator = f"{self.poi_names[hit[0]]}旁" if hit is not None else base.street
        parts = [p for p in (community, locator) if p]
        if parts:
            return " · ".join(parts)
        for tree, geoms, names in (
            (self._street_tree, self._streets, self.street_names),
            (self._community_tree, self._communities, self.community_names),
        ):
            hit = _nearest(tree, point, None)
            if hit is None:
                continue
            k, dist = hit
            near = shapely.ops.nearest_points(geoms[k], point)[0]
            dx, dy = float(x) - near.x, float(y) - near.y
            side = (
                ("以东" if dx > 0 else "以西")
                if abs(dx) > abs(dy)
                else ("以北" if dy > 0 else "以南")
            )
            return f"{names[k]}{side}约 {max(50, round(dist / 50.0) * 50)} 米"
        return None


def _nearest(
    tree: shapely.STRtree, point: shapely.Point, max_m: float | None
) -> tuple[int, float] | None:
    """Index and distance (m) of the tree's geometry nearest the point (within ``max_m``)."""
    if len(tree) == 0:
        return None
    near, dist = tree.query_nearest(point, max_distance=max_m, return_distance=True)
    if not len(near):
        return None
    return int(near[0]), float(dist[0])


def named_points(names: pd.DataFrame) -> pd.DataFrame:
    """The named places of an OSM file as points, for :func:`build_place_namer`'s ``pois``.

    ``names`` is :func:`wanzheng.data.osm_names.load_osm_names`'s table; shops, schools,
    bus stops and other named features (``poi``) and named buildings are kept (streets name
    themselves through the network, regions are too large to stand beside). Areas become a
    point on their surface. Columns ``name``, ``lon``, ``lat``.
    """
    keep = names[names["cls"].isin(("poi", "building")) & (names["name"].astype(str) != "")]
    geoms = np.asarray(keep["geometry"].to_numpy(), dtype=object)
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    points = shapely.point_on_surface(geoms[ok]) if ok.any() else np.empty(0, dtype=object)
    return pd.DataFrame(
        {
            "name": keep["name"].astype(str).to_numpy(object)[ok],
            "lon": shapely.get_x(points) if len(points) else np.empty(0),
            "lat": shapely.get_y(points) if len(points) else np.empty(0),
        }
    )


def crossings(network: pd.DataFrame) -> pd.DataFrame:
    """Where named streets meet: ``name`` (``学院路与成府路``), ``lon``, ``lat``.

    A crossing is an end of an edge shared by edges of two or more distinct street names
    (ends matched to 1e-7°). The two names with the most edges there are named, in the order
    of the name; several crossings of the same pair of streets are all kept.
    """
    if "name" not in network or len(network) == 0:
        return pd.DataFrame({"name": [], "lon": [], "lat": []})
    named = network[network["name"].fillna("").astype(str) != ""]
    ends = pd.DataFrame(
        {
            "lon": np.concatenate([named["lon_u"], named["lon_v"]]).astype(np.float64),
            "lat": np.concatenate([named["lat_u"], named["lat_v"]]).astype(np.float64),
            "name": np.concatenate([named["name"], named["name"]]).astype(str),
        }
    )
    ends["kx"] = np.round(ends["lon"].to_numpy() * 1e7).astype(np.int64)
    ends["ky"] = np.round(ends["lat"].to_numpy() * 1e7).astype(np.int64)
    rows: list[tuple[str, float, float]] = []
    for _, group in ends.groupby(["kx", "ky"], sort=True):
        counts = group["name"].value_counts()
        if len(counts) < 2:
            continue
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
        pair = sorted(str(n) for n, _ in ranked)
        rows.append(
            (f"{pair[0]}与{pair[1]}", float(group["lon"].iloc[0]), float(group["lat"].iloc[0]))
        )
    return pd.DataFrame(rows, columns=["name", "lon", "lat"])


def build_place_namer(
    communities: pd.DataFrame,
    network: pd.DataFrame,
    *,
    pois: pd.DataFrame | None = None,
) -> PlaceNamer:
    """A namer from the audit's communities and walking network.

    Parameters
    ----------
    communities
        ``id``, ``name``, ``geometry`` (WGS-84 polygons; points are used for "nearby" only).
    network
        One row per edge: ``lon_u``, ``lat_u``, ``lon_v``, ``lat_v`` and ``name`` (``""`` for
        unnamed ways). Without a ``name`` column no street is named.
    pois
        Named places for :meth:`PlaceNamer.name_site`: ``name``, ``lon``, ``lat`` (an
        audit's facilities, or the ``poi`` rows of :func:`wanzheng.data.osm_names
        .load_osm_names` as points); rows without a name are skipped.
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
    cross = crossings(network)
    cross_m = _points_m(projection, cross)
    if pois is not None and len(pois):
        poi = pois[["name", "lon", "lat"]].copy()
        poi["name"] = poi["name"].fillna("").astype(str).str.strip()
        poi = poi[(poi["name"] != "") & np.isfinite(pd.to_numeric(poi["lon"], errors="coerce"))]
        poi = poi.drop_duplicates(["name", "lon", "lat"]).reset_index(drop=True)
    else:
        poi = pd.DataFrame({"name": [], "lon": [], "lat": []})
    poi_m = _points_m(projection, poi)
    return PlaceNamer(
        projection=projection,
        community_ids=tuple(comm["id"].astype(str)),
        community_names=tuple(comm["name"]),
        street_names=tuple(named["name"].astype(str)) if "name" in named else (),
        _communities=comm_m,
        _community_tree=shapely.STRtree(comm_m),
        _streets=segments,
        _street_tree=shapely.STRtree(segments),
        crossing_names=tuple(cross["name"].astype(str)),
        poi_names=tuple(poi["name"].astype(str)),
        _crossings=cross_m,
        _crossing_tree=shapely.STRtree(cross_m),
        _pois=poi_m,
        _poi_tree=shapely.STRtree(poi_m),
    )


def _points_m(projection: LocalProjection, table: pd.DataFrame) -> np.ndarray:
    """The table's ``lon`` / ``lat`` as points in the namer's metric projection."""
    if len(table) == 0:
        return _empty_geoms()
    x, y = projection.forward(
        pd.to_numeric(table["lon"]).to_numpy(np.float64),
        pd.to_numeric(table["lat"]).to_numpy(np.float64),
    )
    return np.asarray(shapely.points(x, y), dtype=object)
