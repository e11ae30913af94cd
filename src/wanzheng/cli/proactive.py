"""``wanzheng proactive …`` (registers, rules, outbox, retention) and the top-level
``wanzheng hotspots``, ``wanzheng outlook`` and ``wanzheng evidence``.

Parse, call the library, print. The case history for hotspots, outlook and evidence comes
from the case desk's database, or from a CSV/XLSX file (``--cases``) with the columns
``id, category, text, lon, lat, created_at`` and optionally ``grid_id, community_id,
resident_id``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wanzheng.cli._common import BEIJING, AtOpt, DatabaseOpt, now_at, session_factory
from wanzheng.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session, sessionmaker


__all__ = ["read_case_table", "register"]

proactive_app = typer.Typer(
    name="proactive",
    help="我为: service registers, proactive rules and tasks, notices, retention.",
    no_args_is_help=True,
)

CasesOpt = Annotated[
    Path | None,
    typer.Option(
        "--cases",
        help="Case history CSV/XLSX (id, category, text, lon, lat, created_at …); "
        "default: the case desk's database.",
    ),
]
CASE_TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "工单编号"),
    "text": ("内容", "诉求内容"),
    "created_at": ("受理时间", "创建时间"),
    "lon": ("经度",),
    "lat": ("纬度",),
    "category": ("类别", "诉求类别"),
    "grid_id": ("网格",),
    "community_id": ("社区",),
    "resident_id": ("居民编号",),
}


def read_case_table(path: Path) -> pd.DataFrame:
    """Read a case history file for hotspots / outlook / evidence (the one table reader).

    Raises
    ------
    DataError
        Unreadable file, missing columns, or an unparsable ``created_at`` (names the row).
    """
    import pandas as pd  # heavy: imported where used, so `wanzheng --help` stays fast

    from wanzheng.data.tabular import Limits, cell_text, read_table
    from wanzheng.settings import Settings

    table = read_table(path, aliases=CASE_TABLE_ALIASES, limits=Limits.from_settings(Settings()))
    table.require("id", "text", "created_at")
    frame = table.frame.copy()
    raw_created = frame["created_at"]
    created = pd.to_datetime(
        raw_created.map(lambda v: v if not isinstance(v, str) else v.strip()), errors="coerce"
    )
    if created.isna().any():
        i = int(created.isna().to_numpy().nonzero()[0][0])
        raise DataError(
            f"{table.where(i, 'created_at')}: expected a time like 2026-11-01 09:30, "
            f"got {raw_created.iloc[i]!r}"
        )
    frame["created_at"] = created
    for col in ("lon", "lat"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col].replace("", None), errors="coerce")
    for col in ("id", "text", "category", "grid_id", "community_id", "resident_id"):
        if col not in frame.columns:
            frame[col] = ""
        frame[col] = frame[col].map(cell_text)
    return frame


def _cases(cases: Path | None, database: str | None) -> pd.DataFrame:
    if cases is not None:
        return read_case_table(cases)
    from wanzheng.proactive.service import cases_frame

    with session_factory(database) as sm, sm() as s:
        return cases_frame(s)


def _print(frame: pd.DataFrame, *, limit: int = 40) -> None:
    import pandas as pd  # heavy: imported where used, so `wanzheng --help` stays fast

    if frame.empty:
        typer.echo("(none)")
        return
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        typer.echo(frame.head(limit).to_string(index=False))
    if len(frame) > limit:
        typer.echo(f"… {len(frame) - limit} more rows")


@proactive_app.command("template")
def template(out: Path) -> None:
    """Write an empty register template (.csv or .xlsx) with one example row."""
    from wanzheng.proactive.registers import write_template

    typer.echo(f"template written: {write_template(out)}")


@proactive_app.command("import-register")
def import_register_cmd(
    file: Path,
    database: DatabaseOpt = None,
    user: Annotated[str, typer.Option(help="Who imports (written to the access log).")] = "admin",
) -> None:
    """Import a service register (CSV/XLSX); columns not in the template are dropped."""
    from wanzheng.data.tabular import Limits
    from wanzheng.proactive.registers import Viewer, load_register
    from wanzheng.proactive.store import import_register
    from wanzheng.settings import Settings

    register = load_register(file, limits=Limits.from_settings(Settings()))
    with session_factory(database) as sm, sm() as s:
        out = import_register(
            s,
            register=register,
            viewer=Viewer(user=user, role="administrator"),
            now=now_at(None),
        )
        s.commit()
    typer.echo(f"imported {out['imported']} residents, removed {out['removed']} no longer listed")
    if register.dropped_columns:
        typer.echo(
            "dropped columns not in the template (not stored): "
            + ", ".join(register.dropped_columns)
        )


@proactive_app.command("check-rules")
def check_rules(file: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Validate a rule file (default: the packaged rules) and list its rules."""
    from wanzheng.proactive.rules import describe, load_rules

    rules = load_rules(file)
    typer.echo(f"{rules.origin}: {rules.name} {rules.version}, {len(rules.rules)} rules")
    for line in describe(rules.rules):
        typer.echo(f"  {line}")


