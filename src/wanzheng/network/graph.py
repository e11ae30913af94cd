"""The walking graph as arrays: nodes, undirected edges and a symmetric CSR adjacency.

Every edge is one straight segment of an OSM way (no simplification), so a point snapped onto
an edge lies exactly on the street drawn in OSM. Edge lengths are geodesic (WGS-84 ellipsoid),
independent of the projection; ``x`` / ``y`` in a local metric projection serve geometry work
(snapping, isochrone buffers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
import pyproj
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from wanzheng.errors import RoutingError
from wanzheng.geo import local_projection

if TYPE_CHECKING:
    from wanzheng.data.osm import OsmExtract

__all__ = ["Projection", "WalkGraph", "build_graph", "graph_from_arrays"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_GEOD = pyproj.Geod(ellps="WGS84")


class Projection(Protocol):
    """A local metric projection (``wanzheng.geo.local_projection`` returns one)."""

    def forward(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """WGS-84 degrees → projected metres ``(x, y)``."""
        ...

    def inverse(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Projected metres → WGS-84 degrees ``(lon, lat)``."""
        ...


def _default_projection(lon: FloatArray, lat: FloatArray) -> Projection:
    """``wanzheng.geo.local_projection``: transverse Mercator centred on the nodes' extent."""
    return local_projection(lon, lat)


@dataclass(frozen=True, slots=True)
class WalkGraph:
    """An undirected walking network.

    Attributes
    ----------
    lon, lat
        float64 ``[n]`` WGS-84 degrees of every node.
    x, y
        float64 ``[n]`` metres in :attr:`projection`.
    node_osm_id
        int64 ``[n]`` OSM node id, −1 for nodes inserted by snapping.
    edge_u, edge_v
        int64 ``[m]`` node indices of each undirected edge (a straight segment; no
        self-loops, at most one edge per node pair: the shortest).
    edge_length_m
        float64 ``[m]`` geodesic length in metres.
    edge_way
        int64 ``[m]`` OSM way id of the edge (−1 when unknown).
    edge_highway
        ``[m]`` the way's ``highway`` tag.
    indptr, indices, weight_m
        CSR adjacency with both directions of every edge: the neighbours of node ``i`` are
        ``indices[indptr[i]:indptr[i + 1]]`` (sorted) at ``weight_m`` metres. ``indptr`` is
        int64, ``indices`` int32 (int64 beyond 2³¹ nodes).
    component
        int64 ``[n]`` connected-component label of every node.
    largest_component
        Label of the component with the most nodes.
    largest_component_size
        Its number of nodes.
    projection
        The local metric projection of ``x`` / ``y``.
    source
        Where the network came from (the OSM file), for messages.
    """

    lon: FloatArray
    lat: FloatArray
    x: FloatArray
    y: FloatArray
    node_osm_id: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    edge_way: IntArray
    edge_highway: npt.NDArray[np.str_]
    indptr: IntArray
    indices: npt.NDArray[np.signedinteger]
    weight_m: FloatArray
    component: IntArray
    largest_component: int
    largest_component_size: int
    projection: Projection
    source: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.edge_u.shape[0])

    def csr(self) -> scipy.sparse.csr_array:
        """The adjacency as a scipy sparse array (for ``scipy.sparse.csgraph``)."""
        n = self.n_nodes
        return scipy.sparse.csr_array((self.weight_m, self.indices, self.indptr), shape=(n, n))


def build_graph(extract: OsmExtract, *, projection: Projection | None = None) -> WalkGraph:
    """Build the walking graph of an OSM extract.

    Parameters
    ----------
    extract
        What :func:`wanzheng.data.osm.load_osm` read.
    projection
        Local metric projection for ``x`` / ``y``; by default a transverse Mercator centred
        on the network.

    Returns
    -------
    WalkGraph
        One node per OSM node of a walkable way, one edge per way segment (parallel duplicates
        reduced to the shortest, self-loops dropped), lengths in metres.

    Raises
    ------
    RoutingError
        The extract has no walkable way.
    """
    if extract.edge_u.shape[0] == 0:
        raise RoutingError(
            f"{extract.path}: no walkable ways in this area (no footway, path, residential, "
            "service … road a pedestrian may use)"
        )
    return graph_from_arrays(
        extract.node_lon,
        extract.node_lat,
        extract.edge_u,
        extract.edge_v,
        node_osm_id=extract.node_id,
        edge_way=extract.edge_way,
        edge_highway=extract.edge_highway,
        projection=projection,
        source=str(extract.path),
    )


