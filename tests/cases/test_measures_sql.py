"""The measures aggregated in SQL equal the pandas ``case_measures`` on the same stored cases;
the paged overdue list, its batches, its count and escalation over them equal the same computed
case by case in Python; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import event, func, insert, inspect, select, text

from wanzheng.cases.crud import (
    _overdue_select,
    count_overdue,
    escalate_overdue,
    measures_frame,
    missed_now,
    overdue_batches,
    overdue_of,
    overdue_page,
    visible,
)
from wanzheng.cases.deadlines import overdue_hours
from wanzheng.cases.measures import GROUPINGS, case_measures
from wanzheng.cases.measures_sql import sql_measures
from wanzheng.cases.models import Case, CaseEvent, CategoryRow, Community, Department, Grid
from wanzheng.cases.states import load_state_machine
from wanzheng.cases.users import Actor
from wanzheng.db import make_engine, make_sessionmaker
from wanzheng.errors import DataError, PermissionDeniedError

UTC = dt.UTC
BJ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 10, 20, 3, 30, tzinfo=UTC)
START = dt.datetime(2026, 9, 1, tzinfo=BJ)  # 08-31 16:00 UTC
END = dt.datetime(2026, 11, 1, tzinfo=BJ)
STATES = ("closed", "closed", "resolved", "in_progress", "submitted", "accepted", "merged",
          "rejected")  # fmt: skip
MACHINE_STATES = (*STATES[1:], "dispatched", "returned", "reopened", "disputed")
RATINGS = (None, None, "满意", "基本满意", "不满意")


def _fill(url: str) -> None:
    """About 400 cases submitted from 08-25 to 11-05 (inside, on and outside the period's
    edges), with every combination the definitions distinguish: responded on time, late,
    not yet and still inside the response time, not yet and past it; resolved before or
    after the deadline, open past it or not; every state, with and without ratings; keys
    missing; two case types."""
    engine = make_engine(url, pool_size=1)
    rng = np.random.default_rng(15)
    with make_sessionmaker(engine)() as s, s.begin():
        cats = list(s.scalars(select(CategoryRow.key)))[:5]
        depts = [*list(s.scalars(select(Department.key)))[:3], None]
        grids = [*list(s.scalars(select(Grid.key)))[:3], None]
        comms = [*list(s.scalars(select(Community.key)))[:2], None]
        rows = []
        base = dt.datetime(2026, 8, 25, tzinfo=UTC)
        for i in range(400):
            if i < 6:  # on the edges: the period's start and end, a month's Beijing midnight
                edges = (START, END, dt.datetime(2026, 10, 1, tzinfo=BJ))
                sub = edges[i % 3] - dt.timedelta(microseconds=i // 3)
            else:
                sub = base + dt.timedelta(minutes=int(rng.integers(0, 72 * 24 * 60)))
            respond_due = sub + dt.timedelta(hours=int(rng.integers(1, 96)))
            resolve_due = sub + dt.timedelta(days=int(rng.integers(1, 20)))
            kind = int(rng.integers(0, 4))
            responded = (
                None
                if kind == 0
                else respond_due - dt.timedelta(minutes=int(rng.integers(1, 60)))
                if kind == 1
                else respond_due
                if kind == 2
                else respond_due + dt.timedelta(hours=int(rng.integers(1, 48)))
            )
            state = STATES[int(rng.integers(0, len(STATES)))]
            resolved = None
            if state in ("closed", "resolved") or rng.random() < 0.1:
                resolved = resolve_due + dt.timedelta(
                    hours=float(rng.normal(0, 72)), microseconds=int(rng.integers(0, 10**6))
                )
                resolved = max(resolved, sub + dt.timedelta(seconds=1))
            rows.append(
                {
                    "tracking_code": f"T{i:06d}",
                    "case_type": "proactive" if i % 7 == 0 else "request",
                    "source": "web",
                    "text": "测试",
                    "category_key": cats[i % len(cats)],
                    "department_key": depts[int(rng.integers(0, len(depts)))],
                    "grid_key": grids[int(rng.integers(0, len(grids)))],
                    "community_key": comms[int(rng.integers(0, len(comms)))],
                    "state": state,
                    "submitted_at": sub,
                    "accepted_at": None if state == "submitted" else sub,
                    "responded_at": responded,
                    "resolved_at": resolved,
                    "updated_at": sub,
                    "sign_due": sub + dt.timedelta(hours=2),
                    "respond_due": respond_due,
                    "resolve_due": resolve_due,
                    "resolve_days": 5,
                    "extension_days": 0,
                    "escalation_level": 0,
                    "reopen_count": 0,
                    "rating": RATINGS[int(rng.integers(0, len(RATINGS)))]
                    if state in ("closed", "resolved")
                    else None,
                }
            )
        s.execute(insert(Case), rows)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def filled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # a module-scoped database of each kind, filled once
    import shutil

    from dbfixtures import _pg_execute, _with_database

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("measures") / "wanzheng.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        _fill(f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server_url")
    tpl = request.getfixturevalue("_pg_template")
    name = "wz_measures_sql"
    _pg_execute(server, f"CREATE DATABASE {name} TEMPLATE {tpl} STRATEGY FILE_COPY")
    url = _with_database(server, name)
    _fill(url)
    yield url
    _pg_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _compare(s: object, **kw: object) -> pd.DataFrame:
    case_type = kw.pop("case_type", None)
    start, end = kw["start"], kw["end"]
    frame = measures_frame(s, case_type=case_type, submitted_from=start, submitted_before=end)  # type: ignore[arg-type]
    want = case_measures(frame, now=NOW, **kw)  # type: ignore[arg-type]
    got = sql_measures(s, now=NOW, case_type=case_type, **kw)  # type: ignore[arg-type]
    assert list(got.index) == list(want.index)
    assert list(got.columns) == list(want.columns)
    hours = "avg_handling_hours"
    # counts and rates exactly; hours to 1e-6 h (3.6 ms: SQLite's date functions keep ms)
    pd.testing.assert_frame_equal(
        got.drop(columns=hours), want.drop(columns=hours), check_dtype=False, rtol=0, atol=0
    )
    pd.testing.assert_series_equal(got[hours], want[hours], check_dtype=False, rtol=0, atol=1e-6)
    return got


def test_sql_measures_equal_pandas_measures(filled: str) -> None:
    engine = make_engine(filled, pool_size=1)
    with make_sessionmaker(engine)() as s:
        seen = 0
        for by, case_type in itertools.product(GROUPINGS, (None, "proactive")):
            periods = ("month", "week", "day") if by == "period" else ("month",)
            for period in periods:
                got = _compare(s, by=by, start=START, end=END, period=period, case_type=case_type)
                seen += len(got)
        # the fixture reaches the edges the definitions name
        total = _compare(s, by="all", start=START, end=END, period="month")
        row = total.loc["all"]
        assert 200 < row["cases"] < 400  # cases outside the period and merged/rejected left out
        assert row["response_judged"] < row["cases"]  # some still inside their response time
        assert 0 < row["responded_on_time"] < row["response_judged"]
        assert row["overdue"] > 0 and 0 < row["satisfied"] < row["rated"]
        by_grid = _compare(s, by="grid", start=START, end=END, period="month")
        assert "(none)" in by_grid.index
        # one day inside every response time (judged 0: NaN rate), and an empty period
        late = dt.datetime(2026, 10, 20, tzinfo=BJ)
        last = _compare(s, by="all", start=late, end=late + dt.timedelta(days=1), period="month")
        assert last.loc["all", "cases"] > 0
        empty = sql_measures(
            s, by="grid", start=dt.datetime(2027, 1, 1, tzinfo=UTC),
            end=dt.datetime(2027, 2, 1, tzinfo=UTC), now=NOW,
        )  # fmt: skip
        assert empty.empty and len(empty.columns) == 11
        assert seen > 50
        with pytest.raises(DataError, match="period"):
            sql_measures(s, by="period", start=START, end=END, now=NOW, period="year")
        with pytest.raises(DataError, match="by"):
            sql_measures(s, by="street", start=START, end=END, now=NOW)
    engine.dispose()


def test_sql_measures_hand_checked(filled: str) -> None:
    """One day's cases counted by hand from the stored rows (an independent reading)."""
    engine = make_engine(filled, pool_size=1)
    day0 = dt.datetime(2026, 10, 1, tzinfo=BJ)
    day1 = day0 + dt.timedelta(days=3)
    with make_sessionmaker(engine)() as s:
        rows = [
            r
            for r in s.execute(select(Case)).scalars()
            if day0 <= r.submitted_at < day1 and r.state not in ("merged", "rejected")
        ]
        got = sql_measures(s, by="all", start=day0, end=day1, now=NOW).loc["all"]
    engine.dispose()
    assert got["cases"] == len(rows) > 0
    judged = [r for r in rows if r.responded_at is not None or r.respond_due < NOW]
    on_time = [r for r in rows if r.responded_at is not None and r.responded_at <= r.respond_due]
    assert got["response_judged"] == len(judged)
    assert got["responded_on_time"] == len(on_time)
    assert got["response_rate"] == pytest.approx(len(on_time) / len(judged))
    solved = [r for r in rows if r.state == "closed" and r.rating != "不满意"]
    assert got["solved"] == len(solved)
    hours = [(r.resolved_at - r.submitted_at).total_seconds() / 3600 for r in rows if r.resolved_at]
    if hours:
        assert got["avg_handling_hours"] == pytest.approx(sum(hours) / len(hours), abs=1e-6)
    else:
        assert math.isnan(got["avg_handling_hours"])


