"""Batch audits: many areas serially against a local Dask cluster, speed-up per core, overhead.

``python -m bench.batch_bench [--workers 2] [--quick]`` (``make bench-batch``) builds areas from
the real Haidian Tsinghua / Wudaokou extract (``tests/data/osm_bj_haidian_tsinghua_2017``,
ODbL) copied tile by tile (``bench/osm_tiles.py``: shifted copies side by side, not joined), so
that their size varies from one tile to city size, writes a manifest per scenario and runs
``wanzheng.batch.run_batch`` on it

* serially (``serial=True``: one area after the other in one process, no Dask), and
* on a local cluster of ``--workers`` worker processes with one thread each (what
  ``wanzheng batch run`` starts without ``--scheduler``),

each in a fresh Python process, every area forced to run (``force=True``). Times are wall
clock from the call to its return; the cluster's start-up (spawning the scheduler and the
workers, until ``on_start``) and shut-down (from the last area's ``done`` event to the return:
the worker processes exiting, which a serial run's time does not hold either) are measured
apart. *Speed-up* = serial time ÷ cluster time (start-up and shut-down excluded, and in a second
column included); *per core* = speed-up ÷ workers. *Overhead per area* = (cluster time ×
workers − serial time) ÷ areas: what the cluster costs an area beyond the audit itself (sending
the task, the events, the result, the worker's housekeeping). *Task CPU per area*: the CPU time
of the process running each area during its task (``AreaOutcome.cpu_seconds``), serial against
cluster — the figure the machine's other load hardly moves. The audit's stack
(:mod:`wanzheng.batch.warm`) is imported before the clock in both: by the serial process before
its first area, by each worker while it starts (its preload, inside the start-up).

Both runs write the same folders; the benchmark checks that every area's ``communities.csv``
is byte-identical between them. Figures go into the ``batch`` block of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "osm_bj_haidian_tsinghua_2017" / "map.osm.pbf"

# (scenario, number of areas, tiles per area): small areas show the overhead; large ones
# (>= 100k network nodes each) the speed-up the issue asks for
SCENARIOS = (
    ("small", 32, 1),
    ("mixed", 6, (1, 2, 4, 8, 16, 32)),
    ("large", 4, 64),
)
QUICK = (("small", 8, 1), ("large", 2, 16))


def _areas(work: Path, name: str, n: int, tiles: int | tuple[int, ...], parts: int) -> Path:
    """The scenario's manifest, and beside it ``batch-part{j}.toml``: its areas dealt to
    ``parts`` manifests, each area in turn to the part with the fewest tiles so far (the
    largest first), for the plain processes side by side."""
    from bench.osm_tiles import tile_osm

    sizes = tiles if isinstance(tiles, tuple) else (tiles,) * n
    lines = []
    for i, t in enumerate(sizes):
        src = work / "extracts" / f"thu_x{t}.osm.pbf"
        if not src.exists():
            src.parent.mkdir(parents=True, exist_ok=True)
            tile_osm(SOURCE, t, src)
        lines.append(
            f'[[area]]\nname = "{name}-{i:02d}-x{t}"\nosm = "{src}"\nout = "out/{name}-{i:02d}"\n'
        )
    manifest = work / name / "batch.toml"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("\n".join(lines), encoding="utf-8")
    load = [0] * parts
    dealt: list[list[str]] = [[] for _ in range(parts)]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        j = load.index(min(load))
        load[j] += sizes[i]
        dealt[j].append(lines[i])
    for j, part in enumerate(dealt):
        (manifest.parent / f"batch-part{j}.toml").write_text("\n".join(part), encoding="utf-8")
    return manifest


CHILD = """
import json, sys, time
from pathlib import Path
from wanzheng.batch import load_manifest, run_batch
import wanzheng.batch.run
if sys.argv[3] == "warm":
    # the audit's stack imported before the clock, as the cluster's workers do while they start
    import wanzheng.batch.warm
else:  # as before the preload: imported by the first area, in its time, on every worker
    wanzheng.batch.run.PRELOAD = ()
areas = load_manifest(Path(sys.argv[1]))
mode = sys.argv[2]
if len(sys.argv) > 4:  # plain processes side by side: start together, after the imports
    while time.time() < float(sys.argv[4]):
        time.sleep(0.002)
