"""``wanzheng audit`` and ``wanzheng demo``: parse, call the library, print."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wanzheng.errors import DataError
from wanzheng.pipeline import STAGES, AuditInputs, Enrich

if TYPE_CHECKING:
    import pandas as pd

    from wanzheng.audit.result import AuditResult
    from wanzheng.data.ledger import Ledger

__all__ = ["DEMO_AREA", "audit_area", "register"]

DEMO_AREA = "haidian_cau_2026.osm.pbf"
DEMO_LEDGER = "haidian_cau_ledger_sample.csv"
DEMO_AREA_NAME = "海淀区 · 中国农业大学东校区周边"


def demo_area_path() -> Path:
    """Path of the embedded default OSM extract shipped in the package."""
    return Path(str(resources.files("wanzheng.datasets").joinpath(DEMO_AREA)))


def demo_ledger_path() -> Path:
    """Path of the sample facility ledger of the demo area (see datasets/SOURCE.md)."""
    return Path(str(resources.files("wanzheng.datasets").joinpath(DEMO_LEDGER)))


def audit_area(
    area: Path,
    *,
    out: Path,
    facilities: Path | None = None,
    communities: Path | None = None,
    standard: Path | None = None,
    facilities_crs: str = "gcj02",
    communities_crs: str = "wgs84",
    floor_area_per_person_m2: float | None = None,
    origins: str = "centroid",
    cases: Path | None = None,
    cases_text_columns: str = "title,text",
    audit_date: str | None = None,
    area_name: str | None = None,
    console: Console,
) -> Path:
    """Run the whole audit with a progress display; return the report path.

    With ``cases``, residents' cases are tied to the audit's communities (by their pin, else
    by the places their text names) and those asking for a missing facility are counted per
    community beside its verdict.
    """
    from wanzheng.pipeline import audit_to_dir

    when = _date_option(audit_date)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(STAGES["load"], total=len(STAGES))
        started: list[str] = []

        def step(label: str) -> None:
            # the bar advances when a stage ends, i.e. when the next one starts
            progress.update(task, advance=1 if started else 0, description=STAGES.get(label, label))
            started.append(label)

        enrich: Enrich | None = None
        if cases is not None:
            cases_file = cases

            def enrich(result: AuditResult, inputs: AuditInputs) -> AuditResult:
                return _with_evidence(
                    result,
                    inputs.area,
                    cases_file,
                    cases_text_columns,
                    inputs.communities,
                    inputs.ledger,
                    console=console,
                )

        run = audit_to_dir(
            area,
            out=out,
            facilities=facilities,
            communities=communities,
            standard=standard,
            facilities_crs=facilities_crs,
            communities_crs=communities_crs,
            floor_area_per_person_m2=floor_area_per_person_m2,
            origins=origins,
            audit_date=when,
            area_name=area_name,
            step=step,
            enrich=enrich,
            write_progress=lambda name, done, total: progress.update(
                task, description=f"{STAGES['outputs']}: {name} ({done}/{total})"
            ),
        )
        progress.update(task, completed=len(STAGES))

    result, ledger, files = run.result, run.ledger, run.files
    _print_summary(result, console)
    dropped = result.dropped_communities
    if len(dropped):
        console.print(
            f"[yellow]{len(dropped)} residential objects dropped (a community needs an area; "
            "give points in a --communities file) / 未作为社区审计:[/]"
        )
        for row in dropped.itertuples():
            console.print(f"  {row.id} {row.name!s} — {row.reason!s}")
    if ledger is not None and len(ledger.unmapped):
        console.print(
            f"[yellow]{len(ledger.unmapped)} ledger rows matched no facility kind; "
            f"listed in the report and in {out / 'report.html'}[/]"
        )
        for row in ledger.unmapped.head(10).itertuples():
            console.print(f"  row {row.row}: {row.name!s} — {row.reason!s}")
    return Path(files.report_html)


def _with_evidence(
    result: AuditResult,
    area: Path,
    cases: Path,
    text_columns: str,
    communities: pd.DataFrame | None,
    ledger: Ledger | None,
    *,
    console: Console,
) -> AuditResult:
    """The audit with the evidence of residents' cases per community (``--cases``)."""
    import dataclasses

    from wanzheng.cli.place import audit_evidence, read_cases
    from wanzheng.data.osm_names import load_osm_names
    from wanzheng.place import build_gazetteer

    columns = [c.strip() for c in text_columns.split(",") if c.strip()]
    frame = read_cases(cases, columns, all_needed=False)
    gazetteer = build_gazetteer(
        load_osm_names(area),
        communities=result.communities[["id", "name", "geometry"]],
        facilities=ledger.facilities if ledger is not None else None,
    )
    evidence, placed = audit_evidence(frame, gazetteer)
    tied = int((placed["community_id"] != "").sum())
    pins = int((placed["how"] == "coordinates").sum())
    unplaced = int((placed["how"] == "unplaced").sum())
    asking = int(evidence["n_cases"].sum()) if len(evidence) else 0
    console.print(
        f"{len(frame)} cases: {tied} tied to a community ({pins} with a pin, the others by "
        f"their words), {unplaced} unplaced; {asking} case-kind pairs ask for a facility"
    )
    sources = {**result.sources, "cases_file": cases.name, "cases_tied": tied}
    return dataclasses.replace(result, evidence=evidence, sources=sources)


