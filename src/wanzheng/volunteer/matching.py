"""Walking distance from volunteers' home grids to a task's place, on the audit's network.

The network is the one a finished audit drew (its edge table,
:func:`wanzheng.data.audit_output.load_audit_output`, ``network``), built into a walking
graph once (:func:`wanzheng.audit.reach.graph_from_edges`). For each question the points
are snapped onto it the way the audit snaps community origins (nearest point of the nearest
edge of the largest connected part, inserted as a node, :func:`wanzheng.network.snap`), and
the engine walks once from the task's place (:func:`wanzheng.network.engine.nearest_by_kind`,
one kind, one source): a volunteer's distance is their straight leg to the network, the
shortest path, and the task's leg. A volunteer's home is their grid's centroid
(:func:`wanzheng.volunteer.registry.grid_home`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wanzheng.audit.reach import graph_from_edges
from wanzheng.errors import DataError
from wanzheng.network import WalkGraph, snap
from wanzheng.network.engine import nearest_by_kind

__all__ = ["WalkingMatcher"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class WalkingMatcher:
    """The audit's walking graph, ready to measure walks to a task's place.

    Attributes
    ----------
    graph
        The walking graph (``None`` when the network has nothing walkable: every distance
        is then unknown, ``inf``).
    """

    graph: WalkGraph | None

    @classmethod
    def from_network(cls, network: pd.DataFrame) -> WalkingMatcher:
        """From an audit's edge table (``lon_u``, ``lat_u``, ``lon_v``, ``lat_v``,
        ``length_m``, ``highway``)."""
        missing = {"lon_u", "lat_u", "lon_v", "lat_v", "length_m"} - set(network.columns)
        if missing:
            raise DataError(f"network: missing columns {sorted(missing)}")
        if "highway" not in network.columns:
            network = network.assign(highway="")
        return cls(graph=graph_from_edges(network))

    def distances_m(
        self,
        origin_lon: npt.ArrayLike,
        origin_lat: npt.ArrayLike,
        target_lon: float,
        target_lat: float,
        *,
        cutoff_m: float = float("inf"),
    ) -> FloatArray:
        """Walking distance (metres) from each origin to the target.

        Returns
        -------
        numpy.ndarray
            float64 ``[k]``: origin leg + shortest path + target leg, ``inf`` where the
            walk is longer than ``cutoff_m`` or a point could not be placed on the network.
        """
        lon = np.atleast_1d(np.asarray(origin_lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(origin_lat, dtype=np.float64))
        if lon.shape != lat.shape:
            raise DataError(f"origin_lon has {lon.shape[0]} values but origin_lat {lat.shape[0]}")
        out = np.full(lon.shape[0], np.inf)
        if self.graph is None or lon.shape[0] == 0:
            return out
        graph, (origins, target) = snap(
            self.graph, [(lon, lat), (np.array([target_lon]), np.array([target_lat]))]
        )
        t_node, t_leg = int(target.node[0]), float(target.leg_m[0])
        if t_node < 0:
            return out
        dist, _ = nearest_by_kind(
            graph.indptr,
            graph.indices,
            graph.weight_m,
            np.array([t_node]),
            np.array([0]),
            np.array([t_leg]),
            n_kinds=1,
            cutoff_m=cutoff_m,
        )
        ok = origins.node >= 0
        out[ok] = dist[0, origins.node[ok]] + origins.leg_m[ok]
        out[out > cutoff_m] = np.inf
        return out
