"""Alembic environment: run by :func:`wanzheng.cases.migrate.upgrade_database`.

The connection is passed in ``config.attributes["connection"]`` (no alembic.ini is needed at
run time); ``sqlalchemy.url`` is the fallback for the alembic command line.

One history covers two metadatas on the same database: the case desk's
(:class:`wanzheng.cases.store.Base`) and the proactive services'
(:class:`wanzheng.proactive.store.ProactiveBase`, from revision 0002 on).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import DateTime

from wanzheng.cases.store import Base, UTCDateTime, make_engine
from wanzheng.proactive.store import ProactiveBase

config = context.config
target_metadata = [Base.metadata, ProactiveBase.metadata]


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
