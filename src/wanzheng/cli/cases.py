"""``wanzheng cases …``: database setup, users, routing tables, import, export, escalation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wanzheng.cli._common import DatabaseOpt, database_url, now_at, session_factory

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


if TYPE_CHECKING:
    from wanzheng.cases.models import User

__all__ = ["register"]

cases_app = typer.Typer(
    name="cases",
    help="民呼 case desk: database, users, tables, import/export.",
    no_args_is_help=True,
)


@cases_app.command("init-db")
def init_db(database: DatabaseOpt = None) -> None:
    """Create or upgrade the database and seed empty routing/category tables."""
    with session_factory(database):
        pass
    typer.echo(f"database ready: {database_url(database)}")


@cases_app.command("add-user")
def add_user(
    username: str,
    role: Annotated[str, typer.Option(help="resident, grid_worker, handler, dispatcher, admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    department: Annotated[str | None, typer.Option(help="Department key (handlers).")] = None,
    grid: Annotated[str | None, typer.Option(help="Grid key (grid workers).")] = None,
    display_name: str = "",
    database: DatabaseOpt = None,
) -> None:
    """Create a login (password hashed with argon2)."""
    from wanzheng.cases.users import create_user

    with session_factory(database) as sm, sm() as s:
        u = create_user(
            s,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            department=department,
            grid=grid,
        )
        s.commit()
        typer.echo(f"user {u.username} ({u.role}) created")


@cases_app.command("load-tables")
def load_tables(
    routing: Annotated[
        Path, typer.Argument(help="A routing TOML (areas, departments, communities, grids).")
    ],
    database: DatabaseOpt = None,
) -> None:
    """Create or update routing rows from a TOML file (same layout as the packaged one)."""
    from wanzheng.cases.routing import load_routing_seed
    from wanzheng.cases.tables import upsert_row

    seed = load_routing_seed(routing)
    n = 0
    with session_factory(database) as sm, sm() as s:
        for d in seed.departments:
            upsert_row(s, table="departments", key=d["key"], values={"name": d["name"]})
            n += 1
        for c in seed.communities:
            upsert_row(s, table="communities", key=c["key"], values={"name": c["name"]})
            n += 1
        for a in seed.areas:
            upsert_row(
                s,
                table="areas",
                key=a["key"],
                values={"name": a.get("name", a["key"]), "polygon_wkt": a["polygon"]},
            )
            n += 1
        for g in seed.grids:
            upsert_row(
                s,
                table="grids",
                key=g["key"],
                values={
                    "name": g["name"],
                    "community_key": g["community"],
                    "polygon_wkt": g["polygon"],
                },
            )
            n += 1
        s.commit()
    typer.echo(f"{n} rows loaded from {routing}")


@cases_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="12345 export (.xlsx or .csv), see docs/cases.md")],
    crs: Annotated[
        str,
        typer.Option(
            help="Coordinate system of 经度/纬度 when the file has "
            "no 坐标系 column: wgs84, gcj02, bd09."
        ),
    ] = "wgs84",
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the valid rows even when some are rejected.")
    ] = False,
    area: Annotated[
        Path | None,
        typer.Option(
            help="The area's OSM extract: rows without 经度/纬度 are placed from their words "
            "(docs/place.md)."
        ),
    ] = None,
    communities: Annotated[
        Path | None, typer.Option(help="With --area: the audit's community file.")
    ] = None,
    facilities: Annotated[
        Path | None, typer.Option(help="With --area: the facility ledger (names are places).")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(help="With --area: text placements below this stay unplaced.")
    ] = 0.6,
    database: DatabaseOpt = None,
) -> None:
    """Import historical work orders; every rejected row is reported with its reason.

    Rows without 诉求类别 get the category the service would propose: the trained model when
    WANZHENG_TEXT_MODEL_DIR is set (keyword rules below its confidence threshold), else the
    keyword rules of the category tree.
    """
    from wanzheng.cases.categories import build_classifier, load_categories
    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.tables import grid_index
    from wanzheng.cases.transfer import import_cases, read_workorders
    from wanzheng.data.tabular import Limits
    from wanzheng.settings import Settings

    settings = Settings()
    # the whole file is read and checked before the model, the area or the database is opened
    rows = read_workorders(path, limits=Limits.from_settings(settings))
    classifier = build_classifier(settings, load_categories(settings.categories_file))
    placer = None
    if area is not None:
        from functools import partial

        from wanzheng.cli.place import area_gazetteer
        from wanzheng.place import place_text

        gazetteer = area_gazetteer(area, communities=communities, facilities=facilities)
        placer = partial(place_text, gazetteer=gazetteer, min_confidence=min_confidence)
    elif communities is not None or facilities is not None:
        from wanzheng.errors import DataError

        raise DataError("--communities and --facilities go with --area")
    with session_factory(database) as sm, sm() as s:
        report = import_cases(
            s,
            path=path,
            index=grid_index(s),
            machine=load_state_machine(),
            classifier=classifier,
            default_crs=crs,
            skip_invalid=skip_invalid,
            placer=placer,
            rows=rows,
        )
    for n, why in report.rejected:
        typer.echo(f"rejected row {n}: {why}", err=True)
    for n, why in report.skipped:
        typer.echo(f"skipped row {n}: {why}", err=True)
    if not report.committed:
        typer.echo(
            f"nothing imported: {len(report.rejected)} rows rejected "
            "(fix them, or use --skip-invalid)",
            err=True,
        )
        raise typer.Exit(2)
    for n, matched, confidence in report.placed:
        typer.echo(f"placed row {n}: {matched} (confidence {confidence:.2f})")
    for n, why in report.unplaced:
        typer.echo(f"unplaced row {n}: {why}")
    typer.echo(
        f"{report.created} cases imported, {len(report.skipped)} skipped, "
        f"{len(report.rejected)} rejected"
        + (
            f"; {len(report.placed)} placed from their words, {len(report.unplaced)} unplaced"
            if placer is not None
            else ""
        )
    )


@cases_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Output .xlsx or .csv")],
    unmask: Annotated[
        bool,
        typer.Option(
            help="Write phone/ID numbers in full (dispatcher or admin; asks --user's password, "
            "or reads it from WANZHENG_PASSWORD; logged under that account)."
        ),
    ] = False,
    user: Annotated[
        str | None, typer.Option(help="Your username (needed with --unmask; dispatcher or admin).")
    ] = None,
    purpose: Annotated[str, typer.Option(help="Why the unmasked export is needed.")] = "",
    confirmed_only: Annotated[
        bool,
        typer.Option(
            help="Only cases whose category a dispatcher confirmed or changed (training data)."
        ),
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Export every case; personal data masked unless --unmask by a dispatcher or admin.

    The unmasking is attributed to an authenticated account: ``--user`` and its password
    (prompted without echo, or ``WANZHENG_PASSWORD`` for scripts), checked against the
    account table; a wrong password writes nothing and logs nothing.
    """
    import os

    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.transfer import export_cases
    from wanzheng.cases.users import Actor
    from wanzheng.errors import PermissionDeniedError

    password = None
    if unmask:
        if not user:
            raise PermissionDeniedError("user: --unmask needs --user (a dispatcher or admin)")
        password = os.environ.get("WANZHENG_PASSWORD") or typer.prompt(
            f"password of {user}", hide_input=True
        )
    with session_factory(database) as sm, sm() as s:
        actor = Actor.system()
        if unmask:
            u = _check_password(s, username=user or "", password=password or "")
            actor = Actor(role=u.role, user_id=u.id, username=u.username)
        n = export_cases(
            s,
            path=out,
            actor=actor,
            unmask=unmask,
            purpose=purpose,
            now=now_at(None),
            machine=load_state_machine(),
            confirmed_only=confirmed_only,
        )
    typer.echo(f"{n} cases written to {out}" + (" (unmasked, logged)" if unmask else ""))


