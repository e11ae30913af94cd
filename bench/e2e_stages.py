"""One end-to-end run in its own process, timed per stage; one JSON line out.

``--tool wanzheng``: the calls ``wanzheng audit`` makes (load_osm → run_audit → write_outputs),
timed at the stage labels run_audit reports: parse, graph, snap, distances, verdicts, outputs.

``--tool osmnx_pandana``: the pipeline a user would otherwise write for the same question —
OSMnx ``graph_from_xml`` (parse + graph), OSMnx ``features_from_xml`` for the facilities (kinds
assigned with wanzheng's own tag rules, so both see the same facilities), pandana
``Network`` + ``precompute`` (graph), and per kind ``set_pois`` + ``nearest_pois`` (distances).
It stops at distances per network node: no verdicts and no report, so it does less work than
wanzheng's pipeline.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Clock:
    """Stage timer: ``mark(label)`` closes the running stage and opens ``label``."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._label: str | None = None
        self._t = time.perf_counter()

    def mark(self, label: str | None) -> None:
        now = time.perf_counter()
        if self._label is not None:
            self.stages[self._label] = self.stages.get(self._label, 0.0) + now - self._t
        self._label, self._t = label, now


def run_wanzheng(osm: Path, out: Path) -> tuple[dict[str, float], dict[str, int]]:
    from wanzheng.audit.run import run_audit
    from wanzheng.data.osm import load_osm
    from wanzheng.report import write_outputs
    from wanzheng.standards import load_catalogue, load_kind_rules

    clock = Clock()
    clock.mark("parse")
    catalogue = load_catalogue()
    extract = load_osm(osm, rules=load_kind_rules())
    result = run_audit(extract, catalogue=catalogue, sources={"osm_file": osm.name},
                       step=clock.mark)  # fmt: skip
    clock.mark("outputs")
    write_outputs(result, out)
    clock.mark(None)
    src = result.sources
    return clock.stages, {"nodes": int(src["n_nodes"]), "facilities": int(src["n_facilities"])}


def run_osmnx_pandana(osm_xml: Path) -> tuple[dict[str, float], dict[str, int]]:
    import numpy as np
    import osmnx as ox
    import pandana
    import pandas as pd

    from wanzheng.standards import load_catalogue, load_kind_rules

    catalogue = load_catalogue()
    kinds = [k.key for k in catalogue.audited]
    cutoff = max(float(k.threshold_m) for k in catalogue.audited if k.threshold_m is not None)
    rules = load_kind_rules()
    clock = Clock()
    clock.mark("parse + graph (osmnx)")
    graph = ox.graph_from_xml(osm_xml, bidirectional=True, retain_all=True)
    nodes, edges = ox.graph_to_gdfs(graph)
    clock.mark("facilities (osmnx)")
    tags: dict[str, bool | str | list[str]] = {
        "amenity": True,
        "shop": True,
        "leisure": True,
        "healthcare": True,
        "highway": "bus_stop",
    }
    features = ox.features_from_xml(osm_xml, tags=tags)
    tag_cols = [c for c in features.columns if c not in ("geometry", "nodes", "ways")]
    records = features[tag_cols].to_dict("records")
    kind_of = [rules.kinds_for_tags({k: v for k, v in r.items() if isinstance(v, str)})
               for r in records]  # fmt: skip
    centroids = features.geometry.centroid
    clock.mark("graph (pandana)")
    edges = edges.reset_index()
    net = pandana.Network(nodes["x"], nodes["y"], edges["u"], edges["v"], edges[["length"]],
                          twoway=False)  # fmt: skip
    net.precompute(cutoff)
    clock.mark("distances (pandana)")
    n_fac = 0
    for kind in kinds:
        pick = np.array([kind in ks for ks in kind_of], dtype=bool)
        if not pick.any():
            continue
        n_fac += int(pick.sum())
        net.set_pois(category=kind, maxdist=cutoff, maxitems=1,
                     x_col=pd.Series(centroids.x[pick].to_numpy()),
                     y_col=pd.Series(centroids.y[pick].to_numpy()))  # fmt: skip
        net.nearest_pois(cutoff, kind, num_pois=1)
    clock.mark(None)
    return clock.stages, {"nodes": len(nodes), "facilities": n_fac}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", choices=("wanzheng", "osmnx_pandana"), required=True)
    parser.add_argument("--osm", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.tool == "wanzheng":
        stages, sizes = run_wanzheng(args.osm, args.out)
    else:
        stages, sizes = run_osmnx_pandana(args.osm)
    total = time.perf_counter() - t0
    print(json.dumps({"tool": args.tool, "osm": args.osm.name, "stages": stages,
                      "total_s": total, "peak_rss_mb": _peak_mb(), **sizes}))  # fmt: skip


if __name__ == "__main__":
    main()
