"""Staff lists and measures at scale: p50 / p99 latency at 1M (and 10M) stored cases on PostgreSQL.

``python -m bench.scale_bench [--sizes 1000000,10000000] [--requests 200] [--no-write]
[--keep DIR] [--no-without]`` (``make bench-scale``) starts a throwaway PostgreSQL
(``bench.cases_bench.postgres_server``), migrates it to the head revision, and fills it
quickly with generated cases, inside the server (``INSERT … SELECT`` over ``generate_series``,
seeded, the secondary indexes dropped and built again after):

``--keep DIR`` (one size) keeps the server's data directory in ``DIR``: the first run
generates the cases there, later runs with the same ``--keep DIR`` and size reuse them and
only time (``--sizes 10000000 --keep /work/scale10m``: generating 10M takes a long while,
timing it again does not). ``--no-without`` skips the pass without the indexes of 0009
(dropping and building them again at 10M takes minutes).

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
* ``GET /api/cases/overdue`` for a grid worker (the first page, 100, of their grid's open
  cases past a deadline, most late first);
* ``GET /api/measures`` over one month, by department and by grid.

Then, in one process on the same database, the previous code paths of the last two
(the whole overdue list as ORM objects sorted in Python; ``measures_frame`` +
``case_measures``: a month's rows into pandas) against the new ones (``overdue_page``,
``sql_measures``), checked to agree, with the ratio.

``--escalation`` also runs one escalation pass over every overdue case of the desk (rolled
back), the batched ``escalate_overdue`` against the previous whole-list path, each in a fresh
process, with its time and peak resident memory (both must raise as many cases).

Each figure is the p50 and p99 of ``--requests`` timed requests after 5 untimed ones. The run
is repeated without the indexes of migration 0009 (dropped, then created again) to show what
they buy. Figures go into the ``scale`` block of ``docs/benchmarks.md``. Generated data:
the latencies depend on the table's size and distribution, which are stated, not on real
case texts.
"""

from __future__ import annotations

import argparse
import datetime as dt
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


B = 10_000
"""Buckets of the weighted draws: a grid / category per bucket, in proportion to its weight."""

CASES_SQL = """
INSERT INTO cases (
  id, tracking_code, case_type, source, text, lon, lat, category_key, category_source,
  department_key, grid_key, community_key, state, submitted_at, accepted_at, responded_at,
  resolved_at, closed_at, updated_at, sign_due, respond_due, resolve_due, resolve_days,
  extension_days, escalation_level, reopen_count, rating)
SELECT id, 'B' || lpad(id::text, 11, '0'),
  CASE WHEN r_type < 0.9 THEN 'request' ELSE 'complaint' END, 'web',
  (%(texts)s::text[])[1 + floor(r_text * %(n_texts)s)::int],
  116 + r_lon * 0.2, 39.8 + r_lat * 0.2, c.key, 'proposed', c.dept, g.key, g.community, st,
  sub,
  CASE WHEN st <> 'submitted' THEN least(sub + c.sign_h * f * interval '1 hour', %(now)s) END,
  CASE WHEN st IN ('in_progress', 'resolved', 'closed', 'returned')
       THEN least(sub + c.resp_h * f * interval '1 hour', %(now)s) END,
  CASE WHEN st IN ('resolved', 'closed')
       THEN least(sub + c.res_d * (0.4 + 0.7 * f) * interval '1 day', %(now)s) END,
  CASE WHEN st = 'closed'
       THEN least(sub + c.res_d * (0.4 + 0.7 * f) * interval '1 day', %(now)s) END,
  sub, sub + c.sign_h * interval '1 hour', sub + c.resp_h * interval '1 hour',
  sub + c.res_d * interval '1 day', c.res_d, 0, 0, 0,
  CASE WHEN st = 'closed' THEN CASE WHEN r_rate < 0.8 THEN '满意' ELSE '不满意' END END
FROM (
  SELECT id, r_type, r_text, r_lon, r_lat, r_cat, r_grid, r_rate, sub,
    -- handled mostly within the deadline, about a fifth late
    CASE WHEN r_late < 0.2 THEN 1.5 ELSE 0.5 END AS f,
    CASE WHEN age > 30 THEN
      CASE WHEN u < 0.85 THEN 'closed' WHEN u < 0.93 THEN 'resolved'
           WHEN u < 0.96 THEN 'rejected' WHEN u < 0.98 THEN 'merged'
           WHEN u < 0.99 THEN 'in_progress' ELSE 'dispatched' END
    ELSE
      CASE WHEN u < 0.10 THEN 'submitted' WHEN u < 0.20 THEN 'accepted'
           WHEN u < 0.40 THEN 'dispatched' WHEN u < 0.65 THEN 'in_progress'
           WHEN u < 0.85 THEN 'resolved' WHEN u < 0.97 THEN 'closed' ELSE 'returned' END
    END AS st
  FROM (
    SELECT id, r_type, r_text, r_lon, r_lat, r_cat, r_grid, r_rate, r_late, u, age,
      %(now)s - age * interval '1 day' AS sub
    FROM (
      -- submission times rise with the id and grow 30 %% a year (inverse of the integral)
      SELECT id, random() AS r_type, random() AS r_text, random() AS r_lon, random() AS r_lat,
        random() AS r_cat, random() AS r_grid, random() AS r_rate, random() AS r_late,
        random() AS u,
        (%(years)s - ln(1 + ((id - 1 + random()) / %(total)s) * (%(growth)s ^ %(years)s - 1))
           / ln(%(growth)s)) * 365.0 AS age
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id
    ) a
  ) b
) s
JOIN pick_cat c ON c.b = floor(s.r_cat * %(buckets)s)::int
JOIN pick_grid g ON g.b = floor(s.r_grid * %(buckets)s)::int
"""


