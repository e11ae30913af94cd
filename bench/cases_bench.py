"""Case desk intake benchmark: submissions per second and p50/p99 latency over loopback.

``python -m bench.cases_bench [--seconds S] [--backends sqlite,postgresql] [--workers 1,2]
[--generator wrk|python]`` starts the real service (``wanzheng serve``'s worker application,
:func:`wanzheng.cli.serve.start_worker`, under uvicorn with 1 process — the default of
``wanzheng serve`` — and then with N processes, ``--workers N``) on a fresh database,
drives ``POST /api/cases`` with 1, 10 and 100 concurrent keep-alive clients from a separate
process, checks that every answer was 201 and that the database holds at least as many cases
as were acknowledged, and writes the figures into the ``cases`` block of ``docs/benchmarks.md``.

Load generators, both closed-loop (each connection sends its next submission when the previous
one is answered):

- ``wrk`` (default; Debian package ``wrk``, installed with apt when missing and run as root,
  like ``scripts/ensure-system-deps.sh``): one C thread, a Lua script makes every request
  unique (text, lon, lat) and counts the 201 answers; p50/p99 from wrk's latency
  distribution. It costs the machine's two cores little, so the service gets most of them.
- ``python``: a minimal asyncio HTTP/1.1 client (the cross-check; it costs more CPU).

Durable commits: SQLite runs in WAL mode with ``synchronous=FULL`` (the WAL is fsynced at
every commit); PostgreSQL is a throwaway server from the system binaries with ``fsync=on``
and ``synchronous_commit=on``.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import pwd
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BLOCK = "cases"
WORKERS = 1  # processes of the service being measured (set per run)
GENERATOR = "wrk"


# --- servers ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server(*, keep: Path | None = None) -> Iterator[str]:
    """A throwaway durable PostgreSQL (fsync on) on a unix socket; yields its URL.

    ``keep``: a directory that holds the server's data and socket and is kept after the
    server stops; a server found there (``keep/data``) is started again as it was, with its
    database (the scale benchmark's 10M cases are generated once and timed many times).
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("bench: PostgreSQL binaries missing; run scripts/ensure-system-deps.sh")
    bindir = Path(found[-1]).parent
    if keep is None:
        base = Path(tempfile.mkdtemp(prefix="wz-bench-pg-"))
    else:
        base = keep.resolve()
        base.mkdir(parents=True, exist_ok=True)
    prefix: list[str] = []
    if os.geteuid() == 0:
        pwd.getpwnam("postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, user="postgres")
    data = base / "data"
    fresh = not (data / "PG_VERSION").exists()
    try:
        if fresh:
            _initdb(prefix, bindir, data)
        opts = (
            f"-k {base} -c listen_addresses='' -c max_connections=200 -c fsync=on "
            "-c synchronous_commit=on"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-o",
                opts,
                "-w",
                "-t",
                "600",  # a kept server that stopped uncleanly replays its WAL first
                "start",
            ],
            check=True,
            capture_output=True,
        )
        if fresh:
            subprocess.run(
                [*prefix, str(bindir / "createdb"), "-h", str(base), "-U", "wanzheng", "wanzheng"],
                check=True,
                capture_output=True,
            )
        yield f"postgresql+psycopg://wanzheng@/wanzheng?host={base}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def _initdb(prefix: list[str], bindir: Path, data: Path) -> None:
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "wanzheng", "-A", "trust",
         "-E", "UTF8", "--no-locale"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def app_factory() -> object:
    """The app of a worker process (``uvicorn --factory``), configured by the environment."""
    from wanzheng.cli.serve import start_worker
    from wanzheng.settings import Settings

    settings = Settings(escalation_interval_s=0)
    sync = os.environ.get("WZ_BENCH_SQLITE_SYNCHRONOUS")
    if sync is None:
        return start_worker(settings)
    # Comparison only: the same service with a weaker SQLite setting (not durable with NORMAL:
    # a power cut may lose the last commits, though the database stays consistent).
    from sqlalchemy import event

    from wanzheng.db import make_engine

    engine = make_engine(settings.resolved_database_url)

    @event.listens_for(engine, "connect")
    def _weaker(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA synchronous={sync}")  # type: ignore[attr-defined]

    return start_worker(settings, engine=engine)


def serve(url: str, port: int, data_dir: str, workers: int = 1) -> None:
    """Run the service (child process) with ``workers`` processes, as ``wanzheng serve`` does."""
    import uvicorn

    from wanzheng.web.workers import run_workers

    os.environ["WANZHENG_DATABASE_URL"] = url
    os.environ["WANZHENG_DATA_DIR"] = data_dir
    if workers > 1:
        run_workers(
            "bench.cases_bench:app_factory",
            host="127.0.0.1",
            port=port,
            workers=workers,
            access_log=False,
        )
        return
    uvicorn.run(
        "bench.cases_bench:app_factory",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


@contextmanager
def service(url: str, data_dir: Path) -> Iterator[int]:
    from wanzheng.cases.seed import prepare_database

    prepare_database(url)
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cases_bench",
            "--serve",
            url,
            str(port),
            str(data_dir),
            "--workers",
            str(WORKERS),
        ],
        cwd=ROOT,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("bench: the service did not start")
        _wait_ready(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _wait_ready(port: int) -> None:
    """Wait until the application answers (the socket listens before the workers import)."""
    import urllib.request

    for _ in range(300):
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/open311/v2/services.json", timeout=2
            ) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("bench: the service did not answer")
    time.sleep(1.0 if WORKERS > 1 else 0.0)  # the other workers start at the same pace


def count_cases(url: str) -> int:
    from sqlalchemy import func, select

    from wanzheng.cases.models import Case
    from wanzheng.db import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        n = int(s.scalar(select(func.count()).select_from(Case)) or 0)
    engine.dispose()
    return n


# --- load generator ---------------------------------------------------------------------------

TEXTS = [
    "小区北门路灯不亮，晚上很黑",
    "楼下烧烤油烟扰民",
    "电梯经常停运，老人上下楼困难",
    "垃圾清运不及时，有异味",
    "人行道井盖松动，存在隐患",
]


def _request(port: int, rnd: random.Random) -> bytes:
    body = json.dumps(
        {
            "text": rnd.choice(TEXTS),
            "lon": round(rnd.uniform(116.346, 116.369), 6),
            "lat": round(rnd.uniform(40.001, 40.009), 6),
        },
        ensure_ascii=False,
    ).encode("utf-8")
    head = (
        f"POST /api/cases HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _client(
    port: int, stop_at: float, lat: list[float], codes: dict[int, int], seed: int
) -> None:
    rnd = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            req = _request(port, rnd)
            t0 = time.perf_counter()
            writer.write(req)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            code = int(status_line.split()[1])
            codes[code] = codes.get(code, 0) + 1
    finally:
        writer.close()


async def _load(
    port: int, clients: int, seconds: float
) -> tuple[list[float], dict[int, int], float]:
    lat: list[float] = []
    codes: dict[int, int] = {}
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(_client(port, stop_at, lat, codes, i) for i in range(clients)))
    return lat, codes, time.perf_counter() - start


def load(port: int, clients: int, seconds: float) -> dict[str, float]:
    """Drive the service; answers throughput and latency percentiles (ms)."""
    asyncio.run(_load(port, clients, min(1.0, seconds / 5)))  # warm-up
    lat, codes, elapsed = asyncio.run(_load(port, clients, seconds))
    lat.sort()
    n = len(lat)
    return {
        "clients": clients,
        "n": n,
        "per_s": n / elapsed,
        "p50_ms": 1000 * lat[n // 2],
        "p99_ms": 1000 * lat[min(n - 1, int(0.99 * n))],
        "mean_ms": 1000 * statistics.fmean(lat),
        "ok": codes.get(201, 0),
        "errors": n - codes.get(201, 0),
    }


def _run_load_process(port: int, clients: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.cases_bench",
            "--load",
            str(port),
            str(clients),
            str(seconds),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


WRK_SCRIPT = r"""
-- wanzheng bench: unique JSON submissions; counts 201 answers; prints one JSON line
local texts = {%(texts)s}
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  math.randomseed(%(seed)d + id)
  n201 = 0
end
request = function()
  local body = string.format('{"text":"%%s","lon":%%.6f,"lat":%%.6f}',
    texts[math.random(#texts)], 116.346 + math.random() * 0.023, 40.001 + math.random() * 0.008)
  return wrk.format("POST", "/api/cases", {["Content-Type"] = "application/json"}, body)
end
response = function(status, headers, body)
  if status == 201 then n201 = n201 + 1 end
end
done = function(summary, latency, requests)
  local ok = 0
  for _, t in ipairs(threads) do ok = ok + t:get("n201") end
  local e = summary.errors
  io.write(string.format(
    'WZJSON {"n":%%d,"ok":%%d,"us":%%d,"p50_us":%%d,"p99_us":%%d,"mean_us":%%f,' ..
    '"socket_errors":%%d}\n',
    summary.requests, ok, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect + e.read + e.write + e.timeout))
end
"""


def ensure_wrk() -> str:
    """The path of ``wrk``; installed with apt (non-interactive) when missing and root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(
            "bench: wrk is missing; install it as root (apt-get install -y wrk) "
            "or use --generator python"
        )
    print("bench: installing wrk (apt)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(cmd, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=True)
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk could not be installed; use --generator python")
    return found


def _wrk_once(wrk: str, port: int, clients: int, seconds: float, seed: int) -> dict[str, float]:
    texts = ", ".join(json.dumps(t, ensure_ascii=False) for t in TEXTS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as f:
        f.write(WRK_SCRIPT % {"texts": texts, "seed": seed})
        f.flush()
        out = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(x for x in out.stdout.splitlines() if x.startswith("WZJSON "))
    w = json.loads(line[len("WZJSON ") :])
    n = int(w["n"])
    return {
        "clients": clients,
        "n": n,
        "per_s": n / (w["us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "mean_ms": w["mean_us"] / 1000,
        "ok": int(w["ok"]),
        "errors": n - int(w["ok"]) + int(w["socket_errors"]),
    }


def load_wrk(port: int, clients: int, seconds: float) -> dict[str, float]:
    """Drive the service with wrk; answers throughput and latency percentiles (ms)."""
    wrk = ensure_wrk()
    warm = _wrk_once(wrk, port, clients, 1, seed=clients)  # warm-up (stored, not reported)
    r = _wrk_once(wrk, port, clients, seconds, seed=1000 + clients)
    r["warmup_ok"] = warm["ok"]
    return r


def run_backend(name: str, url: str, seconds: float, levels: list[int]) -> list[dict[str, float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="wz-bench-", dir=ROOT / "bench") as d:
        with service(url, Path(d)) as port:
            for c in levels:
                if GENERATOR == "wrk":
                    r = load_wrk(port, c, seconds)
                else:
                    r = _run_load_process(port, c, seconds)
                r["backend"] = name  # type: ignore[assignment]
                r["processes"] = WORKERS
                rows.append(r)
                print(
                    f"{name:10s} processes={WORKERS} clients={c:3d} {r['per_s']:8.1f}/s "
                    f"p50={r['p50_ms']:.1f} ms "
                    f"p99={r['p99_ms']:.1f} ms errors={r['errors']}",
                    flush=True,
                )
        stored = count_cases(url)
        answered = sum(int(r["ok"]) + int(r.get("warmup_ok", 0)) for r in rows)
        # warm-up submissions are stored too; every acknowledged one must be there
        if stored < answered:
            raise SystemExit(f"bench: {answered} acknowledged but {stored} stored ({name})")
        rows[-1]["stored_total"] = stored
    return rows


def block(rows: list[dict[str, float]], seconds: float) -> str:
    load1 = os.getloadavg()[0]
    counts = sorted({int(r["processes"]) for r in rows})
    procs = "The service is `wanzheng serve`'s application under uvicorn with " + " and with ".join(
        "1 process (the default)"
        if n == 1
        else f"{n} processes (`--workers {n}`, each with its own listening socket)"
        for n in counts
    )
    if GENERATOR == "wrk":
        gen = (
            "the load generator is `wrk` 4.1 (one thread, a Lua script making every "
            "submission unique and counting the 201 answers; p50/p99 from its latency "
            "distribution)"
        )
    else:
        gen = (
            "the load generator is a minimal asyncio HTTP/1.1 client (`--generator python`; "
            "it costs the shared cores more than wrk)"
        )
    lines = [
        "## Case desk: submissions per second (POST /api/cases, durable commits)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on this machine ({os.cpu_count()} "
        f"CPUs, load average {load1:.2f} after the run) by `python -m bench.cases_bench` "
        f"(`make bench-cases`). {procs}; {gen}. It runs in its own process on the same "
        f"machine over loopback, one keep-alive connection per client; {seconds:g} s per level "
        "after a 1 s warm-up; the configurations are run in whole rounds (a fresh database and "
        "service each) and the table gives medians over the rounds. Each submission is JSON "
        "(text, lon, lat): validated, routed (grid by point in polygon, category proposed by "
        "the keyword classifier), deadlines computed, the case and its `submit` event inserted "
        "and committed before the 201 answer. SQLite: WAL, `synchronous=FULL`, `BEGIN "
        "IMMEDIATE`; with several processes their writers take turns through a file lock. "
        "PostgreSQL 15 from the system binaries with `fsync=on`, `synchronous_commit=on`. Each "
        "process batches the submissions waiting for its writer into one transaction "
        "(`cases/batch.py`: one INSERT per table, one commit, every submitter answered after "
        "it). The last rows repeat SQLite with `synchronous=NORMAL` (commits not fsynced: a "
        "power cut may lose the last ones) to show what durability costs. Every answer counted "
        "was 201 and the database held at least as many cases as were acknowledged (warm-ups "
        "included). The clients are closed-loop (each sends its next submission when the "
        "previous one is answered), so mean latency ≈ clients ÷ throughput: at 100 clients, "
        "p99 ≤ 50 ms needs well over 2,000 submissions/s.",
        "",
        "| backend | processes | concurrent clients | runs | submissions/s | p50 ms "
        "| p99 ms (range over runs) | mean ms | non-201 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {int(r['processes'])} | {int(r['clients'])} | {int(r['runs'])} "
            f"| {r['per_s']:.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} ({r['p99_min']:.1f}–{r['p99_max']:.1f}) | "
            f"{r['mean_ms']:.1f} | {int(r['errors'])} |"
        )
    goal = [r for r in rows if r["backend"] == "sqlite" and int(r["clients"]) == 100]
    if goal:
        lines.append("")
    for g in goal:
        rate_ok, p99_ok = g["per_s"] >= 1000, g["p99_ms"] <= 50
        lines.append(
            f"- Goal (SQLite, 100 clients: ≥ 1,000/s with p99 ≤ 50 ms), {int(g['processes'])} "
            f"process{'es' if int(g['processes']) > 1 else ''}, on the medians of "
            f"{int(g['runs'])} runs: throughput **{'met' if rate_ok else 'not met'}** "
            f"({g['per_s']:.0f}/s), p99 **{'met' if p99_ok else 'not met'}** "
            f"({g['p99_ms']:.1f} ms; {g['p99_min']:.1f}–{g['p99_max']:.1f} ms over the runs)."
        )
    return "\n".join(lines)


def write_block(body: str, name: str = BLOCK) -> None:
    """Replace the block ``name`` of docs/benchmarks.md with ``body`` (appended if new)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    new = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        i, j = text.index(start), text.index(end) + len(end)
        text = text[:i] + new + text[j:]
    else:
        text = text.rstrip() + "\n\n" + new + "\n"
    path.write_text(text, encoding="utf-8")


def run_round(backend: str, seconds: float, levels: list[int]) -> list[dict[str, float]]:
    """One backend at every level, on a fresh database and service."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="wz-bench-sqlite-", dir=ROOT / "bench") as d:
            return run_backend("sqlite", f"sqlite:///{d}/bench.sqlite3", seconds, levels)
    if backend == "sqlite-normal":
        os.environ["WZ_BENCH_SQLITE_SYNCHRONOUS"] = "NORMAL"
        try:
            with tempfile.TemporaryDirectory(prefix="wz-bench-sqlite-", dir=ROOT / "bench") as d:
                return run_backend(
                    "sqlite, synchronous=NORMAL (not durable)",
                    f"sqlite:///{d}/bench.sqlite3",
                    seconds,
                    levels,
                )
        finally:
            del os.environ["WZ_BENCH_SQLITE_SYNCHRONOUS"]
    if backend == "postgresql":
        with postgres_server() as url:
            return run_backend("postgresql", url, seconds, levels)
    raise SystemExit(f"bench: unknown backend {backend!r}")


def summarise(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    """Medians per (backend, processes, clients) over the rounds, with the range of p99."""
    groups: dict[tuple[str, int, int], list[dict[str, float]]] = {}
    for r in rows:
        key = (str(r["backend"]), int(r["processes"]), int(r["clients"]))
        groups.setdefault(key, []).append(r)
    out = []
    for (backend, processes, clients), rs in groups.items():
        m: dict[str, Any] = {
            "backend": backend,
            "processes": processes,
            "clients": clients,
            "runs": len(rs),
        }
        for k in ("per_s", "p50_ms", "p99_ms", "mean_ms"):
            m[k] = statistics.median(float(r[k]) for r in rs)
        m["p99_min"] = min(float(r["p99_ms"]) for r in rs)
        m["p99_max"] = max(float(r["p99_ms"]) for r in rs)
        m["errors"] = sum(int(r["errors"]) for r in rs)
        out.append(m)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "DIR"))
    ap.add_argument("--load", nargs=3, metavar=("PORT", "CLIENTS", "SECONDS"))
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument(
        "--workers",
        default="1,2",
        help="server processes, a comma list: each backend is measured with each count",
    )
    ap.add_argument("--generator", choices=("wrk", "python"), default="wrk", help="load generator")
    ap.add_argument("--levels", default="1,10,100")
    ap.add_argument("--backends", default="sqlite,postgresql,sqlite-normal")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument(
        "--repeats", type=int, default=3, help="rounds over all backends (medians reported)"
    )
    a = ap.parse_args()
    if a.serve:
        serve(a.serve[0], int(a.serve[1]), a.serve[2], int(a.workers))
        return
    if a.load:
        print(json.dumps(load(int(a.load[0]), int(a.load[1]), float(a.load[2]))))
        return
    global WORKERS, GENERATOR
    GENERATOR = a.generator
    if GENERATOR == "wrk":
        ensure_wrk()
    levels = [int(x) for x in a.levels.split(",")]
    rows: list[dict[str, float]] = []
    # whole rounds over the backends, so that a change of the machine's load falls on all alike
    for _ in range(a.repeats):
        for backend in a.backends.split(","):
            for workers in (int(x) for x in a.workers.split(",")):
                WORKERS = workers
                rows += run_round(backend, a.seconds, levels)
    rows = summarise(rows)
    if not a.no_write:
        write_block(block(rows, a.seconds))


if __name__ == "__main__":
    main()
