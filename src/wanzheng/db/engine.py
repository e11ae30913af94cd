"""Engines and session factories: a write path and a read path, on SQLite and PostgreSQL.

Two engines on one database (:class:`Database`):

- **writes** (:func:`make_engine`): the durable path. Its settings are set on every connection
  it opens, so that no server default, file or administrator setting can weaken them:
  SQLite ``journal_mode=WAL`` and ``synchronous=FULL`` (a commit is on disk when it returns),
  foreign keys on, and every transaction begins with ``BEGIN IMMEDIATE`` so that writers
  queue on the database lock instead of failing on lock upgrade; PostgreSQL
  ``synchronous_commit=on`` (a commit returns once its WAL is flushed). The service writes
  through one group committer per process (:mod:`wanzheng.cases.batch`) on this engine.
- **reads** (:func:`make_read_engine`): never takes SQLite's write lock. SQLite read
  transactions begin with a plain (deferred) ``BEGIN``: in WAL mode a reader works on a
  snapshot and neither waits for the writer nor holds it up; ``query_only=ON`` makes any
  write on it fail at once instead of silently taking the lock. PostgreSQL read connections
  have ``default_transaction_read_only=on``.
- **short reads** (:attr:`Database.short_reads`): sessions of the read engine for a few
  statements (a tracking page, a short queue page). On PostgreSQL their connection is in
  autocommit: no ``BEGIN`` and no ``ROLLBACK`` round trip around the statements. Each
  statement still runs read-only (``default_transaction_read_only`` holds for implicit
  transactions) and sees the data committed when it starts — what a statement of a
  ``READ COMMITTED`` transaction (the default) sees too. Not for work that needs a
  transaction (``SET LOCAL``, a consistent snapshot across statements). SQLite: the
  ordinary read sessions.

:func:`durability` reports the settings in force on a connection; the tests assert them on
the connections the committer and the read path really use, on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from wanzheng.errors import ConfigError

__all__ = [
    "Database",
    "durability",
    "make_engine",
    "make_read_engine",
    "make_sessionmaker",
]

_SQLITE_BUSY_MS = 30_000


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _pg_options(url: str, setting: str) -> dict[str, Any]:
    """libpq ``options`` setting ``setting`` at connection start (after any in the URL)."""
    given = make_url(url).query.get("options")
    before = given if isinstance(given, str) else " ".join(given or ())
    return {"options": f"{before} -c {setting}".strip()}


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    """The write engine: durable settings on every connection (see the module docstring).

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://…``; a bare
        ``postgresql://`` URL is given the psycopg 3 driver).
    pool_size
        Connections kept open.
    """
    url = _normalise(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_MS / 1000},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if not url.startswith("postgresql"):
        raise ConfigError(f"database: expected a sqlite:// or postgresql:// URL, got {url!r}")
    return create_engine(
        url,
        connect_args=_pg_options(url, "synchronous_commit=on"),
        pool_size=pool_size,
        max_overflow=2 * pool_size,
        pool_pre_ping=True,
    )


def make_read_engine(url: str, *, pool_size: int = 20) -> Engine:
    """The read engine: never takes SQLite's write lock; writes on it fail (module docstring).

    The SQLite database must already be in WAL mode (the write engine sets it, and
    :class:`Database` connects the writer first); a reader of a file in another journal mode
    would block the writer, so that is refused with ConfigError.
    """
    url = _normalise(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise ConfigError("database: an in-memory SQLite database has no separate read path")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_MS / 1000},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cur.close()
                raise ConfigError(
                    f"database: {database} is in journal mode {mode!r}; the read path needs WAL "
                    "(open it with the write engine first)"
                )
            cur.execute("PRAGMA query_only=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")  # deferred: a read snapshot, never the write lock

        return engine
    if not url.startswith("postgresql"):
        raise ConfigError(f"database: expected a sqlite:// or postgresql:// URL, got {url!r}")
    return create_engine(
        url,
        connect_args=_pg_options(url, "default_transaction_read_only=on"),
        pool_size=pool_size,
        max_overflow=2 * pool_size,
        pool_pre_ping=True,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


class Database:
    """The write and the read engine of one database, with their session factories.

    Parameters
    ----------
    writer
        The write engine (:func:`make_engine`).
    reader
        The read engine on the same database (:func:`make_read_engine`).
    """

    def __init__(self, writer: Engine, reader: Engine) -> None:
        self.writer = writer
        self.reader = reader
        #: Sessions of the write path.
        self.writes = make_sessionmaker(writer)
        #: Read-only sessions.
        self.reads = make_sessionmaker(reader)
        #: Read-only sessions for a few short statements (the module docstring).
        self.short_reads = (
            make_sessionmaker(reader.execution_options(isolation_level="AUTOCOMMIT"))
            if reader.dialect.name == "postgresql"
            else self.reads
        )

    @classmethod
    def open(cls, url: str, *, pool_size: int = 20) -> Database:
        """Both engines on ``url``; the writer connects first (SQLite: WAL is set)."""
        return cls.of(make_engine(url, pool_size=pool_size), pool_size=pool_size)

    @classmethod
    def of(cls, writer: Engine, *, pool_size: int = 20) -> Database:
        """A read engine beside an existing write engine (made by :func:`make_engine`)."""
        with writer.connect():
            pass  # SQLite: the writer's connection puts the file in WAL mode
        url = writer.url.render_as_string(hide_password=False)
        return cls(writer, make_read_engine(url, pool_size=pool_size))

    def dispose(self) -> None:
        """Close the pools of both engines."""
        self.reader.dispose()
        self.writer.dispose()


def durability(conn: Connection) -> dict[str, str]:
    """The settings in force on ``conn`` that decide what a commit or a read does.

    SQLite: ``journal_mode``, ``synchronous`` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) and
    ``query_only``; PostgreSQL: ``synchronous_commit``, ``fsync`` and
    ``default_transaction_read_only``.
    """
    if conn.dialect.name == "sqlite":
        names = ("journal_mode", "synchronous", "query_only")
        return {n: str(conn.exec_driver_sql(f"PRAGMA {n}").scalar()) for n in names}
    names = ("synchronous_commit", "fsync", "default_transaction_read_only")
    return {n: str(conn.exec_driver_sql(f"SHOW {n}").scalar()) for n in names}
