"""network: the walking graph as arrays, snapping, isochrones.

The names below are imported lazily (PEP 562), so that ``wanzheng.network.engine`` — the
compiled nearest-facility core — can be used on its own without loading pyproj, shapely and
scipy (about 40 MB), and building a graph does not pay for compiling the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "Projection": "graph",
    "WalkGraph": "graph",
    "build_graph": "graph",
    "graph_from_arrays": "graph",
    "Isochrone": "isochrone",
    "reach": "isochrone",
    "SAME_POINT_M": "snap",
    "Snapped": "snap",
    "snap": "snap",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(import_module(f"wanzheng.network.{_HOME[name]}"), name)
        # Importing the submodule ``snap`` binds the *module* to this package's ``snap``;
        # bind the function over it, as the eager import used to.
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wanzheng.network' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
