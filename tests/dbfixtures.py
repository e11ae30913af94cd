"""Database fixtures: every storage test runs on SQLite *and* PostgreSQL, over real connections.

``database_url`` is parametrised over ``sqlite`` and ``postgresql`` and gives each test a fresh
database at the current schema with the default tables seeded (copied from a template made
once per session, so a test costs a file copy or a ``CREATE DATABASE … TEMPLATE``).

PostgreSQL: ``WANZHENG_TEST_POSTGRES_URL`` (a server URL whose user may create databases), or
else a throwaway server started here from the system binaries
(``/usr/lib/postgresql/*/bin``; ``bash scripts/ensure-system-deps.sh`` installs them) on a
unix socket in a temporary directory, run as an unprivileged user when the tests run as
root, and stopped at the end of the session. If it cannot start, the tests FAIL with the
reason; they never skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count()


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        script = Path(__file__).resolve().parent.parent / "scripts" / "ensure-system-deps.sh"
        subprocess.run(["bash", str(script)], check=False, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); run "
            "`bash scripts/ensure-system-deps.sh` as root or set WANZHENG_TEST_POSTGRES_URL",
            pytrace=False,
        )
    return Path(found[-1]).parent


def _run_as() -> list[str]:
    """Prefix running a command as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
        return ["runuser", "-u", "postgres", "--"]
    except KeyError:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the maintenance database of a PostgreSQL server for the tests."""
    env = os.environ.get("WANZHENG_TEST_POSTGRES_URL")
    if env:
        yield env
        return
    bindir = _pg_bindir()
    base = Path(tempfile.mkdtemp(prefix="wz-pg-"))
    prefix = _run_as()
    if prefix:
        owner = "postgres" if prefix[0] == "runuser" else "nobody"
        shutil.chown(base, user=owner)
    data = base / "data"
    log = base / "server.log"
    try:
        r = subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "wanzheng",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode != 0:
            pytest.fail(f"initdb failed: {r.stderr.strip()[-800:]}", pytrace=False)
        opts = (
            f"-k {base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        r = subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode != 0:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {r.stderr.strip()} {tail}", pytrace=False)
        yield f"postgresql+psycopg://wanzheng@/postgres?host={base}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def _pg_execute(server_url: str, sql: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(server_url)
    kwargs = {k: v for k, v in u.query.items() if isinstance(v, str)}
    with psycopg.connect(
        dbname=u.database or "postgres",
        user=u.username,
        password=u.password,
        host=kwargs.get("host", u.host),
        port=u.port,
        autocommit=True,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _with_database(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _pg_template(postgres_server_url: str) -> str:
    from wanzheng.cases.seed import prepare_database

    name = f"wz_template_{os.getpid()}"
    _pg_execute(postgres_server_url, f"CREATE DATABASE {name}")
    prepare_database(_with_database(postgres_server_url, name))
    return name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wanzheng.cases.seed import prepare_database

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the current schema with the default tables (per test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "wanzheng.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    tpl: str = request.getfixturevalue("_pg_template")
    name = f"wz_{os.getpid()}_{next(_counter)}"
    # FILE_COPY: a plain copy of the small template (PostgreSQL 15's default WAL_LOG strategy
    # writes every block through the WAL and makes the session slow to clean up).
    _pg_execute(server, f"CREATE DATABASE {name} TEMPLATE {tpl} STRATEGY FILE_COPY")
    yield _with_database(server, name)
    _pg_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
