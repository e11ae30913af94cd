"""The named places of an OpenStreetMap file: what a gazetteer is built from.

:func:`wanzheng.data.osm.load_osm` keeps what the audit needs (the walking network,
facilities of the catalogue's kinds, residential areas, buildings) and nothing more, so that
an audit stays fast. Placing cases from their text needs every *name* of the area as well:
residential areas, named buildings, streets, shops, bus stops, schools … and the addresses
(``addr:street`` + ``addr:housenumber``). :func:`load_osm_names` reads them in a pass of its
own, paid only by the commands that place text (``wanzheng place``, ``cases import --area``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import shapely

from wanzheng.data.osm import OSMIUM_ERRORS, _check_path, osm_error

__all__ = ["NAME_CLASSES", "NAME_COLUMNS", "load_osm_names"]

NAME_COLUMNS = ("id", "name", "alt_names", "cls", "tag", "street", "housenumber", "geometry")
"""Columns of the table :func:`load_osm_names` returns."""

NAME_CLASSES = ("estate", "building", "road", "water", "poi", "region")
"""What a named object is, for matching: a residential area (小区, ``landuse=residential``,
``place=neighbourhood`` …), a building, a street (``highway`` line), a river or canal, any
other named feature (shop, school, bus stop …), or a large region (district, town) that is
recognised but never used as a location."""

# other keys that carry a name of the same object (abbreviations, old names, official names)
_ALT_KEYS = ("name:zh", "name:zh-Hans", "alt_name", "short_name", "old_name", "official_name")
_ESTATE_PLACES = frozenset({"neighbourhood", "quarter", "village", "hamlet", "isolated_dwelling"})
_REGION_PLACES = frozenset(
    {"city", "town", "suburb", "district", "county", "borough", "state", "province", "locality"}
)
# highway values on nodes and areas that are places to name, not streets
_ROAD_LINES = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "pedestrian",
        "footway",
        "path",
        "cycleway",
        "track",
        "road",
        "steps",
        "construction",
    }
)
_WATER_LINES = frozenset({"river", "canal", "stream"})


def _classify(tags: Mapping[str, str], *, line: bool) -> tuple[str, str] | None:
    """``(class, key=value)`` of a named object, or ``None`` when it is not a place."""
    if tags.get("type") in ("route", "route_master", "network", "public_transport"):
        return None
    highway = tags.get("highway")
    if line:
        if highway in _ROAD_LINES:
            return "road", f"highway={highway}"
        waterway = tags.get("waterway")
        if waterway in _WATER_LINES:
            return "water", f"waterway={waterway}"
        return None
    if highway in _ROAD_LINES and highway != "pedestrian":
        return None  # a street mapped as an area: its lines carry the name
    place = tags.get("place")
    if tags.get("landuse") == "residential" or place in _ESTATE_PLACES:
        key = "landuse" if tags.get("landuse") == "residential" else "place"
        return "estate", f"{key}={tags[key]}"
    if place in _REGION_PLACES or "boundary" in tags:
        key = "place" if place in _REGION_PLACES else "boundary"
        return "region", f"{key}={tags[key]}"
    if tags.get("building", "no") != "no":
        return "building", f"building={tags['building']}"
    for key in (
        "amenity",
        "shop",
        "office",
        "leisure",
        "tourism",
        "healthcare",
        "railway",
        "public_transport",
        "highway",
        "landuse",
        "man_made",
        "historic",
        "craft",
        "club",
        "entrance",
        "barrier",
        "natural",
    ):
        if key in tags:
            return "poi", f"{key}={tags[key]}"
    return "poi", ""


def _alt_names(tags: Mapping[str, str], name: str) -> tuple[str, ...]:
    seen = {name}
    out: list[str] = []
    for key in _ALT_KEYS:
        for value in tags.get(key, "").split(";"):
            value = value.strip()
            if value and value not in seen:
                seen.add(value)
                out.append(value)
    return tuple(out)


class _Names:
    """Collects the named objects of one pass (private)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.wkb: list[bytes | None] = []
        self.points: list[tuple[float, float] | None] = []
        self.factory = osmium.geom.WKBFactory()

    def add(
        self,
        ident: str,
        tags: Mapping[str, str],
        *,
        line: bool,
        wkb: str | None = None,
        point: tuple[float, float] | None = None,
    ) -> None:
        name = tags.get("name", "").strip()
        street = tags.get("addr:street", "").strip()
        number = tags.get("addr:housenumber", "").strip()
        if not name and not (street and number):
            return
        kind = _classify(tags, line=line)
        if kind is None:
            return
        self.rows.append(
            {
                "id": ident,
                "name": name,
                "alt_names": _alt_names(tags, name) if name else (),
                "cls": kind[0],
                "tag": kind[1],
                "street": street,
                "housenumber": number,
            }
        )
        self.wkb.append(bytes.fromhex(wkb) if wkb is not None else None)
        self.points.append(point)

    def node(self, obj: osmium.osm.Node) -> None:
        if not obj.location.valid():
            return
        tags = {t.k: t.v for t in obj.tags}
        self.add(
            f"n{obj.id}",
            tags,
            line=False,
            point=(float(obj.location.lon), float(obj.location.lat)),
        )

    def way(self, obj: osmium.osm.Way) -> None:
        tags = obj.tags
        if "highway" not in tags and "waterway" not in tags:
            return  # areas come as osmium Area objects
        if tags.get("area") == "yes":
            return
        try:
            wkb = self.factory.create_linestring(obj)
        except (RuntimeError, osmium.InvalidLocationError):
            return
        self.add(f"w{obj.id}", {t.k: t.v for t in tags}, line=True, wkb=wkb)

    def area(self, obj: osmium.osm.Area) -> None:
        tags = {t.k: t.v for t in obj.tags}
        if "highway" in tags and tags.get("area") != "yes":
            return  # a closed street: already read as a line
        if "waterway" in tags:
            return
        try:
            wkb = self.factory.create_multipolygon(obj)
        except (RuntimeError, osmium.InvalidLocationError):
            return
        ident = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
        self.add(ident, tags, line=False, wkb=wkb)

    def frame(self) -> pd.DataFrame:
        geometry = np.empty(len(self.rows), dtype=object)
        wkb_at = [i for i, w in enumerate(self.wkb) if w is not None]
        if wkb_at:
            decoded = shapely.from_wkb(
                np.asarray([self.wkb[i] for i in wkb_at], dtype=object), on_invalid="ignore"
            )
            for i, g in zip(wkb_at, decoded, strict=True):
                if g is not None and not g.is_empty:
                    if isinstance(g, shapely.MultiPolygon) and len(g.geoms) == 1:
                        g = g.geoms[0]
                    geometry[i] = g
        for i, p in enumerate(self.points):
            if p is not None:
                geometry[i] = shapely.Point(p)
        frame = pd.DataFrame(self.rows, columns=list(NAME_COLUMNS[:-1]))
        frame["geometry"] = geometry
        frame = frame[pd.notna(frame["geometry"])]
        return frame.reset_index(drop=True)


