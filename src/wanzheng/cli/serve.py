"""``wanzheng serve``: upgrade the database, then run the web service with uvicorn.

With ``--workers N`` N processes serve one port, each with its own listening socket
(``SO_REUSEPORT``, :mod:`wanzheng.web.workers`: the kernel spreads connections evenly) and its own
application (:func:`worker_app`, configured through the ``WANZHENG_*`` environment the parent
sets). Every process batches its own submissions into group commits; on SQLite their writers
take turns through a file lock next to the database, on PostgreSQL they commit side by side.
The background timers (escalation, notice delivery) run in one process only.
"""

from __future__ import annotations

import fcntl
import gc
import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from wanzheng.settings import Settings

__all__ = ["register", "start_worker", "worker_app"]

#: The lock file (under the data directory) held by the process that runs the timers.
TIMER_LOCK = "serve-timers.lock"
_timer_lock_fd: int | None = None


def _holds_timer_lock(settings: Settings) -> bool:
    """True in the one process that may run the background timers (first to lock the file;
    the lock goes with the process, so a replacement worker takes it over)."""
    global _timer_lock_fd
    if _timer_lock_fd is not None:
        return True
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / TIMER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _timer_lock_fd = fd
    return True


def start_worker(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The application of one serving process.

    The escalation and delivery timers run only in the process that holds
    ``<data_dir>/serve-timers.lock``. After start-up every object made so far (modules,
    tables, the routing snapshot's polygons) is moved out of the garbage collector's sight
    (:func:`gc.freeze`), so that the full collections that long-lived objects would
    otherwise trigger stay short and do not show in the latency of submissions.
    """
    import logging.config

    from wanzheng.web import create_app
    from wanzheng.web.logs import log_config

    # (in a worker process uvicorn has configured its text logging already: ours replaces it)
    logging.config.dictConfig(log_config(log_format=settings.log_format, level=settings.log_level))
    if settings.escalation_interval_s > 0 and not _holds_timer_lock(settings):
        settings = settings.model_copy(update={"escalation_interval_s": 0})
    app = create_app(settings, engine=engine)
    gc.collect()
    gc.freeze()
    return app


def worker_app() -> FastAPI:
    """``uvicorn --factory`` entry of a worker: settings from the ``WANZHENG_*`` environment."""
    from wanzheng.settings import Settings

    return start_worker(Settings())


def register(app: typer.Typer) -> None:
    """Add ``wanzheng serve`` to the main application."""

    @app.command()
    def serve(
        database: Annotated[
            str | None,
            typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)."),
        ] = None,
        host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1,
                help=(
                    "Server processes sharing the port. PostgreSQL: one per CPU core serves "
                    "the most. SQLite: keep 1 (one writer answers fastest; several take "
                    "turns on the database file)."
                ),
            ),
        ] = 1,
    ) -> None:
        """Run the case desk API and Open311 (migrates and seeds the database first)."""
        import uvicorn

        from wanzheng.cases.seed import prepare_database
        from wanzheng.cases.users import create_user
        from wanzheng.db import make_engine, make_sessionmaker
        from wanzheng.settings import Settings

        overrides: dict[str, object] = {}
        if database:
            overrides["database_url"] = database
        if host:
            overrides["host"] = host
        if port:
            overrides["port"] = port
        settings = Settings(**overrides)  # type: ignore[arg-type]
        url = settings.resolved_database_url
        if url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        prepare_database(
            url, categories_file=settings.categories_file, routing_file=settings.routing_file
        )
        if settings.admin_password:
            from sqlalchemy import select

            from wanzheng.cases.models import User

            engine = make_engine(url, pool_size=1)
            with make_sessionmaker(engine)() as s:
                if s.scalar(select(User.id).where(User.role == "admin")) is None:
                    create_user(
                        s,
                        username="admin",
                        password=settings.admin_password,
                        role="admin",
                        display_name="管理员",
                    )
                    s.commit()
            engine.dispose()

        from wanzheng.db.status import database_status

        engine = make_engine(url, pool_size=1)
        try:
            status = database_status(engine)
        finally:
            engine.dispose()
        typer.echo(
            f"wanzheng: {status.dialect} {status.server_version}, schema {status.revision}, "
            + (
                f"PostGIS {status.postgis}"
                if status.postgis
                else "PostGIS not installed (optional)"
                if status.dialect == "postgresql"
                else "no PostGIS on SQLite (optional)"
            )
        )
        typer.echo(
            f"wanzheng: serving {url} on http://{settings.host}:{settings.port}/docs"
            + (f" ({workers} processes)" if workers > 1 else "")
        )
        if workers > 1 and url.startswith("sqlite"):
            typer.echo(
                f"wanzheng: note: on SQLite the {workers} processes take turns writing to the "
                "one database file; for submissions alone one process is faster below "
                "~4,000/s, with staff reading alongside two keep p99 lower "
                "(docs/cases.md, 'How many processes')"
            )
        if workers == 1:
            from wanzheng.web.logs import log_config

            uvicorn.run(
                start_worker(settings),
                host=settings.host,
                port=settings.port,
                log_config=log_config(log_format=settings.log_format, level=settings.log_level),
                access_log=False,
            )
            return
        # Counters and histograms summed over the processes (prometheus-client's multiprocess
        # mode, docs/deploy.md): a directory of their own, emptied at every start.
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            import shutil

            metrics_dir = settings.data_dir / "metrics"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        # The worker processes read their settings from the environment.
        os.environ["WANZHENG_DATABASE_URL"] = url
        os.environ["WANZHENG_DATA_DIR"] = str(settings.data_dir)
        from wanzheng.web.workers import reuse_port_supported, run_workers

        if reuse_port_supported():
            # a listening socket per process: the kernel spreads connections evenly
            run_workers(
                "wanzheng.cli.serve:worker_app",
                host=settings.host,
                port=settings.port,
                workers=workers,
            )
            return
        uvicorn.run(  # pragma: no cover - not Linux
            "wanzheng.cli.serve:worker_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="warning",
        )