started = {}
finished = {}
def on_start(address, dashboard):
    started["s"] = time.perf_counter() - t1
def on_stage(area, stage):
    # the last area's end: its task announces "done" as it returns (a worker's event on the
    # cluster, a plain call when serial); what follows is shutting the cluster down
    if stage in ("done", "failed", "skipped"):
        finished["s"] = time.perf_counter() - t1
kw = {"serial": True} if mode == "serial" else {"workers": int(mode), "dashboard_address": ":0"}
t1 = time.perf_counter()  # read by the callbacks, which run only inside run_batch
epoch = time.time()
run = run_batch(areas, force=True, on_start=on_start, on_stage=on_stage, **kw)
wall = time.perf_counter() - t1
print(json.dumps({
    "wall_s": wall,
    "span": [epoch, epoch + wall],
    "startup_s": started.get("s", 0.0),
    "shutdown_s": wall - finished.get("s", wall),
    "areas": [{"name": o.name, "status": o.status, "seconds": o.seconds,
               "cpu_s": o.cpu_seconds, "peak": o.peak_rss_bytes, "message": o.message}
              for o in run.outcomes],
}))
"""


def _machine_busy_s() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux ``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _run(manifest: Path, mode: str, *, warm: bool = True) -> dict[str, object]:
    busy = _machine_busy_s()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(manifest), mode, "warm" if warm else "cold"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"batch {mode} on {manifest} failed:\n{proc.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    # CPU of the run and every process it started (the cluster's workers included, reaped)
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # what the rest of the machine ran meanwhile: on 2 cores one busy foreign thread leaves the
    # serial run its core but takes a third of the cluster's two (3 threads share 2 cores)
    busy_after = _machine_busy_s()
    result["other_cpu_s"] = (
        None if busy is None or busy_after is None else busy_after - busy - float(result["cpu_s"])
    )
    areas = result["areas"]
    assert isinstance(areas, list)
    bad = [a for a in areas if a["status"] != "done"]
    if bad:
        raise SystemExit(f"batch {mode}: areas failed: {bad}")
    return result


def _cpu(value: object, digits: int = 1) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _task_cpu(run: dict[str, object]) -> float:
    """CPU s per area measured inside the task (the worker process's, or the serial one's)."""
    areas = run["areas"]
    assert isinstance(areas, list)
    return sum(float(a["cpu_s"]) for a in areas) / len(areas)


def _run_plain(manifest: Path, parts: int) -> dict[str, object]:
    """The ceiling: ``parts`` plain processes side by side, each auditing its share of the
    areas serially (``batch-part{j}.toml``, the serial code path, no Dask)."""
    busy = _machine_busy_s()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    go = f"{time.time() + 4.0:.3f}"  # after every process has imported its stack
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(manifest.parent / f"batch-part{j}.toml"),
                "serial",
                "warm",
                go,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for j in range(parts)
    ]
    outs = [p.communicate() for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        if p.returncode != 0:
            raise SystemExit(f"plain processes on {manifest} failed:\n{err[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busy_after = _machine_busy_s()
    areas = [a for r in runs for a in r["areas"]]
    bad = [a for a in areas if a["status"] != "done"]
    if bad:
        raise SystemExit(f"plain processes: areas failed: {bad}")
    return {
        # from the first process's start to the last one's end
        "wall_s": max(r["span"][1] for r in runs) - min(r["span"][0] for r in runs),
        "cpu_s": cpu,
        "other_cpu_s": None if busy is None or busy_after is None else busy_after - busy - cpu,
        "areas": areas,
    }


def _nodes(manifest: Path) -> list[int]:
    """Network nodes of every area's audit (its provenance in audit.gpkg, layer dashboard)."""
    import pyogrio.raw

    nodes = []
    for folder in sorted((manifest.parent / "out").iterdir()):
        _, _, _, (names, texts) = pyogrio.raw.read(folder / "audit.gpkg", layer="dashboard")
        sources = json.loads(texts[list(names).index("sources")])
        nodes.append(int(sources["n_nodes"]))
    return nodes


