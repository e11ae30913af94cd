"""What several ``wanzheng`` sub-commands share: the ``--database`` and ``--at`` options, the
time they run as, and a session factory on the case desk's database.

Private to ``wanzheng.cli``: the topic modules import these from here rather than borrowing
one another's private helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wanzheng.errors import DataError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["BEIJING", "AtOpt", "DatabaseOpt", "database_url", "now_at", "session_factory"]

#: Times given without a zone on the command line are Beijing time.
BEIJING = dt.timezone(dt.timedelta(hours=8))

DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; default from settings (SQLite file)."),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="Run as if at this time (ISO, Beijing time if no zone); default now."
    ),
]


def now_at(at: str | None, *, option: str = "--at") -> dt.datetime:
    """The time a command runs as, in UTC: now, or ``at`` (ISO; Beijing time if it has no zone).

    Raises
    ------
    DataError
        When ``at`` is not an ISO time; the message names ``option``.
    """
    if at is None:
        return dt.datetime.now(dt.UTC)
    try:
        t = dt.datetime.fromisoformat(at)
    except ValueError as exc:
        raise DataError(f"{option}: expected a time like 2026-11-25T10:00, got {at!r}") from exc
    return (t if t.tzinfo else t.replace(tzinfo=BEIJING)).astimezone(dt.UTC)


def database_url(database: str | None) -> str:
    """The ``--database`` URL, or the settings' (the SQLite file by default)."""
    from wanzheng.settings import Settings

    return database or Settings().resolved_database_url


@contextmanager
def session_factory(database: str | None) -> Iterator[sessionmaker[Session]]:
    """Bring the database to the current schema (every table); yield a session factory.

    A SQLite file's folder is made first; the engine is always disposed.
    """
    from wanzheng.cases.seed import prepare_database
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings

    url, s = database_url(database), Settings()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    prepare_database(url, categories_file=s.categories_file, routing_file=s.routing_file)
    engine = make_engine(url, pool_size=2)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()