def _buckets(keys: list[str], weights: np.ndarray) -> list[str]:
    """``B`` keys, each as often as its weight says (a draw is one bucket at random)."""
    counts = np.floor(weights * B).astype(int)
    counts[np.argmax(weights)] += B - counts.sum()
    return [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]


def generate(url: str, n: int, *, seed: int = 15) -> float:
    """Fill the cases table with ``n`` generated cases (in the server: INSERT … SELECT over
    ``generate_series``, seeded); returns the seconds taken, ANALYZE included."""
    import psycopg
    from sqlalchemy.engine import make_url

    t0 = time.perf_counter()
    grids, cats, dept, due = _seed_places(url)
    rng = np.random.default_rng(seed)
    grid_keys = list(grids)
    grid_pick = _buckets(grid_keys, _zipf_weights(len(grid_keys), 0.7, rng))
    cat_pick = _buckets(cats, _zipf_weights(len(cats), 1.0, rng))
    u = make_url(url)
    with psycopg.connect(dbname=u.database, user=u.username, host=str(u.query["host"])) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        # a bulk load: the secondary indexes are dropped and built again at the end (at 10M,
        # keeping them costs random index writes through a small buffer cache)
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("SELECT setseed(%s)", (seed / 100,))
        conn.execute(
            "CREATE TEMP TABLE pick_cat (b int PRIMARY KEY, key text, dept text, "
            "sign_h float8, resp_h float8, res_d int)"
        )
        conn.execute("CREATE TEMP TABLE pick_grid (b int PRIMARY KEY, key text, community text)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO pick_cat VALUES (%s, %s, %s, %s, %s, %s)",
                [(b, k, dept[k], *due[k]) for b, k in enumerate(cat_pick)],
            )
            cur.executemany(
                "INSERT INTO pick_grid VALUES (%s, %s, %s)",
                [(b, k, grids[k]) for b, k in enumerate(grid_pick)],
            )
        step = 1_000_000
        for first in range(1, n + 1, step):
            last = min(n, first + step - 1)
            conn.execute(
                CASES_SQL,  # type: ignore[arg-type]
                {
                    "texts": list(TEXTS),
                    "n_texts": len(TEXTS),
                    "now": NOW,
                    "years": YEARS,
                    "growth": 1.3,
                    "total": n,
                    "first": first,
                    "last": last,
                    "buckets": B,
                },
            )
            conn.commit()
            print(f"  {last:,} cases ({time.perf_counter() - t0:.0f} s)", flush=True)
        conn.execute(f"SELECT setval('cases_id_seq', {n})")
        conn.commit()
        for name, ddl in indexes:
            conn.execute(ddl)
            conn.commit()
            print(f"  index {name} ({time.perf_counter() - t0:.0f} s)", flush=True)
        conn.autocommit = True
        conn.execute("ANALYZE cases")
    return time.perf_counter() - t0


