"""Read an OpenStreetMap file (``.osm.pbf``, ``.osm``, ``.osm.bz2``) with pyosmium.

One pass over the file (plus osmium's relation pre-pass for areas) yields everything the
audit needs from OSM:

* the walking network as arrays: the nodes used by walkable ways and one edge per
  consecutive node pair of every walkable way (no simplification, so every edge is a straight
  segment and snapping onto it is exact);
* facilities: tagged nodes and areas whose tags map to at least one facility kind under the
  caller's rules, one row per (object, kind);
* communities: ``landuse=residential`` areas and ``place=neighbourhood`` objects;
* buildings with their ``building:levels``.

What counts as walkable is :func:`is_walkable`; the reasons are in ``docs/network.md``.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import osmium
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from wanzheng.errors import DataError

__all__ = [
    "OSM_SUFFIXES",
    "RESIDENTIAL_BUILDINGS",
    "UNNAMED_COMMUNITY",
    "WALKABLE_HIGHWAYS",
    "KindRulesLike",
    "OsmExtract",
    "is_walkable",
    "load_osm",
    "parse_levels",
]

OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
"""File name endings :func:`load_osm` accepts."""

WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "corridor",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "track",
        "cycleway",
        "bridleway",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
"""``highway`` values a person may walk along unless other tags forbid it."""

_MOTOR_ONLY: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
_TRUNK: frozenset[str] = frozenset({"trunk", "trunk_link"})
_FOOT_ALLOWED: frozenset[str] = frozenset({"yes", "designated", "permissive", "official"})
_FOOT_DENIED: frozenset[str] = frozenset({"no", "use_sidepath", "private"})
_ACCESS_DENIED: frozenset[str] = frozenset({"no", "private"})
_SIDEWALK_PRESENT: frozenset[str] = frozenset({"yes", "both", "left", "right"})

RESIDENTIAL_BUILDINGS: frozenset[str] = frozenset(
    {
        "residential",
        "apartments",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
        "bungalow",
        "farm",
        "cabin",
        "static_caravan",
        "houseboat",
    }
)
"""``building`` values whose floors house residents (used for population estimates)."""

UNNAMED_COMMUNITY = "未命名住区"
"""Name prefix of residential areas that carry no name in OSM (``未命名住区 #3``)."""

# Tags kept in the compact ``osm_tags`` string of a facility: the keys that say what a
# feature *is*. Names, addresses, sources and notes are left out to keep the string short.
_FACILITY_TAG_KEYS: tuple[str, ...] = (
    "amenity",
    "shop",
    "healthcare",
    "healthcare:speciality",
    "social_facility",
    "social_facility:for",
    "leisure",
    "sport",
    "office",
    "craft",
    "club",
    "tourism",
    "landuse",
    "building",
    "isced:level",
    "vending",
    "operator",
    "highway",
    "public_transport",
    "railway",
    "natural",
    "entrance",
)

_MAX_LEVELS = 200.0
_NUMBER = r"\s*(\d+(?:\.\d+)?)\s*"
_RANGE = re.compile(rf"^{_NUMBER}[-–~;,]{_NUMBER}$")
_SINGLE = re.compile(rf"^{_NUMBER}$")


class KindRulesLike(Protocol):
    """What :func:`load_osm` needs from the facility-kind rules.

    ``wanzheng.standards.load_kind_rules()`` returns one; tests may pass a small class.
    """

    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        """Facility kind keys the OSM tags ``tags`` stand for (empty when none)."""
        ...


@dataclass(frozen=True, slots=True)
class OsmExtract:
    """Everything wanzheng takes from one OSM file.

    Attributes
    ----------
    path
        The file read.
    node_id
        int64 OSM ids of the nodes used by walkable ways, sorted ascending.
    node_lon, node_lat
        float64 WGS-84 degrees of those nodes, from the file.
    edge_u, edge_v
        int64 indices into the node arrays: one edge per consecutive node pair of a walkable
        way, in way order (a segment whose node has no location in the file is left out).
    edge_way
        int64 OSM id of the way each edge comes from.
    edge_highway
        The way's ``highway`` tag per edge (numpy unicode array).
    way_names
        The ``name`` of every named walkable way (str), indexed by OSM way id (int64): street
        names for :mod:`wanzheng.place` (look an edge's name up through ``edge_way``).
    facilities
        One row per (object, kind): ``id`` (``n123`` / ``w456`` / ``r789``), ``name``,
        ``kind``, ``lon``, ``lat`` (WGS-84; for areas a point inside the area), ``source``
        (``"osm"``), ``osm_tags`` (``k=v;k=v`` of the tags that say what the object is).
    communities
        ``id``, ``name``, ``source`` (``landuse`` / ``place``), ``population`` (from a
        ``population`` tag, else NaN), ``named`` (False for generated names), ``geometry``
        (shapely Polygon / MultiPolygon / Point, WGS-84).
    buildings
        ``id``, ``geometry`` (Polygon, or MultiPolygon for multipolygon relations),
        ``levels`` (float, NaN when unknown; see :func:`parse_levels`), ``building`` (the tag
        value), ``residential`` (bool, value in :data:`RESIDENTIAL_BUILDINGS`).
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)``: the file header's box when it has one,
        else the extent of everything extracted.
    """

    path: Path
    node_id: npt.NDArray[np.int64]
    node_lon: npt.NDArray[np.float64]
    node_lat: npt.NDArray[np.float64]
    edge_u: npt.NDArray[np.int64]
    edge_v: npt.NDArray[np.int64]
    edge_way: npt.NDArray[np.int64]
    edge_highway: npt.NDArray[np.str_]
    way_names: pd.Series
    facilities: pd.DataFrame
    communities: pd.DataFrame
    buildings: pd.DataFrame
    bounds: tuple[float, float, float, float]


def is_walkable(tags: Mapping[str, str] | osmium.osm.TagList) -> bool:
    """Whether a way with these tags belongs to the walking network.

    Parameters
    ----------
    tags
        The way's OSM tags.

    Returns
    -------
    bool
        True for ``highway`` values in :data:`WALKABLE_HIGHWAYS` unless ``foot`` is
        ``no`` / ``use_sidepath`` / ``private`` or ``access`` is ``no`` / ``private`` without a
        ``foot`` permission (``yes`` / ``designated`` / ``permissive`` / ``official``).
        Motorways and trunk roads (with their links) count only with such a ``foot``
        permission, and trunk roads also with a ``sidewalk`` on the carriageway. Every other
        ``highway`` value (construction, proposed, platform, bus_guideway …) is not walkable.
        ``area=yes`` pedestrian squares are kept: their outline is walkable and connects the
        ways that touch it.
    """
    highway = tags.get("highway")
    if highway is None:
        return False
    foot = tags.get("foot", "")
    if foot in _FOOT_DENIED:
        return False
    foot_allowed = foot in _FOOT_ALLOWED
    if highway in _MOTOR_ONLY:
        return foot_allowed or (highway in _TRUNK and tags.get("sidewalk", "") in _SIDEWALK_PRESENT)
    if highway not in WALKABLE_HIGHWAYS:
        return False
    return not (tags.get("access", "") in _ACCESS_DENIED and not foot_allowed)


def parse_levels(value: str | None) -> float:
    """Number of storeys from a ``building:levels`` value.

    ``"6"`` → 6.0; a range or list of two numbers (``"5-6"``, ``"5;6"``) → their mean (the
    building has parts of each height); anything else, a negative value or more than 200
    storeys → NaN (unknown, never a guess).
    """
    if value is None:
        return math.nan
    single = _SINGLE.match(value)
    if single:
        levels = float(single.group(1))
    else:
        pair = _RANGE.match(value)
        if not pair:
            return math.nan
        levels = (float(pair.group(1)) + float(pair.group(2))) / 2.0
    return levels if levels <= _MAX_LEVELS else math.nan


def _population(value: str | None) -> float:
    if value is None:
        return math.nan
    cleaned = value.replace(",", "").replace(" ", "")
    try:
        population = float(cleaned)
    except ValueError:
        return math.nan
    return population if math.isfinite(population) and population >= 0 else math.nan


def _name(tags: Mapping[str, str]) -> str:
    for key in ("name", "name:zh", "name:zh-Hans", "name:en"):
        value = tags.get(key, "").strip()
        if value:
            return value
    return ""


def _compact_tags(tags: Mapping[str, str]) -> str:
    return ";".join(f"{key}={tags[key]}" for key in _FACILITY_TAG_KEYS if key in tags)


#: What libosmium raises on a file it cannot read: RuntimeError (XML, PBF, compression
#: errors), ValueError (an id that is not a 64-bit integer), InvalidLocationError (a
#: coordinate that is not a number, or outside [-180, 180] / [-90, 90]).
OSMIUM_ERRORS: tuple[type[Exception], ...] = (
    RuntimeError,
    ValueError,
    osmium.InvalidLocationError,
)

_BAD_VALUE = re.compile(r"(?:coordinate|id): '([^']*)'")


def osm_error(path: Path, error: Exception) -> DataError:
    """A :class:`DataError` for what libosmium raised, naming the line of an uncompressed or
    compressed XML file where the offending value stands (libosmium does not say)."""
    detail = str(error)
    if isinstance(error, osmium.InvalidLocationError):
        detail += "; lat must be a number in [-90, 90], lon in [-180, 180]"
    m = _BAD_VALUE.search(str(error))
    line = _line_of(path, m.group(1)) if m else None
    where = f"{path}: line {line}" if line is not None else str(path)
    return DataError(f"{where}: cannot read as OSM data ({detail})")


def _line_of(path: Path, value: str) -> int | None:
    """First line of an XML OSM file holding the attribute value ``value`` (quoted)."""
    import bz2
    import gzip

    name = path.name.lower()
    opener = bz2.open if name.endswith(".bz2") else gzip.open if name.endswith(".gz") else open
    if name.endswith(".pbf"):
        return None
    needles = (f'"{value}"'.encode(), f"'{value}'".encode())
    try:
        with opener(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if any(needle in raw for needle in needles):
                    return n
    except (OSError, EOFError, ValueError):
        return None
    return None


def _check_path(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        raise DataError(
            f"{path}: unknown OSM file type; expected a name ending in {', '.join(OSM_SUFFIXES)}"
        )


def _point_inside(geometry: BaseGeometry) -> tuple[float, float]:
    """The centroid when it lies inside the area, else shapely's representative point."""
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.representative_point()
    return float(point.x), float(point.y)


def _points_inside(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """:func:`_point_inside` of many geometries at once: ``[k, 2]`` lon, lat."""
    points = shapely.centroid(geometries)
    outside = ~shapely.covers(geometries, points)
    if outside.any():
        points[outside] = shapely.point_on_surface(geometries[outside])
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


@dataclass(frozen=True, slots=True)
class _Pending:
    """Stands for the geometry (or inside point) of the main pass's area number ``index``."""

    index: int


def _single(geometry: BaseGeometry) -> BaseGeometry:
    """A one-part MultiPolygon as a Polygon."""
    if isinstance(geometry, shapely.MultiPolygon) and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return geometry


@dataclass
class _Collector:
    """Mutable state of one pass over the file (private; the result is an OsmExtract)."""

    rules: KindRulesLike
    path: Path
    ref_file: Path
    # walkable ways: flattened node refs with their way's running number
    # walkable ways as OPL (id, tags, node refs), written by libosmium in C++
    ref_writer: osmium.SimpleWriter
    # coordinates of a walkable way come as one WKB linestring (built by libosmium, decoded
    # in bulk at the end) or, when a node has no location, as per-node lists
    way_node_count: list[int] = field(default_factory=list)
    way_wkb: list[str] = field(default_factory=list)
    way_wkb_seq: list[int] = field(default_factory=list)
    way_partial: list[tuple[int, list[float], list[float]]] = field(default_factory=list)
    way_ids: list[int] = field(default_factory=list)
    way_highways: list[str] = field(default_factory=list)
    # (way id, name) of the named walkable ways: street names for reverse geocoding
    way_names: list[tuple[int, str]] = field(default_factory=list)
    facilities: list[dict[str, object]] = field(default_factory=list)
    communities: list[dict[str, object]] = field(default_factory=list)
    buildings: list[dict[str, object]] = field(default_factory=list)
    # areas seen in the main pass: their WKB, decoded in bulk by finish_areas(); the rows
    # above that belong to area k carry the geometry placeholder _Pending(k)
    area_wkb: list[str] = field(default_factory=list)
    area_relation: list[int] = field(default_factory=list)
    area_facility: list[bool] = field(default_factory=list)
    relations_with_area: set[int] = field(default_factory=set)
    # multipolygon relations of interest and the coordinates of their member ways, for
    # relations osmium cannot assemble because the extract cut some members off
    wanted_relations: dict[int, tuple[dict[str, str], list[tuple[int, str]]]] = field(
        default_factory=dict
    )
    member_ways: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    objects: int = 0
    wkb: osmium.geom.WKBFactory = field(default_factory=osmium.geom.WKBFactory)

    def interesting(self, tags: Mapping[str, str]) -> tuple[frozenset[str], bool, bool, bool]:
        kinds = self.rules.kinds_for_tags(tags) if tags else frozenset()
        residential = tags.get("landuse") == "residential"
        place = tags.get("place") == "neighbourhood" and not _is_historic(tags)
        building = tags.get("building", "no") != "no"
        return kinds, residential, place, building

    def node(self, obj: osmium.osm.Node) -> None:
        tags = {t.k: t.v for t in obj.tags}
        kinds, residential, place, _ = self.interesting(tags)
        if not (kinds or residential or place):
            return
        location = obj.location
        if not location.valid():
            return
        lon, lat = float(location.lon), float(location.lat)
        ident = f"n{obj.id}"
        self._add_facility(ident, tags, kinds, lon, lat)
        if residential or place:
            self._add_community(
                ident, tags, "landuse" if residential else "place", shapely.Point(lon, lat)
            )

    def way(self, obj: osmium.osm.Way) -> None:
        tags = obj.tags
        if "highway" not in tags:
            return
        # osmium's tag list answers get() in C++: no dict of every tag needed here
        if not is_walkable(tags):
            return
        seq = len(self.way_ids)
        self.way_ids.append(obj.id)
        self.way_highways.append(tags["highway"])
        name = tags.get("name")
        if name:
            self.way_names.append((obj.id, name.strip()))
        nodes = obj.nodes
        # the node ids are read back in bulk from the OPL text libosmium writes (a Python
        # object per node ref would cost more than everything else done per way)
        self.ref_writer.add_way(obj)
        self.way_node_count.append(len(nodes))
        try:
            line = self.wkb.create_linestring(obj, use_nodes=osmium.geom.use_nodes.ALL)
        except (RuntimeError, osmium.InvalidLocationError):
            # a node without location (or a one-node way): read the nodes one by one
            lons: list[float] = []
            lats: list[float] = []
            for node in nodes:
                location = node.location
                valid = location.valid()
                lons.append(float(location.lon) if valid else math.nan)
                lats.append(float(location.lat) if valid else math.nan)
            self.way_partial.append((seq, lons, lats))
        else:
            self.way_wkb.append(line)
            self.way_wkb_seq.append(seq)

    def relation(self, obj: osmium.osm.Relation) -> None:
        # asked in C++ first: most relations are routes, never areas
        if obj.tags.get("type") not in ("multipolygon", "boundary"):
            return
        tags = {t.k: t.v for t in obj.tags}
        kinds, residential, place, building = self.interesting(tags)
        if kinds or residential or place or building:
            members = [(m.ref, m.role) for m in obj.members if m.type == "w"]
            self.wanted_relations[obj.id] = (tags, members)

    def area(self, obj: osmium.osm.Area) -> None:
        tags = {t.k: t.v for t in obj.tags}
        kinds, residential, place, building = self.interesting(tags)
        if not (kinds or residential or place or building):
            return
        from_way = obj.from_way()
        ident = f"{'w' if from_way else 'r'}{obj.orig_id()}"
        try:
            wkb = self.wkb.create_multipolygon(obj)
        except (RuntimeError, osmium.InvalidLocationError):
            return
        pending = _Pending(len(self.area_wkb))
        self.area_wkb.append(wkb)
        self.area_relation.append(-1 if from_way else obj.orig_id())
        self.area_facility.append(bool(kinds))
        self._add_area(ident, tags, kinds, residential, place, building, pending)

    def finish_areas(self) -> None:
        """Decode the areas' WKB in bulk; drop the rows of areas whose geometry is unusable."""
        geometries = np.empty(len(self.area_wkb), dtype=object)
        inside = np.full((len(self.area_wkb), 2), np.nan)
        if self.area_wkb:
            # GEOS reads binary WKB several times faster than hex
            binary = np.asarray([bytes.fromhex(text) for text in self.area_wkb], dtype=object)
            decoded = shapely.from_wkb(binary, on_invalid="ignore")
            good = ~(shapely.is_missing(decoded) | shapely.is_empty(decoded))
            # a one-part MultiPolygon becomes a Polygon
            single = good & (shapely.get_num_geometries(decoded) == 1)
            single &= shapely.get_type_id(decoded) == shapely.GeometryType.MULTIPOLYGON
            decoded[single] = shapely.get_geometry(decoded[single], 0)
            geometries[good] = decoded[good]
            facility = good & np.asarray(self.area_facility, dtype=bool)
            inside[facility] = _points_inside(decoded[facility])
            # a relation counts as assembled only when its geometry is usable; the others are
            # left to finish_relations()
            relation = np.asarray(self.area_relation, dtype=np.int64)
            self.relations_with_area.update(relation[good & (relation >= 0)].tolist())

        def resolve(rows: list[dict[str, object]]) -> list[dict[str, object]]:
            kept = []
            for row in rows:
                placeholder = row["geometry"] if "geometry" in row else row.get("lon")
                if isinstance(placeholder, _Pending):
                    k = placeholder.index
                    geometry = geometries[k]
                    if geometry is None:
                        continue
                    if "geometry" in row:
                        row["geometry"] = geometry
                    else:
                        row["lon"], row["lat"] = float(inside[k, 0]), float(inside[k, 1])
                kept.append(row)
            return kept

        self.facilities = resolve(self.facilities)
        self.communities = resolve(self.communities)
        self.buildings = resolve(self.buildings)
        self.area_wkb = []
        self.area_relation = []
        self.area_facility = []

    def finish_relations(self) -> None:
        """Build areas osmium skipped because member ways are missing from the extract.

        An extract cut from a larger map keeps whole ways but not whole relations; the closed
        outer rings that are present still describe most of the area.
        """
        for rel_id, (tags, members) in sorted(self.wanted_relations.items()):
            if rel_id in self.relations_with_area:
                continue
            outers: list[BaseGeometry] = []
            inners: list[BaseGeometry] = []
            for way_id, role in members:
                coords = self.member_ways.get(way_id)
                if not coords or len(coords) < 4 or coords[0] != coords[-1]:
                    continue
                ring = shapely.Polygon(coords)
                if not ring.is_valid:
                    ring = shapely.make_valid(ring)
                (inners if role == "inner" else outers).append(ring)
            if not outers:
                continue
            geometry = shapely.union_all(outers)
            if inners:
                geometry = geometry.difference(shapely.union_all(inners))
            if geometry.is_empty or not isinstance(
                geometry, shapely.Polygon | shapely.MultiPolygon
            ):
                continue
            kinds, residential, place, building = self.interesting(tags)
            self._add_area(f"r{rel_id}", tags, kinds, residential, place, building, geometry)

    def _add_area(
        self,
        ident: str,
        tags: Mapping[str, str],
        kinds: frozenset[str],
        residential: bool,
        place: bool,
        building: bool,
        geometry: BaseGeometry | _Pending,
    ) -> None:
        if kinds:
            if isinstance(geometry, _Pending):
                self._add_facility(ident, tags, kinds, geometry, geometry)
            else:
                lon, lat = _point_inside(geometry)
                self._add_facility(ident, tags, kinds, lon, lat)
        if residential or place:
            self._add_community(ident, tags, "landuse" if residential else "place", geometry)
        if building:
            value = tags["building"]
            self.buildings.append(
                {
                    "id": ident,
                    "geometry": geometry,
                    "levels": parse_levels(tags.get("building:levels")),
                    "building": value,
                    "residential": value in RESIDENTIAL_BUILDINGS,
                }
            )

    def _add_facility(
        self,
        ident: str,
        tags: Mapping[str, str],
        kinds: Iterable[str],
        lon: float | _Pending,
        lat: float | _Pending,
    ) -> None:
        name = _name(tags)
        compact = _compact_tags(tags)
        for kind in sorted(kinds):
            self.facilities.append(
                {
                    "id": ident,
                    "name": name,
                    "kind": kind,
                    "lon": lon,
                    "lat": lat,
                    "source": "osm",
                    "osm_tags": compact,
                }
            )

    def _add_community(
        self, ident: str, tags: Mapping[str, str], source: str, geometry: BaseGeometry | _Pending
    ) -> None:
        self.communities.append(
            {
                "id": ident,
                "name": _name(tags),
                "source": source,
                "population": _population(tags.get("population")),
                "geometry": geometry,
            }
        )


def _is_historic(tags: Mapping[str, str]) -> bool:
    # e.g. place=neighbourhood + historic=yes marks a demolished village, not a community
    return tags.get("historic", "no") != "no" or any(
        key.startswith(("was:", "demolished:", "abandoned:", "razed:")) for key in tags
    )


def _member_way_coordinates(
    path: Path, collector: _Collector, locations: osmium.index.LocationTable
) -> None:
    """Coordinates of the member ways of the relations osmium could not assemble.

    Only those ways are read (a second, way-only pass); their node locations come from the
    location index of the main pass. A way with a node missing from the file is left out.
    """
    wanted = {
        way_id
        for rel_id, (_tags, members) in collector.wanted_relations.items()
        if rel_id not in collector.relations_with_area
        for way_id, _role in members
    }
    if not wanted:
        return
    for obj in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
        osmium.filter.IdFilter(sorted(wanted))
    ):
        if not isinstance(obj, osmium.osm.Way):
            continue
        coords: list[tuple[float, float]] = []
        for node in obj.nodes:
            try:
                location = locations.get(node.ref)
            except KeyError:
                break
            if not location.valid():
                break
            coords.append((float(location.lon), float(location.lat)))
        else:
            collector.member_ways[obj.id] = coords


def load_osm(path: str | Path, *, rules: KindRulesLike) -> OsmExtract:
    """Read the walking network, facilities, communities and buildings of an OSM file.

    Parameters
    ----------
    path
        An ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` file. Ways must be complete
        (every node of a way present, as in exports of the OSM website and in osmium
        extracts with ``--strategy=complete_ways``); segments with a missing node are left out.
    rules
        Maps an object's tags to facility kinds (:class:`KindRulesLike`).

    Returns
    -------
    OsmExtract
        Arrays of the walking network and tables of facilities, communities and buildings.
        The network may be empty; :func:`wanzheng.network.build_graph` refuses that.

    Raises
    ------
    DataError
        The file is missing, has an unknown type, is corrupt or truncated, is not OSM data
        (an XML file with another root element) or holds no OSM objects at all.
    """
    path = Path(path)
    _check_path(path)
    with tempfile.TemporaryDirectory(prefix="wanzheng-osm-") as tmp:
        ref_file = Path(tmp) / "ways.opl"
        writer = osmium.SimpleWriter(osmium.io.File(str(ref_file), "opl,add_metadata=false"))
        collector = _Collector(rules=rules, path=path, ref_file=ref_file, ref_writer=writer)
        try:
            header_box, locations = _read(path, collector)
        finally:
            writer.close()
        refs = _way_refs(ref_file, collector)
    collector.finish_areas()
    try:
        _member_way_coordinates(path, collector, locations)
    except OSMIUM_ERRORS as error:
        raise osm_error(path, error) from None
    collector.finish_relations()
    return _assemble(path, collector, header_box, refs)


def _read(
    path: Path, collector: _Collector
) -> tuple[tuple[float, float, float, float] | None, osmium.index.LocationTable]:
    """The main pass over the file; returns the header's box (if any) and the node locations."""
    header_box: tuple[float, float, float, float] | None = None
    try:
        box = osmium.FileProcessor(str(path)).header.box()
        if box.valid():
            header_box = (
                float(box.bottom_left.lon),
                float(box.bottom_left.lat),
                float(box.top_right.lon),
                float(box.top_right.lat),
            )
        # The location and area handlers see every object before the filters run, so Python
        # gets only what it reads: tagged nodes (untagged ones only lend their locations),
        # ways with a highway tag, areas and relations. Members of the relations osmium
        # cannot assemble are read afterwards by _member_way_coordinates.
        # Nodes matter only as facilities or communities. Rules that say which keys a facility
        # must carry (KindRules.trigger_keys) let osmium drop the others (trees, power poles,
        # address points …) before Python sees them; other rules see every tagged node.
        triggers: frozenset[str] | None = getattr(collector.rules, "trigger_keys", None)
        untagged_nodes = (
            osmium.filter.EmptyTagFilter()
            if triggers is None
            else osmium.filter.KeyFilter(*sorted(triggers | {"landuse", "place"}))
        )
        untagged_nodes.enable_for(osmium.osm.NODE)
        highways = osmium.filter.KeyFilter("highway")
        highways.enable_for(osmium.osm.WAY)
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas()
            .with_filter(untagged_nodes)
            .with_filter(highways)
        )
        seen = 0
        for obj in processor:
            seen += 1
            if isinstance(obj, osmium.osm.Node):
                collector.node(obj)
            elif isinstance(obj, osmium.osm.Way):
                collector.way(obj)
            elif isinstance(obj, osmium.osm.Area):
                collector.area(obj)
            elif isinstance(obj, osmium.osm.Relation):
                collector.relation(obj)
        if seen == 0:
            # the filters hid ways without a highway tag and nodes without a facility key:
            # count tagged ones of those too
            tagged = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_filter(
                osmium.filter.EmptyTagFilter()
            )
            seen = next((1 for _ in tagged), 0)
        collector.objects = seen
    except OSMIUM_ERRORS as error:
        raise osm_error(path, error) from None
    if collector.objects == 0:
        raise DataError(f"{path}: the file holds no tagged OSM objects")
    locations = processor.node_location_storage
    if locations is None:  # pragma: no cover - with_locations() always sets it
        raise DataError(f"{path}: no node locations were kept")
    return header_box, locations


def _way_refs(ref_file: Path, collector: _Collector) -> npt.NDArray[np.int64]:
    """Node refs of the walkable ways, flattened in way order, from the OPL file.

    Each OPL line is ``w<id> T<tags> N<n1>,<n2>,…`` (tag text is escaped, so it holds no
    space); the ``N`` field is parsed by numpy in one call.
    """
    lines = ref_file.read_bytes().split(b"\n")
    fields = [line.rpartition(b" N")[2] for line in lines if line]
    text = b",".join(f for f in fields if f).replace(b"n", b"")
    refs = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)
    if len(fields) != len(collector.way_ids) or refs.size != sum(collector.way_node_count):
        raise DataError(f"{collector.path}: cannot read the node lists of the walkable ways")
    return refs


def _assemble(
    path: Path,
    collector: _Collector,
    header_box: tuple[float, float, float, float] | None,
    refs: npt.NDArray[np.int64],
) -> OsmExtract:
    lon, lat, seq = _way_coordinates(collector, refs.size)
    valid = ~np.isnan(lon)

    node_id, first = np.unique(refs[valid], return_index=True)
    node_lon = lon[valid][first]
    node_lat = lat[valid][first]

    # a segment joins consecutive entries of the same way whose nodes both have locations
    same_way = seq[1:] == seq[:-1]
    both_valid = valid[1:] & valid[:-1]
    take = np.flatnonzero(same_way & both_valid)
    edge_u = np.searchsorted(node_id, refs[take]).astype(np.int64)
    edge_v = np.searchsorted(node_id, refs[take + 1]).astype(np.int64)
    way_ids = np.asarray(collector.way_ids, dtype=np.int64)
    way_highways = np.asarray(collector.way_highways, dtype=np.str_)
    edge_way = way_ids[seq[take]] if take.size else np.zeros(0, dtype=np.int64)
    edge_highway = way_highways[seq[take]] if take.size else np.zeros(0, dtype=np.str_)

    facilities = pd.DataFrame(
        collector.facilities,
        columns=["id", "name", "kind", "lon", "lat", "source", "osm_tags"],
    )
    facilities = facilities.astype({"lon": "float64", "lat": "float64"})
    communities = _communities(collector.communities)
    buildings = pd.DataFrame(
        collector.buildings, columns=["id", "geometry", "levels", "building", "residential"]
    )
    buildings = buildings.astype({"levels": "float64", "residential": "bool"})
    bounds = header_box or _extent(node_lon, node_lat, facilities, communities, buildings)
    return OsmExtract(
        path=path,
        node_id=node_id.astype(np.int64),
        node_lon=node_lon,
        node_lat=node_lat,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_way=edge_way.astype(np.int64),
        edge_highway=edge_highway,
        way_names=_way_names(collector.way_names),
        facilities=facilities,
        communities=communities,
        buildings=buildings,
        bounds=bounds,
    )


def _way_names(pairs: list[tuple[int, str]]) -> pd.Series:
    """Way id -> name (a way split in several pieces keeps one entry)."""
    ids = np.asarray([p[0] for p in pairs], dtype=np.int64)
    names = pd.Series([p[1] for p in pairs], index=ids, dtype=object, name="name")
    names = names[names.astype(bool)]
    return names[~names.index.duplicated()]


def _linestring_coordinates(
    hex_wkb: list[str], n_points: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """``[sum(n_points), 2]`` coordinates of hex WKB linestrings, concatenated in order.

    Little-endian 2-D WKB (what libosmium writes on this kind of machine) is read with numpy
    directly: each geometry is a 9-byte header (byte order, type, point count) followed by its
    points as float64 pairs. Anything else goes through shapely.
    """
    raw = np.frombuffer(bytes.fromhex("".join(hex_wkb)), dtype=np.uint8)
    size = 9 + 16 * n_points
    start = np.zeros(n_points.size, dtype=np.int64)
    np.cumsum(size[:-1], out=start[1:])
    header = raw[start[:, None] + np.arange(9)].astype(np.int64)
    counts = header[:, 5] | header[:, 6] << 8 | header[:, 7] << 16 | header[:, 8] << 24
    plain = (
        raw.size == int(size.sum())
        and bool((header[:, 0] == 1).all())
        and bool((header[:, 1:5] == [2, 0, 0, 0]).all())
        and np.array_equal(counts, n_points)
    )
    if not plain:
        lines = shapely.from_wkb(np.asarray(hex_wkb, dtype=object))
        return np.asarray(shapely.get_coordinates(lines), dtype=np.float64)
    keep = np.ones(raw.size, dtype=bool)
    keep[(start[:, None] + np.arange(9)).ravel()] = False
    return raw[keep].view("<f8").reshape(-1, 2).astype(np.float64)


def _way_coordinates(
    collector: _Collector, total: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per way node (flattened, in way order): lon, lat (NaN without location), way number."""
    counts = np.asarray(collector.way_node_count, dtype=np.int64)
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    seq = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    lon = np.full(total, np.nan)
    lat = np.full(total, np.nan)
    if collector.way_wkb:
        fast = np.asarray(collector.way_wkb_seq, dtype=np.int64)
        n_fast = counts[fast]
        coords = _linestring_coordinates(collector.way_wkb, n_fast)
        if coords.shape[0] != int(n_fast.sum()):
            raise DataError(f"{collector.path}: way geometries do not match their node lists")
        offset = np.repeat(starts[fast] - (np.cumsum(n_fast) - n_fast), n_fast)
        where = np.arange(coords.shape[0], dtype=np.int64) + offset
        lon[where] = coords[:, 0]
        lat[where] = coords[:, 1]
    for number, lons, lats in collector.way_partial:
        lon[starts[number] : starts[number] + len(lons)] = lons
        lat[starts[number] : starts[number] + len(lats)] = lats
    return lon, lat, seq


def _id_key(ident: str) -> tuple[str, int]:
    return ident[0], int(ident[1:])


def _communities(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Communities sorted by id; unnamed ones get ``未命名住区 #k`` and ``named=False``."""
    rows = sorted(rows, key=lambda row: _id_key(str(row["id"])))
    unnamed = 0
    for row in rows:
        row["named"] = bool(row["name"])
        if not row["name"]:
            unnamed += 1
            row["name"] = f"{UNNAMED_COMMUNITY} #{unnamed}"
    frame = pd.DataFrame(rows, columns=["id", "name", "source", "population", "named", "geometry"])
    return frame.astype({"population": "float64", "named": "bool"})


def _extent(
    node_lon: npt.NDArray[np.float64],
    node_lat: npt.NDArray[np.float64],
    facilities: pd.DataFrame,
    communities: pd.DataFrame,
    buildings: pd.DataFrame,
) -> tuple[float, float, float, float]:
    lons = [node_lon, facilities["lon"].to_numpy(dtype=np.float64)]
    lats = [node_lat, facilities["lat"].to_numpy(dtype=np.float64)]
    for frame in (communities, buildings):
        if len(frame):
            box = shapely.bounds(np.asarray(frame["geometry"], dtype=object))
            lons += [box[:, 0], box[:, 2]]
            lats += [box[:, 1], box[:, 3]]
    all_lon = np.concatenate(lons)
    all_lat = np.concatenate(lats)
    if all_lon.size == 0:
        return (math.nan, math.nan, math.nan, math.nan)
    return (
        float(all_lon.min()),
        float(all_lat.min()),
        float(all_lon.max()),
        float(all_lat.max()),
    )
