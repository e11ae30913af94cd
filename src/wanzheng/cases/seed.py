"""Seeding: fill empty routing and category tables from the packaged (or given) data files,
and :func:`prepare_database` (migrate, then seed) which ``wanzheng serve``, the CLI and the
tests call before using a database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wanzheng.cases.categories import CategoryTree, DeadlineProfile
from wanzheng.cases.models import Area, CategoryRow, Community, Department, Grid
from wanzheng.cases.routing import RoutingSeed
from wanzheng.db.base import Base

__all__ = ["prepare_database", "seed_tables"]


def seed_tables(session: Session, *, tree: CategoryTree, routing: RoutingSeed) -> int:
    """Fill empty routing and category tables from the packaged (or given) data.

    Tables that already hold rows are left alone (an administrator's edits win).

    Returns
    -------
    int
        Number of rows inserted.
    """
    n = 0

    def empty(model: type[Base]) -> bool:
        return session.scalar(select(func.count()).select_from(model)) == 0

    if empty(Area):
        for a in routing.areas:
            session.add(Area(key=a["key"], name=a.get("name", a["key"]), polygon_wkt=a["polygon"]))
            n += 1
    if empty(Department):
        for d in routing.departments:
            session.add(Department(key=d["key"], name=d["name"]))
            n += 1
    if empty(Community):
        for c in routing.communities:
            session.add(Community(key=c["key"], name=c["name"]))
            n += 1
    session.flush()
    if empty(Grid):
        for g in routing.grids:
            session.add(
                Grid(
                    key=g["key"],
                    name=g["name"],
                    community_key=g["community"],
                    polygon_wkt=g["polygon"],
                )
            )
            n += 1
    if empty(CategoryRow):
        for cat in tree.categories.values():
            prof: DeadlineProfile | None = tree.profiles[cat.profile] if cat.profile else None
            session.add(
                CategoryRow(
                    key=cat.key,
                    name=cat.name,
                    parent_key=cat.parent,
                    department_key=cat.department,
                    sign_hours=prof.sign_hours if prof else None,
                    respond_hours=prof.respond_hours if prof else None,
                    resolve_days=prof.resolve_days if prof else None,
                    keywords=list(cat.keywords),
                )
            )
            n += 1
    session.flush()
    return n


def prepare_database(
    url: str,
    *,
    categories_file: Path | None = None,
    routing_file: Path | None = None,
) -> int:
    """Upgrade the schema (:func:`wanzheng.db.upgrade_database`), then seed empty category and
    routing tables.

    Returns
    -------
    int
        Rows seeded (0 when every table already had rows).
    """
    from wanzheng.cases.categories import load_categories
    from wanzheng.cases.routing import load_routing_seed
    from wanzheng.db import make_engine, make_sessionmaker, upgrade_database

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