def _tokens(url: str, grid: str, department: str) -> dict[str, str]:
    from sqlalchemy import select

    from wanzheng.cases.models import User
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
            name = f"bench-{role}"
            # a kept database (--keep) has them from an earlier run
            user = s.scalar(select(User).where(User.username == name)) or create_user(
                s, username=name, password="bench-pass-1234", role=role, **kw
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


def scenarios(month: dt.date, category: str) -> list[tuple[str, str, str]]:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    period = f"start={month.isoformat()}&end={nxt.isoformat()}"
    return [
        ("dispatcher", "/api/cases?limit=20", "dispatcher: newest 20"),
        ("dispatcher", "/api/cases?limit=20&state=submitted", "dispatcher: state=submitted"),
        ("dispatcher", "/api/cases?limit=20&state=returned", "dispatcher: state=returned (rare)"),
        ("grid_worker", "/api/cases?limit=20", "grid worker: own grid"),
        ("grid_worker", "/api/cases?limit=20&state=dispatched", "grid worker: grid + state"),
        ("handler", "/api/cases?limit=20&state=dispatched", "handler: department + state"),
        ("grid_worker", "/api/cases?limit=20&overdue=true", "grid worker: overdue, newest 20"),
        ("dispatcher", "/api/cases?limit=20&overdue=true", "dispatcher: overdue, newest 20"),
        ("dispatcher", f"/api/cases?limit=20&category={category}", "dispatcher: category"),
        ("grid_worker", "/api/cases/overdue", "grid worker: overdue list, most late 100"),
        ("dispatcher", f"/api/measures?{period}&by=department", "measures: a month by department"),
        ("dispatcher", f"/api/measures?{period}&by=grid", "measures: a month by grid"),
    ]


def measure(
    port: int, tokens: dict[str, str], requests: int, category: str
) -> list[dict[str, Any]]:
    import httpx

    month = (NOW.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rows = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for role, path, label in scenarios(month, category):
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


def _timed(fn: Any, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` calls of ``fn`` (after one untimed) and its size."""
    size = len(fn())
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), size


def _same(label: str, old: Any, new: Any) -> None:
    """The new path answers what the previous one did (else the run stops)."""
    import pandas as pd

    if isinstance(old, pd.DataFrame):
        hours = "avg_handling_hours"
        pd.testing.assert_frame_equal(
            new.drop(columns=hours), old.drop(columns=hours), check_dtype=False, rtol=0, atol=0
        )
        pd.testing.assert_series_equal(new[hours], old[hours], check_dtype=False, atol=1e-6)
        return
    from wanzheng.cases.deadlines import overdue_hours

    want = [round(overdue_hours(m), 6) for _, m in old[: len(new)]]
    if [round(overdue_hours(m), 6) for _, m in new] != want:
        raise SystemExit(f"bench: {label}: the page differs from the head of the whole list")


def _whole_overdue_list(session: Any, actor: Any, now: dt.datetime) -> list[tuple[Any, Any]]:
    """The previous overdue list (before ``overdue_page``): every open case of the scope with
    a deadline passed loaded as an ORM object, the unmet ones kept and sorted in Python."""
    from sqlalchemy import or_, select

    from wanzheng.cases.crud import missed_now, scoped
    from wanzheng.cases.deadlines import overdue_hours
    from wanzheng.cases.models import Case

    q = scoped(
        select(Case)
        .where(Case.state.not_in(("closed", "merged", "rejected", "resolved")))
        .where(or_(Case.sign_due < now, Case.respond_due < now, Case.resolve_due < now)),
        actor,
    )
    out = [(c, m) for c in session.scalars(q).all() if (m := missed_now(c, now))]
    out.sort(key=lambda item: -overdue_hours(item[1]))
    return out


ESCALATION = """
import datetime as dt, json, sys, time
from pathlib import Path
from wanzheng.cases.states import load_state_machine
from wanzheng.db import make_engine, make_sessionmaker
url, path, now = sys.argv[1], sys.argv[2], dt.datetime.fromisoformat(sys.argv[3])
machine = load_state_machine()
engine = make_engine(url, pool_size=1)
def hwm():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
import bench.scale_bench as b
Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
start = hwm()
t0 = time.perf_counter()
with make_sessionmaker(engine)() as s:
    if path == "new":
        from wanzheng.cases.crud import escalate_overdue
        n = len(escalate_overdue(s, now=now, machine=machine))
    else:
        n = b._whole_list_escalation(s, now, machine)
    s.rollback()
print(json.dumps({"path": path, "s": time.perf_counter() - t0, "raised": n,
                  "peak_bytes": hwm(), "start_bytes": start}))
"""


def _whole_list_escalation(session: Any, now: dt.datetime, machine: Any) -> int:
    """The previous escalation pass: the whole overdue list as ORM objects (as
    :func:`_whole_overdue_list`), each case's level raised with one event per level."""
    from wanzheng.cases.deadlines import overdue_hours
    from wanzheng.cases.models import CaseEvent
    from wanzheng.cases.users import Actor

    raised = 0
    for case, missed in _whole_overdue_list(session, Actor.system(), now):
        level = machine.escalation.level(overdue_hours(missed))
        if case.escalation_level < level:
            raised += 1
        while case.escalation_level < level:
            case.escalation_level += 1
            session.add(
                CaseEvent(case_id=case.id, action="escalate", from_state=case.state,
                          to_state=case.state, actor_id=None, actor_role="system", at=now,
                          note=machine.escalation.levels[case.escalation_level - 1])
            )  # fmt: skip
    session.flush()
    return raised


def escalation(url: str) -> list[dict[str, Any]]:
    """One escalation pass over every overdue case of the desk (rolled back), the previous
    path (the whole list as ORM objects) against the batched one (``escalate_overdue``),
    each in a fresh process: seconds and the process's peak resident memory."""
    import subprocess
    import sys

    rows = []
    for path in ("new", "old"):
        proc = subprocess.run(
            [sys.executable, "-c", ESCALATION, url, path, NOW.isoformat()],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"bench: escalation ({path}) failed:\n{proc.stderr[-2000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
    if rows[0]["raised"] != rows[1]["raised"]:
        raise SystemExit(f"bench: the escalation paths raised different cases: {rows}")
    return rows


def peers(url: str, grid: str, repeat: int) -> list[dict[str, Any]]:
    """The previous code paths against the new ones, in one process on the same database:
    the whole overdue list loaded as ORM objects and sorted in Python (as before) vs
    one page ordered and limited by the database (``overdue_page``); a month's cases read
    into pandas (``measures_frame`` + ``case_measures``) vs the aggregation in SQL
    (``sql_measures``). Medians of ``repeat`` calls each."""
    from wanzheng.cases.crud import measures_frame, overdue_page
    from wanzheng.cases.measures import case_measures
    from wanzheng.cases.measures_sql import sql_measures
    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.users import Actor
    from wanzheng.db import make_engine, make_sessionmaker

    month = (NOW.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    bj = dt.timezone(dt.timedelta(hours=8))
    t0 = dt.datetime.combine(month, dt.time(0), tzinfo=bj)
    t1 = dt.datetime.combine(nxt, dt.time(0), tzinfo=bj)
    now = dt.datetime.now(dt.UTC)
    states = list(load_state_machine().states)
    worker = Actor(role="grid_worker", user_id=1, username="bench", grid_key=grid)
    engine = make_engine(url, pool_size=1)
    rows = []
    with make_sessionmaker(engine)() as s:

        def old_measures(by: str) -> Any:
            frame = measures_frame(s, submitted_from=t0, submitted_before=t1)
            return case_measures(frame, by=by, start=t0, end=t1, now=now)

        pairs = [
            (
                "grid worker: overdue list",
                lambda: (s.expunge_all(), _whole_overdue_list(s, worker, now))[1],
                lambda: overdue_page(s, actor=worker, now=now, limit=100, states=states),
            ),
            (
                "measures: a month by department",
                lambda: old_measures("department"),
                lambda: sql_measures(s, by="department", start=t0, end=t1, now=now),
            ),
            (
                "measures: a month by grid",
                lambda: old_measures("grid"),
                lambda: sql_measures(s, by="grid", start=t0, end=t1, now=now),
            ),
        ]
        for label, old, new in pairs:
            old_ms, old_n = _timed(old, repeat)
            new_ms, new_n = _timed(new, repeat * 4)
            _same(label, old(), new())
            row = {"label": label, "old_ms": old_ms, "old_rows": old_n, "new_ms": new_ms,
                   "new_rows": new_n}  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
    engine.dispose()
    return rows


def _schema(url: str, *, with_0009: bool) -> None:
    """Migrate down to the revision before 0009 or up to the head, then ANALYZE."""
    from alembic import command
    from sqlalchemy import text

    from wanzheng.db import make_engine
    from wanzheng.db.migrate import alembic_config, upgrade_database

    if with_0009:
        upgrade_database(url)
    else:
        command.downgrade(alembic_config(url), "0009-1")  # the revision before 0009
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


def run_size(
    n: int,
    requests: int,
    *,
    keep: Path | None = None,
    without: bool = True,
    with_escalation: bool = False,
) -> dict[str, Any]:
    """Generate ``n`` cases (or, with ``keep``, reuse the ones generated there before) and
    time the staff's requests; ``without``: again without the indexes of 0009."""
    from bench.cases_bench import postgres_server
    from wanzheng.cases.seed import prepare_database

    marker = keep / "generated.json" if keep is not None else None
    if marker is not None and marker.exists():
        done = json.loads(marker.read_text())
        if done["cases"] != n:
            raise SystemExit(f"bench: {keep} holds {done['cases']:,} cases, not {n:,}")
    elif keep is not None and (keep / "data").exists():
        raise SystemExit(f"bench: {keep} holds an unfinished generation; remove it first")
    with postgres_server(keep=keep) as url:
        prepare_database(url)  # at the head schema again if a run stopped without 0009
        if marker is not None and marker.exists():
            gen_s = float(json.loads(marker.read_text())["generate_s"])
            print(f"reusing {n:,} cases in {keep} (generated in {gen_s:.0f} s)", flush=True)
        else:
            print(f"generating {n:,} cases", flush=True)
            gen_s = generate(url, n)
            if marker is not None:
                marker.write_text(json.dumps({"cases": n, "generate_s": gen_s}))
        grid = _busy(url, "grid_key")
        department = _busy(url, "department_key")
        category = _busy(url, "category_key")
        tokens = _tokens(url, grid, department)
        result: dict[str, Any] = {"cases": n, "generate_s": gen_s, "grid": grid, "dept": department}
        with _service(url) as port:
            result["with"] = measure(port, tokens, requests, category)
            if without:
                _schema(url, with_0009=False)
                try:
                    result["without"] = measure(port, tokens, requests, category)
                finally:
                    _schema(url, with_0009=True)
        result["peers"] = peers(url, grid, 5)
        if with_escalation:
            result["escalation"] = escalation(url)
        return result


HEAD = (
    "## Staff lists and measures at scale (PostgreSQL)\n\n"
    "Measured on this machine by `python -m bench.scale_bench` (`make bench-scale`; the date and "
    "the load of each size with its table — the machine is shared with other work). "
    "**Generated data**: three years of cases growing 30 % a year over 400 grids and the "
    "seed's categories (Zipf-like weights), states by age (older than 30 days: 85 % closed, "
    "2 % still open), generated inside PostgreSQL (a default configuration, fsync on; "
    "`INSERT … SELECT` over `generate_series`, the secondary indexes built after) at the head "
    "schema, then ANALYZE; the service is one uvicorn process (`wanzheng serve`). Each figure: "
    "p50 / p99 of the timed requests, one after another on a keep-alive connection over "
    "loopback, after 5 untimed ones; *without 0009*: the same requests with the indexes of "
    "migration 0009 dropped."
)
READING = "<!-- reading: written by hand, kept by the benchmark -->"
"""Below this line of the block: the reading of the figures, which a run leaves as it is."""


def section(r: dict[str, Any]) -> str:
    """The figures of one size (a ``### N cases`` section of the block)."""
    from bench.docs import _lscpu

    cpu = _lscpu().get("Model name", "unknown CPU")
    without = r.get("without") or [None] * len(r["with"])
    lines = [
        f"### {r['cases']:,} cases",
        "",
        f"Measured {r['when']} ({os.cpu_count()} CPUs, {cpu}; load average {r['load'][0]:.2f} "
        f"before and {r['load'][1]:.2f} after; {r['requests']} timed requests each). "
        f"Generated and loaded in {r['generate_s']:.0f} s; grid worker of {r['grid']}, "
        f"handler of {r['dept']}, the busiest.",
        "",
        "| request | rows | p50 ms | p99 ms | p50 / p99 ms without 0009 |",
        "|---|---|---|---|---|",
    ]
    for w, wo in zip(r["with"], without, strict=True):
        other = "not run" if wo is None else f"{wo['p50_ms']:.1f} / {wo['p99_ms']:.1f}"
        lines.append(
            f"| {w['label']} (`{w['path'].split('?')[0]}`) | {w['rows']} | "
            f"{w['p50_ms']:.1f} | **{w['p99_ms']:.1f}** | {other} |"
        )
    lines += [
        "",
        "Before / after on the same data, in one process (no HTTP; median of 5 calls of the "
        "previous path, 20 of the new one):",
        "",
        "| request | previous path | rows | ms | new path | rows | ms | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in r.get("peers", []):
        old_path, new_path = (
            ("the whole list (ORM, sorted in Python)", "`overdue_page` (SQL order, 100)")
            if "overdue" in p["label"]
            else ("`measures_frame` + `case_measures` (pandas)", "`sql_measures` (GROUP BY)")
        )
        lines.append(
            f"| {p['label']} | {old_path} | {p['old_rows']} | {p['old_ms']:.1f} | "
            f"{new_path} | {p['new_rows']} | {p['new_ms']:.1f} | "
            f"**{p['old_ms'] / p['new_ms']:.0f}×** |"
        )
    for e in r.get("escalation", []):
        if e is r["escalation"][0]:
            lines += [
                "",
                "One escalation pass over every overdue case of the desk (rolled back), each in "
                "a fresh process:",
                "",
                "| path | cases raised | s | peak resident memory of the process |",
                "|---|---|---|---|",
            ]
        name = (
            "`escalate_overdue` (batches of 1,000 by id)"
            if e["path"] == "new"
            else "the whole list (ORM), as before"
        )
        lines.append(
            f"| {name} | {e['raised']:,} | {e['s']:.1f} | {e['peak_bytes'] / 2**30:.2f} GiB |"
        )
    return "\n".join(lines)


def block(results: list[dict[str, Any]], previous: str = "") -> str:
    """The block: the sizes measured now, the other sizes' sections of ``previous`` (the
    block as it was) kept, smallest first, then the hand-written reading of ``previous``."""
    import re

    body, _, reading = previous.partition(READING)
    sections = {
        int(m.group(1).replace(",", "")): m.group(0).strip()
        for m in re.finditer(r"^### ([\d,]+) cases\b.*?(?=^### |\Z)", body, re.M | re.S)
    }
    sections.update({r["cases"]: section(r) for r in results})
    parts = [HEAD, *(sections[n] for n in sorted(sections))]
    if reading.strip():
        parts.append(READING + "\n" + reading.strip())
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        help="a directory for the PostgreSQL server, kept: generated once, reused by later "
        "runs (one size only)",
    )
    parser.add_argument(
        "--no-without", action="store_true", help="skip the pass without the indexes of 0009"
    )
    parser.add_argument(
        "--escalation",
        action="store_true",
        help="also time one escalation pass over every overdue case, batched and as before",
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.keep is not None and len(sizes) != 1:
        parser.error("--keep takes one size")
    results = []
    for n in sizes:
        before = os.getloadavg()[0]
        r = run_size(
            n,
            args.requests,
            keep=args.keep,
            without=not args.no_without,
            with_escalation=args.escalation,
        )
        r |= {
            "load": (before, os.getloadavg()[0]),
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "requests": args.requests,
        }
        results.append(r)
    from bench.docs import BENCHMARKS_MD, write_block

    old = BENCHMARKS_MD.read_text(encoding="utf-8")
    start, end = f"<!-- BEGIN {BLOCK} -->", f"<!-- END {BLOCK} -->"
    previous = old.split(start, 1)[1].split(end, 1)[0] if start in old else ""
    body = block(results, previous)
    print(body)
    if not args.no_write:
        write_block(BLOCK, body)


if __name__ == "__main__":
    main()