def _whole_list(s: Any, actor: Actor, now: dt.datetime) -> list[tuple[Case, dict[str, float]]]:
    """The overdue list computed case by case in Python: every case of the scope loaded,
    :func:`missed_now` on each, most late first, ties by id (an independent reading)."""
    cases = [c for c in s.scalars(select(Case).order_by(Case.id)) if visible(c, actor)]
    late = [(c, m) for c in cases if (m := missed_now(c, now))]
    return sorted(late, key=lambda item: -overdue_hours(item[1]))


def test_overdue_page_is_the_overdue_list_in_pages(filled: str) -> None:
    engine = make_engine(filled, pool_size=1)
    with make_sessionmaker(engine)() as s:
        grid = s.scalars(select(Case.grid_key).where(Case.grid_key.is_not(None))).first()
        for actor in (
            Actor(role="admin", user_id=1, username="a"),
            Actor(role="grid_worker", user_id=2, username="g", grid_key=grid),
        ):
            whole = _whole_list(s, actor, NOW)
            assert len(whole) > 10
            pages = []
            for offset in itertools.count(0, 7):
                page = overdue_page(s, actor=actor, now=NOW, limit=7, offset=offset)
                # naming the open states of the machine reads the same cases
                named = overdue_page(
                    s, actor=actor, now=NOW, limit=7, offset=offset, states=MACHINE_STATES
                )
                assert [(r.id, m) for r, m in named] == [(r.id, m) for r, m in page]
                pages += page
                if len(page) < 7:
                    break
            assert {r.id: m for r, m in pages} == {c.id: m for c, m in whole}
            assert len(pages) == len(whole)
            late = [overdue_hours(m) for _, m in pages]
            assert late == sorted(late, reverse=True) and late == [
                overdue_hours(m) for _, m in whole
            ]
            if actor.role == "grid_worker":
                assert {r.grid_key for r, _ in pages} == {grid}
        with pytest.raises(PermissionDeniedError):
            overdue_page(s, actor=Actor(role="resident", user_id=3), now=NOW)
    engine.dispose()


