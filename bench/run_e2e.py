"""``make bench`` (end-to-end part): OSM file → report.html, against OSMnx + pandana.

Builds city-size OSM files by tiling the real Tsinghua / Wudaokou extract (``bench.osm_tiles``),
then per size runs, each in its own process:

* ``wanzheng audit FILE --out DIR`` — the command itself: wall time and peak memory (``wait4``);
* the same calls timed per stage (``bench.e2e_stages --tool wanzheng``);
* OSMnx ``graph_from_xml`` + ``features_from_xml`` + pandana ``precompute`` / ``nearest_pois``
  (``bench.e2e_stages --tool osmnx_pandana``), which stops at distances (no verdicts, no report).

Sizes: 1, 16, 64 and 256 tiles (``--max-tiles`` stops earlier). At 256 tiles (about 540k
wanzheng nodes) the peer takes minutes and several GB, so it runs once there.

Rewrites the ``e2e`` block of ``docs/benchmarks.md``. Results: ``bench/work/e2e.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.docs import ROOT, write_block
from bench.networks import TILE_EXTRACT, WORK
from bench.osm_tiles import tile_osm

RESULTS = WORK / "e2e.jsonl"


def _wait4(cmd: list[str]) -> tuple[int, float, float]:
    """Run ``cmd``; return (exit status, wall seconds, peak RSS in MB of that child)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(out.decode(errors="replace")[-2000:])
    return proc.returncode, wall, usage.ru_maxrss / 1024.0


