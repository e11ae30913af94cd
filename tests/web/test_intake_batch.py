"""The intake batch (group commit with one INSERT per table) and its fast path, on both
databases: a failing submission fails alone, idempotency keys dedupe under concurrency, the
fast path answers as the routed endpoint does, and a 201 survives a killed server."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
from serving import free_port, start_serve, wait_until_serving
from sqlalchemy import func, select

from wanzheng.cases.batch import _Job
from wanzheng.cases.store import (
    Actor,
    Case,
    CaseEvent,
    CaseReceipt,
    NewCase,
    make_engine,
    make_sessionmaker,
    prepare_case,
)
from wanzheng.errors import DataError
from wanzheng.web.routes.cases import _INTAKE, _Submission

T = TypeVar("T")

WEST_1 = (116.350, 40.005)
EAST_1 = (116.360, 40.005)


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` on a thread of its own (another test's loop may be running
    in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        cases = int(s.scalar(select(func.count()).select_from(Case)) or 0)
        events = int(
            s.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "submit")
            )
            or 0
        )
    engine.dispose()
    return cases, events


def test_a_failing_submission_in_a_batch_fails_alone(api: Any) -> None:
    """One batch of four: two good, one refused by the database (a foreign key), one refused
    by validation. Each waiter gets its own answer; the good ones are committed together."""
    desk = api.client.app.state.desk
    with desk.sessions() as s:
        index = desk.index(s)

    def prepared(text: str, where: tuple[float, float]) -> Any:
        return prepare_case(
            None,
            new=NewCase(text=text, lon=where[0], lat=where[1]),
            now=desk.now(),
            index=index,
            classifier=desk.classifier,
        )

    good_west = prepared("路灯不亮", WEST_1)
    good_east = prepared("垃圾清运不及时", EAST_1)
    # valid to the application, refused by the database: no such category row
    bad_db = dataclasses.replace(
        prepared("井盖松动", WEST_1),
        values={**prepared("井盖松动", WEST_1).values, "category_key": "no.such.category"},
    )
    items = [
        _Submission(desk, NewCase(text="路灯不亮"), Actor.public(), None, good_west),
        _Submission(desk, NewCase(text="井盖松动"), Actor.public(), None, bad_db),
        # prepared by the writer (no pre-validated values): empty text
        _Submission(desk, NewCase(text="   ", lon=WEST_1[0], lat=WEST_1[1]), Actor.public(), None),
        _Submission(desk, NewCase(text="垃圾清运不及时"), Actor.public(), None, good_east),
    ]
    before = _counts(api.url)
    batches = desk.committer.batches

    async def run() -> list[Any]:
        loop = asyncio.get_running_loop()
        jobs: list[_Job[Any]] = [_Job(None, loop.create_future(), _INTAKE, i, loop) for i in items]
        await asyncio.to_thread(desk.committer._run_batch, jobs)  # one batch, deterministic
        return await asyncio.gather(*(j.future for j in jobs), return_exceptions=True)

    answers = _run(run)
    assert desk.committer.batches == batches + 1  # one commit for the whole batch
    west, db_error, data_error, east = answers
    assert isinstance(west, CaseReceipt) and west.created and west.grid_key == "west-1"
    assert isinstance(east, CaseReceipt) and east.created and east.grid_key == "east-1"
    assert west.id != east.id
    assert not isinstance(db_error, CaseReceipt | DataError)  # the database's own error
    assert "foreign key" in str(db_error).lower()
    assert isinstance(data_error, DataError) and str(data_error).startswith("text:")
    assert _counts(api.url) == (before[0] + 2, before[1] + 2)
    # the stored rows are the answered ones, each with its submit event
    for receipt in (west, east):
        r = api.get(f"/api/track/{receipt.tracking_code}")
        assert r.status_code == 200 and r.json()["id"] == receipt.id
        assert [e["action"] for e in r.json()["events"]] == ["submit"]
    code = bad_db.values["tracking_code"]
    assert api.get(f"/api/track/{code}").status_code == 404


def test_idempotency_keys_dedupe_concurrent_submissions(api: Any) -> None:
    """Concurrent submissions through the fast path: one case per key; a different payload
    under a used key is 409; submissions without a key are all stored."""
    app = api.client.app
    body_a = {"text": "路灯不亮", "lon": WEST_1[0], "lat": WEST_1[1]}
    body_b = {"text": "别的事情", "lon": WEST_1[0], "lat": WEST_1[1]}

    async def run() -> tuple[list[httpx.Response], list[httpx.Response], list[httpx.Response]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk") as c:

            def post(body: dict[str, Any], key: str | None) -> Any:
                h = {"Idempotency-Key": key} if key else {}
                return c.post("/api/cases", json=body, headers=h)

            same = asyncio.gather(*(post(body_a, "key-1") for _ in range(12)))
            mixed = asyncio.gather(*(post(b, "key-2") for b in [body_a, body_b] * 4))
            free = asyncio.gather(*(post(body_a, None) for _ in range(6)))
            return await asyncio.gather(same, mixed, free)

    before = _counts(api.url)
    same, mixed, free = _run(run)
    assert sorted(r.status_code for r in same) == [200] * 11 + [201]
    assert len({r.json()["id"] for r in same}) == 1
    assert len({r.json()["tracking_code"] for r in same}) == 1
    codes = sorted(r.status_code for r in mixed)
    assert codes == [200] * 3 + [201] + [409] * 4, codes
    assert all(r.json()["field"] == "idempotency_key" for r in mixed if r.status_code == 409)
    assert len({r.json()["id"] for r in mixed if r.status_code != 409}) == 1
    assert [r.status_code for r in free] == [201] * 6
    assert len({r.json()["id"] for r in free}) == 6
    assert _counts(api.url) == (before[0] + 8, before[1] + 8)


def test_fast_path_answers_as_the_routed_endpoint(api: Any) -> None:
    """Anonymous JSON goes through the fast path, a logged-in resident through the router:
    the same answers, the same errors."""
    body = {"text": "路灯不亮", "lon": WEST_1[0], "lat": WEST_1[1]}
    fast = api.client.post("/api/cases", json=body)
    routed = api.client.post("/api/cases", json=body, headers=api.h("resident"))
    assert fast.status_code == routed.status_code == 201
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.headers["location"] == f"/api/cases/{fast.json()['id']}"
    assert routed.headers["location"] == f"/api/cases/{routed.json()['id']}"
    f, r = fast.json(), routed.json()
    assert f.keys() == r.keys()
    assert {k: v for k, v in f.items() if k not in ("id", "tracking_code")} == {
        k: v for k, v in r.items() if k not in ("id", "tracking_code")
    }
    for bad, status, field in [
        ({"lon": WEST_1[0], "lat": WEST_1[1]}, 422, "text"),
        ({**body, "colour": "red"}, 422, "colour"),
        ({**body, "lon": 0.5}, 422, "location"),
        ({**body, "category": "no.such"}, 422, "category"),
    ]:
        a = api.client.post("/api/cases", json=bad)
        b = api.client.post("/api/cases", json=bad, headers=api.h("resident"))
        assert a.status_code == b.status_code == status, (a.text, b.text)
        assert a.json() == b.json() and a.json()["field"] == field
    huge = {"text": "路" * 30_000, "lon": WEST_1[0], "lat": WEST_1[1]}  # 90 kB of UTF-8
    a = api.client.post("/api/cases", json=huge)
    b = api.client.post("/api/cases", json=huge, headers=api.h("resident"))
    assert a.status_code == b.status_code == 413 and a.json() == b.json()
    broken = {"Content-Type": "application/json"}
    a = api.client.post("/api/cases", content=b"{not json", headers=broken)
    assert a.status_code == 422 and a.json()["field"] == "body"


def test_a_201_survives_a_killed_server(database_url: str, tmp_path: Path) -> None:
    """``wanzheng serve --workers 2``: every acknowledged submission (and its submit event)
    is in the database after both worker processes are killed (SIGKILL) right after the
    answers; concurrent submissions with one idempotency key across the workers make one
    case."""
    port = free_port()
    env = {**os.environ, "WANZHENG_DATA_DIR": str(tmp_path), "WANZHENG_ESCALATION_INTERVAL_S": "0"}
    log = tmp_path / "serve.log"
    proc = start_serve(
        database_url, port=port, env=env, log=log, args=("--workers", "2"), new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, log)

        def post(i: int) -> httpx.Response:
            lon, lat = (WEST_1, EAST_1)[i % 2]
            with httpx.Client(base_url=base, timeout=30) as c:  # a connection per submission
                if i >= 40:  # one payload under one key
                    body = {"text": "同一件事，重复提交", "lon": WEST_1[0], "lat": WEST_1[1]}
                    return c.post("/api/cases", json=body, headers={"Idempotency-Key": "same"})
                return c.post(
                    "/api/cases", json={"text": f"第{i}件：路灯不亮", "lon": lon, "lat": lat}
                )

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(post, range(48)))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no shutdown: nothing is flushed after the 201s
        proc.wait(timeout=20)
    assert [r.status_code for r in answers[:40]] == [201] * 40
    # on SQLite the start-up line says that several processes take turns on the file
    said = log.read_text(encoding="utf-8")
    assert "(2 processes)" in said
    assert ("take turns writing" in said) == database_url.startswith("sqlite")
    keyed = answers[40:]
    assert sorted(r.status_code for r in keyed) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in keyed}) == 1
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        rows = {
            code: (case_id, text)
            for code, case_id, text in s.execute(select(Case.tracking_code, Case.id, Case.text))
        }
        events = s.execute(select(CaseEvent.case_id, CaseEvent.action)).all()
    engine.dispose()
    for i, r in enumerate(answers[:40]):
        got = r.json()
        assert rows[got["tracking_code"]] == (got["id"], f"第{i}件：路灯不亮")
    assert sum(1 for _, text in rows.values() if text == "同一件事，重复提交") == 1
    assert len(rows) == 41
    assert sorted(case_id for case_id, action in events if action == "submit") == sorted(
        case_id for case_id, _ in rows.values()
    )