def test_overdue_batches_and_count_walk_every_overdue_case_once(filled: str) -> None:
    engine = make_engine(filled, pool_size=1)
    with make_sessionmaker(engine)() as s:
        grid = s.scalars(select(Case.grid_key).where(Case.grid_key.is_not(None))).first()
        for actor in (
            Actor.system(),
            Actor(role="grid_worker", user_id=2, username="g", grid_key=grid),
        ):
            whole = {c.id: m for c, m in _whole_list(s, actor, NOW)}
            for states in (None, MACHINE_STATES):
                batches = list(overdue_batches(s, actor=actor, now=NOW, states=states, size=7))
                assert len(batches) > 2 and all(len(b) <= 7 for b in batches)
                ids = [r.id for b in batches for r, _ in b]
                assert ids == sorted(whole)  # each once, in id order
                assert {r.id: m for b in batches for r, m in b} == whole
            # a subset of ids (every third overdue one, closed and unknown ids mixed in) reads
            # exactly those of the list, in id order, a few ids per query
            every_third = sorted(whole)[::3]
            closed = s.scalar(select(Case.id).where(Case.state == "closed"))
            assert closed is not None
            asked = [*reversed(every_third), every_third[0], closed, 10**9]
            got = overdue_of(s, actor=actor, now=NOW, ids=asked, states=MACHINE_STATES, size=4)
            assert [r.id for r, _ in got] == every_third
            assert {r.id: m for r, m in got} == {i: whole[i] for i in every_third}
        n = len(_whole_list(s, Actor.system(), NOW))
        assert count_overdue(s, now=NOW) == n == count_overdue(s, now=NOW, states=MACHINE_STATES)
    engine.dispose()


