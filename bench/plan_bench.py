"""Siting benchmark: wanzheng.plan against spopt (PuLP + CBC) and HiGHS on spopt's dense model.

Every instance is built on a real walking network (the Tsinghua / Wudaokou extract of
tests/data, tiled to size by :func:`bench.networks.tiled`): demand points and candidate sites
are distinct network nodes drawn with a fixed seed, residents per demand point drawn from
10 … 500. Walking distances are computed once by the engine (``pairs_within``, every pair within
the threshold) and given to every tool: wanzheng as the sparse pairs, spopt as the dense
demand × site matrix it takes (unreachable = 10⁹ m). Timings therefore compare the models and
solvers, not the distance computation (reported separately).

Per instance and model (MCLP with p sites, LSCP, p-median with p sites):

* ``wanzheng``: :class:`wanzheng.plan.MCLP` / :class:`~wanzheng.plan.LSCP` — build (sparse
  structure), greedy + swap heuristic with its bound, HiGHS warm-started;
* ``spopt+CBC``: ``spopt.locate.MCLP.from_cost_matrix`` / ``LSCP.from_cost_matrix`` solved
  with PuLP's bundled CBC (spopt's default), status as PuLP reports it (``LpStatus``) and the
  solution status (``sol_status``: 1 optimal, 2 feasible stopped early);
* ``spopt+HiGHS``: the same dense PuLP model solved by HiGHS (``pulp.HiGHS``).

p-median is the same instance for every tool: distances capped at the threshold (a demand point
no open site reaches within it counts the threshold), which is wanzheng's ``PMedian`` with
``radius_m`` = threshold and spopt's ``PMedian.from_cost_matrix`` on the dense matrix
``min(distance, threshold)``. spopt's p-median has one assignment variable per demand × site
pair (1,000,000 at 2,000 × 500), so it is compared where the peers finish (``--pmedian``).

Objective values are compared cell by cell; ``objective_diff`` is the largest difference with
a peer that *proves* optimality. A last run gives CBC a time limit too short to prove the optimum
and records what PuLP says (the known failure: ``Optimal`` at the time limit).

``python -m bench.plan_bench --quick`` (``make bench-plan-quick``, under 5 minutes) prints as its
last line exactly::

    speedup_vs_spopt=<x> demand=<n> sites=<m> p=<p> status=<optimal|…> objective_diff=<d>

``python -m bench.plan_bench`` runs the full grid (5k / 10k demand, 1k / 2k sites, 300 / 500 m)
against the peers and rewrites the ``plan`` block of docs/benchmarks.md — hours on a 2-core
machine, because spopt's dense build takes about 6 minutes per model at 5,000 × 1,000 and tens of
minutes at 10,000 × 2,000. Two shorter runs print markdown rows instead:

* ``--big``: wanzheng alone (no peer) at 10,000 × 2,000 (300 m and 500 m: MCLP p = 10, LSCP,
  p-median p = 10) and 5,000 × 1,000 (MCLP and p-median p = 10): build, heuristic and its gap to
  the proven optimum, solve, status — the issue's goals (build ≤ 1 s, heuristic within 1 % in
  ≤ 1 s, optimum for p ≤ 10 in ≤ 60 s at 10k × 2k);
* ``--pmedian``: p-median against spopt + CBC and HiGHS on spopt's model at 500 × 100 and
  1,000 × 200 (``--size 2000x500x300`` for the size at which the peers did not finish).

Each prints the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.networks import tiled

SEED = 20261203
BIG_M = 1e9


@dataclass(frozen=True)
class Instance:
    name: str
    n_demand: int
    n_sites: int
    threshold_m: float
    weight: np.ndarray
    pair_demand: np.ndarray
    pair_site: np.ndarray
    pair_m: np.ndarray
    n_nodes: int
    distances_s: float

    def dense(self) -> np.ndarray:
        d = np.full((self.n_demand, self.n_sites), BIG_M)
        d[self.pair_demand, self.pair_site] = self.pair_m
        return d


def build_instance(
    n_demand: int, n_sites: int, threshold_m: float, *, seed: int = SEED
) -> Instance:
    from wanzheng.network.engine import pairs_within

    net = tiled(2 * (n_demand + n_sites))
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, size=n_demand + n_sites, replace=False)
    demand, sites = nodes[:n_demand], nodes[n_demand:]
    weight = rng.integers(10, 501, size=n_demand).astype(np.float64)
    t0 = time.perf_counter()
    s, t, d = pairs_within(
        net.indptr,
        net.indices,
        net.weight_m,
        sites.astype(np.int64),
        np.zeros(n_sites),
        demand.astype(np.int64),
        np.zeros(n_demand),
        cutoff_m=threshold_m,
    )
    seconds = time.perf_counter() - t0
    order = np.lexsort((s, t))
    return Instance(
        name=f"{net.name}_d{n_demand}_s{n_sites}_r{threshold_m:g}",
        n_demand=n_demand,
        n_sites=n_sites,
        threshold_m=threshold_m,
        weight=weight,
        pair_demand=t[order].astype(np.int64),
        pair_site=s[order].astype(np.int64),
        pair_m=np.asarray(d)[order].astype(np.float64),
        n_nodes=net.n_nodes,
        distances_s=seconds,
    )


def reachable(inst: Instance) -> Instance:
    """The instance without demand points no site reaches (set covering needs all reached)."""
    keep = np.unique(inst.pair_demand)
    new_index = np.full(inst.n_demand, -1, dtype=np.int64)
    new_index[keep] = np.arange(keep.shape[0])
    return Instance(
        name=f"{inst.name}_reached{keep.shape[0]}",
        n_demand=int(keep.shape[0]),
        n_sites=inst.n_sites,
        threshold_m=inst.threshold_m,
        weight=inst.weight[keep],
        pair_demand=new_index[inst.pair_demand],
        pair_site=inst.pair_site,
        pair_m=inst.pair_m,
        n_nodes=inst.n_nodes,
        distances_s=inst.distances_s,
    )


def run_wanzheng(inst: Instance, model: str, p: int, time_limit_s: float) -> dict[str, Any]:
    import scipy.sparse as sp

    from wanzheng.plan import LSCP, MCLP, PMedian

    t0 = time.perf_counter()
    matrix = sp.coo_array(
        (inst.pair_m, (inst.pair_demand, inst.pair_site)), shape=(inst.n_demand, inst.n_sites)
    )
    if model == "mclp":
        m: Any = MCLP.from_cost_matrix(matrix, inst.weight, inst.threshold_m, p)
    elif model == "pmedian":
        m = PMedian.from_cost_matrix(matrix, inst.weight, p, radius_m=inst.threshold_m)
    else:
        m = LSCP.from_cost_matrix(matrix, inst.weight, inst.threshold_m)
    build = time.perf_counter() - t0
    r = m.solve(time_limit_s=time_limit_s)
    total = time.perf_counter() - t0
    # the heuristic once more, alone, in CPU seconds: on a shared machine its wall-clock
    # seconds measure the other processes as much as the heuristic
    c0 = time.process_time()
    m.heuristic()
    heuristic_cpu = time.process_time() - c0
    h = r.heuristic
    h_obj = math.nan if h is None else float(h.objective)
    # the heuristic's distance to the proven optimum (to the bound when not proven)
    ref = r.objective if r.status == "optimal" else r.bound
    return {
        "tool": "wanzheng",
        "status": r.status,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "build_s": build,
        "solve_s": total - build,
        "total_s": total,
        "heuristic_objective": None if h is None else h.objective,
        "heuristic_bound": math.nan if h is None else float(h.bound),
        "heuristic_s": r.seconds.get("heuristic", math.nan),
        "heuristic_cpu_s": heuristic_cpu,
        "heuristic_gap": abs(h_obj - ref) / abs(ref) if ref else math.nan,
        "model_build_s": r.seconds["build"],
        "solver": r.solver,
        "proven": r.status == "optimal",
    }


def run_spopt(
    inst: Instance, model: str, p: int, solver_name: str, time_limit_s: float
) -> dict[str, Any]:
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    t0 = time.perf_counter()
    dense = inst.dense()
    if model == "mclp":
        m: Any = MCLP.from_cost_matrix(dense, inst.weight, inst.threshold_m, p_facilities=p)
    elif model == "pmedian":
        # the same capped p-median as wanzheng's: a walk counts at most the threshold
        capped = np.minimum(dense, inst.threshold_m)
        m = PMedian.from_cost_matrix(capped, inst.weight, p_facilities=p)
    else:
        m = LSCP.from_cost_matrix(dense, inst.threshold_m)
    build = time.perf_counter() - t0
    solver = (
        pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
        if solver_name == "cbc"
        else pulp.HiGHS(msg=False, timeLimit=time_limit_s)
    )
    t1 = time.perf_counter()
    try:
        m.solve(solver, results=False)
        error = ""
    except RuntimeError as exc:  # spopt raises when PuLP's status is not "Optimal"
        error = str(exc)
    solve = time.perf_counter() - t1
    prob = m.problem
    status = pulp.LpStatus.get(prob.status, str(prob.status))
    sol_status = pulp.LpSolution.get(prob.sol_status, str(prob.sol_status))
    value = pulp.value(prob.objective)
    return {
        "tool": f"spopt+{'CBC' if solver_name == 'cbc' else 'HiGHS'}",
        "status": status,
        "sol_status": sol_status,
        "objective": float(value) if value is not None else math.nan,
        "build_s": build,
        "solve_s": solve,
        "total_s": build + solve,
        "error": error,
        # PuLP's "Optimal" with a solution status "Optimal Solution Found" is a proof; with
        # "Solution Found" (stopped early) it is not, whatever LpStatus says.
        "proven": status == "Optimal" and prob.sol_status == pulp.LpSolutionOptimal,
        "has_plan": prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible),
    }


def compare(
    inst: Instance,
    model: str,
    p: int,
    time_limit_s: float,
    tools: tuple[str, ...] = ("wanzheng", "cbc", "highs"),
) -> list[dict[str, Any]]:
    rows = [
        run_wanzheng(inst, model, p, time_limit_s)
        if tool == "wanzheng"
        else run_spopt(inst, model, p, tool, time_limit_s)
        for tool in tools
    ]
    for r in rows:
        r.update(instance=inst.name, model=model, p=None if model == "lscp" else p)
    return rows


def objective_diff(rows: list[dict[str, Any]]) -> float:
    ours = rows[0]["objective"]
    proven = [r["objective"] for r in rows[1:] if r["proven"]]
    return max((abs(ours - v) for v in proven), default=math.nan)


def time_limited_cbc(inst: Instance, p: int, limit_s: float) -> dict[str, Any]:
    """CBC stopped by a short time limit: what PuLP reports, against the proven optimum."""
    r = run_spopt(inst, "mclp", p, "cbc", limit_s)
    r["limit_s"] = limit_s
    return r


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "—"
        return f"{v:,.{digits}f}"
    return str(v)


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| instance | model | tool | status (as reported) | objective | build s | solve s "
        "| total s | proven |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        status = r["status"] + (f" / {r['sol_status']}" if "sol_status" in r else "")
        model = r["model"] if r["p"] is None else f"{r['model']} p={r['p']}"
        # a peer without a plan shows no objective (PuLP reads 0 from unset variables)
        objective = _fmt(r["objective"], 0) if r.get("has_plan", True) else "—"
        lines.append(
            f"| {r['instance']} | {model} "
            f"| {r['tool']} | {status} | {objective} | {_fmt(r['build_s'])} "
            f"| {_fmt(r['solve_s'])} | {_fmt(r['total_s'])} | {'yes' if r['proven'] else 'no'} |"
        )
    return "\n".join(lines)


BIG_GRID = [
    (10_000, 2_000, 300.0),
    (10_000, 2_000, 500.0),
    (5_000, 1_000, 300.0),
    (5_000, 1_000, 500.0),
]


def _load() -> float:
    return os.getloadavg()[0]


def big_run(
    grid: list[tuple[int, int, float]], models: list[str], p: int, time_limit_s: float
) -> None:
    """wanzheng alone on the big instances (spopt's dense build would take tens of minutes)."""
    print(f"load average (1 min) at start: {_load():.1f}", flush=True)
    print(
        "| instance | model | status | objective | model build s | heuristic s (CPU s) "
        "| heuristic value | its bound | heuristic gap | HiGHS s | total s | proven gap "
        "| solved by |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    for n, m, r in grid:
        inst = build_instance(n, m, r)
        reached = reachable(inst)
        label = (
            f"{n:,} × {m:,}, {r:g} m ({inst.n_nodes:,} nodes, {inst.pair_m.shape[0]:,} pairs, "
            f"distances {inst.distances_s:.2f} s)"
        )
        for model, case in (("mclp", inst), ("lscp", reached), ("pmedian", inst)):
            if model not in models:
                continue
            g = run_wanzheng(case, model, p, time_limit_s)
            highs_s = g["total_s"] - g["build_s"] - g["heuristic_s"]
            name = (
                "LSCP" if model == "lscp" else f"{'MCLP' if model == 'mclp' else 'p-median'} p={p}"
            )
            print(
                f"| {label} | {name} | {g['status']} | {_fmt(g['objective'], 0)} "
                f"| {_fmt(g['build_s'])} | {_fmt(g['heuristic_s'])} ({_fmt(g['heuristic_cpu_s'])}) "
                f"| {_fmt(g['heuristic_objective'], 0)} | {_fmt(g['heuristic_bound'], 0)} "
                f"| {_fmt(100 * g['heuristic_gap'], 3)} % | {_fmt(highs_s)} "
                f"| {_fmt(g['total_s'])} | {_fmt(100 * g['gap'], 3)} % | {g['solver']} |",
                flush=True,
            )
            label = "〃"
    print(f"load average (1 min) at end: {_load():.1f}", flush=True)


def import_seconds(statement: str) -> float:
    """Seconds a fresh interpreter takes to run ``statement`` (the libraries' start-up)."""
    import subprocess
    import sys

    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _ratio(
    peer: dict[str, Any], ours_s: float, peer_extra: float = 0.0, ours_extra: float = 0.0
) -> str:
    """Peer time / our time; ``>x`` when the peer did not prove its answer (a lower bound)."""
    x = (peer["total_s"] + peer_extra) / (ours_s + ours_extra)
    return f"{'' if peer['proven'] else '>'}{x:.1f}"


PMEDIAN_GRID = [(500, 100, 300.0), (1_000, 200, 300.0)]
"""Sizes at which spopt's dense p-median (one PuLP variable per demand × site pair) finishes
in minutes; at 2,000 × 500 neither CBC nor HiGHS had an answer after 20–30 minutes."""


def pmedian_run(
    grid: list[tuple[int, int, float]], p: int, time_limit_s: float, tools: tuple[str, ...]
) -> None:
    """p-median against spopt + CBC and HiGHS on spopt's dense model, cell by cell.

    Each tool's total is model build + solve (spopt: the dense matrix, the PuLP model, writing
    it and the solver's start; wanzheng: the sparse model, the heuristic, HiGHS); the import of
    the libraries, measured once in fresh interpreters, is added for the ratios with start-up.
    """
    print(f"load average (1 min) at start: {_load():.1f}", flush=True)
    start_wz = import_seconds("import wanzheng.plan")
    start_sp = import_seconds("import pulp, spopt.locate")
    print(
        f"start-up (import in a fresh interpreter): wanzheng.plan {start_wz:.2f} s, "
        f"pulp + spopt.locate {start_sp:.2f} s",
        flush=True,
    )
    for n, m, r in grid:
        inst = build_instance(n, m, r)
        print(f"{inst.name}: {inst.pair_m.shape[0]:,} pairs", flush=True)
        rows = []
        for tool in tools:
            rows += compare(inst, "pmedian", p, time_limit_s, (tool,))
            g = rows[-1]
            print(
                f"  {g['tool']}: {g['status']} objective={_fmt(g['objective'], 0)} "
                f"total={g['total_s']:.2f}s load={_load():.1f}",
                flush=True,
            )
        print(table(rows), flush=True)
        if tuple(tools) != ("wanzheng", "cbc", "highs"):
            continue
        ours = rows[0]["total_s"]
        print(
            f"speedup_vs_spopt_cbc={_ratio(rows[1], ours)} "
            f"speedup_vs_spopt_highs={_ratio(rows[2], ours)} "
            f"with_startup_cbc={_ratio(rows[1], ours, start_sp, start_wz)} "
            f"with_startup_highs={_ratio(rows[2], ours, start_sp, start_wz)} "
            f"objective_diff={_fmt(objective_diff(rows), 3)} "
            f"heuristic_gap={100 * rows[0]['heuristic_gap']:.3f}% "
            f"load={_load():.1f}",
            flush=True,
        )
    print(f"load average (1 min) at end: {_load():.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one instance, under 5 minutes")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    ap.add_argument(
        "--big",
        action="store_true",
        help="wanzheng alone at 10,000 × 2,000 and 5,000 × 1,000 (no peer: spopt's dense "
        "build takes tens of minutes there); prints markdown rows",
    )
    ap.add_argument(
        "--pmedian",
        action="store_true",
        help="p-median against spopt + CBC and HiGHS on spopt's model; prints markdown rows",
    )
    ap.add_argument(
        "--size",
        default="",
        help="instances of --big / --pmedian, comma-separated DEMANDxSITESxMETRES (default: "
        "--big the four big ones, --pmedian 500x100x300,1000x200x300)",
    )
    ap.add_argument(
        "--models", default="mclp,lscp,pmedian", help="models of --big (default: all three)"
    )
    ap.add_argument(
        "--tools",
        default="wanzheng,cbc,highs",
        help="tools of --pmedian, in order (default wanzheng,cbc,highs)",
    )
    ap.add_argument("--p", type=int, default=10, help="p of --big / --pmedian (default 10)")
    args = ap.parse_args()
    sizes = [
        (int(float(a)), int(float(b)), float(c))
        for a, b, c in (s.split("x") for s in args.size.split(",") if s)
    ]
    if args.big:
        big_run(sizes or BIG_GRID, args.models.split(","), args.p, args.time_limit)
        return
    if args.pmedian:
        tools = tuple(args.tools.split(","))
        pmedian_run(sizes or PMEDIAN_GRID, args.p, args.time_limit, tools)
        return
    if args.quick:
        grid = [(2_000, 500, 300.0)]
        p_values = [5]
    else:
        grid = [(n, m, r) for n in (5_000, 10_000) for m in (1_000, 2_000) for r in (300.0, 500.0)]
        p_values = [5, 10]
    rows: list[dict[str, Any]] = []
    headline: dict[str, Any] = {}
    loads: list[float] = []
    notes: list[str] = []
    for n, m, r in grid:
        inst = build_instance(n, m, r)
        notes.append(
            f"- {inst.name}: {inst.n_nodes:,} network nodes, {inst.pair_m.shape[0]:,} pairs "
            f"within {r:g} m, computed in {inst.distances_s:.2f} s by the engine"
        )
        print(notes[-1].lstrip("- "), flush=True)
        for p in p_values:
            got = compare(inst, "mclp", p, args.time_limit)
            loads.append(os.getloadavg()[0])
            rows += got
            for g in got:
                print(
                    f"  mclp p={p} {g['tool']:12s} {g['status']:10s} obj={_fmt(g['objective'], 0)}"
                    f" total={g['total_s']:.2f}s",
                    flush=True,
                )
            if not headline:
                headline = {
                    "speedup": got[1]["total_s"] / got[0]["total_s"],
                    "demand": n,
                    "sites": m,
                    "p": p,
                    "status": got[0]["status"],
                    "diff": objective_diff(got),
                }
        got = compare(reachable(inst), "lscp", 0, args.time_limit)
        rows += got
        for g in got:
            print(f"  lscp {g['tool']:12s} {g['status']:10s} obj={_fmt(g['objective'], 0)}"
                  f" total={g['total_s']:.2f}s", flush=True)  # fmt: skip
    # CBC stopped early, on the largest instance of the run
    limited = time_limited_cbc(inst, p_values[-1], 0.5 if args.quick else 1.0)
    ours = next(r for r in rows if r["instance"] == inst.name and r["model"] == "mclp"
                and r["p"] == p_values[-1] and r["tool"] == "wanzheng")  # fmt: skip
    print(
        f"CBC with a {limited['limit_s']:g} s limit: LpStatus={limited['status']}, "
        f"sol_status={limited['sol_status']}, objective={_fmt(limited['objective'], 0)} "
        f"(proven optimum {_fmt(ours['objective'], 0)})",
        flush=True,
    )
    if not args.no_docs and not args.quick:
        write_docs(rows, notes, limited, ours, loads)
    print(
        f"speedup_vs_spopt={headline['speedup']:.1f} demand={headline['demand']} "
        f"sites={headline['sites']} p={headline['p']} status={headline['status']} "
        f"objective_diff={_fmt(headline['diff'], 3)}"
    )


def write_docs(
    rows: list[dict[str, Any]],
    notes: list[str],
    limited: dict[str, Any],
    ours: dict[str, Any],
    loads: list[float],
) -> None:
    import highspy
    import pulp
    import spopt

    from bench.docs import machine_block, write_block

    mclp = [r for r in rows if r["model"] == "mclp"]
    speed = [mclp[i + 1]["total_s"] / mclp[i]["total_s"] for i in range(0, len(mclp), 3)]
    diffs = [objective_diff(rows[i : i + 3]) for i in range(0, len(rows), 3)]
    body = "\n".join(
        [
            "## Siting (plan): wanzheng.plan vs spopt + PuLP/CBC and HiGHS on spopt's model",
            "",
            "Real network (Tsinghua / Wudaokou extract, tiled); demand points and sites are "
            "network nodes drawn with a fixed seed, residents 10–500 per point (drawn: the "
            "*network* is real, the demand is not). Same distances for every tool. "
            "`python -m bench.plan_bench` (`make bench-plan-quick` for one small instance).",
            "",
            *notes,
            "",
            table(rows),
            "",
            f"- MCLP speed-up of wanzheng over spopt + CBC (total = model build + solve): "
            f"median {sorted(speed)[len(speed) // 2]:.1f}×, min {min(speed):.1f}×, "
            f"max {max(speed):.1f}×.",
            f"- Objective values against every peer that proved optimality: largest difference "
            f"{max((d for d in diffs if math.isfinite(d)), default=math.nan):g}.",
            f"- CBC stopped by a {limited['limit_s']:g} s time limit on the last instance: PuLP "
            f"reports `{limited['status']}` (solution status `{limited['sol_status']}`), "
            f"objective {_fmt(limited['objective'], 0)} against the proven optimum "
            f"{_fmt(ours['objective'], 0)}; spopt accepts it as solved. wanzheng reports a "
            "time-limited run as `feasible` with its proven gap, never `optimal`.",
            "",
            machine_block(
                {
                    "spopt": spopt.__version__,
                    "pulp": pulp.__version__,
                    "highspy": getattr(highspy, "__version__", "?"),
                },
                loads,
            ),
        ]
    )
    write_block("plan", body)


if __name__ == "__main__":
    main()
