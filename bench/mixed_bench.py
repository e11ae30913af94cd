"""Mixed load on the case desk: intake at a fixed rate while others read, over loopback.

``python -m bench.mixed_bench [--seconds S] [--backends sqlite,postgresql] [--intake-rate R]
[--read-rate R] [--writers 100] [--readers 50] [--processes 1,2,4]`` (``make bench-mixed``)
starts a real ``wanzheng serve --workers N`` (the command itself, otherwise its defaults) on a
fresh database, logs
in a dispatcher, and then for ``S`` seconds:

- ``--writers`` keep-alive connections submit cases (``POST /api/cases``, JSON) together at
  ``--intake-rate`` submissions per second (default 100 × 10/s = 1,000/s);
- ``--readers`` other connections read together at ``--read-rate`` per second (default
  50 × 2/s = 100/s), alternating
  a resident's tracking page (``GET /api/track/{code}`` of a case acknowledged earlier) and the
  dispatcher's queue (``GET /api/cases?limit=20``, the newest cases in scope).

Both generators are open-loop: each connection has a schedule (its share of the rate, with a
random phase) and latency is counted from the moment a request was *due*, so a slow answer
also charges the requests that waited behind it (no coordinated omission). They run in two
processes of their own (asyncio with uvloop), separate from the service's.

Afterwards every acknowledged case (the ``id`` of each 201 answer) is looked up in the
database **by id**; a missing one fails the benchmark. Each backend is also run with intake
alone, the peer that shows what the readers cost the writers. Figures go to the ``mixed``
block of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cases_bench import TEXTS, _free_port, postgres_server, write_block

ROOT = Path(__file__).resolve().parent.parent
BLOCK = "mixed"
GOAL_MS = 50.0
PASSWORD = "bench-dispatch-2026"


# --- the service --------------------------------------------------------------------------------


def _wanzheng() -> str:
    exe = Path(sys.executable).with_name("wanzheng")
    if not exe.is_file():
        raise SystemExit(f"bench: {exe} missing; run `make .venv/.installed`")
    return str(exe)


@contextmanager
def serve(url: str, data_dir: Path, processes: int = 1) -> Iterator[int]:
    """``wanzheng serve`` on a free loopback port (migrates and seeds the database first)."""
    port = _free_port()
    env = {
        **os.environ,
        "WANZHENG_DATABASE_URL": url,
        "WANZHENG_DATA_DIR": str(data_dir),
        "WANZHENG_HOST": "127.0.0.1",
        "WANZHENG_PORT": str(port),
        "WANZHENG_ADMIN_PASSWORD": PASSWORD,
    }
    proc = subprocess.Popen(
        [_wanzheng(), "serve", "--workers", str(processes)], env=env, cwd=data_dir
    )
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"bench: wanzheng serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/open311/v2/services.json", timeout=2
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("bench: wanzheng serve did not answer")
        yield port
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post(port: int, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def dispatcher_token(port: int) -> str:
    """A dispatcher made by the admin (``wanzheng serve``'s WANZHENG_ADMIN_PASSWORD)."""
    admin = _post(port, "/api/auth/token", {"username": "admin", "password": PASSWORD})
    _post(
        port,
        "/api/admin/users",
        {"username": "dispatch", "password": PASSWORD, "role": "dispatcher"},
        admin["access_token"],
    )
    return str(
        _post(port, "/api/auth/token", {"username": "dispatch", "password": PASSWORD})[
            "access_token"
        ]
    )


def stored_ids(url: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` the database holds (looked up by primary key, in chunks)."""
    from sqlalchemy import select

    from wanzheng.cases.models import Case
    from wanzheng.db import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    found: set[int] = set()
    try:
        with make_sessionmaker(engine)() as s:
            for i in range(0, len(ids), 5000):
                chunk = ids[i : i + 5000]
                found.update(int(x) for x in s.scalars(select(Case.id).where(Case.id.in_(chunk))))
    finally:
        engine.dispose()
    return found


# --- the load generators (child processes) ------------------------------------------------------


def _submission(rnd: random.Random, port: int) -> bytes:
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


def _get(path: str, port: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode("ascii")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
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
    body = await reader.readexactly(length)
    return int(status_line.split()[1]), body


async def _connection(
    kind: str,
    port: int,
    rate: float,
    start: float,
    stop: float,
    seed: int,
    out: dict[str, Any],
    codes: list[str],
    token: str,
) -> None:
    """One open-loop connection: request k is due at start + phase + k / rate."""
    rnd = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    due = start + rnd.random() / rate
    k = 0
    try:
        while due < stop:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            if kind == "intake":
                label, request = "intake", _submission(rnd, port)
            elif k % 2 == 0:
                label, request = "track", _get(f"/api/track/{rnd.choice(codes)}", port)
            else:
                label, request = "queue", _get("/api/cases?limit=20", port, token)
            status, body = await _exchange(reader, writer, request)
            lat = time.perf_counter() - due
            out["lat"].setdefault(label, []).append(lat)
            out["codes"][str(status)] = out["codes"].get(str(status), 0) + 1
            if kind == "intake" and status == 201:
                answer = json.loads(body)
                out["ids"].append(int(answer["id"]))
                out["tracking"].append(str(answer["tracking_code"]))
            elif kind == "read" and status != 200:
                out["bad"].append(f"{label} {status} {body[:200]!r}")
            k += 1
            due += 1.0 / rate
    finally:
        writer.close()


async def _generate(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"lat": {}, "codes": {}, "ids": [], "tracking": [], "bad": []}
    n = int(spec["connections"])
    per = float(spec["rate"]) / n
    # both generators start at the same wall-clock moment
    start = time.perf_counter() + max(0.0, float(spec["start_at"]) - time.time())
    stop = start + float(spec["seconds"])
    await asyncio.gather(
        *(
            _connection(
                spec["kind"],
                int(spec["port"]),
                per,
                start,
                stop,
                int(spec["seed"]) + i,
                out,
                list(spec.get("codes", [])),
                str(spec.get("token", "")),
            )
            for i in range(n)
        )
    )
    out["elapsed_s"] = time.perf_counter() - start
    return out


def generate_main(spec_file: str) -> None:
    import uvloop

    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    out = uvloop.run(_generate(spec))
    Path(spec["out"]).write_text(json.dumps(out), encoding="utf-8")


def _spawn(spec: dict[str, Any], tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    name = f"{spec['kind']}-{spec['seed']}"
    spec = {**spec, "out": str(tmp / f"{name}.out.json")}
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.mixed_bench", "--generate", str(path)], cwd=ROOT
    )
    return proc, Path(spec["out"])


# --- one run ------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return 1000 * s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def run(
    backend: str,
    url: str,
    *,
    seconds: float,
    intake_rate: float,
    read_rate: float,
    writers: int,
    readers: int,
    processes: int = 1,
) -> dict[str, Any]:
    """One service on a fresh database: warm-up, then intake (and reads when read_rate > 0)."""
    with tempfile.TemporaryDirectory(prefix="wz-mixed-", dir=ROOT / "bench") as d:
        tmp = Path(d)
        with serve(url, tmp, processes) as port:
            token = dispatcher_token(port)
            # warm-up and the tracking codes the readers ask for: 2 s of intake at the rate
            warm_spec = {
                "kind": "intake",
                "port": port,
                "connections": writers,
                "rate": intake_rate,
                "seconds": 2.0,
                "seed": 1,
                "start_at": time.time() + 1.0,
            }
            proc, out_file = _spawn(warm_spec, tmp)
            if proc.wait() != 0:
                raise SystemExit("bench: warm-up generator failed")
            warm = json.loads(out_file.read_text(encoding="utf-8"))
            codes = list(warm["tracking"])
            if not codes:
                raise SystemExit("bench: no tracking codes after the warm-up")
            load_before = os.getloadavg()[0]
            start_at = time.time() + 1.5
            procs = [
                _spawn(
                    {
                        "kind": "intake",
                        "port": port,
                        "connections": writers,
                        "rate": intake_rate,
                        "seconds": seconds,
                        "seed": 1000,
                        "start_at": start_at,
                    },
                    tmp,
                )
            ]
            if read_rate > 0:
                procs.append(
                    _spawn(
                        {
                            "kind": "read",
                            "port": port,
                            "connections": readers,
                            "rate": read_rate,
                            "seconds": seconds,
                            "seed": 5000,
                            "start_at": start_at,
                            "codes": codes,
                            "token": token,
                        },
                        tmp,
                    )
                )
            results = []
            for proc, out_file in procs:
                if proc.wait() != 0:
                    raise SystemExit("bench: a load generator failed")
                results.append(json.loads(out_file.read_text(encoding="utf-8")))
            load_after = os.getloadavg()[0]
        intake = results[0]
        acked = [*warm["ids"], *intake["ids"]]
        found = stored_ids(url, acked)
        missing = sorted(set(acked) - found)
        row: dict[str, Any] = {
            "backend": backend,
            "processes": processes,
            "readers": readers if read_rate > 0 else 0,
            "seconds": seconds,
            "intake_target": intake_rate,
            "intake_per_s": len(intake["lat"].get("intake", [])) / intake["elapsed_s"],
            "intake_p50": _pct(intake["lat"].get("intake", []), 0.5),
            "intake_p99": _pct(intake["lat"].get("intake", []), 0.99),
            "intake_non201": sum(v for k, v in intake["codes"].items() if k != "201"),
            "acknowledged": len(acked),
            "missing": len(missing),
            "load_before": load_before,
            "load_after": load_after,
        }
        if read_rate > 0:
            reads = results[1]
            every = reads["lat"].get("track", []) + reads["lat"].get("queue", [])
            row.update(
                {
                    "read_target": read_rate,
                    "read_per_s": len(every) / reads["elapsed_s"],
                    "read_p50": _pct(every, 0.5),
                    "read_p99": _pct(every, 0.99),
                    "track_p99": _pct(reads["lat"].get("track", []), 0.99),
                    "queue_p99": _pct(reads["lat"].get("queue", []), 0.99),
                    "read_non200": sum(v for k, v in reads["codes"].items() if k != "200"),
                    "read_bad_example": reads["bad"][:1],
                }
            )
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if missing:
            raise SystemExit(
                f"bench: {len(missing)} acknowledged cases missing by id ({backend}): "
                f"{missing[:10]}"
            )
        return row


def run_backend(backend: str, **kw: Any) -> list[dict[str, Any]]:
    rows = []
    for read_rate in (kw.pop("read_rate"), 0.0):  # mixed, then intake alone (the peer)
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="wz-mixed-db-", dir=ROOT / "bench") as d:
                rows.append(run(backend, f"sqlite:///{d}/bench.sqlite3", read_rate=read_rate, **kw))
        elif backend == "postgresql":
            with postgres_server() as url:
                rows.append(run(backend, url, read_rate=read_rate, **kw))
        else:
            raise SystemExit(f"bench: unknown backend {backend!r}")
    return rows


# --- the block in docs/benchmarks.md ------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def block(rows: list[dict[str, Any]], *, writers: int, readers: int) -> str:
    loads = [r["load_before"] for r in rows]
    busy = max(loads) > 1.0
    lines = [
        "## Case desk under mixed load (intake at a fixed rate while others read)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.mixed_bench` "
        f"(`make bench-mixed`) on this machine: {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB. "
        + (
            f"**Other load was present**: the 1-minute load average just before the runs "
            f"was {min(loads):.1f}–{max(loads):.1f} (other sessions' test suites on the same two "
            "cores), so these figures are pessimistic and vary between runs. "
            if busy
            else f"The machine was otherwise quiet (load average {max(loads):.2f} before the "
            "runs). "
        )
        + "The service is the real `wanzheng serve` (`--workers` as in the processes column, "
        "otherwise its defaults) on a fresh "
        "database: SQLite with WAL and `synchronous=FULL`, or PostgreSQL 15 from the system "
        "binaries with `fsync=on`, `synchronous_commit=on`, on a unix socket. Over loopback, "
        f"{writers} keep-alive connections submit cases (`POST /api/cases`, JSON: text, lon, lat; "
        "each answered 201 only after its commit) together at the target rate, while "
        f"{readers} other connections read together at the reads target rate, alternating "
        "a resident's tracking page "
        "(`GET /api/track/{code}`, codes of earlier cases) and a dispatcher's queue "
        "(`GET /api/cases?limit=20`, bearer token). Both load generators are open-loop "
        "(each connection sends on its own schedule; latency is counted from when a request "
        "was due, so a stall charges every request that waited behind it) and run in "
        "processes of their own (asyncio + uvloop) on the same two cores as the service. "
        "After each run every acknowledged case (2 s warm-up included) was looked up in the "
        "database by its id. The peer is the same service with intake alone (no readers), "
        "in the same run; the ratio column is intake p99 mixed ÷ intake p99 alone.",
        "",
        "| backend | processes | readers | intake target/s | intake achieved/s | intake p50 ms "
        "| intake p99 ms | reads target/s | reads achieved/s | reads p50 ms | reads p99 ms "
        "(track / queue) | non-2xx | acknowledged | missing by id | load avg before |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reads = (
            f"{r['read_target']:.0f} | {r['read_per_s']:.0f} | {r['read_p50']:.1f} | "
            f"{r['read_p99']:.1f} ({r['track_p99']:.1f} / {r['queue_p99']:.1f})"
            if r["readers"]
            else "— | — | — | —"
        )
        lines.append(
            f"| {r['backend']} | {r['processes']} | {r['readers']} | {r['intake_target']:.0f} | "
            f"{r['intake_per_s']:.0f} | {r['intake_p50']:.1f} | {r['intake_p99']:.1f} | {reads} | "
            f"{r['intake_non201'] + r.get('read_non200', 0)} | {r['acknowledged']} | "
            f"{r['missing']} | {r['load_before']:.1f} |"
        )
    lines.append("")
    for backend, procs in dict.fromkeys((r["backend"], r["processes"]) for r in rows):
        same = [r for r in rows if (r["backend"], r["processes"]) == (backend, procs)]
        mixed = next((r for r in same if r["readers"]), None)
        alone = next((r for r in same if not r["readers"]), None)
        if mixed is None:
            continue
        rate_ok = mixed["intake_per_s"] >= 0.99 * mixed["intake_target"] >= 1000 * 0.99
        ok = [
            f"intake rate {'met' if rate_ok else 'not met'} ({mixed['intake_per_s']:.0f}/s)",
            f"intake p99 {'met' if mixed['intake_p99'] <= GOAL_MS else 'not met'} "
            f"({mixed['intake_p99']:.1f} ms)",
            f"reads p99 {'met' if mixed['read_p99'] <= GOAL_MS else 'not met'} "
            f"({mixed['read_p99']:.1f} ms)",
            f"every acknowledged case present by id: {'yes' if not mixed['missing'] else 'NO'}",
        ]
        ratio = (
            f"; intake p99 mixed ÷ alone = {mixed['intake_p99'] / alone['intake_p99']:.2f}"
            if alone and alone["intake_p99"] > 0
            else ""
        )
        lines.append(
            f"- Goal on {backend}, {procs} process{'es' if procs > 1 else ''} "
            "(≥ 1,000 submissions/s; reads and intake p99 ≤ 50 ms): " + ", ".join(ok) + ratio + "."
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        generate_main(sys.argv[2])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--intake-rate", type=float, default=1000.0)
    # 2 reads/s per reader: a dispatcher refreshing a queue, residents opening tracking pages
    p.add_argument("--read-rate", type=float, default=100.0)
    p.add_argument("--writers", type=int, default=100)
    p.add_argument("--readers", type=int, default=50)
    p.add_argument("--processes", default="1", help="service processes, e.g. 1,2,4")
    p.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    a = p.parse_args()
    rows: list[dict[str, Any]] = []
    for backend in a.backends.split(","):
        for processes in (int(n) for n in a.processes.split(",")):
            rows += run_backend(
                backend,
                seconds=a.seconds,
                intake_rate=a.intake_rate,
                read_rate=a.read_rate,
                writers=a.writers,
                readers=a.readers,
                processes=processes,
            )
    text = block(rows, writers=a.writers, readers=a.readers)
    print(text)
    if not a.no_write:
        write_block(text, BLOCK)


if __name__ == "__main__":
    main()