def test_escalation_over_batches_raises_what_each_case_has_reached(filled: str) -> None:
    """Escalation walking the overdue cases 7 at a time raises each overdue case to the level
    its lateness gives (computed case by case here), one event per level, and a second pass at
    the same time raises nothing; the pass is rolled back after (the module's data stays)."""
    machine = load_state_machine()
    engine = make_engine(filled, pool_size=1)
    with make_sessionmaker(engine)() as s:
        whole = _whole_list(s, Actor.system(), NOW)
        before = {c.id: c.escalation_level for c, _ in whole}
        want = {
            c.id: level
            for c, m in whole
            if (level := machine.escalation.level(overdue_hours(m))) > before[c.id]
        }
        assert len(want) > 7 and len(set(want.values())) > 1  # more than one batch, levels
        events = s.scalar(select(func.count()).select_from(CaseEvent))
        got = escalate_overdue(s, now=NOW, machine=machine, batch=7)
        assert dict(got) == want and len(got) == len(want)
        stored = {
            r.id: r.escalation_level for r in s.execute(select(Case.id, Case.escalation_level))
        }
        assert {cid: stored[cid] for cid in want} == want
        assert all(stored[cid] == level for cid, level in before.items() if cid not in want)
        added = s.scalar(select(func.count()).select_from(CaseEvent)) - (events or 0)
        assert added == sum(level - before[cid] for cid, level in want.items())
        notes = s.scalars(
            select(CaseEvent.note).where(CaseEvent.case_id == min(want)).order_by(CaseEvent.id)
        ).all()
        assert [n.split(" ")[0] for n in notes if n] == list(
            machine.escalation.levels[before[min(want)] : want[min(want)]]
        )
        assert escalate_overdue(s, now=NOW, machine=machine, batch=7) == []
        later = NOW + dt.timedelta(days=30)
        late_want = {
            c.id: level
            for c, m in _whole_list(s, Actor.system(), later)
            if (level := machine.escalation.level(overdue_hours(m))) > stored[c.id]
        }
        assert dict(escalate_overdue(s, now=later, machine=machine, batch=7)) == late_want
        s.rollback()
    engine.dispose()


def _plan(s: Any, query: Any) -> str:
    """The plan the database makes for ``query`` with its own parameters (EXPLAIN)."""
    conn = s.connection()
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "

    def explain(_c: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> Any:
        return prefix + stmt, params

    event.listen(conn, "before_cursor_execute", explain, retval=True)
    try:
        return "\n".join(str(row[-1]) for row in conn.execute(query).all())
    finally:
        event.remove(conn, "before_cursor_execute", explain)


def test_overdue_query_of_a_scope_reads_its_open_cases_index(filled: str) -> None:
    """The overdue query implies the predicate of the open cases' partial indexes (0010): the
    database may read a grid's or a department's overdue cases from them (forced on
    PostgreSQL, whose planner may prefer a scan of the 400 rows, by disabling the others)."""
    engine = make_engine(filled, pool_size=1)
    with make_sessionmaker(engine)() as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":
            for kind in ("seqscan", "bitmapscan", "sort"):
                s.execute(text(f"SET LOCAL enable_{kind} = off"))
        grid = s.scalars(select(Case.grid_key).where(Case.grid_key.is_not(None))).first()
        dept = s.scalars(
            select(Case.department_key).where(Case.department_key.is_not(None))
        ).first()
        for actor, index in (
            (Actor(role="grid_worker", user_id=2, grid_key=grid), "ix_cases_open_grid"),
            (Actor(role="handler", user_id=3, department_key=dept),
             "ix_cases_open_department"),
        ):  # fmt: skip
            q = _overdue_select(actor, NOW, MACHINE_STATES).order_by(Case.id).limit(7)
            assert index in _plan(s, q.where(Case.id > 0))
    engine.dispose()


def test_migration_0010_round_trip_keeps_the_cases(database_url: str) -> None:
    """Down to 0009 and up again on a database with cases: the indexes go and come back, the
    cases and the overdue list stay the same."""
    from alembic import command

    from wanzheng.db import upgrade_database
    from wanzheng.db.migrate import alembic_config

    _fill(database_url)
    engine = make_engine(database_url, pool_size=1)

    def state() -> tuple[set[str | None], int, list[int]]:
        with make_sessionmaker(engine)() as s:
            names = {i["name"] for i in inspect(s.connection()).get_indexes("cases")}
            n = s.scalar(select(func.count()).select_from(Case)) or 0
            late = [r.id for r, _ in overdue_page(s, actor=Actor.system(), now=NOW, limit=1000)]
        return names, n, late

    indexes, n, late = state()
    assert {"ix_cases_open_grid", "ix_cases_open_department"} <= indexes
    assert n == 400 and len(late) > 10
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0009")
    down = state()
    assert down[0] == indexes - {"ix_cases_open_grid", "ix_cases_open_department"}
    assert down[1:] == (n, late)
    engine.dispose()
    upgrade_database(database_url)
    assert state() == (indexes, n, late)
    engine.dispose()
