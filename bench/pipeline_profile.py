"""Time and peak memory of every stage of ``wanzheng audit`` on city-size tiled OSM files.

``python -m bench.pipeline_profile [--nodes 100000 1000000 2000000]``
``python -m bench.pipeline_profile --memo FILE…`` (hit rate of the kind memo per file)

For each target size, a ``.osm.pbf`` is made (once, cached under ``bench/work/pipeline/``) by
tiling the real Zhuhai Xiangzhou extract (``tests/data/osm_zhuhai_xiangzhou_2022``) N times with
coordinate and id offsets (``bench.osm_tiles.tile_osm``: every object with all its tags, so
facilities, communities and buildings tile too). Each size then runs in its own process
(``--one FILE``), which calls what ``wanzheng audit`` calls, in-process:

``load_osm`` → ``run_audit`` (``build_graph``, ``snap``, ``nearest_by_kind`` timed separately by
wrapping them; everything else inside ``run_audit`` is "audit rest") → ``write_outputs``.

Peak memory per stage: a sampler thread reads the process's resident set size every 2 ms; the
stage's figure is the highest RSS seen while it ran (the whole process, so it includes what earlier
stages still hold). The last column of the table is the process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "pipeline"
EXTRACT = ROOT / "tests" / "data" / "osm_zhuhai_xiangzhou_2022" / "map.osm.pbf"
STAGES = ("load_osm", "build_graph", "snap", "distances", "audit rest", "write_outputs")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_mb() -> float:
    with open("/proc/self/statm", "rb") as handle:
        return int(handle.read().split()[1]) * _PAGE / 2**20


class StageMeter:
    """Wall time and highest RSS per stage; stages may nest (the inner one is charged)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}
        self._stack: list[str] = []
        self._t = time.perf_counter()
        self._cpu = time.process_time()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._note()

    def _note(self) -> None:
        rss = _rss_mb()
        with self._lock:
            if self._stack:
                label = self._stack[-1]
                self.peak_mb[label] = max(self.peak_mb.get(label, 0.0), rss)

    def _switch(self, push: str | None) -> None:
        self._note()
        now = time.perf_counter()
        cpu = time.process_time()
        with self._lock:
            if self._stack:
                label = self._stack[-1]
                self.seconds[label] = self.seconds.get(label, 0.0) + now - self._t
                self.cpu_seconds[label] = self.cpu_seconds.get(label, 0.0) + cpu - self._cpu
            if push is None:
                self._stack.pop()
            else:
                self._stack.append(push)
            self._t = now
            self._cpu = cpu
        self._note()

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        self._switch(label)
        try:
            yield
        finally:
            self._switch(None)

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(label):
                return func(*args, **kwargs)

        return timed

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def profile_one(osm: Path) -> dict[str, Any]:
    """Run the pipeline once on ``osm`` in this process; stage times, peaks and sizes."""
    import resource

    import wanzheng.audit.run as audit_run
    from wanzheng.data.osm import load_osm
    from wanzheng.report import write_outputs
    from wanzheng.standards import load_catalogue, load_kind_rules

    catalogue = load_catalogue()
    rules = load_kind_rules()
    meter = StageMeter()
    audit_run.build_graph = meter.wrap("build_graph", audit_run.build_graph)  # type: ignore[attr-defined]
    audit_run.snap = meter.wrap("snap", audit_run.snap)  # type: ignore[attr-defined]
    audit_run.nearest_by_kind = meter.wrap("distances", audit_run.nearest_by_kind)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    with meter.stage("load_osm"):
        extract = load_osm(osm, rules=rules)
    with meter.stage("audit rest"):
        result = audit_run.run_audit(extract, catalogue=catalogue, sources={"osm_file": osm.name})
    with tempfile.TemporaryDirectory() as tmp, meter.stage("write_outputs"):
        write_outputs(result, Path(tmp) / "out")
    total = time.perf_counter() - t0
    meter.close()
    src = result.sources
    return {
        "osm": osm.name,
        "nodes": int(src["n_nodes"]),
        "osm_nodes": len(extract.node_id),
        "edges": len(extract.edge_u),
        "facilities": int(src["n_facilities"]),
        "communities": len(extract.communities),
        "buildings": len(extract.buildings),
        "seconds": meter.seconds,
        "cpu_seconds": meter.cpu_seconds,
        "peak_mb": meter.peak_mb,
        "total_s": total,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def memo_rates(paths: list[Path]) -> str:
    """Markdown table: how often ``kinds_for_tags`` answered from its memo in ``load_osm``.

    Each file is read with fresh rules, so the counts are those of one real run.
    """
    from wanzheng.data.osm import load_osm
    from wanzheng.standards import load_kind_rules

    lines = [
        "| file | calls | from memo | evaluated, remembered | name holds a rule word | "
        "patterns | hit rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        rules = load_kind_rules()
        load_osm(path, rules=rules)
        info = rules.memo_info()
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        lines.append(
            f"| {name} | {info.calls:,} | {info.hits:,} | {info.misses:,} | "
            f"{info.name_decides:,} | {info.size:,} | {info.hit_rate:.1%} |"
        )
    return "\n".join(lines)


def tiled_file(n_nodes: int) -> Path:
    """The tiled ``.osm.pbf`` with about ``n_nodes`` walking-network nodes (made once)."""
    from bench.osm_tiles import tile_osm
    from wanzheng.data.osm import load_osm
    from wanzheng.standards import load_kind_rules

    per_tile = len(load_osm(EXTRACT, rules=load_kind_rules()).node_id)
    n_tiles = max(1, round(n_nodes / per_tile))
    out = WORK / f"zhuhai_x{n_tiles}.osm.pbf"
    if not out.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"tmp_{out.name}")
        tile_osm(EXTRACT, n_tiles, tmp)
        tmp.rename(out)
    return out


def _table(rows: list[dict[str, Any]]) -> str:
    """Per stage: wall seconds (CPU seconds of all the process's threads) / highest RSS."""
    head = "| network nodes | " + " | ".join(STAGES) + " | total | peak RSS |"
    lines = [head, "|" + "---|" * (len(STAGES) + 3)]
    for row in rows:
        cells = [f"{row['nodes']:,}"]
        for stage in STAGES:
            sec = row["seconds"].get(stage, math.nan)
            cpu = row.get("cpu_seconds", {}).get(stage, math.nan)
            mb = row["peak_mb"].get(stage, math.nan)
            cells.append(f"{sec:.2f} s ({cpu:.2f}) / {mb:,.0f} MB")
        cells.append(f"{row['total_s']:.2f} s")
        cells.append(f"{row['max_rss_mb']:,.0f} MB")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[100_000, 1_000_000, 2_000_000])
    parser.add_argument("--one", type=Path, help="profile this file in this process (internal)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument(
        "--memo",
        type=Path,
        nargs="+",
        help="only print the kind memo's hit rate when reading these OSM files",
    )
    args = parser.parse_args()
    if args.memo:
        print(memo_rates(args.memo))
        return
    if args.one is not None:
        print(json.dumps(profile_one(args.one)))
        return
    rows = []
    for n in args.nodes:
        osm = tiled_file(n)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.pipeline_profile", "--one", str(osm)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            raise SystemExit(f"{osm.name}: profile failed")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{osm.name}: {row['nodes']:,} nodes, {row['total_s']:.1f} s", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    print(_table(rows))


if __name__ == "__main__":
    main()
