"""The routing and category tables an administrator edits: list, create or update a row
(references and polygons checked), and the routing snapshot :func:`grid_index` that intake
routes with.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.models import Area, CategoryRow, Community, Department, Grid
from wanzheng.cases.routing import GridIndex, parse_polygon
from wanzheng.db.base import Base
from wanzheng.errors import DataError, NotFoundError

__all__ = ["grid_index", "list_table", "upsert_row"]

_TABLES: dict[str, type[Base]] = {
    "areas": Area,
    "departments": Department,
    "communities": Community,
    "grids": Grid,
    "categories": CategoryRow,
}


_EDITABLE: dict[str, tuple[str, ...]] = {
    "areas": ("name", "polygon_wkt"),
    "departments": ("name",),
    "communities": ("name",),
    "grids": ("name", "community_key", "polygon_wkt"),
    "categories": (
        "name",
        "parent_key",
        "department_key",
        "sign_hours",
        "respond_hours",
        "resolve_days",
        "keywords",
    ),
}


def list_table(session: Session, *, table: str) -> list[dict[str, Any]]:
    """Rows of one routing table as plain dicts (for the admin API and export)."""
    model = _TABLES.get(table)
    if model is None:
        raise NotFoundError(f"table: unknown table {table!r}; expected one of {sorted(_TABLES)}")
    rows = session.scalars(select(model).order_by(model.__table__.c.key)).all()
    return [{"key": r.key, **{f: getattr(r, f) for f in _EDITABLE[table]}} for r in rows]  # type: ignore[attr-defined]


def upsert_row(session: Session, *, table: str, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """Create or update one row of a routing table, validating references and polygons."""
    model = _TABLES.get(table)
    if model is None:
        raise NotFoundError(f"table: unknown table {table!r}; expected one of {sorted(_TABLES)}")
    allowed = _EDITABLE[table]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise DataError(f"{unknown[0]}: not a field of {table}; expected {list(allowed)}")
    if not key or len(key) > 64:
        raise DataError("key: expected 1–64 characters")
    if "polygon_wkt" in values:
        parse_polygon(str(values["polygon_wkt"]), where="polygon_wkt")
    if "community_key" in values and session.get(Community, values["community_key"]) is None:
        raise DataError(f"community_key: unknown community {values['community_key']!r}")
    if (
        values.get("department_key") is not None
        and session.get(Department, values["department_key"]) is None
    ):
        raise DataError(f"department_key: unknown department {values['department_key']!r}")
    for f in ("sign_hours", "respond_hours", "resolve_days"):
        if f in values and values[f] is not None and float(values[f]) <= 0:
            raise DataError(f"{f}: expected a positive number, got {values[f]!r}")
    row = session.get(model, key)
    if row is None:
        needed = [
            f for f in allowed if f not in values and f in ("name", "polygon_wkt", "community_key")
        ]
        if needed:
            raise DataError(f"{needed[0]}: required to create a {table} row")
        row = model(key=key, **values)
        session.add(row)
    else:
        for f, v in values.items():
            setattr(row, f, v)
    session.flush()
    return {"key": key, **{f: getattr(row, f) for f in allowed}}


def grid_index(session: Session) -> GridIndex:
    """Build the point-in-polygon index from the grid and area tables."""
    grids = session.execute(
        select(Grid.key, Grid.polygon_wkt, Grid.community_key).order_by(Grid.key)
    ).all()
    areas = session.scalars(select(Area.polygon_wkt).order_by(Area.key)).all()
    cats = session.execute(
        select(
            CategoryRow.key,
            CategoryRow.department_key,
            CategoryRow.sign_hours,
            CategoryRow.respond_hours,
            CategoryRow.resolve_days,
            CategoryRow.name,
        )
    ).all()
    return GridIndex.build(
        [(k, w) for k, w, _ in grids],
        list(areas),
        communities={k: c for k, _, c in grids},
        categories={k: (d, sh, rh, rd, n) for k, d, sh, rh, rd, n in cats},
    )
