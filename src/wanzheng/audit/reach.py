"""Walking reach of a finished audit's communities (5 / 10 / 15 minutes on foot).

The reach is walked on the network the audit drew (its edge table, read back with
:func:`wanzheng.data.audit_output.load_audit_output` or held in an
:class:`~wanzheng.audit.result.AuditResult`): nodes are the distinct edge end points (to
1e-7°, about 1 cm), edge lengths are the audit's. Each community's origin is inserted where it
joins the nearest edge of the largest connected part of the network, exactly as the audit
snaps it, and :func:`wanzheng.network.reach` walks from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from wanzheng.errors import DataError, RoutingError
from wanzheng.network import Isochrone, WalkGraph, graph_from_arrays, reach, snap

__all__ = ["CommunityReach", "graph_from_edges"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def graph_from_edges(network: pd.DataFrame) -> WalkGraph | None:
    """The walking graph of an audit's edge table.

    Parameters
    ----------
    network
        One row per edge: ``lon_u``, ``lat_u``, ``lon_v``, ``lat_v`` (degrees), ``length_m``
        (metres), ``highway``.

    Returns
    -------
    WalkGraph or None
        Nodes are the distinct edge ends rounded to 1e-7°; ``None`` when nothing walkable is
        left (no edges, or only self-loops).
    """
    if len(network) == 0:
        return None
    ends = np.round(
        np.concatenate(
            [
                network[["lon_u", "lat_u"]].to_numpy(np.float64),
                network[["lon_v", "lat_v"]].to_numpy(np.float64),
            ]
        ),
        7,
    )
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    m = len(network)
    try:
        return graph_from_arrays(
            nodes[:, 0],
            nodes[:, 1],
            inverse[:m],
            inverse[m:],
            edge_length_m=network["length_m"].to_numpy(np.float64),
            edge_highway=network["highway"].fillna("").astype(str).to_numpy(),
            source="audit network",
        )
    except RoutingError:
        return None  # nothing walkable left (only self-loops): no reach to show


@dataclass(frozen=True, slots=True)
class CommunityReach:
    """Every community's origin snapped onto an audit's network, ready to walk from.

    Attributes
    ----------
    graph
        The network with the origins inserted as nodes (``None`` when nothing is walkable).
    origin_node
        int64 node of each community's origin (row order of the communities), -1 without a
        graph.
    origin_leg_m
        Straight leg (metres) from each origin to where it joins the network; inf without a
        graph.
    """

    graph: WalkGraph | None
    origin_node: IntArray
    origin_leg_m: FloatArray

    @classmethod
    def from_network(
        cls, network: pd.DataFrame, origin_lon: FloatArray, origin_lat: FloatArray
    ) -> CommunityReach:
        """Snap the origins (degrees, one per community) onto the edge table's graph."""
        lon = np.asarray(origin_lon, dtype=np.float64)
        lat = np.asarray(origin_lat, dtype=np.float64)
        if lon.shape != lat.shape:
            raise DataError(f"origin_lon has {lon.shape[0]} values but origin_lat {lat.shape[0]}")
        graph = graph_from_edges(network)
        node = np.full(lon.shape[0], -1, dtype=np.int64)
        leg = np.full(lon.shape[0], np.inf)
        if graph is not None:
            graph, (snapped,) = snap(graph, [(lon, lat)])
            node, leg = snapped.node.astype(np.int64), snapped.leg_m.astype(np.float64)
        return cls(graph=graph, origin_node=node, origin_leg_m=leg)

    def isochrones(
        self, index: int, limits_m: Sequence[float], *, buffer_m: float
    ) -> list[Isochrone]:
        """Streets (and a band of ``buffer_m`` metres around them) within each walking
        distance of community ``index``'s origin.

        The origin's straight leg to the street is spent first, and edges are cut exactly
        where the budget runs out (:func:`wanzheng.network.reach`). Empty when the network
        has nothing walkable.
        """
        if not 0 <= index < self.origin_node.shape[0]:
            raise DataError(
                f"community index {index}: expected 0 … {self.origin_node.shape[0] - 1}"
            )
        node = int(self.origin_node[index])
        if self.graph is None or node < 0:
            return []
        return reach(
            self.graph,
            node,
            limits_m=list(limits_m),
            origin_leg_m=float(self.origin_leg_m[index]),
            buffer_m=buffer_m,
        )

    def area_m2(self, geometry: BaseGeometry) -> float:
        """Area (m²) of a WGS-84 geometry in the network's local projection."""
        if self.graph is None:
            raise DataError("no walkable network: areas have no projection to be measured in")
        forward = self.graph.projection.forward
        return float(
            shapely.area(shapely.transform(geometry, lambda c: np.c_[forward(c[:, 0], c[:, 1])]))
        )
