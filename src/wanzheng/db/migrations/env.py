"""Alembic environment: run by :func:`wanzheng.db.upgrade_database`.

The connection is passed in ``config.attributes["connection"]`` (no alembic.ini is needed at
run time); ``sqlalchemy.url`` is the fallback for the alembic command line.

One history covers the whole database: every table is declared on
:class:`wanzheng.db.Base`, and the domain modules that declare tables are imported here so
that its metadata holds them all. This is the one module of ``wanzheng.db`` that imports
domain code (docs/architecture.md, "Layers"); a new module of models is one more import
below, and its tables one more revision in ``versions/``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import DateTime

# every module that declares tables, so that Base.metadata holds them all
import wanzheng.cases.models
import wanzheng.consult.models
import wanzheng.proactive.models
import wanzheng.volunteer.models  # noqa: F401
from wanzheng.db.base import Base, UTCDateTime
from wanzheng.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    # The UTC type decorator is Python-side only; the column is a plain timestamptz.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, DateTime):
        return False
    return False


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
