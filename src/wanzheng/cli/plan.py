"""``wanzheng plan site``: parse, call the library, print."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from wanzheng.errors import DataError

__all__ = ["PLAN_DIR", "progress", "register", "site"]

PLAN_DIR = "plan"
"""The audit's own plan: ``AUDIT_DIR/plan`` (what the dashboard and report.html show)."""

plan_app = typer.Typer(
    name="plan",
    help="选址补短板与建设进度 — where new facilities should go; a programme tracked from audits.",
    no_args_is_help=True,
)


def _model(value: str) -> Literal["mclp", "lscp", "pmedian"]:
    if value == "mclp":
        return "mclp"
    if value == "lscp":
        return "lscp"
    if value == "pmedian":
        return "pmedian"
    raise DataError(f"--model: expected mclp, lscp or pmedian, got {value!r}")


def _demand(value: str) -> Literal["communities", "buildings"]:
    if value == "communities":
        return "communities"
    if value == "buildings":
        return "buildings"
    raise DataError(f"--demand: expected 'communities' or 'buildings', got {value!r}")


def site(
    audit_dir: Path,
    *,
    kinds: str,
    out: Path | None = None,
    candidates: Path | None = None,
    candidates_crs: str = "gcj02",
    add: int | None = None,
    budget: float | None = None,
    model: str = "mclp",
    time_limit_s: float = 60.0,
    demand: str = "communities",
    spacing_m: float = 150.0,
    alternatives: int | None = None,
    osm: Path | None = None,
    console: Console,
) -> Path:
    """Read an audit's output, site the kinds, write the plan's files; return ``plan.html``.

    Without ``out`` the plan goes into ``AUDIT_DIR/plan``: the audit's own plan, which the
    dashboard shows and whose section is put into the audit's ``report.html``.
    """
    from wanzheng.audit.reach import graph_from_edges
    from wanzheng.data.audit_output import load_audit_output
    from wanzheng.data.candidates import load_candidates
    from wanzheng.plan.run import site_plan
    from wanzheng.report.plan import audit_stamp, insert_plan_section, write_plan_outputs

    chosen_model = _model(model)
    if add is not None and add < 0:
        raise DataError(f"--add: expected a whole number of sites >= 0, got {add}")
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise DataError(f"--budget: expected an amount >= 0, got {budget}")
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise DataError(f"--time-limit: expected seconds > 0, got {time_limit_s}")
    sited = [k.strip() for k in kinds.split(",") if k.strip()]
    if not sited:
        raise DataError("--kinds: expected one or more kind keys, comma-separated")
    store = load_audit_output(audit_dir)
    graph = graph_from_edges(store.network)
    if graph is None:
        raise DataError(f"{audit_dir}: the audit's network has no walkable edge")
    kind_table = store.kinds
    kind_names = dict(
        zip(kind_table["key"].astype(str), kind_table["name_zh"].astype(str), strict=True)
    )
    site_name = None
    if candidates is None:
        cand = None
        # sites proposed from the network, named by the audit's own places: its streets and
        # their crossings, its communities and facilities (学院路与成府路交叉口附近)
        import pandas as pd

        from wanzheng.place.reverse import build_place_namer, named_points

        pois = store.facilities[["name", "lon", "lat"]]
        if osm is not None:  # shops, schools, bus stops … of the area's OSM file
            from wanzheng.data.osm_names import load_osm_names

            pois = pd.concat([pois, named_points(load_osm_names(osm))], ignore_index=True)
        site_name = build_place_namer(store.communities, store.network, pois=pois).name_site
    else:
        cand = load_candidates(candidates, kinds=kind_names, default_crs=candidates_crs)
    n_alt = alternatives if alternatives is not None else (add or 0)
    outcome, inputs = site_plan(
        graph,
        communities=store.communities,
        facilities=store.facilities,
        kinds=kind_table,
        sited=sited,
        buildings=store.buildings,
        candidates=cand,
        model=chosen_model,
        p=add,
        budget=budget,
        time_limit_s=time_limit_s,
        demand_by=_demand(demand),
        spacing_m=spacing_m,
        alternatives_max=min(n_alt, 20),
        site_name=site_name,
    )
    own = audit_dir / PLAN_DIR
    out = own if out is None else out
    write_plan_outputs(
        outcome,
        out,
        kind_names=kind_names,
        community_geometry=store.communities["geometry"],
        candidates=inputs.candidates,
        audit_stamp=audit_stamp(audit_dir),
    )
    if out.resolve() == own.resolve() and insert_plan_section(
        audit_dir / "report.html", outcome, kind_names=kind_names
    ):
        console.print(f"report: [bold]{audit_dir / 'report.html'}[/] (section 选址方案)")
    _print(outcome.summary, outcome.sites, kind_names, console)
    return out / "plan.html"


