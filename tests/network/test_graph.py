"""build_graph: hand-checkable arrays, and distances cross-checked against networkx on CAU."""

from __future__ import annotations

import bz2
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest
from scipy.sparse.csgraph import dijkstra

from wanzheng.data.osm import load_osm
from wanzheng.errors import RoutingError
from wanzheng.network.graph import WalkGraph, build_graph, graph_from_arrays


class NoKinds:
    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        return frozenset()


@pytest.fixture(scope="module")
def cau_graph(cau_pbf: Path) -> WalkGraph:
    return build_graph(load_osm(cau_pbf, rules=NoKinds()))


def test_duplicates_and_self_loops() -> None:
    lon = [116.0, 116.001, 116.002]
    lat = [40.0, 40.0, 40.0]
    g = graph_from_arrays(
        lon,
        lat,
        [0, 1, 0, 1, 2, 2],
        [1, 0, 1, 1, 1, 1],
        edge_length_m=[90.0, 80.0, 95.0, 5.0, 70.0, 60.0],
        edge_way=[1, 2, 3, 4, 5, 6],
        edge_highway=["a", "b", "c", "d", "e", "f"],
    )
    # 0–1 three times (keep the 80 m one, way 2), 1–1 a loop, 2–1 twice (keep 60 m, way 6)
    assert g.edge_way.tolist() == [2, 6]
    assert g.edge_u.tolist() == [1, 2] and g.edge_v.tolist() == [0, 1]
    assert g.edge_length_m.tolist() == [80.0, 60.0]
    assert g.edge_highway.tolist() == ["b", "f"]
    assert g.indptr.tolist() == [0, 1, 3, 4]
    assert g.indices.tolist() == [1, 0, 2, 1]
    assert g.weight_m.tolist() == [80.0, 80.0, 60.0, 60.0]
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
    assert g.node_osm_id.tolist() == [-1, -1, -1]
    assert g.largest_component_size == 3


def test_geodesic_lengths_and_components() -> None:
    # two separate segments: 0–1 along a parallel, 2–3 along a meridian
    g = graph_from_arrays([116.0, 116.01, 117.0, 117.0], [40.0, 40.0, 40.0, 40.01], [0, 2], [1, 3])
    geod = pyproj.Geod(ellps="WGS84")
    assert g.edge_length_m[0] == pytest.approx(geod.inv(116.0, 40.0, 116.01, 40.0)[2], abs=1e-9)
    # 0.01° of latitude at 40° N is 1,110.6 m on the ellipsoid (about 1,111 m)
    assert g.edge_length_m[1] == pytest.approx(1110.6, abs=0.5)
    assert g.component.tolist()[0] == g.component.tolist()[1] != g.component.tolist()[2]
    assert g.largest_component_size == 2


def test_projection_is_metric() -> None:
    g = graph_from_arrays([116.35, 116.36], [40.0, 40.0], [0], [1])
    planar = float(np.hypot(g.x[1] - g.x[0], g.y[1] - g.y[0]))
    assert planar == pytest.approx(g.edge_length_m[0], rel=1e-5)
    lon, lat = g.projection.inverse(g.x, g.y)
    np.testing.assert_allclose(lon, g.lon, atol=1e-10)
    np.testing.assert_allclose(lat, g.lat, atol=1e-10)


def test_bad_arrays() -> None:
    with pytest.raises(RoutingError, match="does not exist"):
        graph_from_arrays([116.0, 116.1], [40.0, 40.0], [0], [2])
    with pytest.raises(RoutingError, match="no walkable ways"):
        graph_from_arrays([116.0, 116.1], [40.0, 40.0], [1], [1])


def test_cau_graph_shape(cau_graph: WalkGraph) -> None:
    g = cau_graph
    assert g.n_nodes == 1409
    assert g.n_edges <= 1584  # parallel duplicates dropped
    assert g.indptr[-1] == 2 * g.n_edges
    assert np.all(g.edge_length_m > 0)
    # symmetric CSR
    a = g.csr()
    assert abs(a - a.T).max() == 0
    assert g.largest_component_size == np.bincount(g.component).max()
    assert 1000 < g.largest_component_size < g.n_nodes
    assert g.source.endswith("map.osm.pbf")


def _xml_graph(path: Path) -> nx.Graph:
    """The walking graph written independently: xml.etree, geodesic lengths, networkx."""
    with bz2.open(path) as handle:
        root = ET.parse(handle).getroot()
    where = {
        int(n.get("id", "0")): (float(n.get("lon", "nan")), float(n.get("lat", "nan")))
        for n in root.iter("node")
    }
    walk = {
        "footway", "path", "pedestrian", "steps", "corridor", "living_street", "residential",
        "service", "unclassified", "road", "track", "cycleway", "bridleway", "tertiary",
        "tertiary_link", "secondary", "secondary_link", "primary", "primary_link",
    }  # fmt: skip
    geod = pyproj.Geod(ellps="WGS84")
    graph = nx.Graph()
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") not in walk or tags.get("foot") in ("no", "use_sidepath"):
            continue
        if tags.get("access") in ("private", "no") and tags.get("foot") not in (
            "yes", "designated", "permissive",
        ):  # fmt: skip
            continue
        refs = [int(nd.get("ref", "0")) for nd in way.iter("nd")]
        for a, b in itertools.pairwise(refs):
            if a == b:
                continue
            length = geod.inv(*where[a], *where[b])[2]
            if not graph.has_edge(a, b) or graph[a][b]["w"] > length:
                graph.add_edge(a, b, w=length)
    return graph


def test_distances_equal_networkx(cau_graph: WalkGraph, cau_osm_bz2: Path) -> None:
    reference = _xml_graph(cau_osm_bz2)
    g = cau_graph
    assert reference.number_of_edges() == g.n_edges
    rng = np.random.default_rng(7)
    largest = np.flatnonzero(g.component == g.largest_component)
    sources = rng.choice(largest, size=12, replace=False)
    dist = dijkstra(g.csr(), directed=False, indices=sources)
    compared = 0
    for row, s in enumerate(sources.tolist()):
        lengths = nx.single_source_dijkstra_path_length(
            reference, int(g.node_osm_id[s]), weight="w"
        )
        targets = rng.choice(g.n_nodes, size=40, replace=False)
        for t in targets.tolist():
            expected = lengths.get(int(g.node_osm_id[t]), np.inf)
            if np.isinf(expected):
                assert np.isinf(dist[row, t])
            else:
                assert abs(dist[row, t] - expected) <= 0.01
                compared += 1
    assert compared > 300
