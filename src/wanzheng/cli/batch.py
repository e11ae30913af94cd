"""``wanzheng batch run``: audit every area of a manifest on Dask; parse, call, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from wanzheng.batch import BatchRun

__all__ = ["register"]

batch_app = typer.Typer(
    help="批量体检 — audit many areas at once, on a local or an existing Dask cluster.",
    no_args_is_help=True,
)


def _gib(n: int | None) -> str:
    return "" if n is None else f"{n / 2**30:.2f} GiB"


def _print_outcomes(run: BatchRun, console: Console) -> None:
    table = Table(title="批量体检 / batch")
    for col in ("area", "status", "s", "peak memory", "stage", "message"):
        table.add_column(col, overflow="fold")
    colour = {"done": "green", "skipped": "cyan", "failed": "red"}
    for o in run.outcomes:
        table.add_row(
            o.name,
            f"[{colour[o.status]}]{o.status}[/]",
            f"{o.seconds:.1f}",
            _gib(o.peak_rss_bytes),
            o.stage,
            o.message,
        )
    console.print(table)


@batch_app.command("run")
def run_command(
    manifest: Annotated[Path, typer.Argument(help="Manifest: TOML with [[area]] tables, or XLSX.")],
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running Dask scheduler (tcp://host:8786)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes of the local cluster (default: cores).")
    ] = None,
    serial: Annotated[
        bool, typer.Option("--serial", help="One area after the other in this process.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun areas whose inputs have not changed.")
    ] = False,
    retries: Annotated[
        int, typer.Option(help="Retries of an area after a failure other than bad input.")
    ] = 1,
    memory_limit: Annotated[
        str, typer.Option(help="Memory per worker of the local cluster: 4GiB, auto.")
    ] = "auto",
    summary: Annotated[
        list[Path] | None,
        typer.Option(
            "--summary",
            help="Write the summary of every area's communities (.csv, .xlsx, .gpkg); repeatable.",
        ),
    ] = None,
) -> None:
    """Audit every area of MANIFEST, each into its own folder, as `wanzheng audit` would."""
    from wanzheng.batch import build_summary, load_manifest, run_batch, write_summary
    from wanzheng.errors import DataError
    from wanzheng.pipeline import STAGES

    if retries < 0:
        raise DataError(f"--retries: expected 0 or more, got {retries}")
    if workers is not None and workers < 1:
        raise DataError(f"--workers: expected 1 or more, got {workers}")
    for path in summary or []:
        if path.suffix.lower() not in (".csv", ".xlsx", ".gpkg"):
            raise DataError(f"--summary {path}: expected a .csv, .xlsx or .gpkg file")
    areas = load_manifest(manifest)
    console = Console()
    stages = ["fingerprint", *STAGES]
    with Progress(
        TextColumn("{task.fields[area]}"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bars: dict[str, TaskID] = {
            a.name: progress.add_task("等待 / waiting", total=len(stages), area=a.name)
            for a in areas
        }

        def on_stage(area: str, stage: str) -> None:
            bar = bars.get(area)
            if bar is None:
                return
            if stage in ("done", "skipped", "failed"):
                progress.update(bar, completed=len(stages), description=stage)
            else:
                done = stages.index(stage) if stage in stages else 0
                progress.update(bar, completed=done, description=STAGES.get(stage, stage))

        def on_start(address: str, dashboard: str | None) -> None:
            if address != "serial":
                console.print(f"Dask scheduler: [bold]{address}[/]")
            if dashboard:
                console.print(f"Dask dashboard: [bold]{dashboard}[/]")

        run = run_batch(
            areas,
            scheduler=scheduler,
            workers=workers,
            serial=serial,
            force=force,
            retries=retries,
            memory_limit=None if memory_limit == "none" else memory_limit,
            on_stage=on_stage,
            on_start=on_start,
        )
    _print_outcomes(run, console)
    largest = run.largest_peak()
    if largest is not None:
        console.print(
            f"largest peak memory: [bold]{_gib(largest.peak_rss_bytes)}[/] ({largest.name}) — "
            "give each worker at least this much (--memory-limit, dask worker --memory-limit)"
        )
    table = build_summary(run.outcomes)
    for path in summary or []:
        write_summary(table, path)
        console.print(f"summary: [bold]{path}[/] ({len(table)} communities)")
    counts = {s: sum(o.status == s for o in run.outcomes) for s in ("done", "skipped", "failed")}
    console.print(
        f"{counts['done']} audited, {counts['skipped']} unchanged (skipped), "
        f"{counts['failed']} failed"
    )
    if run.failed:
        err = Console(stderr=True)
        for o in run.failed:
            err.print(
                f"[bold red]failed:[/] {o.name}: stage {o.stage}: {o.message}",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the main application."""
    app.add_typer(batch_app, name="batch")
