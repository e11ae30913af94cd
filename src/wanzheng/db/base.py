"""The one declarative base of every table in the database, and the UTC datetime type.

Domain modules declare their tables on :class:`Base` (``cases/models.py``,
``proactive/models.py``); the Alembic history in ``db/migrations`` covers its metadata, so
there is one schema and one migration history for the whole database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

from wanzheng.errors import DataError

__all__ = ["Base", "UTCDateTime"]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise DataError(f"datetime: expected timezone-aware, got {value.isoformat()}")
        v = value.astimezone(dt.UTC)
        return v.replace(tzinfo=None) if dialect.name == "sqlite" else v

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if not isinstance(value, dt.datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table (case desk, proactive services, …)."""
