"""The database: one declarative base (its metadata is every table), engines and sessions
for SQLite and PostgreSQL, the plain-row inserts of the intake's hot path, and one Alembic
migration history for the whole database.

Domain modules hold their own models (``cases/models.py``, ``proactive/models.py``) and
operations; this package imports no domain code, except ``db/migrations/env.py``, which
imports every domain's models to know the tables (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from wanzheng.db.base import Base, UTCDateTime
from wanzheng.db.engine import (
    Database,
    durability,
    make_engine,
    make_read_engine,
    make_sessionmaker,
)
from wanzheng.db.migrate import alembic_config, upgrade_database

__all__ = [
    "Base",
    "Database",
    "UTCDateTime",
    "alembic_config",
    "durability",
    "make_engine",
    "make_read_engine",
    "make_sessionmaker",
    "upgrade_database",
]