@proactive_app.command("run")
def run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, write nothing.")] = False,
    rules_file: Annotated[Path | None, typer.Option("--rules", help="Rule file (TOML).")] = None,
    events_file: Annotated[
        Path | None, typer.Option("--events", help="Events CSV to store before the run.")
    ] = None,
    deliver_now: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Deliver due notices after the run.")
    ] = True,
    purge_now: Annotated[
        bool,
        typer.Option("--purge/--no-purge", help="Apply the register retention after the run."),
    ] = True,
    at: AtOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Evaluate the rules over the stored registers and create the new tasks, notices, lists."""
    from wanzheng.data.tabular import Limits
    from wanzheng.proactive.rules import load_rules
    from wanzheng.proactive.service import propose, run_rules
    from wanzheng.proactive.store import add_event
    from wanzheng.proactive.tasks import load_events
    from wanzheng.settings import Settings

    settings = Settings()
    rules = load_rules(rules_file or settings.proactive_rules_file)
    now = now_at(at)
    events = (
        load_events(events_file, limits=Limits.from_settings(settings))
        if events_file is not None
        else []
    )
    with session_factory(database) as sm:
        with sm() as s:
            if dry_run:
                proposals = propose(s, rules=rules, now=now, events=events)
                s.rollback()
                new = proposals[proposals["new"]]
                typer.echo(
                    f"dry run at {now.astimezone(BEIJING):%Y-%m-%d %H:%M} (Beijing), "
                    f"rules {rules.name} {rules.version}: {len(proposals)} proposed, "
                    f"{len(new)} new, nothing written"
                )
                summary = (
                    proposals.groupby(["rule_id", "action", "to"])
                    .agg(proposed=("key", "size"), new=("new", "sum"))
                    .reset_index()
                )
                _print(summary)
                typer.echo("")
                _print(new[["rule_id", "person_id", "grid_id", "period", "due_at", "reason"]])
                return
            for event in events:
                add_event(s, event=event, entered_by="cli", now=now)
            report = run_rules(s, rules=rules, now=now, by="cli")
            s.commit()
        typer.echo(
            f"run {report.run_id}: {len(report.proposals)} proposed; created {report.tasks} "
            f"tasks ({report.unrouted} unrouted), {report.notices} notices, "
            f"{report.list_rows} list rows"
        )
        if deliver_now:
            _deliver(sm, settings.data_dir, now)
        if purge_now:
            from wanzheng.proactive.store import purge_expired

            with sm() as s:
                purged = purge_expired(s, now=now, retention_days=settings.proactive_retention_days)
                s.commit()
            typer.echo(f"retention: purged {purged['records']} register records")


def _deliver(sm: sessionmaker[Session], data_dir: Path, now: dt.datetime) -> None:
    from wanzheng.proactive.outbox import build_sender, deliver
    from wanzheng.settings import Settings

    settings = Settings()
    sender = build_sender(settings.model_copy(update={"data_dir": data_dir}), sm)
    r = deliver(sm, sender, now=now)
    typer.echo(f"outbox: {r.sent} sent, {r.failed} failed ({r.dead} dead)")


@proactive_app.command("deliver")
def deliver_cmd(at: AtOpt = None, database: DatabaseOpt = None) -> None:
    """Deliver due outbox messages through the default sender (resident page + log)."""
    from wanzheng.settings import Settings

    with session_factory(database) as sm:
        _deliver(sm, Settings().data_dir, now_at(at))


@proactive_app.command("purge")
def purge(
    retention_days: Annotated[
        int | None, typer.Option(help="Override the setting proactive_retention_days.")
    ] = None,
    at: AtOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Delete register records past their retention period (run daily from cron)."""
    from wanzheng.proactive.store import purge_expired
    from wanzheng.settings import Settings

    days = retention_days or Settings().proactive_retention_days
    with session_factory(database) as sm, sm() as s:
        out = purge_expired(s, now=now_at(at), retention_days=days)
        s.commit()
    typer.echo(f"purged {out['records']} register records, {out['log_rows']} access-log rows")