def _snapshot(manifest: Path) -> dict[str, bytes]:
    out = manifest.parent / "out"
    return {f.name: (f / "communities.csv").read_bytes() for f in sorted(out.iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a few small scenarios only")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    parser.add_argument("--only", help="one scenario (small, mixed, large)")
    parser.add_argument(
        "--compare-cold",
        action="store_true",
        help="each scenario also without the preload (the stack imported by the first area)",
    )
    args = parser.parse_args()
    scenarios = QUICK if args.quick else SCENARIOS
    if args.only:
        scenarios = tuple(s for s in SCENARIOS if s[0] == args.only)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wanzheng-batch-bench-") as tmp:
        work = Path(tmp)
        for (name, n, tiles), warm in itertools.product(
            scenarios, (False, True) if args.compare_cold else (True,)
        ):
            manifest = _areas(work, name, n, tiles, args.workers)
            serial = _run(manifest, "serial", warm=warm)
            first = _snapshot(manifest)
            cluster = _run(manifest, str(args.workers), warm=warm)
            if _snapshot(manifest) != first:
                raise SystemExit(f"{name}: serial and cluster tables differ")
            plain = _run_plain(manifest, args.workers) if warm else None
            if plain is not None and _snapshot(manifest) != first:
                raise SystemExit(f"{name}: serial and plain processes' tables differ")
            nodes = _nodes(manifest)
            s_wall = float(serial["wall_s"])  # type: ignore[arg-type]
            c_wall = float(cluster["wall_s"])  # type: ignore[arg-type]
            start = float(cluster["startup_s"])  # type: ignore[arg-type]
            stop = float(cluster["shutdown_s"])  # type: ignore[arg-type]
            c_areas = c_wall - start - stop  # from the cluster ready to the last area's end
            peak = max(int(a["peak"] or 0) for a in cluster["areas"])  # type: ignore[union-attr]
            row = {
                "scenario": name if warm else f"{name}, no preload",
                "areas": n,
                "nodes_min": min(nodes),
                "nodes_max": max(nodes),
                "serial_s": s_wall,
                "cluster_s": c_areas,
                "startup_s": start,
                "shutdown_s": stop,
                "speedup": s_wall / c_areas,
                "speedup_with_start": s_wall / c_wall,
                "per_core": s_wall / c_areas / args.workers,
                "overhead_per_area_s": (c_areas * args.workers - s_wall) / n,
                "plain_s": None if plain is None else float(plain["wall_s"]),  # type: ignore[arg-type]
                "plain_cpu_s": None if plain is None else float(plain["cpu_s"]),  # type: ignore[arg-type]
                "task_cpu_plain_s": None if plain is None else _task_cpu(plain),
                "other_cpu_plain_s": None if plain is None else plain["other_cpu_s"],
                "task_cpu_serial_s": _task_cpu(serial),
                "task_cpu_cluster_s": _task_cpu(cluster),
                "serial_cpu_s": float(serial["cpu_s"]),  # type: ignore[arg-type]
                "cluster_cpu_s": float(cluster["cpu_s"]),  # type: ignore[arg-type]
                "cpu_overhead_per_area_s": (
                    float(cluster["cpu_s"]) - float(serial["cpu_s"])  # type: ignore[arg-type]
                )
                / n,
                "other_cpu_serial_s": serial["other_cpu_s"],
                "other_cpu_cluster_s": cluster["other_cpu_s"],
                "peak_gib": peak / 2**30,
                "load": os.getloadavg()[0],
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    load_after = os.getloadavg()
    body = _block(rows, args.workers, load_before, load_after)
    print(body)
    if not args.no_write and not args.quick:
        from bench.docs import BENCHMARKS_MD, write_block

        write_block("batch", body + _kept_reading(BENCHMARKS_MD))


#: Where the hand-written reading of a run starts inside the block (it carries its own date).
READING = "\nReading (written by hand"


def _kept_reading(path: Path) -> str:
    """The hand-written reading of the block now in ``path``, to keep below fresh rows.

    It names the run it read (date, figures), so it stays true after a rerun; a new reading
    replaces it by hand.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find("<!-- BEGIN batch -->"), text.find("<!-- END batch -->")
    at = text.find(READING, start, end) if start >= 0 and end > start else -1
    return "" if at < 0 else "\n" + text[at:end].rstrip() + "\n"


def _block(
    rows: list[dict[str, object]],
    workers: int,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
) -> str:
    from bench.docs import _lscpu

    cpu = _lscpu().get("Model name", "unknown CPU")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Batch audits: serially against a local Dask cluster",
        "",
        f"Measured {when} on this machine ({os.cpu_count()} CPUs, {cpu}; load average "
        f"{before[0]:.2f} before and {after[0]:.2f} after the run — the machine is shared with "
        f"other work, so the figures vary with it) by `python -m bench.batch_bench` "
        f"(`make bench-batch`). Areas are copies of the real Haidian Tsinghua / Wudaokou extract "
        f"(OSM, ODbL), 1 to 64 tiles side by side; each area is audited in full (OSM read, "
        f"graph, snapping, distances, verdicts, the five output files). *Serial*: "
        f"`run_batch(serial=True)`, one area after the other in one process; *cluster*: a "
        f"LocalCluster of {workers} worker processes with one thread each (as `wanzheng batch "
        f"run` starts); *plain processes*: the ceiling, {workers} plain processes started "
        f"together, each auditing its share of the areas serially (the serial code path, no "
        f"Dask; shares dealt by size). All in fresh processes; the cluster's start-up and "
        f"shut-down (the workers exiting after the last area) are given apart. Speed-up = "
        f"serial ÷ cluster "
        f"(in brackets: with start-up and shut-down); per core = speed-up ÷ {workers}; overhead "
        f"per area = (cluster × {workers} − serial) ÷ areas. Every area's `communities.csv` was "
        f"byte-identical "
        f"in all three runs. Nodes: the audit's walking network (`n_nodes` of its provenance). "
        f"*CPU s*: user + system time of the run and every process it started (the workers "
        f"included), which the machine's other load does not inflate as it does wall time; "
        f"the cluster's extra CPU per area is its overhead in work, start-up included. *Task CPU "
        f"per area*: CPU time of the process running the area, during its task "
        f"(`AreaOutcome.cpu_seconds`), serial / plain / cluster. *Other processes' CPU*: what "
        f"the rest of the machine ran during each run (its busy time from `/proc/stat` less "
        f"the run's "
        f"own): a busy foreign thread leaves the serial run a free core but takes a share of "
        f"every core from the cluster, which needs them all, so the speed-up is the cluster's "
        f"own only when both are near 0.",
        "",
        "| scenario | areas | network nodes per area | serial s | cluster s | cluster start-up / "
        f"shut-down s | speed-up (with both) | per core | {workers} plain processes s (speed-up) "
        "| overhead per area s (wall) | CPU s serial / plain / cluster | CPU overhead per area s "
        "| task CPU per area s serial / plain / cluster "
        "| largest peak memory per worker | other processes' CPU s during serial / plain / "
        "cluster | load after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        plain = (
            "n/a"
            if r["plain_s"] is None
            else f"{r['plain_s']:.1f} ({float(r['serial_s']) / float(r['plain_s']):.2f}×)"  # type: ignore[arg-type]
        )
        size = (
            f"{r['nodes_min']:,}"
            if r["nodes_min"] == r["nodes_max"]
            else f"{r['nodes_min']:,}–{r['nodes_max']:,}"
        )
        lines.append(
            f"| {r['scenario']} | {r['areas']} | {size} | {r['serial_s']:.1f} | "
            f"{r['cluster_s']:.1f} | {r['startup_s']:.1f} / {r['shutdown_s']:.1f} | "
            f"**{r['speedup']:.2f}×** ({r['speedup_with_start']:.2f}×) | {r['per_core']:.2f} | "
            f"{plain} | {r['overhead_per_area_s']:+.2f} | "
            f"{r['serial_cpu_s']:.1f} / {_cpu(r['plain_cpu_s'])} / {r['cluster_cpu_s']:.1f} | "
            f"{r['cpu_overhead_per_area_s']:+.2f} | "
            f"{r['task_cpu_serial_s']:.2f} / {_cpu(r['task_cpu_plain_s'], 2)} / "
            f"{r['task_cpu_cluster_s']:.2f} | "
            f"{r['peak_gib']:.2f} GiB | {_cpu(r['other_cpu_serial_s'])} / "
            f"{_cpu(r['other_cpu_plain_s'])} / {_cpu(r['other_cpu_cluster_s'])} | "
            f"{r['load']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
