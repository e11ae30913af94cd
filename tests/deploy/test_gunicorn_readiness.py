"""gunicorn with uvicorn workers in front of PostgreSQL (docs/deploy.md), and readiness while
the database goes away and comes back.

The service reaches PostgreSQL through a socket folder of the test's own: a link to the test
server's socket. Taking the database away removes the link and ends the service's sessions
(what a database restart or a lost network does to a running service); bringing it back
restores the link. ``/readyz`` must answer 503 with the reason meanwhile, ``/healthz`` 200
throughout, and ``/readyz`` 200 again without a restart of the service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dbfixtures import _pg_execute, _with_database
from serving import WANZHENG, free_port, wait_until_serving
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Service:
    base: str
    link: Path  # our socket link to the PostgreSQL server
    target: Path  # the server's socket
    database: str
    server_url: str
    log: Path


def _socket(server_url: str) -> Path:
    host = make_url(server_url).query.get("host")
    if not isinstance(host, str) or not Path(host).is_dir():
        # make test always starts its own PostgreSQL on a Unix socket: never skip here
        pytest.fail(
            "this test needs the suite's own PostgreSQL on a Unix socket; "
            "unset WANZHENG_TEST_POSTGRES_URL to run it"
        )
    found = sorted(Path(host).glob(".s.PGSQL.*"))
    found = [p for p in found if not p.name.endswith(".lock")]
    assert found, f"no PostgreSQL socket in {host}"
    return found[0]


@pytest.fixture(scope="module")
def gunicorn_service(
    postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    target = _socket(postgres_server_url)
    base = tmp_path_factory.mktemp("gunicorn")
    sockets = base / "sockets"
    sockets.mkdir()
    link = sockets / target.name
    link.symlink_to(target)
    name = f"wz_gunicorn_{os.getpid()}"
    _pg_execute(postgres_server_url, f"CREATE DATABASE {name}")
    url = (
        make_url(_with_database(postgres_server_url, name))
        .update_query_dict({"host": str(sockets)})
        .render_as_string(hide_password=False)
    )
    env = {
        **os.environ,
        "WANZHENG_DATABASE_URL": url,
        "WANZHENG_DATA_DIR": str(base / "data"),
        "WANZHENG_ESCALATION_INTERVAL_S": "0",
    }
    # gunicorn does not migrate: the schema first, as docs/deploy.md says
    init = subprocess.run(
        [*WANZHENG, "cases", "init-db", "--database", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stderr
    port = free_port()
    log = base / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "wanzheng.cli.serve:worker_app()",
                "-k", "uvicorn_worker.UvicornWorker", "-w", "2",
                "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
            ],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", proc, log)
        yield Service(f"http://127.0.0.1:{port}", link, target, name, postgres_server_url, log)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        _pg_execute(postgres_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_gunicorn_with_uvicorn_workers_serves_the_case_desk(gunicorn_service: Service) -> None:
    r = httpx.post(
        f"{gunicorn_service.base}/api/cases",
        json={"text": "楼道灯坏了好几天", "lon": 116.355, "lat": 40.004},
    )
    assert r.status_code == 201, r.text
    code = r.json()["tracking_code"]
    assert httpx.get(f"{gunicorn_service.base}/api/track/{code}").json()["id"] == r.json()["id"]
    pids = {
        line.split("pid: ")[1].split(")")[0]
        for line in gunicorn_service.log.read_text(encoding="utf-8").splitlines()
        if "Booting worker with pid" in line
    }
    assert len(pids) == 2  # two uvicorn workers under gunicorn's arbiter


def _ready_statuses(base: str, n: int) -> list[httpx.Response]:
    # several requests: gunicorn spreads them over its workers, each with its own pool
    return [httpx.get(f"{base}/readyz", timeout=30) for _ in range(n)]


def test_readiness_follows_the_database_down_and_back(gunicorn_service: Service) -> None:
    svc = gunicorn_service
    assert [r.status_code for r in _ready_statuses(svc.base, 4)] == [200] * 4

    svc.link.unlink()  # new connections find no server ...
    _pg_execute(  # ... and the open ones end, as in a restart of PostgreSQL
        svc.server_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{svc.database}' AND pid <> pg_backend_pid()",
    )
    try:
        down = _ready_statuses(svc.base, 4)
        assert [r.status_code for r in down] == [503] * 4, [r.text for r in down]
        for r in down:
            body = r.json()
            assert (body["error"], body["field"]) == ("NotReady", "database")
            assert body["detail"].startswith("the database does not answer: OperationalError")
            assert str(svc.link.parent) in body["detail"]  # which server it tried
        assert httpx.get(f"{svc.base}/healthz").status_code == 200  # alive all the same
    finally:
        svc.link.symlink_to(svc.target)

    deadline = time.monotonic() + 30
    while True:
        back = _ready_statuses(svc.base, 4)
        if all(r.status_code == 200 for r in back):
            break
        assert time.monotonic() < deadline, [r.text for r in back]
        time.sleep(0.5)
    assert back[0].json()["database"] == "postgresql"
