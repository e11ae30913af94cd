"""The gazetteer: every place name of an audit area, with its variants and its geometry.

Built offline from what a street office already holds: the area's OSM names
(:func:`wanzheng.data.osm_names.load_osm_names`), its community list (the audit's
communities, or a community file) and its facility ledger. Streets with the same name are one
place (a street is mapped as many ways). A numbered building (``5号楼``) is reachable only
through the residential area it stands in (``静淑苑5号楼``): alone, ``5号楼`` names a building
in every estate.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from wanzheng.errors import DataError
from wanzheng.geo import LocalProjection, local_projection
from wanzheng.place.names import Vocabulary, chinese_number, load_vocabulary, normalise, variants

__all__ = ["ENTRY_COLUMNS", "PLACE_CLASSES", "Gazetteer", "build_gazetteer"]

PLACE_CLASSES = ("community", "estate", "building", "address", "poi", "road", "water")
"""Classes of gazetteer entries: a community of the audit's list (a residents' committee or a
community file's row), a residential area (小区), a building, an address (street + number), any
other named place (shop, school, bus stop, facility of the ledger), a street, a river."""

ENTRY_COLUMNS = (
    "id",
    "name",
    "cls",
    "source",
    "lon",
    "lat",
    "number",
    "estate",
    "geometry",
    "geometry_m",
)

# estates named like buildings: 静淑东里小区 is tagged building=residential on a node
_ESTATE_LIKE = ("小区", "花园", "家园", "新村", "社区", "生活区", "嘉园", "雅苑", "公寓", "苑")


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Place names of one area, ready for matching.

    Attributes
    ----------
    entries
        One row per place, columns :data:`ENTRY_COLUMNS`: ``id`` (``w123`` for OSM objects,
        the community's or facility's id otherwise; streets ``road:<name>``), ``name``,
        ``cls`` (:data:`PLACE_CLASSES`), ``source`` (``osm`` / ``communities`` / ``ledger``),
        ``lon`` / ``lat`` (a point inside the place, WGS-84), ``number`` (a building's number,
        −1 otherwise), ``estate`` (row of the residential area a building stands in, −1),
        ``geometry`` (WGS-84) and ``geometry_m`` (metres in :attr:`projection`).
    communities
        The audit's communities cases are tied to: ``id``, ``name``, ``geometry`` (WGS-84),
        ``geometry_m``.
    projection
        The local metric projection of the area.
    vocab
        The word lists used to read text.
    keys
        Normalised key -> ``((row, quality), …)``: the entries a key names, at the best
        quality any entry reaches for it.
    """

    entries: pd.DataFrame
    communities: pd.DataFrame
    projection: LocalProjection
    vocab: Vocabulary
    keys: dict[str, tuple[tuple[int, float], ...]]
    _automaton: Any = field(repr=False)
    _buildings: dict[tuple[int, int], tuple[int, ...]] = field(repr=False)
    _community_tree: shapely.STRtree = field(repr=False)

    def find_keys(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence of a key in the normalised ``text``: ``(start, end, key)``."""
        if not self.keys:
            return []
        return [(end - len(key) + 1, end + 1, key) for end, key in self._automaton.iter(text)]

    def buildings_in(self, estate_row: int, number: int) -> tuple[int, ...]:
        """Rows of the buildings numbered ``number`` inside the estate of row ``estate_row``."""
        return self._buildings.get((estate_row, number), ())

    def community_at(self, x_m: float, y_m: float) -> int:
        """Row in :attr:`communities` of the community covering a point (metres), else −1.

        When several cover it (nested or overlapping areas), the smallest one.
        """
        if len(self.communities) == 0:
            return -1
        point = shapely.Point(x_m, y_m)
        hits = self._community_tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return -1
        if len(hits) == 1:
            return int(hits[0])
        areas = shapely.area(self.communities["geometry_m"].to_numpy(object)[hits])
        return int(hits[int(np.argmin(areas))])

    def nearest_community(self, x_m: float, y_m: float, *, within_m: float) -> tuple[int, float]:
        """Row and distance (m) of the nearest community within ``within_m``, else (−1, inf)."""
        if len(self.communities) == 0:
            return -1, float("inf")
        point = shapely.Point(x_m, y_m)
        hit = self._community_tree.query_nearest(point, max_distance=within_m, return_distance=True)
        rows, dists = hit
        if len(rows) == 0:
            return -1, float("inf")
        return int(rows[0]), float(dists[0])


_NUMBERED = re.compile(
    r"^(?P<prefix>.*?)(?P<num>\d+|[零一二三四五六七八九十百两〇]+)(?P<unit>号楼|号|栋|幢|座|楼)$"
)


def _building_number(name: str) -> tuple[str, int] | None:
    """``(prefix, number)`` of a numbered building name (静淑东里9号楼 → (静淑东里, 9))."""
    m = _NUMBERED.match(normalise(name))
    if m is None:
        return None
    number = chinese_number(m.group("num"))
    return (m.group("prefix"), number) if number is not None else None


def _point_inside(geometry: BaseGeometry) -> BaseGeometry:
    if geometry.geom_type in ("Point",):
        return geometry
    if geometry.geom_type in ("LineString", "MultiLineString"):
        return shapely.line_interpolate_point(geometry, 0.5, normalized=True)
    point = geometry.centroid
    return point if geometry.covers(point) else geometry.representative_point()


def _rows_from_names(names: pd.DataFrame) -> list[dict[str, Any]]:
    """Gazetteer rows of the OSM names table (streets merged by name)."""
    rows: list[dict[str, Any]] = []
    roads: dict[str, list[BaseGeometry]] = defaultdict(list)
    road_ids: dict[str, list[str]] = defaultdict(list)
    road_cls: dict[str, str] = {}
    for rec in names.to_dict("records"):
        cls = str(rec["cls"])
        name = str(rec["name"])
        geometry = rec["geometry"]
        if cls in ("road", "water"):
            if name:
                roads[name].append(geometry)
                road_ids[name].append(str(rec["id"]))
                road_cls[name] = cls
            continue
        if cls == "region":
            continue
        if cls == "building" and name.endswith(_ESTATE_LIKE) and _building_number(name) is None:
            cls = "estate"
        if name:
            rows.append(
                {
                    "id": str(rec["id"]),
                    "name": name,
                    "cls": cls,
                    "source": "osm",
                    "geometry": geometry,
                    "alt_names": tuple(rec.get("alt_names") or ()),
                }
            )
        street, number = str(rec.get("street") or ""), str(rec.get("housenumber") or "")
        if street and number:
            rows.append(
                {
                    "id": str(rec["id"]),
                    "name": f"{street}{number}",
                    "cls": "address",
                    "source": "osm",
                    "geometry": geometry,
                    "alt_names": (),
                }
            )
    rows += _building_groups(rows)
    for name, parts in sorted(roads.items()):
        rows.append(
            {
                "id": f"{road_cls[name]}:{name}",
                "name": name,
                "cls": road_cls[name],
                "source": "osm",
                "geometry": shapely.line_merge(shapely.union_all(parts))
                if len(parts) > 1
                else parts[0],
                "alt_names": (),
            }
        )
    return rows


def _building_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Residential areas implied by numbered buildings sharing a name (银厦广场6幢 … 19幢 →
    银厦广场), when no place of that name exists: ``group:<name>``, the buildings' hull."""
    groups: dict[str, list[BaseGeometry]] = defaultdict(list)
    for r in rows:
        if r["cls"] != "building":
            continue
        parsed = _building_number(str(r["name"]))
        if parsed is not None and len(parsed[0]) >= 2 and re.search(r"[\u4e00-\u9fff]", parsed[0]):
            groups[parsed[0]].append(r["geometry"])
    known = {normalise(str(r["name"])) for r in rows}
    out = []
    for prefix, geoms in sorted(groups.items()):
        if len(geoms) < 2 or prefix in known:
            continue
        hull = shapely.convex_hull(shapely.union_all(geoms))
        if hull.geom_type != "Polygon":
            continue
        out.append(
            {
                "id": f"group:{prefix}",
                "name": prefix,
                "cls": "estate",
                "source": "osm",
                "geometry": hull,
                "alt_names": (),
            }
        )
    return out


def _check_frame(frame: pd.DataFrame, need: Iterable[str], what: str) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def build_gazetteer(
    names: pd.DataFrame,
    *,
    communities: pd.DataFrame | None = None,
    facilities: pd.DataFrame | None = None,
    vocab: Vocabulary | None = None,
) -> Gazetteer:
    """Build the gazetteer of an area.

    Parameters
    ----------
    names
        The area's OSM names (:func:`wanzheng.data.osm_names.load_osm_names`).
    communities
        The communities cases are tied to, columns ``id``, ``name``, ``geometry`` (WGS-84
        polygons or points): the audit's communities (``OsmExtract.communities``) or a
        community file (:func:`wanzheng.data.communities.load_communities`). Their names
        are places too. ``None``: the residential areas (polygons) of the gazetteer.
    facilities
        A facility ledger (``Ledger.facilities``: ``id``, ``name``, ``lon``, ``lat``); its
        names are places (one per facility, whatever its kinds).
    vocab
        Word lists; default the packaged ``vocab.toml``.

    Raises
    ------
    DataError
        A table lacks a needed column, or nothing at all is placed.
    """
    vocab = vocab or load_vocabulary()
    _check_frame(names, ("id", "name", "cls", "geometry"), "names")
    rows = _rows_from_names(names)
    if communities is None:
        areas = [
            r
            for r in rows
            if r["cls"] == "estate" and r["geometry"].geom_type in ("Polygon", "MultiPolygon")
        ]
        communities = pd.DataFrame(
            {
                "id": [r["id"] for r in areas],
                "name": [r["name"] for r in areas],
                "geometry": pd.Series([r["geometry"] for r in areas], dtype=object),
            }
        )
    else:
        _check_frame(communities, ("id", "name", "geometry"), "communities")
        osm_ids = set(names["id"].astype(str))
        for rec in communities.to_dict("records"):
            # a community that is an OSM residential area is already a place (estate)
            if str(rec["id"]) in osm_ids or rec["geometry"] is None:
                continue
            name = str(rec["name"] or "")
            if name and not name.startswith("未命名"):
                rows.append(
                    {
                        "id": str(rec["id"]),
                        "name": name,
                        "cls": "community",
                        "source": "communities",
                        "geometry": rec["geometry"],
                        "alt_names": (),
                    }
                )
    if facilities is not None and len(facilities):
        _check_frame(facilities, ("id", "name", "lon", "lat"), "facilities")
        seen: set[str] = set()
        for rec in facilities.to_dict("records"):
            ident = str(rec["id"])
            lon, lat = float(rec["lon"]), float(rec["lat"])
            if ident in seen or not (np.isfinite(lon) and np.isfinite(lat)) or not rec["name"]:
                continue
            seen.add(ident)
            rows.append(
                {
                    "id": ident,
                    "name": str(rec["name"]),
                    "cls": "poi",
                    "source": "ledger",
                    "geometry": shapely.Point(lon, lat),
                    "alt_names": (),
                }
            )
    if not rows:
        raise DataError("gazetteer: the area has no named places")
    return _assemble(rows, communities, vocab)


def _assemble(
    rows: list[dict[str, Any]], communities: pd.DataFrame, vocab: Vocabulary
) -> Gazetteer:
    geoms = np.asarray([r["geometry"] for r in rows], dtype=object)
    bounds = shapely.bounds(geoms)
    projection = local_projection(
        np.concatenate([bounds[:, 0], bounds[:, 2]]), np.concatenate([bounds[:, 1], bounds[:, 3]])
    )

    def to_m(g: np.ndarray) -> np.ndarray:
        return np.asarray(
            shapely.transform(g, lambda c: np.column_stack(projection.forward(c[:, 0], c[:, 1]))),
            dtype=object,
        )

    geoms_m = to_m(geoms)
    inside = np.asarray([_point_inside(g) for g in geoms], dtype=object)
    entries = pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "name": [r["name"] for r in rows],
            "cls": [r["cls"] for r in rows],
            "source": [r["source"] for r in rows],
            "lon": shapely.get_x(inside),
            "lat": shapely.get_y(inside),
            "number": -1,
            "estate": -1,
        }
    )
    entries["geometry"] = geoms
    entries["geometry_m"] = geoms_m

    # numbered buildings: their estate (the smallest estate area covering them)
    estate_rows = np.flatnonzero(
        entries["cls"].isin(["estate", "community"]).to_numpy()
        & np.isin(shapely.get_type_id(geoms_m), [3, 6])
    )
    tree = shapely.STRtree(geoms_m[estate_rows])
    areas = shapely.area(geoms_m[estate_rows])
    buildings: dict[tuple[int, int], list[int]] = defaultdict(list)
    numbered: set[int] = set()
    lon = entries["lon"].to_numpy(np.float64)
    lat = entries["lat"].to_numpy(np.float64)
    for b in np.flatnonzero((entries["cls"] == "building").to_numpy()).tolist():
        i = int(b)
        parsed = _building_number(str(entries.at[i, "name"]))
        if parsed is None:
            continue
        entries.at[i, "number"] = parsed[1]
        bx, by = projection.forward(lon[i], lat[i])
        centre = shapely.Point(float(bx), float(by))
        hits = tree.query(centre, predicate="intersects")
        if len(hits):
            entries.at[i, "estate"] = int(estate_rows[hits[int(np.argmin(areas[hits]))]])
            for hit in hits:  # nested areas: the building is a building of each
                buildings[(int(estate_rows[hit]), parsed[1])].append(i)
        if not parsed[0]:
            numbered.add(i)  # "5号楼" alone is no key

    keys: dict[str, dict[int, float]] = defaultdict(dict)
    for row, r in enumerate(rows):
        if row in numbered:
            continue
        names = [(str(r["name"]), 1.0)] + [(a, 0.95) for a in r.get("alt_names", ())]
        cls = str(r["cls"])
        for name, weight in names:
            pairs = [(normalise(name), 1.0)] if cls == "address" else variants(name, cls, vocab)
            for key, quality in pairs:
                if key in vocab.generic_names or key.isdigit():
                    continue
                q = quality * weight
                if keys[key].get(row, 0.0) < q:
                    keys[key][row] = q
    best: dict[str, tuple[tuple[int, float], ...]] = {}
    for key, found in keys.items():
        top = max(found.values())
        # an entry's own name beats another entry's variant of the same words
        best[key] = tuple(sorted((i, q) for i, q in found.items() if q >= top - 1e-9))
    automaton = ahocorasick.Automaton()
    for key in best:
        automaton.add_word(key, key)
    if best:
        automaton.make_automaton()

    comm = communities[["id", "name", "geometry"]].copy().reset_index(drop=True)
    comm["id"] = comm["id"].astype(str)
    comm["name"] = comm["name"].fillna("").astype(str)
    comm = comm[pd.notna(comm["geometry"])].reset_index(drop=True)
    comm_m = to_m(np.asarray(comm["geometry"].to_numpy(), dtype=object))
    comm["geometry_m"] = comm_m
    return Gazetteer(
        entries=entries,
        communities=comm,
        projection=projection,
        vocab=vocab,
        keys=best,
        _automaton=automaton,
        _buildings={k: tuple(v) for k, v in buildings.items()},
        _community_tree=shapely.STRtree(comm_m),
    )
