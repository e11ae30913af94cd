"""Plain-row inserts for the intake's hot path: ids taken first, one ``executemany`` per table.

The rows go to the driver as plain tuples (SQLite's C loop; psycopg's pipeline), every value
converted by the column type's own bind processor, so that what is stored is what the ORM
stores, without SQLAlchemy's per-row parameter machinery. Ids are given explicitly
(:func:`next_ids`), so no ``RETURNING`` has to be matched back to the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect

from wanzheng.errors import ConfigError

__all__ = ["insert_rows", "next_ids"]


def next_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """``n`` ids for new rows of ``table`` (integer primary key ``id``), taken before the insert.

    SQLite: after ``max(id)``; the write path's transactions begin with ``BEGIN IMMEDIATE``
    (:func:`wanzheng.db.make_engine`), so no other writer can insert before this one commits.
    PostgreSQL: ``nextval`` of the column's own sequence, as a default id would be.
    """
    name = table.name
    if conn.dialect.name == "sqlite":
        first = int(conn.exec_driver_sql(f"SELECT max(id) FROM {name}").scalar() or 0) + 1
        return list(range(first, first + n))
    if conn.dialect.name != "postgresql":
        raise ConfigError(f"database: SQLite or PostgreSQL expected, got {conn.dialect.name!r}")
    result = conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, %s)",
        (n,),
    )
    return [int(v) for v in result.scalars()]


def insert_rows(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Insert ``rows`` (each a mapping holding exactly ``columns``) with one ``executemany``.

    Raises
    ------
    ValueError
        A row holds other columns than ``columns`` (the caller stores the batch row by row).
    """
    dialect = conn.dialect
    procs = _bind_processors(dialect, table, columns)
    plain = []
    for values in rows:
        if len(values) != len(columns):
            raise ValueError(f"{table.name}: rows differ in their columns: {sorted(values)}")
        plain.append(_plain(values, columns, procs))
    q = dialect.identifier_preparer.quote
    mark = "?" if dialect.name == "sqlite" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})",
        plain,
    )


def _plain(
    values: Mapping[str, Any], columns: tuple[str, ...], procs: Sequence[Any]
) -> tuple[Any, ...]:
    """The row's values in column order, each through its bind processor (None stays)."""
    return tuple(
        [
            values[c] if proc is None or values[c] is None else proc(values[c])
            for c, proc in zip(columns, procs, strict=True)
        ]
    )


_PROCESSORS: dict[tuple[str, str, tuple[str, ...]], list[Any]] = {}


def _bind_processors(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> list[Any]:
    """The bind processors (or None) of ``table``'s ``columns`` on ``dialect`` (cached)."""
    key = (dialect.name, table.name, columns)
    procs = _PROCESSORS.get(key)
    if procs is None:
        procs = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        _PROCESSORS[key] = procs
    return procs
