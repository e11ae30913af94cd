"""A city-size OSM file made by tiling a real extract: every object copied per tile, shifted.

Tile ``t`` shifts every coordinate by whole tile widths (longitude) and heights (latitude) and
adds ``t * 10**10`` to every id, so ways and relations keep pointing at their own tile's copies.
Tiles touch without overlapping and are not joined. Written once as ``.osm.pbf`` (for
wanzheng) and ``.osm`` XML (for OSMnx ``graph_from_xml``).
"""

from __future__ import annotations

import math
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Relation, Way

ID_STEP = 10**10


def _read(src: Path) -> tuple[list[tuple[int, float, float, dict[str, str]]], list, list]:
    nodes: list[tuple[int, float, float, dict[str, str]]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    rels: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
    for o in osmium.FileProcessor(str(src)):
        tags = {t.k: t.v for t in o.tags}
        if o.is_node():
            if o.location.valid():
                nodes.append((o.id, o.location.lon, o.location.lat, tags))
        elif o.is_way():
            ways.append((o.id, [n.ref for n in o.nodes], tags))
        elif o.is_relation():
            rels.append((o.id, [(m.type, m.ref, m.role) for m in o.members], tags))
    return nodes, ways, rels


def tile_osm(src: Path, n_tiles: int, out: Path) -> Path:
    """Write ``n_tiles`` shifted copies of ``src`` to ``out`` (format from its suffix)."""
    nodes, ways, rels = _read(src)
    lons = [n[1] for n in nodes]
    lats = [n[2] for n in nodes]
    width = max(lons) - min(lons) + 1e-4
    height = max(lats) - min(lats) + 1e-4
    cols = math.ceil(math.sqrt(n_tiles))
    out.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(out))
    try:
        for t in range(n_tiles):
            row, col = divmod(t, cols)
            base = t * ID_STEP
            for nid, lon, lat, tags in nodes:
                writer.add_node(
                    Node(id=nid + base, location=(lon + col * width, lat + row * height),
                         tags=tags, version=1)
                )  # fmt: skip
        for t in range(n_tiles):
            base = t * ID_STEP
            for wid, refs, tags in ways:
                writer.add_way(Way(id=wid + base, nodes=[r + base for r in refs], tags=tags,
                                   version=1))  # fmt: skip
        for t in range(n_tiles):
            base = t * ID_STEP
            for rid, members, tags in rels:
                writer.add_relation(
                    Relation(id=rid + base, members=[(m[0], m[1] + base, m[2]) for m in members],
                             tags=tags, version=1)
                )  # fmt: skip
    finally:
        writer.close()
    return out
