"""reach: exact cuts on a hand-checkable grid, and cut points checked by snapping on CAU."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from wanzheng.data.osm import load_osm
from wanzheng.errors import RoutingError
from wanzheng.network.graph import WalkGraph, build_graph
from wanzheng.network.isochrone import Isochrone, reach
from wanzheng.network.snapping import snap

Grid = Callable[..., WalkGraph]
ToLonLat = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]


def _projected(graph: WalkGraph, geometry: shapely.Geometry) -> shapely.Geometry:
    def forward(lonlat: np.ndarray) -> np.ndarray:
        return np.stack(graph.projection.forward(lonlat[:, 0], lonlat[:, 1]), axis=1)

    return shapely.transform(geometry, forward)


def _inside(graph: WalkGraph, iso: Isochrone, x: float, y: float) -> bool:
    return bool(_projected(graph, iso.polygon).contains(shapely.Point(x, y)))


def test_corner_of_a_grid(grid: Grid) -> None:
    g = grid()  # 4 × 4 nodes, 100 m apart, node 0 at (0, 0)
    (iso,) = reach(g, 0, limits_m=[150.0])
    # whole: (0,0)–(100,0) and (0,0)–(0,100); cut at 50 m: along y=0 and x=0 beyond them,
    # and up x=100 and along y=100 from the two reached nodes
    assert iso.length_m == pytest.approx(400.0, abs=1e-9)
    assert iso.nodes.tolist() == [0, 1, 4]
    lines = _projected(g, iso.lines)
    assert lines.length == pytest.approx(400.0, abs=1e-4)
    assert len(lines.geoms) == 6
    ends = {tuple(np.round(c, 3)) for line in lines.geoms for c in np.asarray(line.coords)}
    assert {(150.0, 0.0), (0.0, 150.0), (100.0, 50.0), (50.0, 100.0)} <= ends
    # the band: 40 m around the reached lines
    assert _inside(g, iso, 140.0, 39.0)
    assert not _inside(g, iso, 175.0, 45.0)  # 51.5 m from (150, 0), 75 m from (100, 50)
    assert not _inside(g, iso, 300.0, 300.0)
    assert _projected(g, iso.polygon).area == pytest.approx(
        shapely.buffer(lines, 40.0, quad_segs=4).area, rel=1e-6
    )


def test_several_limits_and_a_leg(grid: Grid) -> None:
    g = grid()
    small, whole, none = reach(g, 5, limits_m=[100.0, 1000.0, 20.0], origin_leg_m=30.0)
    # node 5 at (100, 100): 70 m along each of its four edges
    assert small.length_m == pytest.approx(280.0, abs=1e-9)
    assert small.limit_m == 100.0
    assert whole.length_m == pytest.approx(g.edge_length_m.sum(), abs=1e-9)
    assert whole.nodes.size == g.n_nodes
    assert none.length_m == 0.0 and none.lines.is_empty and none.polygon.is_empty
    assert none.nodes.size == 0


def test_zero_limit(grid: Grid) -> None:
    (iso,) = reach(grid(), 0, limits_m=[0.0])
    assert iso.lines.is_empty and iso.nodes.tolist() == [0]


def test_bad_arguments(grid: Grid) -> None:
    g = grid()
    with pytest.raises(RoutingError, match="origin node 16 is not in the network"):
        reach(g, 16)
    with pytest.raises(RoutingError, match="limit must be a finite distance"):
        reach(g, 0, limits_m=[-5.0])
    with pytest.raises(RoutingError, match="buffer_m"):
        reach(g, 0, buffer_m=float("nan"))


def test_from_a_snapped_origin(grid: Grid, to_lonlat: ToLonLat) -> None:
    g = grid()
    lon, lat = to_lonlat([150.0], [30.0])
    g2, (s,) = snap(g, [(lon, lat)])
    (iso,) = reach(g2, int(s.node[0]), limits_m=[130.0], origin_leg_m=float(s.leg_m[0]))
    # 100 m of network budget from (150, 0): 50 m to each neighbour node, then 50 m on
    # along y = 0 (to x = 50 and x = 250) and 50 m up x = 100 and x = 200
    assert iso.length_m == pytest.approx(300.0, abs=1e-6)
    ends = _projected(g2, iso.lines).bounds
    assert ends == pytest.approx((50.0, 0.0, 250.0, 50.0), abs=1e-4)


class NoKinds:
    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        return frozenset()


def test_cau_cut_points_are_at_the_limit(cau_pbf: Path) -> None:
    g = build_graph(load_osm(cau_pbf, rules=NoKinds()))
    rng = np.random.default_rng(11)
    origins = rng.choice(np.flatnonzero(g.component == g.largest_component), 3, replace=False)
    for origin in origins.tolist():
        iso300, iso1000 = reach(g, origin, limits_m=[300.0, 1000.0])
        assert iso300.polygon.is_valid and iso1000.polygon.is_valid
        assert iso300.length_m < iso1000.length_m
        assert iso1000.polygon.contains(iso300.lines)
        d = dijkstra(g.csr(), directed=False, indices=origin)
        assert iso300.nodes.tolist() == np.flatnonzero(d <= 300.0).tolist()
        # every line end that is not a node is a cut point: snap it back in and measure it
        ends = np.array([line.coords[-1] for line in iso300.lines.geoms])
        x, y = g.projection.forward(ends[:, 0], ends[:, 1])
        at_node = np.array(
            [np.min(np.hypot(g.x - a, g.y - b)) < 1e-3 for a, b in zip(x, y, strict=True)]
        )
        cuts = ends[~at_node]
        assert cuts.shape[0] > 0
        g2, (s,) = snap(g, [(cuts[:, 0], cuts[:, 1])], component="any")
        assert np.all(s.leg_m < 1e-3)
        d2 = dijkstra(g2.csr(), directed=False, indices=origin)
        np.testing.assert_allclose(d2[s.node], 300.0, atol=0.01)