def _stages(tool: str, osm: Path, out: Path) -> dict[str, object]:
    cmd = [sys.executable, "-m", "bench.e2e_stages", "--tool", tool, "--osm", str(osm),
           "--out", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=3600)  # fmt: skip
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    start = last.find('{"tool"')
    if proc.returncode != 0 or start < 0:
        return {"tool": tool, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(last[start:])  # type: ignore[no-any-return]


def run(sizes: list[tuple[int, int, int]]) -> None:
    RESULTS.unlink(missing_ok=True)
    wanzheng = str(Path(sys.executable).with_name("wanzheng"))
    for n_tiles, runs_w, runs_p in sizes:
        pbf = tile_osm(TILE_EXTRACT, n_tiles, WORK / f"tiles_{n_tiles}.osm.pbf")
        xml = tile_osm(TILE_EXTRACT, n_tiles, WORK / f"tiles_{n_tiles}.osm")
        out = WORK / f"e2e_out_{n_tiles}"
        for rep in range(max(runs_w, runs_p)):
            # interleaved in one run: the CLI, its stages and the peer take turns (the peer
            # first on odd repetitions), each row with the load average it ran under
            jobs: list[tuple[str, list[str] | None]] = []
            if rep < runs_w:
                jobs.append(("cli", [wanzheng, "audit", str(pbf), "--out", str(out)]))
                jobs.append(("wanzheng", None))
            if rep < runs_p:
                jobs.insert(0 if rep % 2 else len(jobs), ("osmnx_pandana", None))
            rows: list[dict[str, object]] = []
            for tool, cmd in jobs:
                load = os.getloadavg()[0]
                if cmd is not None:
                    code, wall, peak = _wait4(cmd)
                    row: dict[str, object] = {"tool": "wanzheng audit (CLI)", "total_s": wall,
                                              "peak_rss_mb": peak, "exit": code}  # fmt: skip
                else:
                    row = _stages(tool, xml if tool == "osmnx_pandana" else pbf, out)
                row["load_before"] = load
                row["load_after"] = os.getloadavg()[0]
                rows.append(row)
            with RESULTS.open("a") as f:
                for r in rows:
                    r.update(tiles=n_tiles, rep=rep)
                    f.write(json.dumps(r) + "\n")
                    print(n_tiles, r.get("tool"), r.get("total_s", r.get("error")), flush=True)
        shutil.rmtree(out, ignore_errors=True)
        xml.unlink(missing_ok=True)


def report() -> None:
    rows = [json.loads(x) for x in RESULTS.read_text().splitlines() if x.strip()]
    by: dict[tuple[int, str], list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        if "error" not in r and r.get("exit", 0) == 0:
            by[(int(r["tiles"]), str(r["tool"]))].append(r)
    lines = [
        "## End to end: OSM file → report.html",
        "",
        "City-size inputs made by tiling the real Tsinghua / Wudaokou extract (2017, ODbL) "
        "*n* times (ids and coordinates shifted per tile, tiles not joined). **wanzheng**: "
        "`wanzheng audit FILE.osm.pbf --out DIR` (wall time and peak memory of the command) and "
        "the same library calls timed per stage; **OSMnx + pandana**: `graph_from_xml` on the "
        "same data as OSM XML, `features_from_xml` for the facilities (kinds assigned with "
        "wanzheng's own tag rules), pandana `Network` + `precompute(cutoff)` and "
        "`set_pois` / `nearest_pois` per kind. The peer pipeline stops at distances per "
        "node: no snapping of communities, no verdicts, no report — it does less work.",
        "",
        "| tiles | nodes (wanzheng / osmnx) | pipeline | runs | total: OSMnx+pandana ÷ this | "
        "total s (median) | peak MB | stages, s (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tiles in sorted({t for t, _ in by}):
        peer = by.get((tiles, "osmnx_pandana"), [])
        peer_total = statistics.median(float(r["total_s"]) for r in peer) if peer else None
        peer_peak = max(float(r["peak_rss_mb"]) for r in peer) if peer else None
        w_nodes = next((r.get("nodes") for r in by.get((tiles, "wanzheng"), [])), "?")
        p_nodes = next((r.get("nodes") for r in peer), "?")
        for tool in ("wanzheng audit (CLI)", "wanzheng", "osmnx_pandana"):
            rs = by.get((tiles, tool), [])
            if not rs:
                continue
            total = statistics.median(float(r["total_s"]) for r in rs)
            peak = max(float(r["peak_rss_mb"]) for r in rs)
            stage_names: list[str] = list(rs[0].get("stages", {}))  # type: ignore[call-overload]
            stages = ", ".join(
                f"{s} {statistics.median(float(r['stages'][s]) for r in rs):.2f}"  # type: ignore[index]
                for s in stage_names
            )
            ratio = (
                f"**{peer_total / total:.1f}×**" if peer_total and tool != "osmnx_pandana" else "1"
            )
            mem = f"{peak:.0f}" + (f" ({peak / peer_peak:.2f} of peer)" if peer_peak and
                                   tool != "osmnx_pandana" else "")  # fmt: skip
            name = {"wanzheng": "wanzheng, per stage (library calls)",
                    "osmnx_pandana": "OSMnx + pandana"}.get(tool, tool)  # fmt: skip
            runs = f"{len(rs)}" + (" (one peer run at this size)" if tool == "osmnx_pandana"
                                   and len(rs) == 1 and tiles >= 256 else "")  # fmt: skip
            lines.append(f"| {tiles} | {w_nodes} / {p_nodes} | {name} | {runs} | {ratio} | "
                         f"{total:.1f} | {mem} | {stages} |")  # fmt: skip
    loads = [float(r[k]) for r in rows for k in ("load_before", "load_after") if k in r]
    if loads:
        lines += [
            "",
            f"Load average (1 min) during these runs: {min(loads):.1f} to {max(loads):.1f} "
            "(2 cores); each ratio compares runs made in turn in the same session.",
        ]
    errors = [r for r in rows if "error" in r or r.get("exit", 0) != 0]
    if errors:
        lines += ["", "Failed runs:", ""]
        lines += [f"- {r['tiles']} tiles, {r['tool']}: {r.get('error', r.get('exit'))}"
                  for r in errors]  # fmt: skip
    write_block("e2e", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--max-tiles", type=int, default=256)
    args = parser.parse_args()
    sizes = [(t, w, p) for t, w, p in ((1, 3, 3), (16, 3, 1), (64, 2, 1), (256, 1, 1))
             if t <= args.max_tiles]  # fmt: skip
    if not args.report_only:
        run(sizes)
    report()


if __name__ == "__main__":
    main()