def load_osm_names(path: str | Path) -> pd.DataFrame:
    """Every named place of an OSM file, and every object with a full address.

    Parameters
    ----------
    path
        An ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` file.

    Returns
    -------
    pandas.DataFrame
        One row per object, columns :data:`NAME_COLUMNS`: ``id`` (``n1`` / ``w2`` / ``r3``),
        ``name`` (``""`` for an unnamed object with an address), ``alt_names`` (tuple of the
        object's other names: ``alt_name``, ``short_name``, ``old_name`` …), ``cls`` (one of
        :data:`NAME_CLASSES`), ``tag`` (the ``key=value`` that decided the class),
        ``street`` / ``housenumber`` (``addr:*``, ``""`` when absent), ``geometry`` (shapely,
        WGS-84: Point for nodes, LineString for streets and rivers, Polygon / MultiPolygon
        for areas). Route relations (bus lines) are left out.

    Raises
    ------
    DataError
        The file is missing, of an unknown type, or not readable as OSM data.
    """
    path = Path(path)
    _check_path(path)
    names = _Names()
    wanted = osmium.filter.KeyFilter("name", "addr:housenumber")
    wanted.enable_for(osmium.osm.NODE | osmium.osm.WAY | osmium.osm.AREA | osmium.osm.RELATION)
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
            .with_locations()
            .with_areas()
            .with_filter(wanted)
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                names.node(obj)
            elif isinstance(obj, osmium.osm.Way):
                names.way(obj)
            elif isinstance(obj, osmium.osm.Area):
                names.area(obj)
    except OSMIUM_ERRORS as error:
        raise osm_error(path, error) from None
    return names.frame()
