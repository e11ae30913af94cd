"""network: the walking graph as arrays, snapping, isochrones.

``wanzheng.network.engine`` (the compiled nearest-facility core) is imported on its own, so that
building or snapping a graph does not pay for compiling it.
"""

from wanzheng.network.graph import Projection, WalkGraph, build_graph, graph_from_arrays
from wanzheng.network.isochrone import Isochrone, reach
from wanzheng.network.snap import SAME_POINT_M, Snapped, snap

__all__ = [
    "SAME_POINT_M",
    "Isochrone",
    "Projection",
    "Snapped",
    "WalkGraph",
    "build_graph",
    "graph_from_arrays",
    "reach",
    "snap",
]