def graph_from_arrays(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    edge_u: npt.ArrayLike,
    edge_v: npt.ArrayLike,
    *,
    node_osm_id: npt.ArrayLike | None = None,
    edge_way: npt.ArrayLike | None = None,
    edge_highway: npt.ArrayLike | None = None,
    edge_length_m: npt.ArrayLike | None = None,
    projection: Projection | None = None,
    source: str = "network",
) -> WalkGraph:
    """Build a :class:`WalkGraph` from node coordinates and an edge list.

    Parameters
    ----------
    lon, lat
        ``[n]`` WGS-84 degrees.
    edge_u, edge_v
        ``[m]`` node indices of undirected straight edges.
    node_osm_id
        ``[n]`` OSM ids (default −1).
    edge_way, edge_highway
        ``[m]`` OSM way id (default −1) and ``highway`` tag (default ``""``).
    edge_length_m
        ``[m]`` lengths in metres; by default the geodesic length between the end nodes.
    projection
        Local metric projection; by default a transverse Mercator centred on the nodes.
    source
        Named in error messages.

    Raises
    ------
    RoutingError
        No edge is left once self-loops are dropped, or an edge index is out of range.
    """
    lon_a = np.ascontiguousarray(lon, dtype=np.float64)
    lat_a = np.ascontiguousarray(lat, dtype=np.float64)
    u = np.asarray(edge_u, dtype=np.int64)
    v = np.asarray(edge_v, dtype=np.int64)
    n = int(lon_a.shape[0])
    m = int(u.shape[0])
    osm_id = (
        np.full(n, -1, dtype=np.int64)
        if node_osm_id is None
        else np.asarray(node_osm_id, dtype=np.int64)
    )
    way = np.full(m, -1, dtype=np.int64) if edge_way is None else np.asarray(edge_way, np.int64)
    highway = (
        np.full(m, "", dtype=np.str_) if edge_highway is None else np.asarray(edge_highway, np.str_)
    )
    if (
        lat_a.shape != (n,)
        or osm_id.shape != (n,)
        or v.shape != (m,)
        or way.shape != (m,)
        or highway.shape != (m,)
    ):
        raise RoutingError(f"{source}: node or edge arrays of different lengths")
    if m and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise RoutingError(f"{source}: an edge refers to a node that does not exist")

    if edge_length_m is None:
        _, _, dist = _GEOD.inv(lon_a[u], lat_a[u], lon_a[v], lat_a[v])
        length = np.asarray(dist, dtype=np.float64)
    else:
        length = np.asarray(edge_length_m, dtype=np.float64)
        if length.shape != (m,):
            raise RoutingError(f"{source}: edge lengths of a different count than edges")

    keep = _distinct_edges(u, v, length)
    if keep.size == 0:
        raise RoutingError(f"{source}: no walkable ways (no edge between two different nodes)")
    u, v, length, way, highway = u[keep], v[keep], length[keep], way[keep], highway[keep]

    proj = projection if projection is not None else _default_projection(lon_a, lat_a)
    x, y = proj.forward(lon_a, lat_a)
    return _walk_graph(
        lon_a, lat_a, x, y, osm_id, u, v, length, way, highway, proj, source, component=None
    )


def _walk_graph(
    lon: FloatArray,
    lat: FloatArray,
    x: FloatArray,
    y: FloatArray,
    osm_id: IntArray,
    u: IntArray,
    v: IntArray,
    length: FloatArray,
    way: IntArray,
    highway: npt.NDArray[np.str_],
    projection: Projection,
    source: str,
    *,
    component: IntArray | None,
) -> WalkGraph:
    """Adjacency and components of checked, distinct edges; ``component`` when already known.

    ``component`` must be what ``connected_components`` labels (components numbered in the
    order of their lowest node), which :func:`wanzheng.network.snapping.snap` can tell without a
    search because it only appends nodes inside existing edges.
    """
    n = int(lon.shape[0])
    indptr, indices, weight = _csr(n, u, v, length)
    if component is None:
        _, found = connected_components(
            scipy.sparse.csr_array((weight, indices, indptr), shape=(n, n)), directed=False
        )
        labels = np.asarray(found, dtype=np.int64)
    else:
        labels = component
    sizes = np.bincount(labels)
    largest = int(np.argmax(sizes))
    return WalkGraph(
        lon=lon,
        lat=lat,
        x=np.ascontiguousarray(x, dtype=np.float64),
        y=np.ascontiguousarray(y, dtype=np.float64),
        node_osm_id=osm_id,
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        edge_way=way,
        edge_highway=highway,
        indptr=indptr,
        indices=indices,
        weight_m=weight,
        component=labels,
        largest_component=largest,
        largest_component_size=int(sizes[largest]),
        projection=projection,
        source=source,
    )


def _distinct_edges(u: IntArray, v: IntArray, length: FloatArray) -> IntArray:
    """Indices of the edges to keep: no self-loops, the shortest of parallel edges.

    The kept edges stay in their input order (and orientation).
    """
    candidates = np.flatnonzero(u != v)
    a = np.minimum(u[candidates], v[candidates])
    b = np.maximum(u[candidates], v[candidates])
    # one int64 key per node pair (a, b < n, so a * n + b is unique and fits for n < 3e9)
    n = int(b.max()) + 1 if b.size else 1
    pair = a * n + b
    order = np.lexsort((length[candidates], pair))
    pair_sorted = pair[order]
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = pair_sorted[1:] != pair_sorted[:-1]
    return np.sort(candidates[order[first]])


def _csr(
    n: int, u: IntArray, v: IntArray, length: FloatArray
) -> tuple[IntArray, npt.NDArray[np.signedinteger], FloatArray]:
    """Symmetric CSR arrays with sorted column indices per row."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    weight = np.concatenate([length, length])
    # (row, col) pairs are unique, so sorting one int64 key gives lexsort's order
    order = np.argsort(rows * n + cols)
    counts = np.bincount(rows, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    index_type = np.int32 if n < np.iinfo(np.int32).max else np.int64
    indices: npt.NDArray[np.signedinteger] = np.ascontiguousarray(cols[order], dtype=index_type)
    return indptr, indices, np.ascontiguousarray(weight[order], dtype=np.float64)
