"""Snap points onto the walking network: the nearest point of the nearest edge, inserted as a node.

A community entrance or a shop is rarely on an OSM node. Snapping each point to the nearest
point on the nearest *edge* (not merely the nearest node) and splitting that edge there makes
the network distance exact: the walk from a point is its straight off-network leg plus the
shortest path from the inserted node. Splitting keeps the total edge length (each piece gets
its share of the edge's geodesic length).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely

from wanzheng.errors import RoutingError
from wanzheng.network.graph import WalkGraph, _walk_graph

__all__ = ["SAME_POINT_M", "Snapped", "snap"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SAME_POINT_M = 1e-3
"""Snap points closer than this (metres) to an edge's end reuse that node, and snap points
closer than this to each other on one edge share one inserted node, so no edge is shorter."""


@dataclass(frozen=True, slots=True)
class Snapped:
    """Where the points of one set landed on the network.

    Attributes
    ----------
    node
        int64 ``[k]`` node of the returned graph each point is attached to; −1 where the point
        was not snapped (farther than ``max_leg_m``, non-finite coordinates, or no edge).
    leg_m
        float64 ``[k]`` straight off-network leg from the point to its snap point (metres in
        the graph's local projection); inf where not snapped. Walking distances from the
        point are ``leg_m`` plus the network distance from ``node``.
    edge
        int64 ``[k]`` index of the edge snapped onto, in the *input* graph's edge list; −1
        where not snapped.
    edge_fraction
        float64 ``[k]`` position of the snap point along that edge from ``edge_u`` (0) to
        ``edge_v`` (1); NaN where not snapped.
    lon, lat
        float64 ``[k]`` WGS-84 degrees of the snap point; NaN where not snapped.
    """

    node: IntArray
    leg_m: FloatArray
    edge: IntArray
    edge_fraction: FloatArray
    lon: FloatArray
    lat: FloatArray

    @property
    def snapped(self) -> npt.NDArray[np.bool_]:
        """True where the point was attached to the network."""
        return self.node >= 0


def snap(
    graph: WalkGraph,
    point_sets: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    *,
    max_leg_m: float = float("inf"),
    component: Literal["largest", "any"] = "largest",
) -> tuple[WalkGraph, list[Snapped]]:
    """Attach points to the nearest point of the nearest walkable edge.

    Parameters
    ----------
    graph
        The walking network.
    point_sets
        Sequence of ``(lon, lat)`` arrays (WGS-84 degrees), e.g. facilities and community
        origins; all sets are inserted into one new graph.
    max_leg_m
        Points farther than this (metres) from every candidate edge are not snapped
        (``node`` −1, ``leg_m`` inf) so that the audit reports them instead of tying them to a
        distant street.
    component
        ``"largest"`` (default) snaps only onto edges of the largest connected component:
        OSM often holds small isolated fragments (a campus footway never joined to a street),
        and a point snapped onto one would reach nothing or report absurd distances.
        ``"any"`` allows every edge.

    Returns
    -------
    (WalkGraph, list[Snapped])
        The graph with every snap point inserted as a node (an edge holding several snap
        points is split into pieces sorted along it; a snap point within
        :data:`SAME_POINT_M` of an edge's end reuses that node; unchanged edges come first, in
        their old order, followed by the pieces), and one :class:`Snapped` per point set.

    Raises
    ------
    RoutingError
        A point set's lon and lat differ in length, or ``component`` is unknown.
    """
    if component not in ("largest", "any"):
        raise RoutingError(f"snap: component must be 'largest' or 'any', got {component!r}")
    lons, lats, sizes = [], [], []
    for number, (lon, lat) in enumerate(point_sets):
        lon_a = np.asarray(lon, dtype=np.float64).reshape(-1)
        lat_a = np.asarray(lat, dtype=np.float64).reshape(-1)
        if lon_a.shape != lat_a.shape:
            raise RoutingError(
                f"snap: point set {number}: {lon_a.size} longitudes but {lat_a.size} latitudes"
            )
        lons.append(lon_a)
        lats.append(lat_a)
        sizes.append(lon_a.size)
    lon_all = np.concatenate(lons) if lons else np.zeros(0)
    lat_all = np.concatenate(lats) if lats else np.zeros(0)
    total = lon_all.size

    node = np.full(total, -1, dtype=np.int64)
    leg = np.full(total, np.inf)
    edge = np.full(total, -1, dtype=np.int64)
    fraction = np.full(total, np.nan)
    snap_x = np.full(total, np.nan)
    snap_y = np.full(total, np.nan)

    finite = np.flatnonzero(np.isfinite(lon_all) & np.isfinite(lat_all))
    px, py = graph.projection.forward(lon_all[finite], lat_all[finite])

    if component == "largest":
        candidates = np.flatnonzero(graph.component[graph.edge_u] == graph.largest_component)
    else:
        candidates = np.arange(graph.n_edges, dtype=np.int64)

    if finite.size and candidates.size:
        u = graph.edge_u[candidates]
        v = graph.edge_v[candidates]
        coords = np.stack(
            [
                np.stack([graph.x[u], graph.y[u]], axis=1),
                np.stack([graph.x[v], graph.y[v]], axis=1),
            ],
            axis=1,
        )
        tree = shapely.STRtree(shapely.linestrings(coords))
        # no max_distance here: GEOS is faster finding the nearest edge unbounded, and the
        # legs beyond max_leg_m are dropped below
        hit_point, hit_line = tree.query_nearest(shapely.points(px, py), all_matches=False)
        e = candidates[hit_line]
        ax, ay = graph.x[graph.edge_u[e]], graph.y[graph.edge_u[e]]
        dx, dy = graph.x[graph.edge_v[e]] - ax, graph.y[graph.edge_v[e]] - ay
        qx, qy = px[hit_point], py[hit_point]
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, ((qx - ax) * dx + (qy - ay) * dy) / len2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        sx, sy = ax + t * dx, ay + t * dy
        distance = np.hypot(qx - sx, qy - sy)
        ok = distance <= max_leg_m
        rows = finite[hit_point[ok]]
        edge[rows] = e[ok]
        fraction[rows] = t[ok]
        leg[rows] = distance[ok]
        snap_x[rows] = sx[ok]
        snap_y[rows] = sy[ok]

    new_graph, node_of = _insert(graph, edge, fraction, snap_x, snap_y)
    node[:] = node_of
    snap_lon = np.full(total, np.nan)
    snap_lat = np.full(total, np.nan)
    attached = node >= 0
    snap_lon[attached] = new_graph.lon[node[attached]]
    snap_lat[attached] = new_graph.lat[node[attached]]

    results = []
    start = 0
    for size in sizes:
        part = slice(start, start + size)
        results.append(
            Snapped(
                node=node[part].copy(),
                leg_m=leg[part].copy(),
                edge=edge[part].copy(),
                edge_fraction=fraction[part].copy(),
                lon=snap_lon[part].copy(),
                lat=snap_lat[part].copy(),
            )
        )
        start += size
    return new_graph, results


def _insert(
    graph: WalkGraph,
    edge: IntArray,
    fraction: FloatArray,
    snap_x: FloatArray,
    snap_y: FloatArray,
) -> tuple[WalkGraph, IntArray]:
    """Insert snap points as nodes; returns the new graph and the node of every point."""
    node = np.full(edge.size, -1, dtype=np.int64)
    rows = np.flatnonzero(edge >= 0)
    if rows.size == 0:
        return graph, node
    e = edge[rows]
    t = fraction[rows]
    u, v = graph.edge_u[e], graph.edge_v[e]
    planar = np.hypot(graph.x[v] - graph.x[u], graph.y[v] - graph.y[u])
    at_u = t * planar <= SAME_POINT_M
    at_v = ~at_u & ((1.0 - t) * planar <= SAME_POINT_M)
    node[rows[at_u]] = u[at_u]
    node[rows[at_v]] = v[at_v]

    inner = np.flatnonzero(~at_u & ~at_v)
    if inner.size == 0:
        return graph, node
    # group snap points along each edge; points within SAME_POINT_M share one new node
    order = inner[np.lexsort((t[inner], e[inner]))]
    e_sorted, t_sorted = e[order], t[order]
    new_group = np.ones(order.size, dtype=bool)
    new_group[1:] = (e_sorted[1:] != e_sorted[:-1]) | (
        (t_sorted[1:] - t_sorted[:-1]) * planar[order[1:]] > SAME_POINT_M
    )
    group = np.cumsum(new_group) - 1
    n_old = graph.n_nodes
    node[rows[order]] = n_old + group
    heads = order[new_group]
    g_edge, g_t = e[heads], t[heads]
    g_node = n_old + np.arange(heads.size, dtype=np.int64)
    g_lon, g_lat = graph.projection.inverse(snap_x[rows[heads]], snap_y[rows[heads]])

    # chain every split edge: u (t=0), its snap nodes by t, v (t=1); one piece per link
    split = np.unique(g_edge)
    chain_edge = np.concatenate([split, g_edge, split])
    chain_t = np.concatenate([np.zeros(split.size), g_t, np.ones(split.size)])
    chain_node = np.concatenate([graph.edge_u[split], g_node, graph.edge_v[split]])
    chain = np.lexsort((chain_t, chain_edge))
    chain_edge, chain_t, chain_node = chain_edge[chain], chain_t[chain], chain_node[chain]
    link = np.flatnonzero(chain_edge[1:] == chain_edge[:-1])
    piece_edge = chain_edge[link]
    piece_u = chain_node[link]
    piece_v = chain_node[link + 1]
    piece_length = (chain_t[link + 1] - chain_t[link]) * graph.edge_length_m[piece_edge]

    kept = np.ones(graph.n_edges, dtype=bool)
    kept[split] = False
    # Every piece has an inserted node at one end at least, so no piece is a self-loop or
    # parallel to another edge: the edge list needs no cleaning. Inserted nodes come after
    # the old ones and lie inside edges, so components keep their labels (numbered by their
    # lowest node) and a new node takes its edge's; x / y of old nodes stay as they are.
    g_x, g_y = graph.projection.forward(g_lon, g_lat)
    new_graph = _walk_graph(
        np.concatenate([graph.lon, np.asarray(g_lon, dtype=np.float64)]),
        np.concatenate([graph.lat, np.asarray(g_lat, dtype=np.float64)]),
        np.concatenate([graph.x, np.asarray(g_x, dtype=np.float64)]),
        np.concatenate([graph.y, np.asarray(g_y, dtype=np.float64)]),
        np.concatenate([graph.node_osm_id, np.full(heads.size, -1, np.int64)]),
        np.concatenate([graph.edge_u[kept], piece_u]),
        np.concatenate([graph.edge_v[kept], piece_v]),
        np.concatenate([graph.edge_length_m[kept], piece_length]),
        np.concatenate([graph.edge_way[kept], graph.edge_way[piece_edge]]),
        np.concatenate([graph.edge_highway[kept], graph.edge_highway[piece_edge]]),
        graph.projection,
        graph.source,
        component=np.concatenate([graph.component, graph.component[graph.edge_u[g_edge]]]),
    )
    return new_graph, node
