"""Benchmark inputs: synthetic planar grids and city-size networks tiled from a real OSM extract.

Every network is a :class:`Network` (undirected CSR with both directions, node coordinates in
metres, and facilities of 15 kinds as node indices with their off-network legs). Networks are
saved as ``.npz`` under ``bench/work/`` so that every tool, each in its own process, reads the same
arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
N_KINDS = 15
CUTOFF_M = 1000.0
#: Grid spacing (m) and the nodes served by one facility of each kind (from dense to sparse).
GRID_SPACING_M = 50.0
NODES_PER_FACILITY = np.geomspace(250.0, 25_000.0, N_KINDS)
#: The real extract that is tiled (Haidian, Tsinghua / Wudaokou, 2017; ODbL, see its SOURCE.md).
TILE_EXTRACT = ROOT / "tests" / "data" / "osm_bj_haidian_tsinghua_2017" / "map.osm.pbf"


@dataclass(frozen=True)
class Network:
    """One benchmark input."""

    name: str
    indptr: np.ndarray  # int64 [n + 1]
    indices: np.ndarray  # int32 [m]
    weight_m: np.ndarray  # float64 [m]
    x: np.ndarray  # float64 [n], metres
    y: np.ndarray  # float64 [n], metres
    source_node: np.ndarray  # int32 [s]
    source_kind: np.ndarray  # int32 [s]
    source_offset_m: np.ndarray  # float64 [s], off-network legs

    @property
    def n_nodes(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def n_edges(self) -> int:
        """Undirected edges (each stored twice in the CSR)."""
        return int(self.indices.shape[0] // 2)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            name=np.array(self.name),
            indptr=self.indptr,
            indices=self.indices,
            weight_m=self.weight_m,
            x=self.x,
            y=self.y,
            source_node=self.source_node,
            source_kind=self.source_kind,
            source_offset_m=self.source_offset_m,
        )

    @classmethod
    def load(cls, path: Path, *, coords: bool = True) -> Network:
        """Read a saved network; without ``coords``, ``x`` and ``y`` stay empty (less memory)."""
        with np.load(path) as f:
            return cls(
                name=str(f["name"]),
                indptr=f["indptr"],
                indices=f["indices"],
                weight_m=f["weight_m"],
                x=f["x"] if coords else np.empty(0),
                y=f["y"] if coords else np.empty(0),
                source_node=f["source_node"],
                source_kind=f["source_kind"],
                source_offset_m=f["source_offset_m"],
            )


def csr_from_edges(
    n_nodes: int, u: np.ndarray, v: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected CSR (both directions stored) from an edge list."""
    uu = np.concatenate([u, v]).astype(np.int64)
    vv = np.concatenate([v, u]).astype(np.int32)
    ww = np.concatenate([w, w]).astype(np.float64)
    order = np.argsort(uu, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(uu, minlength=n_nodes), out=indptr[1:])
    return indptr, vv[order], ww[order]


def grid(n_target: int, *, seed: int = 0, facility_scale: float = 1.0) -> Network:
    """A square planar grid of about ``n_target`` nodes, row-major.

    Edges are ``GRID_SPACING_M`` x U(0.8, 1.2) long, rounded to the centimetre, so distances are
    not integers and ties are rare. Kind ``k`` has one facility per ``NODES_PER_FACILITY[k] /
    facility_scale`` nodes at random nodes (several may share a node); legs are U(0, 60) m.
    """
    rng = np.random.default_rng(seed)
    side = round(math.sqrt(n_target))
    n = side * side
    idx = np.arange(n, dtype=np.int64).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    w = np.round(GRID_SPACING_M * rng.uniform(0.8, 1.2, u.shape[0]), 2)
    indptr, indices, weight = csr_from_edges(n, u, v, w)
    row, col = np.divmod(np.arange(n), side)
    counts = np.maximum(1, np.round(n * facility_scale / NODES_PER_FACILITY)).astype(np.int64)
    source_node = rng.integers(0, n, int(counts.sum())).astype(np.int32)
    source_kind = np.repeat(np.arange(N_KINDS, dtype=np.int32), counts)
    name = f"grid_{n}" if facility_scale == 1.0 else f"grid_{n}_fx{facility_scale:g}"
    return Network(
        name=name,
        indptr=indptr,
        indices=indices,
        weight_m=weight,
        x=col * GRID_SPACING_M,
        y=row * GRID_SPACING_M,
        source_node=source_node,
        source_kind=source_kind,
        source_offset_m=np.round(rng.uniform(0.0, 60.0, source_node.shape[0]), 2),
    )


