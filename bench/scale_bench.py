"""Staff lists and measures at scale: p50 / p99 latency at 1M (and 10M) stored cases on PostgreSQL.

``python -m bench.scale_bench [--sizes 1000000,10000000] [--requests 200] [--no-write]``
(``make bench-scale``) starts a throwaway PostgreSQL (``bench.cases_bench.postgres_server``),
migrates it to the head revision, and fills it quickly with generated cases (``COPY``):

* 400 grids in 40 communities (the seed's three grids kept), the seed's departments and
  categories; a city's three years of cases, submissions growing 30 % a year;
* grids and categories drawn from Zipf-like weights (a few busy grids, a long tail), the
  department of each case its category's;
* states by age: cases older than 30 days mostly closed (85 %), resolved, rejected or merged,
  2 % still open (stuck); the last 30 days spread over the open states; deadlines from the
  category's hours and days, about 20 % of the recent open cases past one.

It then runs the real service (one uvicorn process, as ``wanzheng serve``) and times, one
request after the other on a keep-alive connection, the requests the staff's screens make:

* ``GET /api/cases?limit=20`` for a dispatcher (all cases), with ``state=`` a common and a
  rare state; for a grid worker (their grid) alone and with a state; for a handler (their
  department) with a state;
* ``GET /api/cases/overdue`` for a grid worker (their grid's open cases past a deadline);
* ``GET /api/measures`` over one month, by department and by grid.

Each figure is the p50 and p99 of ``--requests`` timed requests after 5 untimed ones. The run
is repeated without the indexes of migration 0009 (dropped, then created again) to show what
they buy. Figures go into the ``scale`` block of ``docs/benchmarks.md``. Generated data:
the latencies depend on the table's size and distribution, which are stated, not on real
case texts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BLOCK = "scale"
NOW = dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC)
YEARS = 3
N_GRIDS, N_COMMUNITIES = 400, 40
TEXTS = np.array(
    [
        "小区北门路灯不亮，晚上很黑",
        "楼下烧烤油烟扰民",
        "电梯经常停运，老人上下楼困难",
        "垃圾清运不及时，有异味",
        "人行道井盖松动，存在隐患",
        "楼道堆放杂物，消防通道堵塞",
        "噪音扰民，夜间施工",
        "自来水水压低，高层用水困难",
    ]
)


def _zipf_weights(n: int, s: float, rng: np.random.Generator) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    rng.shuffle(w)
    return w / w.sum()


def _seed_places(
    url: str,
) -> tuple[dict[str, str], list[str], dict[str, str], dict[str, Any]]:
    """Grids and communities of a city; returns grids, categories, category→department and
    the categories' deadlines."""
    from sqlalchemy import select

    from wanzheng.cases.models import CategoryRow, Community, Grid
    from wanzheng.db import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as s, s.begin():
        for c in range(N_COMMUNITIES):
            s.add(Community(key=f"c{c:02d}", name=f"社区{c:02d}"))
        s.flush()
        for g in range(N_GRIDS):
            x, y = 116.0 + (g % 20) * 0.01, 39.8 + (g // 20) * 0.01
            poly = f"POLYGON(({x} {y},{x + 0.01} {y},{x + 0.01} {y + 0.01},{x} {y + 0.01},{x} {y}))"
            s.add(
                Grid(
                    key=f"g{g:03d}",
                    name=f"网格{g:03d}",
                    community_key=f"c{g % N_COMMUNITIES:02d}",
                    polygon_wkt=poly,
                )
            )
    with make_sessionmaker(engine)() as s:
        grids = {g.key: g.community_key for g in s.scalars(select(Grid).order_by(Grid.key))}
        cats = list(s.scalars(select(CategoryRow).order_by(CategoryRow.key)))
        leaf = [c for c in cats if c.department_key is not None] or cats
        dept = {c.key: c.department_key or "office" for c in leaf}
        due = {
            c.key: (c.sign_hours or 2.0, c.respond_hours or 24.0, c.resolve_days or 7) for c in leaf
        }
    engine.dispose()
    return grids, [c.key for c in leaf], dept, due


def _chunk(
    rng: np.random.Generator,
    start_id: int,
    n: int,
    total: int,
    grids: dict[str, str],
    grid_w: np.ndarray,
    cats: list[str],
    cat_w: np.ndarray,
    dept: dict[str, str],
    due: dict[str, Any],
) -> pd.DataFrame:
    ids = np.arange(start_id, start_id + n, dtype=np.int64)
    # submission times increase with the id (as in the service) and grow 30 % a year: the
    # id's quantile maps to time through the inverse of the growing rate's integral
    q = (ids - 1 + rng.random(n)) / total
    g = np.log(1.3)
    span_y = YEARS
    t_years = np.log1p(q * (np.exp(g * span_y) - 1)) / g  # years since the start
    age_days = (span_y - t_years) * 365.0
    submitted = pd.to_datetime(NOW) - pd.to_timedelta(age_days, unit="D")
    cat = np.asarray(cats, dtype=object)[rng.choice(len(cats), n, p=cat_w)]
    grid = np.asarray(list(grids), dtype=object)[rng.choice(len(grids), n, p=grid_w)]
    sign_h = np.array([due[c][0] for c in cat], dtype=float)
    resp_h = np.array([due[c][1] for c in cat], dtype=float)
    res_d = np.array([due[c][2] for c in cat], dtype=np.int64)
    old = age_days > 30
    u = rng.random(n)
    state = np.where(
        old,
        np.select(
            [u < 0.85, u < 0.93, u < 0.96, u < 0.98, u < 0.99],
            ["closed", "resolved", "rejected", "merged", "in_progress"],
            "dispatched",
        ),
        np.select(
            [u < 0.10, u < 0.20, u < 0.40, u < 0.65, u < 0.85, u < 0.97],
            ["submitted", "accepted", "dispatched", "in_progress", "resolved", "closed"],
            "returned",
        ),
    )
    sign_due = submitted + pd.to_timedelta(sign_h, unit="h")
    respond_due = submitted + pd.to_timedelta(resp_h, unit="h")
    resolve_due = submitted + pd.to_timedelta(res_d, unit="D")
    accepted = state != "submitted"
    # handled cases mostly within their deadlines, about a fifth late
    late = rng.random(n) < 0.2
    acc_at = submitted + pd.to_timedelta(np.where(late, sign_h * 1.5, sign_h * 0.5), unit="h")
    resp_at = submitted + pd.to_timedelta(np.where(late, resp_h * 1.5, resp_h * 0.5), unit="h")
    res_at = submitted + pd.to_timedelta(np.where(late, res_d * 1.3, res_d * 0.6), unit="D")
    responded = np.isin(state, ["in_progress", "resolved", "closed", "returned"])
    resolved = np.isin(state, ["resolved", "closed"])
    now = pd.Timestamp(NOW)

    def clip(ts: pd.DatetimeIndex, mask: np.ndarray) -> pd.Series:
        s = pd.Series(ts.where(ts < now, now))
        return s.where(mask)

    rating = np.where(
        state == "closed", np.where(rng.random(n) < 0.8, "satisfied", "unsatisfied"), None
    )
    return pd.DataFrame(
        {
            "id": ids,
            "tracking_code": [f"B{i:011d}" for i in ids],
            "case_type": np.where(rng.random(n) < 0.9, "request", "complaint"),
            "source": "web",
            "text": TEXTS[rng.integers(0, len(TEXTS), n)],
            "lon": 116.0 + rng.random(n) * 0.2,
            "lat": 39.8 + rng.random(n) * 0.2,
            "category_key": cat,
            "category_source": "proposed",
            "department_key": [dept[c] for c in cat],
            "grid_key": grid,
            "community_key": [grids[k] for k in grid],
            "state": state,
            "submitted_at": submitted,
            "accepted_at": clip(acc_at, accepted),
            "responded_at": clip(resp_at, responded),
            "resolved_at": clip(res_at, resolved),
            "closed_at": clip(res_at, state == "closed"),
            "updated_at": submitted,
            "sign_due": sign_due,
            "respond_due": respond_due,
            "resolve_due": resolve_due,
            "resolve_days": res_d,
            "extension_days": 0,
            "escalation_level": 0,
            "reopen_count": 0,
            "rating": rating,
        }
    )


def generate(url: str, n: int, *, seed: int = 15) -> float:
    """Fill the cases table with ``n`` generated cases (COPY); returns the seconds taken."""
    import psycopg
    from sqlalchemy.engine import make_url

    t0 = time.perf_counter()
    grids, cats, dept, due = _seed_places(url)
    rng = np.random.default_rng(seed)
    grid_w = _zipf_weights(len(grids), 0.7, rng)
    cat_w = _zipf_weights(len(cats), 1.0, rng)
    u = make_url(url)
    host = u.query.get("host")
    with psycopg.connect(dbname=u.database, user=u.username, host=str(host)) as conn:
        conn.execute("SET synchronous_commit = off")
        step = 250_000
        for start in range(1, n + 1, step):
            frame = _chunk(
                rng, start, min(step, n - start + 1), n, grids, grid_w, cats, cat_w, dept, due
            )
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f+00")
            cols = ", ".join(frame.columns)
            with conn.cursor().copy(f"COPY cases ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buf.getvalue())
            conn.commit()
            print(f"  {start + len(frame) - 1:,} cases", flush=True)
        conn.execute(f"SELECT setval('cases_id_seq', {n})")
        conn.execute("ANALYZE")
        conn.commit()
    return time.perf_counter() - t0


def _tokens(url: str, grid: str, department: str) -> dict[str, str]:
    from wanzheng.cases.users import create_user, issue_token
    from wanzheng.db import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    out = {}
    with make_sessionmaker(engine)() as s, s.begin():
        for role, kw in (
            ("dispatcher", {}),
            ("grid_worker", {"grid": grid}),
            ("handler", {"department": department}),
        ):
            user = create_user(
                s, username=f"bench-{role}", password="bench-pass-1234", role=role, **kw
            )
            s.flush()
            out[role] = issue_token(s, user_id=user.id, now=dt.datetime.now(dt.UTC), ttl_hours=24)
    engine.dispose()
    return out


def _busy(url: str, column: str) -> str:
    """The busiest value of a column (the grid / department a worker would have)."""
    from sqlalchemy import text

    from wanzheng.db import make_engine

    engine = make_engine(url, pool_size=1)
    with engine.connect() as c:
        value = c.execute(
            text(f"SELECT {column} FROM cases GROUP BY {column} ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    return str(value)


def scenarios(month: dt.date) -> list[tuple[str, str, str]]:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    period = f"start={month.isoformat()}&end={nxt.isoformat()}"
    return [
        ("dispatcher", "/api/cases?limit=20", "dispatcher: newest 20"),
        ("dispatcher", "/api/cases?limit=20&state=submitted", "dispatcher: state=submitted"),
        ("dispatcher", "/api/cases?limit=20&state=returned", "dispatcher: state=returned (rare)"),
        ("grid_worker", "/api/cases?limit=20", "grid worker: own grid"),
        ("grid_worker", "/api/cases?limit=20&state=dispatched", "grid worker: grid + state"),
        ("handler", "/api/cases?limit=20&state=dispatched", "handler: department + state"),
        ("grid_worker", "/api/cases/overdue", "grid worker: overdue list"),
        ("dispatcher", f"/api/measures?{period}&by=department", "measures: a month by department"),
        ("dispatcher", f"/api/measures?{period}&by=grid", "measures: a month by grid"),
    ]


def measure(port: int, tokens: dict[str, str], requests: int) -> list[dict[str, Any]]:
    import httpx

    month = (NOW.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rows = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for role, path, label in scenarios(month):
            head = {"Authorization": f"Bearer {tokens[role]}"}
            times = []
            size = 0
            for i in range(5 + requests):
                t0 = time.perf_counter()
                r = client.get(path, headers=head)
                took = time.perf_counter() - t0
                if r.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
                size = len(r.json())
                if i >= 5:
                    times.append(took * 1000)
            times.sort()
            row = {
                "label": label,
                "path": path,
                "rows": size,
                "p50_ms": statistics.median(times),
                "p99_ms": times[min(len(times) - 1, int(np.ceil(0.99 * len(times))) - 1)],
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def _schema(url: str, *, with_0009: bool) -> None:
    """Migrate down to 0005 (the indexes before 0009) or up to the head, then ANALYZE."""
    from alembic import command
    from sqlalchemy import text

    from wanzheng.db import make_engine
    from wanzheng.db.migrate import alembic_config, upgrade_database

    if with_0009:
        upgrade_database(url)
    else:
        command.downgrade(alembic_config(url), "0005")
    engine = make_engine(url, pool_size=1)
    with engine.begin() as c:
        c.execute(text("ANALYZE cases"))
    engine.dispose()


@contextmanager
def _service(url: str) -> Iterator[int]:
    """The service (``bench.cases_bench --serve``: one uvicorn process) on a free port."""
    import subprocess
    import sys
    import urllib.request

    from bench.cases_bench import _free_port

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="wz-scale-") as data:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.cases_bench", "--serve", url, str(port), data,
             "--workers", "1"],
            cwd=ROOT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 300  # a loaded machine imports slowly
            while True:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/open311/v2/services.json", timeout=5
                    ) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("bench: the service did not start") from None
                    time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run_size(n: int, requests: int) -> dict[str, Any]:
    from bench.cases_bench import postgres_server
    from wanzheng.cases.seed import prepare_database

    with postgres_server() as url:
        prepare_database(url)
        print(f"generating {n:,} cases", flush=True)
        gen_s = generate(url, n)
        grid = _busy(url, "grid_key")
        department = _busy(url, "department_key")
        tokens = _tokens(url, grid, department)
        result: dict[str, Any] = {"cases": n, "generate_s": gen_s, "grid": grid, "dept": department}
        with _service(url) as port:
            result["with"] = measure(port, tokens, requests)
            _schema(url, with_0009=False)
            result["without"] = measure(port, tokens, requests)
            _schema(url, with_0009=True)
        return result


def block(results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    from bench.docs import _lscpu

    cpu = _lscpu().get("Model name", "unknown CPU")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Staff lists and measures at scale (PostgreSQL)",
        "",
        f"Measured {when} on this machine ({os.cpu_count()} CPUs, {cpu}; load average "
        f"{load[0]:.2f} before and {load[1]:.2f} after — shared with other work) by "
        "`python -m bench.scale_bench` (`make bench-scale`). **Generated data**: three years "
        "of cases growing 30 % a year over 400 grids and the seed's categories (Zipf-like "
        "weights), states by age (older than 30 days: 85 % closed, 2 % still open), written with "
        "COPY into a throwaway PostgreSQL (fsync on) at the head schema; the service is one "
        "uvicorn process (`wanzheng serve`). Each figure: p50 / p99 of the timed requests, one "
        "after another on a keep-alive connection over loopback, after 5 untimed ones; *without "
        "0009*: the same requests with the indexes of migration 0009 dropped.",
        "",
    ]
    for r in results:
        lines += [
            f"### {r['cases']:,} cases (generated and loaded in {r['generate_s']:.0f} s; "
            f"grid worker of {r['grid']}, handler of {r['dept']}, the busiest)",
            "",
            "| request | rows | p50 ms | p99 ms | p50 / p99 ms without 0009 |",
            "|---|---|---|---|---|",
        ]
        for w, wo in zip(r["with"], r["without"], strict=True):
            lines.append(
                f"| {w['label']} (`{w['path'].split('?')[0]}`) | {w['rows']} | "
                f"{w['p50_ms']:.1f} | **{w['p99_ms']:.1f}** | "
                f"{wo['p50_ms']:.1f} / {wo['p99_ms']:.1f} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    results = [run_size(int(n), args.requests) for n in args.sizes.split(",")]
    body = block(results, (before, os.getloadavg()[0]))
    print(body)
    if not args.no_write:
        from bench.docs import write_block

        write_block(BLOCK, body)


if __name__ == "__main__":
    main()