def _date_option(value: str | None) -> str | None:
    """``--date``: the day the audit's data describe (ISO), for programme tracking."""
    if value is None:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise DataError(f"--date: expected a date such as 2025-12-31, got {value!r}") from None


def _print_summary(result: AuditResult, console: Console) -> None:
    import pandas as pd

    src = result.sources
    multi = int(src.get("n_multi_kind_facilities") or 0)
    twice = f" ({multi} of them counted under two kinds or more)" if multi else ""
    pop = pd.to_numeric(result.communities["population"], errors="coerce")
    console.print(
        f"[bold]{src['n_communities']}[/] communities, "
        f"[bold]{pop.sum(min_count=1):,.0f}[/] residents, "
        f"[bold]{src['n_facilities']}[/] facilities{twice}, "
        f"[bold]{src['n_nodes']}[/] network nodes, [bold]{src['n_edges']}[/] edges — "
        f"catalogue {src['catalogue_name']} {src['catalogue_version']}"
    )
    counts = result.communities["verdict"].value_counts()
    table = Table(title="完整社区判定 / verdicts")
    for col in ("complete 完整", "incomplete 不完整", "undetermined 待定(缺数据)"):
        table.add_column(col, justify="right")
    table.add_row(*(str(int(counts.get(v, 0))) for v in ("complete", "incomplete", "undetermined")))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``demo`` to the main application."""

    @app.command()
    def audit(
        area: Annotated[Path, typer.Argument(help="OSM extract: .osm.pbf, .osm or .osm.bz2")],
        out: Annotated[Path, typer.Option("--out", help="Output directory (replaced).")],
        facilities: Annotated[
            Path | None, typer.Option("--facilities", help="Facility ledger, CSV or XLSX.")
        ] = None,
        communities: Annotated[
            Path | None,
            typer.Option("--communities", help="Communities: GeoJSON, GeoPackage, XLSX or CSV."),
        ] = None,
        standard: Annotated[
            Path | None, typer.Option("--standard", help="Catalogue override file (TOML).")
        ] = None,
        facilities_crs: Annotated[
            str, typer.Option(help="Default coordinate system of the ledger: wgs84, gcj02, bd09.")
        ] = "gcj02",
        communities_crs: Annotated[
            str, typer.Option(help="Default coordinate system of the community file.")
        ] = "wgs84",
        floor_area: Annotated[
            float | None,
            typer.Option("--floor-area-per-person", help="m² of residential floor per resident."),
        ] = None,
        origins: Annotated[
            str,
            typer.Option(
                help="centroid: a point inside each community; buildings: every residential "
                "building, community distance = weighted median."
            ),
        ] = "centroid",
        cases: Annotated[
            Path | None,
            typer.Option(
                "--cases",
                help="Residents' cases (CSV/XLSX: id, text columns, optional 经度/纬度, 类别): "
                "those asking for a missing facility are shown per community.",
            ),
        ] = None,
        cases_text_columns: Annotated[
            str, typer.Option(help="Text columns of --cases, comma-separated.")
        ] = "title,text",
        date: Annotated[
            str | None,
            typer.Option(
                "--date",
                help="The day the data describe (YYYY-MM-DD): dated audits are compared by "
                "`wanzheng plan progress`.",
            ),
        ] = None,
        area_name: Annotated[
            str | None,
            typer.Option(
                "--area-name",
                help="The area's name for the report's title (海淀区学院路街道); default: "
                "from the data (its first named communities).",
            ),
        ] = None,
    ) -> None:
        """Audit every residential community of AREA against the complete-community standard."""
        console = Console()
        report = audit_area(
            area,
            out=out,
            facilities=facilities,
            communities=communities,
            standard=standard,
            facilities_crs=facilities_crs,
            communities_crs=communities_crs,
            floor_area_per_person_m2=floor_area,
            origins=origins,
            cases=cases,
            cases_text_columns=cases_text_columns,
            audit_date=date,
            area_name=area_name,
            console=console,
        )
        console.print(f"report: [bold]{report}[/]")

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out/demo"),
        serve: Annotated[
            bool,
            typer.Option(
                "--serve/--no-serve",
                help="Then start the web service (dashboard, resident page, console) on it.",
            ),
        ] = False,
        data_dir: Annotated[
            Path, typer.Option(help="Data directory of the demo service (SQLite, photos).")
        ] = Path("var/demo"),
        host: Annotated[str, typer.Option(help="Listen address of the demo service.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(help="Listen port of the demo service.")] = 8000,
    ) -> None:
        """Audit the embedded default area (Haidian, Beijing; © OpenStreetMap contributors)."""
        console = Console()
        report = audit_area(
            demo_area_path(),
            out=out,
            facilities=demo_ledger_path(),
            area_name=DEMO_AREA_NAME,
            console=console,
        )
        console.print(f"report: [bold]{report.resolve()}[/]")
        if serve:
            serve_demo(out=out, data_dir=data_dir, host=host, port=port, console=console)


DEMO_USERS = (
    # username, role, display name, department, grid
    ("dispatcher", "dispatcher", "街道调度员", None, None),
    ("admin", "admin", "管理员", None, None),
    ("grid-west-1", "grid_worker", "西区第一网格员", None, "west-1"),
    ("city-management", "handler", "城市管理办公室经办人", "city_management", None),
)
DEMO_PASSWORD = "wanzheng-demo"
"""Password of the demo accounts; the demo service runs only in development mode on its own
data directory, never on a production database."""


PORT_TRIES = 20
"""How many ports from the asked one ``wanzheng demo`` tries before it gives up."""


def first_free_port(host: str, port: int, *, tries: int = PORT_TRIES) -> int | None:
    """The first port from ``port`` on that ``host`` can listen on, or None.

    Checked by binding (and closing) a socket, before any URL is printed: the demo never
    prints addresses that point to someone else's server.
    """
    import socket

    for candidate in range(port, min(port + tries, 65536)):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return None


def serve_demo(*, out: Path, data_dir: Path, host: str, port: int, console: Console) -> None:
    """Start the web service on the demo audit with a seeded SQLite database and demo accounts."""
    import uvicorn
    from sqlalchemy import select

    from wanzheng.cases.models import User
    from wanzheng.cases.seed import prepare_database
    from wanzheng.cases.users import create_user
    from wanzheng.db import make_engine, make_sessionmaker
    from wanzheng.settings import Settings
    from wanzheng.web import create_app

    settings = Settings(data_dir=data_dir, audit_dir=out, host=host, port=port)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    prepare_database(
        url, categories_file=settings.categories_file, routing_file=settings.routing_file
    )
    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as session:
        for username, role, name, department, grid in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    display_name=name,
                    department=department,
                    grid=grid,
                )
        session.commit()
    engine.dispose()
    free = first_free_port(host, port)
    if free is None:
        raise DataError(
            f"--port: {port} to {port + PORT_TRIES - 1} on {host} are all in use; "
            "choose another with --port (make demo PORT=…)"
        )
    if free != port:
        console.print(f"[yellow]port {port} is in use; serving on {free} instead[/]")
        port = free
    base = f"http://{host}:{port}"
    console.print(f"dashboard  仪表盘: [bold]{base}/[/]")
    console.print(f"resident   居民端: [bold]{base}/resident[/]")
    console.print(f"dispatcher 调度台: [bold]{base}/dispatch[/]")
    console.print(f"API docs:          {base}/docs · Open311: {base}/open311/v2/services.json")
    accounts = ", ".join(u[0] for u in DEMO_USERS)
    console.print(f"demo accounts: {accounts} — password [bold]{DEMO_PASSWORD}[/] (Ctrl-C stops)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
