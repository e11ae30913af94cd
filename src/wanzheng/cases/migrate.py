"""Bring a database to the current schema with Alembic (no alembic.ini needed).

``wanzheng serve`` and the tests call :func:`upgrade_database`; the migration scripts live in
``wanzheng/cases/migrations/versions``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from wanzheng.cases.store import make_engine

__all__ = ["alembic_config", "prepare_database", "upgrade_database"]


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
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


def prepare_database(
    url: str,
    *,
    categories_file: Path | None = None,
    routing_file: Path | None = None,
) -> int:
    """Upgrade the schema, then seed empty category and routing tables.

    Returns
    -------
    int
        Rows seeded (0 when every table already had rows).
    """
    from wanzheng.cases.categories import load_categories
    from wanzheng.cases.routing import load_routing_seed
    from wanzheng.cases.store import make_sessionmaker, seed_tables

    upgrade_database(url)
    tree = load_categories(categories_file)
    seed = load_routing_seed(routing_file)
    engine = make_engine(url, pool_size=1)
    try:
        with make_sessionmaker(engine)() as session:
            n = seed_tables(session, tree=tree, routing=seed)
            session.commit()
    finally:
        engine.dispose()
    return n
