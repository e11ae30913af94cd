"""``create_app(settings)``: the FastAPI application of the case desk.

Nothing is created at import. The app holds one :class:`CaseDesk` in ``app.state.desk``:
the database (a read path and a write path, :class:`wanzheng.db.Database`), the group
committer every write of a request goes through, the state machine, the category tree, the
classifier that proposes categories, the clock and the photo directory. Routers are listed in
:func:`_routers`; a new router is one more line there.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from wanzheng import __version__
from wanzheng.cases.batch import FileLock, GroupCommitter
from wanzheng.cases.categories import (
    CategoryClassifier,
    CategoryTree,
    build_classifier,
    load_categories,
)
from wanzheng.cases.crud import escalate_overdue
from wanzheng.cases.routing import GridIndex
from wanzheng.cases.states import StateMachine, load_state_machine
from wanzheng.cases.tables import grid_index
from wanzheng.cases.users import Actor, ActorCache, resolve_token_until
from wanzheng.db import Database
from wanzheng.proactive.outbox import Sender, build_sender
from wanzheng.settings import Settings
from wanzheng.web.errors import install_error_handlers
from wanzheng.web.openapi import install_openapi
from wanzheng.web.security import SecurityHeaders

__all__ = ["CaseDesk", "create_app"]

_log = logging.getLogger("wanzheng.web")

T = TypeVar("T")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CaseDesk:
    """Everything a request needs, built once per application.

    Reads go through :attr:`reads` (read-only sessions that never take SQLite's write lock);
    every write of a request goes through :meth:`write`, i.e. the group committer, on the
    durable write engine.
    """

    settings: Settings
    database: Database
    machine: StateMachine
    tree: CategoryTree
    classifier: CategoryClassifier
    clock: Callable[[], dt.datetime]
    photo_dir: Path
    committer: GroupCommitter
    sender: Sender
    index_ttl_s: float = 30.0
    #: Actors of recently seen bearer tokens (a logout here drops its entry at once; one
    #: elsewhere is in force within the cache's ``ttl_s``).
    actors: ActorCache = field(default_factory=ActorCache)
    _index: GridIndex | None = field(default=None, repr=False)
    _index_at: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def engine(self) -> Engine:
        """The write engine."""
        return self.database.writer

    @property
    def reads_on_loop(self) -> bool:
        """Whether short reads run on the event loop: on SQLite they are work inside this
        process; on PostgreSQL they wait for the server (:mod:`wanzheng.web.routes.cases`,
        "Hot reads on the event loop")."""
        return self.database.reader.dialect.name == "sqlite"

    async def read_hot(self, fn: Callable[[Session], T], *, transaction: bool = False) -> T:
        """``fn(session)`` in a read session, from the event loop: on the loop on SQLite, else
        in a worker thread. ``fn`` must be short (a few statements, a page of at most a few
        dozen rows). Unless ``transaction`` (``fn`` needs one: ``SET LOCAL``, one snapshot
        for several statements), the session is a short read
        (:attr:`wanzheng.db.Database.short_reads`: on PostgreSQL without the ``BEGIN`` and
        ``ROLLBACK`` round trips)."""
        sessions = self.reads if transaction else self.database.short_reads

        def work() -> T:
            with sessions() as session:
                return fn(session)

        if self.reads_on_loop:
            return work()
        return await run_in_threadpool(work)

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions on the write engine (the committer's; the outbox's own short transactions)."""
        return self.database.writes

    @property
    def reads(self) -> sessionmaker[Session]:
        """Read-only sessions (the read path)."""
        return self.database.reads

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` on the write path and answer its result once committed
        (from a worker thread; ``fn`` runs in a savepoint of the committer's next batch)."""
        return self.committer.run(fn)

    async def write_async(self, fn: Callable[[Session], T]) -> T:
        """:meth:`write` from the event loop."""
        return await asyncio.wrap_future(self.committer.submit(fn))

    def now(self) -> dt.datetime:
        """The current time (UTC, from the injectable clock)."""
        return self.clock()

    def actor_of(self, token: str) -> Actor:
        """The actor of a bearer token, read on the read path (PermissionDeniedError when
        unknown, expired or disabled) and remembered in :attr:`actors`."""
        stamp = self.actors.stamp()
        now = self.now()
        with self.reads() as session:
            actor, expires_at = resolve_token_until(session, token=token, now=now)
        self.actors.put(token, actor, expires_at=expires_at, stamp=stamp)
        return actor

    def index(self, session: Session) -> GridIndex:
        """Grid / area index, rebuilt after an admin edit or every ``index_ttl_s`` seconds."""
        with self._lock:
            if self._index is None or time.monotonic() - self._index_at > self.index_ttl_s:
                self._index = grid_index(session)
                self._index_at = time.monotonic()
            return self._index

    def fresh_index(self) -> GridIndex | None:
        """The cached grid index while it is fresh, else None (reads nothing)."""
        index = self._index
        if index is None or time.monotonic() - self._index_at > self.index_ttl_s:
            return None
        return index

    def escalate(self) -> int:
        """Run one escalation pass (督办); returns the number of cases whose level rose."""
        now = self.now()
        changed = self.write(lambda s: escalate_overdue(s, now=now, machine=self.machine))
        return len(changed)

    def deliver_notices(self) -> int:
        """One delivery pass of the notification outbox through :attr:`sender` (the resident
        pages, ``<data_dir>/proactive/notices.jsonl``; ``sms`` messages through the SMS
        sender); returns messages sent."""
        from wanzheng.proactive.outbox import deliver

        return deliver(self.sessions, self.sender, now=self.now()).sent

    def invalidate_index(self) -> None:
        """Forget the cached grid index (after grids or areas were edited)."""
        with self._lock:
            self._index = None


async def _escalation_loop(desk: CaseDesk, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_in_threadpool(desk.escalate)
        except Exception:  # keep the timer alive; the next pass retries
            _log.exception("escalation pass failed")
        try:
            await run_in_threadpool(desk.deliver_notices)
        except Exception:  # the outbox keeps the messages; the next pass retries
            _log.exception("outbox delivery pass failed")
        try:
            await run_in_threadpool(_volunteer_sweep, desk)
        except Exception:  # the next pass records them
            _log.exception("volunteer no-show pass failed")


def _volunteer_sweep(desk: CaseDesk) -> int:
    """Record volunteers' no-shows and expire tasks past their end (docs/volunteers.md)."""
    from wanzheng.volunteer.tasks import record_no_shows

    now = desk.now()
    return len(desk.write(lambda s: record_no_shows(s, now=now)))


def _routers() -> list[APIRouter]:
    # One line per router; the front end adds its own here.
    from wanzheng.web.routes import (
        admin,
        audit,
        auth,
        cases,
        consult,
        measures,
        open311,
        ops,
        pages,
        plan,
        proactive,
        volunteer,
    )

    return [
        auth.router,
        cases.router,
        admin.router,
        measures.router,
        proactive.router,
        consult.router,  # 议事协商
        volunteer.router,  # 双报到
        open311.router,
        ops.router,  # /healthz, /readyz, /metrics
        audit.router,  # the front end: audit JSON/GeoJSON, pages and /static assets
        plan.router,  # /api/plan/*: the audit's siting plan, the programme's progress
        pages.router,
    ]


def create_app(
    settings: Settings,
    *,
    classifier: CategoryClassifier | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    engine: Engine | None = None,
    sms_sender: Sender | None = None,
) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    settings
        The installation's settings (database URL, photo directory, limits).
    classifier
        Proposes a category for a new case; default: :func:`build_classifier` (the trained
        model of ``settings.text_model_dir`` if set, else the category tree's keyword rules).
    clock
        Returns the current UTC time; tests pass a fixed clock.
    sms_sender
        Sends ``sms`` messages of the outbox (one-time codes); default: the factory of
        ``settings.sms_sender``, else a file (:func:`wanzheng.proactive.outbox.build_sender`).
    engine
        An existing write engine (:func:`wanzheng.db.make_engine`; tests, benchmarks); the
        read engine is made beside it. Default: both built from the settings.

    The database must already be at the current schema
    (:func:`wanzheng.cases.seed.prepare_database`; ``wanzheng serve`` does it).
    """
    own_writer = engine is None
    database = (
        Database.open(settings.resolved_database_url) if engine is None else Database.of(engine)
    )
    tree = load_categories(settings.categories_file)
    writer_lock = _sqlite_writer_lock(database.writer)
    desk = CaseDesk(
        settings=settings,
        database=database,
        committer=GroupCommitter(database.writes, writer_lock=writer_lock),
        machine=load_state_machine(),
        tree=tree,
        classifier=classifier or build_classifier(settings, tree),
        clock=clock or _utcnow,
        photo_dir=settings.resolved_photo_dir,
        sender=build_sender(settings, database.writes, clock=clock, sms=sms_sender),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.escalation_interval_s > 0:
            task = asyncio.create_task(_escalation_loop(desk, settings.escalation_interval_s))
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        desk.committer.close()
        if writer_lock is not None:
            writer_lock.close()
        database.reader.dispose()
        if own_writer:
            database.writer.dispose()

    app = _DeskApp(
        lifespan=lifespan,
        # /docs is served from the package (web/routes/pages.py, Swagger UI bundled by `make
        # web`): FastAPI's own pages load Swagger UI and ReDoc from a CDN, blank on an intranet.
        docs_url=None,
        redoc_url=None,
        title="wanzheng 民呼 case desk",
        version=__version__,
        description=(
            "Residents submit and follow cases (诉求) by tracking code; staff work queues and "
            "transitions; administrators edit routing tables; measures are queried. "
            "Open311 GeoReport v2 lives under `/open311/v2/`. Errors are JSON "
            '`{"error": class, "field": name, "detail": message}`.'
        ),
    )
    app.state.desk = desk
    app.add_middleware(SecurityHeaders)
    from wanzheng.web.metrics import MetricsMiddleware

    app.add_middleware(MetricsMiddleware)  # outermost: counts and times every answer
    install_error_handlers(app)
    routers = _routers()
    for router in routers:
        app.include_router(router)
    install_openapi(app, routers)
    return app


class _DeskApp(FastAPI):
    """The application, with anonymous JSON submissions answered by
    :class:`wanzheng.web.routes.cases.IntakeFastPath` (the service's hot path) *inside* the
    middleware stack: it is always the innermost user middleware, so that every middleware
    the application has (headers, limits, throttling, logging) wraps it exactly as it wraps
    the routes, and only routing, dependency solving and the framework's request objects are
    skipped."""

    def build_middleware_stack(self) -> ASGIApp:
        from wanzheng.web.routes.cases import IntakeFastPath

        user = [m for m in self.user_middleware if cast(object, m.cls) is not IntakeFastPath]
        self.user_middleware = [*user, Middleware(IntakeFastPath)]
        return super().build_middleware_stack()


def _sqlite_writer_lock(engine: Engine) -> FileLock | None:
    """The lock by which the group committers of several processes on one SQLite file take
    turns (``<database>.writer-lock`` next to it); None for other databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return FileLock(Path(f"{database}.writer-lock"))