def _check_password(session: Session, *, username: str, password: str) -> User:
    """:func:`~wanzheng.cases.users.authenticate`, throttled like the web login (the same
    per-account lockout, kept in the database; the local user counts as one address)."""
    from wanzheng.cases.throttle import (
        check_keys,
        clear_failures,
        credential_keys,
        raise_if_locked,
        record_failures,
    )
    from wanzheng.cases.users import authenticate
    from wanzheng.errors import PermissionDeniedError
    from wanzheng.settings import Settings

    now = now_at(None)
    keys = credential_keys(Settings(), kind="account", subject=username, address="cli")
    counted = check_keys(session, keys=[k for k, _, _ in keys], now=now, what="password")
    try:
        user = authenticate(session, username=username, password=password)
    except PermissionDeniedError:
        until = record_failures(session, keys=keys, now=now)
        session.commit()
        raise_if_locked(until, now=now, what="password")
        raise
    if keys[0][0] in counted:
        clear_failures(session, key=keys[0][0], now=now)
    return user


@cases_app.command("escalate")
def escalate(database: DatabaseOpt = None) -> None:
    """Raise the 督办 level of overdue cases now (the service also does it on a timer)."""
    from wanzheng.cases.crud import escalate_overdue
    from wanzheng.cases.states import load_state_machine

    with session_factory(database) as sm, sm() as s:
        changed = escalate_overdue(s, now=now_at(None), machine=load_state_machine())
        s.commit()
    typer.echo(f"{len(changed)} overdue cases escalated (督办 level raised)")


def register(app: typer.Typer) -> None:
    """Add ``wanzheng cases`` to the main application."""
    app.add_typer(cases_app, name="cases")
