"""network: the walking graph as arrays, snapping, isochrones.

The public names are imported lazily (PEP 562): ``wanzheng.network.engine``, the compiled
nearest-facility core, can be used on its own without loading pyproj, shapely and scipy (about
40 MB), and building a graph does not pay for compiling the engine. (No submodule shares a
name with a public function, so a loaded submodule never shadows one.)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wanzheng.network.graph import Projection, WalkGraph, build_graph, graph_from_arrays
    from wanzheng.network.isochrone import Isochrone, reach
    from wanzheng.network.snapping import SAME_POINT_M, Snapped, snap

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

_HOME = {
    "Projection": "graph",
    "WalkGraph": "graph",
    "build_graph": "graph",
    "graph_from_arrays": "graph",
    "Isochrone": "isochrone",
    "reach": "isochrone",
    "SAME_POINT_M": "snapping",
    "Snapped": "snapping",
    "snap": "snapping",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(import_module(f"wanzheng.network.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wanzheng.network' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