def _print(
    summary: dict[str, object], sites: object, names: dict[str, str], console: Console
) -> None:
    import pandas as pd

    from wanzheng.report.plan import STATUS_ZH

    assert isinstance(sites, pd.DataFrame)
    s = summary
    status = str(s["status"])
    colour = {"optimal": "green", "feasible": "yellow"}.get(status, "red")
    console.print(
        f"{s['model']}: [bold {colour}]{status}[/] ({STATUS_ZH.get(status, '')}) · "
        f"objective {s['objective']} · bound {s['bound']} · gap {s['gap']}"
    )
    console.print(str(s["reason"]), highlight=False)
    table = Table(title="选址 / sites")
    for col in ("id", "name", "kinds", "cost", "residents_new"):
        table.add_column(col)
    for r in sites.to_dict(orient="records"):
        kinds = "、".join(names.get(k, k) for k in str(r["kinds"]).split(";") if k)
        table.add_row(
            str(r["id"]), str(r["name"]), kinds, f"{r['cost']:g}", f"{r['residents_new']:,.0f}"
        )
    console.print(table)
    console.print(
        f"{s['n_candidates']} candidates, {s['n_demand']} demand points; residents newly covered "
        f"{float(str(s['residents_new'])):,.0f}; complete communities "
        f"{s['communities_complete_before']} → {s['communities_complete_after']}"
    )


def audit_date(store_sources: dict[str, object], audit_dir: Path) -> dt.date:
    """The date an audit was given (``wanzheng audit --date``)."""
    text = str(store_sources.get("audit_date") or "")
    if not text:
        raise DataError(
            f"{audit_dir}: the audit has no date; run `wanzheng audit … --date YYYY-MM-DD` "
            "or give --dates"
        )
    return parse_date(text, "audit_date")


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(f"{what}: expected a date such as 2025-12-31, got {text!r}") from None


def progress(
    programme_file: Path,
    audit_dirs: list[Path],
    *,
    out: Path,
    dates: str | None = None,
    console: Console,
) -> Path:
    """Read a programme and dated audits, write ``progress.xlsx`` (and ``progress.json`` for
    the programme page); return the workbook's path."""
    from wanzheng.data.audit_output import load_audit_output
    from wanzheng.data.programme import load_programme
    from wanzheng.plan.programme import DatedAudit, programme_progress
    from wanzheng.report.programme import write_progress_json, write_progress_xlsx

    programme = load_programme(programme_file)
    given = [parse_date(t, "--dates") for t in dates.split(",")] if dates else None
    if given is not None and len(given) != len(audit_dirs):
        raise DataError(
            f"--dates: expected one date per audit ({len(audit_dirs)}), got {len(given)}"
        )
    audits = []
    for n, d in enumerate(audit_dirs):
        store = load_audit_output(d)
        when = given[n] if given is not None else audit_date(store.sources, d)
        audits.append(
            DatedAudit(date=when, communities=store.communities, kinds=store.kinds, label=str(d))
        )
    result = programme_progress(programme, audits)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "progress.xlsx"
    write_progress_xlsx(result, path)
    write_progress_json(result, out / "progress.json")
    s = result.summary
    target = s["target"]
    console.print(
        f"{s['first']} → {s['last']}: complete {s['complete_first']} → {s['complete_last']} "
        f"of {s['communities']} ({100 * s['share_complete']:.1f}%"
        + (
            f"; target {100 * target:.0f}% {'met' if s['target_met'] else 'not met'}"
            if isinstance(target, float) and math.isfinite(target)
            else ""
        )
        + f"); {s['became_complete']} became complete "
        f"({s['residents_newly_complete']:,.0f} residents); {s['projects_late']} projects late"
    )
    table = Table(title="街道/区排名 / ranking")
    for col in ("level", "area", "complete", "share", "target", "index", "rank"):
        table.add_column(col)
    for r in result.areas.to_dict(orient="records"):
        t = r["target"]
        table.add_row(
            str(r["level"]), str(r["area"]), f"{r['complete']}/{r['communities']}",
            f"{100 * r['share_complete']:.0f}%",
            "—" if not math.isfinite(t) else f"{100 * t:.0f}% {'✓' if r['target_met'] else '✗'}",
            f"{r['index']:.1f}", str(r["rank"]),
        )  # fmt: skip
    console.print(table)
    return path