@dataclass(frozen=True)
class _Tile:
    indptr: np.ndarray
    indices: np.ndarray
    weight_m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    source_node: np.ndarray
    source_kind: np.ndarray
    source_offset_m: np.ndarray
    kinds: tuple[str, ...]


def _load_tile() -> _Tile:
    """The real extract through wanzheng's own loader and graph builder; facilities snapped."""
    from scipy.spatial import cKDTree

    from wanzheng.data.osm import load_osm
    from wanzheng.network.graph import build_graph
    from wanzheng.standards import load_kind_rules

    extract = load_osm(TILE_EXTRACT, rules=load_kind_rules())
    graph = build_graph(extract)
    fac = extract.facilities
    top = fac["kind"].value_counts().index[:N_KINDS]
    fac = fac[fac["kind"].isin(top)]
    fx, fy = graph.projection.forward(fac["lon"].to_numpy(), fac["lat"].to_numpy())
    leg, node = cKDTree(np.column_stack([graph.x, graph.y])).query(np.column_stack([fx, fy]))
    kind_index = {k: i for i, k in enumerate(top)}
    return _Tile(
        indptr=np.asarray(graph.indptr, dtype=np.int64),
        indices=np.asarray(graph.indices, dtype=np.int32),
        weight_m=np.asarray(graph.weight_m, dtype=np.float64),
        x=np.asarray(graph.x, dtype=np.float64),
        y=np.asarray(graph.y, dtype=np.float64),
        source_node=node.astype(np.int32),
        source_kind=np.array([kind_index[k] for k in fac["kind"]], dtype=np.int32),
        source_offset_m=np.round(leg, 3),
        kinds=tuple(str(k) for k in top),
    )


def tiled(n_target: int) -> Network:
    """A city-size network: the real extract copied tile by tile on a square layout.

    Tiles sit side by side (50 m apart) and are not joined to each other; facilities are copied
    with their tile. Node numbering is tile by tile, the extract's own order inside a tile.
    """
    tile = _load_tile()
    n_tile = tile.indptr.shape[0] - 1
    n_tiles = max(1, round(n_target / n_tile))
    cols = math.ceil(math.sqrt(n_tiles))
    width = float(tile.x.max() - tile.x.min()) + 50.0
    height = float(tile.y.max() - tile.y.min()) + 50.0
    t = np.arange(n_tiles, dtype=np.int64)
    node_base = t * n_tile
    m = tile.indices.shape[0]
    indptr = np.empty(n_tiles * n_tile + 1, dtype=np.int64)
    indptr[:-1] = (tile.indptr[:-1][None, :] + (t * m)[:, None]).ravel()
    indptr[-1] = n_tiles * m
    indices = (tile.indices[None, :].astype(np.int64) + node_base[:, None]).ravel()
    weight = np.tile(tile.weight_m, n_tiles)
    tr, tc = np.divmod(t, cols)
    x = (tile.x[None, :] + (tc * width)[:, None]).ravel()
    y = (tile.y[None, :] + (tr * height)[:, None]).ravel()
    s = tile.source_node.shape[0]
    source_node = (tile.source_node[None, :].astype(np.int64) + node_base[:, None]).ravel()
    return Network(
        name=f"tiled_{n_tiles * n_tile}",
        indptr=indptr,
        indices=indices.astype(np.int32),
        weight_m=weight,
        x=x,
        y=y,
        source_node=source_node.astype(np.int32),
        source_kind=np.tile(tile.source_kind, n_tiles),
        source_offset_m=np.tile(tile.source_offset_m, n_tiles) if s else np.empty(0),
    )


def ensure(kind: str, n_target: int, *, facility_scale: float = 1.0) -> Path:
    """Build the network once and return the path of its ``.npz`` under ``bench/work``."""
    path = WORK / f"{kind}_{n_target}_fx{facility_scale:g}.npz"
    if not path.exists():
        net = grid(n_target, facility_scale=facility_scale) if kind == "grid" else tiled(n_target)
        net.save(path)
    return path