@proactive_app.command("completion")
def completion(
    by: Annotated[str, typer.Option(help="rule_id, grid_id or all")] = "rule_id",
    at: AtOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Completion rate of proactive tasks (resolved, on time, overdue)."""
    from wanzheng.proactive.service import task_completion

    with session_factory(database) as sm, sm() as s:
        _print(task_completion(s, now=now_at(at), by=by).reset_index())


@proactive_app.command("lists")
def lists(
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the list (CSV).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """The departments' lists (e.g. allowance eligibility checks for 社会事务办)."""
    from wanzheng.proactive.service import department_list

    with session_factory(database) as sm, sm() as s:
        table = department_list(s, department=department)
    _print(table)
    if out is not None:
        _write_csv(table, out)
        typer.echo(f"list written: {out}")


def _topics_out(
    out: Path,
    *,
    cases: Path | None,
    database: str | None,
    month: str | None,
    all_cases: bool,
    area: Path | None,
    radius_m: float,
    window_days: float,
) -> None:
    """``hotspots --out``: hot topics from text, one row per input case."""
    import pandas as pd  # heavy: imported where used, so `wanzheng --help` stays fast

    from wanzheng.data.cells import write_frame_csv
    from wanzheng.proactive.topics import find_topics

    if month is not None and all_cases:
        raise DataError("give --month YYYY-MM or --all, not both")
    table = _cases(cases, database).reset_index(drop=True)
    created = pd.to_datetime(table["created_at"])
    if month is not None:
        try:
            start = pd.Timestamp(f"{month}-01")
        except ValueError as exc:
            raise DataError(f"--month: expected YYYY-MM, got {month!r}") from exc
        chosen = (created >= start) & (created < start + pd.offsets.MonthBegin(1))
    else:
        chosen = pd.Series(True, index=table.index)
    frame = table[chosen.to_numpy()].reset_index(drop=True)
    keys = None
    if area is not None:
        from wanzheng.cli.place import area_gazetteer
        from wanzheng.place.table import place_cases

        texts = [
            f"{t}。{x}" if t else str(x)
            for t, x in zip(
                frame["title"].fillna("").astype(str) if "title" in frame else [""] * len(frame),
                frame["text"].fillna("").astype(str),
                strict=True,
            )
        ]
        placed = place_cases(
            list(frame["id"]),
            texts,
            area_gazetteer(area),
            lon=list(frame["lon"]) if "lon" in frame else None,
            lat=list(frame["lat"]) if "lat" in frame else None,
        )
        frame["lon"], frame["lat"] = placed["lon"].to_numpy(), placed["lat"].to_numpy()
        keys = [
            c or (f"road:{cand}" if how == "unplaced" and cand and "；" not in cand else "")
            for c, how, cand in zip(
                placed["community_id"], placed["how"], placed["candidates"], strict=True
            )
        ]
    found = find_topics(frame, place_keys=keys, radius_m=radius_m, window_days=window_days)
    per_case = found.cases.set_index("id")
    rows = []
    for ident in table["id"].astype(str):
        if ident in per_case.index:
            r = per_case.loc[ident]
            rows.append((ident, r["cluster_id"], r["heat"], r["label"]))
        else:
            rows.append((ident, "", float("nan"), ""))
    result = pd.DataFrame(rows, columns=["id", "cluster_id", "heat", "label"])
    write_frame_csv(result, out)
    scope = f"in {month}" if month is not None else "in all"
    typer.echo(
        f"{len(found.topics)} hot topics from {len(frame)} cases {scope} "
        f"({int((result['cluster_id'] != '').sum())} cases in a topic)"
    )
    _print(found.topics[["cluster_id", "heat", "n_cases", "n_residents", "supporters", "label"]])
    typer.echo(f"topics written: {out}")


def register(app: typer.Typer) -> None:
    """Add ``proactive`` and the top-level ``hotspots``, ``outlook``, ``evidence``."""
    app.add_typer(proactive_app)

    @app.command("hotspots")
    def hotspots(
        cases: CasesOpt = None,
        database: DatabaseOpt = None,
        radius_m: Annotated[float, typer.Option(help="Link distance, metres.")] = 200.0,
        days: Annotated[float, typer.Option(help="Link time window, days.")] = 14.0,
        similarity: Annotated[float, typer.Option(help="Least text similarity 0–1.")] = 0.2,
        min_size: Annotated[int, typer.Option(help="Fewest cases in a hotspot.")] = 3,
        month: Annotated[
            str | None, typer.Option(help="Rank this month's topics (YYYY-MM).")
        ] = None,
        geojson: Annotated[Path | None, typer.Option(help="Write the map layer here.")] = None,
        create_task: Annotated[
            str | None,
            typer.Option(help="Turn this cluster id into a governance task (needs --month)."),
        ] = None,
        at: AtOpt = None,
        out: Annotated[
            Path | None,
            typer.Option(
                help="Write hot topics from text (id, cluster_id, heat, label per case) here; "
                "cases need no coordinates (docs/proactive.md, 'Hot topics from text')."
            ),
        ] = None,
        all_cases: Annotated[
            bool, typer.Option("--all", help="With --out: every case, not one month.")
        ] = False,
        area: Annotated[
            Path | None,
            typer.Option(help="With --out: the area's OSM extract, to place texts on its map."),
        ] = None,
        window_days: Annotated[
            float, typer.Option(help="With --out: link time window, days.")
        ] = 30.0,
    ) -> None:
        """每月一题: recurring problems by place, category and wording, ranked for the month."""
        if out is not None:
            _topics_out(
                out,
                cases=cases,
                database=database,
                month=month,
                all_cases=all_cases,
                area=area,
                radius_m=radius_m,
                window_days=window_days,
            )
            return
        if all_cases or area is not None:
            raise DataError("--all and --area go with --out (hot topics from text)")
        from wanzheng.proactive.hotspots import (
            find_hotspots,
            governance_task,
            hotspots_geojson,
            rank_month,
        )

        now = now_at(at)
        table = _cases(cases, database)
        found = find_hotspots(
            table,
            radius_m=radius_m,
            window_days=days,
            min_similarity=similarity,
            min_size=min_size,
            as_of=now if at is not None else None,
        )
        if month is None and create_task is not None:
            month = now.astimezone(BEIJING).strftime("%Y-%m")
        cols = ["cluster_id", "category", "size", "trend", "spread_m", "n_recent", "label"]
        if month:
            ranked = rank_month(found, table, month=month)
            typer.echo(f"{len(ranked)} hotspot topics with cases in {month}:")
            _print(ranked[["rank", "n_in_month", *cols]])
        else:
            typer.echo(f"{len(found.clusters)} hotspots:")
            _print(found.clusters[cols])
        if geojson is not None:
            geojson.write_text(
                json.dumps(hotspots_geojson(found), ensure_ascii=False), encoding="utf-8"
            )
            typer.echo(f"map layer written: {geojson}")
        if create_task is not None:
            from wanzheng.proactive.service import record_governance_task

            chosen = found.clusters[found.clusters["cluster_id"] == create_task]
            if chosen.empty:
                raise DataError(f"--create-task: no hotspot {create_task!r}")
            row = chosen.iloc[0]
            proposal = governance_task(row, now=now, month=str(month))
            with session_factory(database) as sm, sm() as s:
                case_id, created = record_governance_task(
                    s, proposal=proposal, now=now, lon=float(row["lon"]), lat=float(row["lat"])
                )
                s.commit()
            typer.echo(
                f"governance task: case {case_id}" + ("" if created else " (already chosen)")
            )

    @app.command("outlook")
    def outlook_cmd(
        cases: CasesOpt = None,
        database: DatabaseOpt = None,
        by: Annotated[
            str, typer.Option(help="Comma-separated grouping columns.")
        ] = "category,community_id",
        horizon: Annotated[int, typer.Option(help="Weeks ahead (4–8).")] = 8,
        min_total: Annotated[int, typer.Option(help="Skip series with fewer cases.")] = 20,
        calendar: Annotated[
            str, typer.Option(help="Holiday calendar of the adjustment: CN, US or none.")
        ] = "CN",
        out: Annotated[Path | None, typer.Option(help="Write the forecasts (CSV).")] = None,
        backtest_out: Annotated[
            Path | None,
            typer.Option(help="Write the backtest, one row per group (CSV)."),
        ] = None,
        reconcile: Annotated[
            str | None,
            typer.Option(
                help="Forecast every level of --by (coarsest first, e.g. "
                "category,subdistrict,community_id) and make them add up: bottom_up or mint."
            ),
        ] = None,
    ) -> None:
        """Weekly demand outlook per group: the method that wins an honest backtest against the
        best simple baseline, its 80 % interval, and any break in the data."""
        from wanzheng.proactive.outlook import outlook

        table = _cases(cases, database)
        keys = tuple(k.strip() for k in by.split(",") if k.strip())
        result = outlook(
            table,
            by=keys,
            horizon=horizon,
            min_total=min_total,
            calendar=calendar,
            reconcile_method=reconcile,
        )
        typer.echo(
            f"history to week of {result.params['last_week']}; "
            f"{len(result.backtest)} series; MAE in cases/week on the later backtest origins"
        )
        bt = result.backtest.copy()
        for col in ("mae", "mae_baseline", "coverage"):
            bt[col] = bt[col].round(2)
        bt["gain"] = (bt["gain"] * 100).round(0)
        level = ["level"] if reconcile else []
        cols = [*keys, *level, "total", "used", "mae", "baseline", "mae_baseline", "gain", "note"]
        _print(bt[cols])
        if out is not None:
            _write_csv(result.forecasts, out)
            typer.echo(f"forecasts written: {out}")
        if backtest_out is not None:
            _write_csv(result.backtest, backtest_out)
            typer.echo(f"backtest written: {backtest_out}")

    @app.command("evidence")
    def evidence_cmd(
        cases: CasesOpt = None,
        database: DatabaseOpt = None,
        rules_file: Annotated[
            Path | None, typer.Option("--rules", help="Evidence rules (TOML).")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="Write the counts (CSV).")] = None,
    ) -> None:
        """Cases asking for a missing facility, per community and catalogue kind."""
        from wanzheng.proactive.evidence import evidence_counts, load_evidence_rules
        from wanzheng.standards.catalogue import load_catalogue

        rules = load_evidence_rules(rules_file, kinds=[k.key for k in load_catalogue().kinds])
        counts = evidence_counts(_cases(cases, database), rules)
        _print(counts)
        if out is not None:
            table = counts.assign(examples=counts["examples"].map(" | ".join))
            _write_csv(table, out)
            typer.echo(f"evidence written: {out}")


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    """Write an output table through the one safe CSV writer (no formula injection)."""
    from wanzheng.data.cells import write_frame_csv

    write_frame_csv(frame, out)