def register(app: typer.Typer) -> None:
    """Add ``plan`` (``plan site``) to the main application."""

    @plan_app.command("site")
    def site_command(
        audit_dir: Annotated[Path, typer.Argument(help="An audit's output directory.")],
        kinds: Annotated[str, typer.Option("--kinds", help="Kinds to site, comma-separated keys.")],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Output directory of the plan (default AUDIT_DIR/plan: the audit's own "
                "plan, shown on the dashboard and in its report.html).",
            ),
        ] = None,
        candidates: Annotated[
            Path | None,
            typer.Option(
                "--candidates",
                help="Candidate sites: CSV, XLSX or GeoJSON (name, lon/lat, kinds, cost, "
                "capacity). Without it, sites are proposed from the network.",
            ),
        ] = None,
        candidates_crs: Annotated[
            str, typer.Option(help="Default coordinate system of --candidates.")
        ] = "gcj02",
        add: Annotated[int | None, typer.Option("--add", help="At most N new sites.")] = None,
        budget: Annotated[
            float | None, typer.Option("--budget", help="At most this total cost.")
        ] = None,
        model: Annotated[str, typer.Option(help="mclp, lscp or pmedian.")] = "mclp",
        time_limit: Annotated[
            float, typer.Option("--time-limit", help="Seconds for the solver.")
        ] = 60.0,
        demand: Annotated[
            str,
            typer.Option(help="Demand points: communities (origins) or buildings (residential)."),
        ] = "communities",
        spacing: Annotated[
            float, typer.Option(help="Spacing (m) of sites proposed from the network.")
        ] = 150.0,
        alternatives: Annotated[
            int | None,
            typer.Option(help="Also the best plan for p = 1 … N (default: --add; at most 20)."),
        ] = None,
        osm: Annotated[
            Path | None,
            typer.Option(
                "--osm",
                help="The area's OSM file: its named places (shops, schools, bus stops …) "
                "also name the sites proposed from the network.",
            ),
        ] = None,
    ) -> None:
        """Where new facilities of KINDS should go to close the audit's gaps (proven optimal)."""
        console = Console()
        page = site(
            audit_dir,
            kinds=kinds,
            out=out,
            candidates=candidates,
            candidates_crs=candidates_crs,
            add=add,
            budget=budget,
            model=model,
            time_limit_s=time_limit,
            demand=demand,
            spacing_m=spacing,
            alternatives=alternatives,
            osm=osm,
            console=console,
        )
        console.print(f"plan: [bold]{page}[/]")

    @plan_app.command("progress")
    def progress_command(
        programme: Annotated[Path, typer.Argument(help="Programme workbook (XLSX).")],
        audit_dirs: Annotated[list[Path], typer.Argument(help="Dated audits' output directories.")],
        out: Annotated[Path, typer.Option("--out", help="Output directory.")],
        dates: Annotated[
            str | None,
            typer.Option(help="Dates of the audits, comma-separated (default: their --date)."),
        ] = None,
    ) -> None:
        """Track a programme from dated audits: who became complete, targets, late projects."""
        console = Console()
        path = progress(programme, audit_dirs, out=out, dates=dates, console=console)
        console.print(f"progress: [bold]{path}[/]")

    @plan_app.command("template")
    def template_command(
        out: Annotated[Path, typer.Option("--out", help="Programme workbook to write (XLSX).")],
        audit: Annotated[
            Path | None,
            typer.Option("--audit", help="Fill the communities from this audit's output."),
        ] = None,
    ) -> None:
        """Write an empty programme workbook (社区 / 目标 / 项目 sheets)."""
        from wanzheng.data.audit_output import load_audit_output
        from wanzheng.report.programme import write_programme_template

        if out.exists():
            raise DataError(f"{out}: exists; choose another name (it is never overwritten)")
        comm = None if audit is None else load_audit_output(audit).communities
        out.parent.mkdir(parents=True, exist_ok=True)
        write_programme_template(out, communities=comm)
        Console().print(f"template: [bold]{out}[/]")

    app.add_typer(plan_app)
