"""Walking reach from one origin: the streets within 300 / 500 / 1000 m and the area around them.

The reach is cut exactly: an edge whose far end is beyond the limit is drawn up to the point
where the limit runs out (from each side that reaches into it), so the lines show every metre
of street a resident can walk to, and no more. The polygon is a band of ``buffer_m`` around
those lines, because an area "within 500 m" drawn as a convex hull would include blocks that
are far on foot (behind a wall, across a river).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry

from wanzheng.errors import RoutingError
from wanzheng.network.graph import WalkGraph

__all__ = ["Isochrone", "reach"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# an edge is whole when the parts reached from both ends cover it to within this (metres)
_WHOLE_M = 1e-9


@dataclass(frozen=True, slots=True)
class Isochrone:
    """The part of the network within one walking distance of an origin.

    Attributes
    ----------
    limit_m
        The walking distance (metres), including the origin's off-network leg.
    lines
        Reached streets as a MultiLineString in WGS-84 (whole edges and edges cut at the
        exact point where the distance runs out); empty when nothing is reached.
    polygon
        Band of ``buffer_m`` metres around :attr:`lines` (Polygon or MultiPolygon, WGS-84);
        empty when no line is reached.
    length_m
        Total length of the reached streets (metres).
    nodes
        int64 indices of the nodes within the limit, sorted.
    """

    limit_m: float
    lines: shapely.MultiLineString
    polygon: BaseGeometry
    length_m: float
    nodes: IntArray


def reach(
    graph: WalkGraph,
    origin_node: int,
    *,
    limits_m: Sequence[float] = (300.0, 500.0, 1000.0),
    origin_leg_m: float = 0.0,
    buffer_m: float = 40.0,
) -> list[Isochrone]:
    """Streets and area reachable on foot from one node within each limit.

    Parameters
    ----------
    graph
        The walking network (usually after :func:`wanzheng.network.snapping.snap`, with the
        origin inserted as a node).
    origin_node
        Node index of the origin.
    limits_m
        Walking distances in metres (300 / 500 / 1000 m ≈ 5 / 10 / 15 minutes at 60–67 m/min).
    origin_leg_m
        Off-network leg from the real origin to ``origin_node`` (metres); it is spent before
        the network walk starts, so the network budget is ``limit − origin_leg_m``.
    buffer_m
        Half-width of the band drawn around reached streets (metres).

    Returns
    -------
    list[Isochrone]
        One per limit, in the order given.

    Raises
    ------
    RoutingError
        ``origin_node`` is not a node of the graph, or a limit, the leg or the buffer is
        negative or not finite.
    """
    if not 0 <= origin_node < graph.n_nodes:
        raise RoutingError(
            f"{graph.source}: origin node {origin_node} is not in the network "
            f"({graph.n_nodes} nodes)"
        )
    limits = [float(limit) for limit in limits_m]
    for name, value in [("origin_leg_m", origin_leg_m), ("buffer_m", buffer_m)] + [
        ("limit", limit) for limit in limits
    ]:
        if not (np.isfinite(value) and value >= 0):
            raise RoutingError(f"reach: {name} must be a finite distance ≥ 0 m, got {value}")
    budget_max = max(limits, default=0.0) - origin_leg_m
    if budget_max >= 0:
        dist = np.asarray(
            dijkstra(graph.csr(), directed=False, indices=int(origin_node), limit=budget_max),
            dtype=np.float64,
        )
    else:
        dist = np.full(graph.n_nodes, np.inf)
    return [_one(graph, dist, limit, limit - origin_leg_m, buffer_m=buffer_m) for limit in limits]


def _one(
    graph: WalkGraph, dist: FloatArray, limit_m: float, budget: float, *, buffer_m: float
) -> Isochrone:
    # only edges with an end within the budget can be reached at all
    near = np.flatnonzero(np.minimum(dist[graph.edge_u], dist[graph.edge_v]) <= budget)
    u, v, length = graph.edge_u[near], graph.edge_v[near], graph.edge_length_m[near]
    with np.errstate(invalid="ignore"):
        from_u = np.clip(budget - dist[u], 0.0, length)  # metres reached into the edge from u
        from_v = np.clip(budget - dist[v], 0.0, length)
    whole = from_u + from_v >= length - _WHOLE_M
    part_u = ~whole & (from_u > 0)
    part_v = ~whole & (from_v > 0)
    reached_m = float(length[whole].sum() + from_u[part_u].sum() + from_v[part_v].sum())

    x, y = graph.x, graph.y
    fu = from_u[part_u] / length[part_u]
    fv = from_v[part_v] / length[part_v]
    start_x = np.concatenate([x[u[whole]], x[u[part_u]], x[v[part_v]]])
    start_y = np.concatenate([y[u[whole]], y[u[part_u]], y[v[part_v]]])
    end_x = np.concatenate(
        [
            x[v[whole]],
            x[u[part_u]] + fu * (x[v[part_u]] - x[u[part_u]]),
            x[v[part_v]] + fv * (x[u[part_v]] - x[v[part_v]]),
        ]
    )
    end_y = np.concatenate(
        [
            y[v[whole]],
            y[u[part_u]] + fu * (y[v[part_u]] - y[u[part_u]]),
            y[v[part_v]] + fv * (y[u[part_v]] - y[v[part_v]]),
        ]
    )
    coords = np.stack(
        [np.stack([start_x, start_y], axis=1), np.stack([end_x, end_y], axis=1)], axis=1
    )
    nodes = (
        np.flatnonzero(dist <= budget).astype(np.int64) if budget >= 0 else np.zeros(0, np.int64)
    )
    if coords.shape[0] == 0:
        return Isochrone(
            limit_m=limit_m,
            lines=shapely.MultiLineString(),
            polygon=shapely.Polygon(),
            length_m=0.0,
            nodes=nodes.astype(np.int64),
        )
    segments = shapely.linestrings(coords)
    projected = shapely.multilinestrings(segments)
    # buffering each segment and uniting the pieces is ~25× faster in GEOS than buffering
    # the MultiLineString at once (1,761 segments: 0.14 s against 3.7 s); same area
    band = shapely.union_all(shapely.buffer(segments, buffer_m, quad_segs=4))
    return Isochrone(
        limit_m=limit_m,
        lines=shapely.transform(projected, _to_lonlat(graph)),
        polygon=shapely.transform(band, _to_lonlat(graph)),
        length_m=reached_m,
        nodes=nodes.astype(np.int64),
    )


def _to_lonlat(graph: WalkGraph) -> Callable[[FloatArray], FloatArray]:
    """A ``shapely.transform`` function: projected metres → WGS-84 degrees."""

    def inverse(xy: FloatArray) -> FloatArray:
        lon, lat = graph.projection.inverse(xy[:, 0], xy[:, 1])
        return np.stack([lon, lat], axis=1)

    return inverse
