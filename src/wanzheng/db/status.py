"""What a running service needs to know about its database: reachable, at which schema
revision, and whether PostGIS is there.

:func:`database_status` answers the readiness endpoint (``GET /readyz``) and the start-up log
line of ``wanzheng serve``. PostGIS is *detected*, never required: nothing in wanzheng needs
it, and an office whose PostgreSQL has it sees it reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from wanzheng.db.migrate import alembic_config

__all__ = ["DatabaseStatus", "database_status", "head_revision"]


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    """The database as the service sees it.

    Attributes
    ----------
    dialect
        ``sqlite`` or ``postgresql``.
    server_version
        The server's version text (SQLite library version for SQLite).
    revision
        The Alembic revision the database is at (``None``: never migrated).
    head
        The newest revision this version of wanzheng knows.
    postgis
        The installed PostGIS extension's version, ``None`` when absent (always for SQLite).
    """

    dialect: str
    server_version: str
    revision: str | None
    head: str
    postgis: str | None

    @property
    def at_head(self) -> bool:
        """True when the schema is the one this version of wanzheng expects."""
        return self.revision == self.head


def head_revision() -> str:
    """The newest revision of the packaged migrations (one history, one head)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = script.get_heads()
    if len(heads) != 1:  # pragma: no cover - guarded by the migrations test
        raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
    return str(heads[0])


def _status(conn: Connection) -> DatabaseStatus:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
        postgis = conn.execute(
            text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        ).scalar()
    else:
        version = str(conn.execute(text("SELECT sqlite_version()")).scalar_one())
        postgis = None
    revision = MigrationContext.configure(conn).get_current_revision()
    return DatabaseStatus(
        dialect=dialect,
        server_version=version,
        revision=revision,
        head=head_revision(),
        postgis=None if postgis is None else str(postgis),
    )


def database_status(engine: Engine) -> DatabaseStatus:
    """Connect and report (raises the driver's error when the database cannot be reached)."""
    with engine.connect() as conn:
        try:
            return _status(conn)
        finally:
            conn.rollback()
