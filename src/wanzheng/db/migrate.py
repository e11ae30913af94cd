"""Bring a database to the current schema with Alembic (no alembic.ini needed).

``wanzheng serve``, the CLI and the tests call :func:`upgrade_database`; the migration
scripts of the whole database live in ``wanzheng/db/migrations/versions`` (one history for
every domain's tables, revision ids unchanged since they lived under ``cases/``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from wanzheng.db.engine import make_engine

__all__ = ["MIGRATIONS_DIR", "alembic_config", "upgrade_database"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str, *, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the newest)."""
    cfg = alembic_config(url)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()
