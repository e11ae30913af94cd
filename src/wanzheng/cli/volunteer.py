"""``wanzheng volunteer …``: the 双报到 registry, tasks and reports from the command line.

Parse, call :mod:`wanzheng.volunteer`, print. Commands act as the service's administrator
(``Actor.system()``), the way ``wanzheng cases`` does: whoever runs them on the server
holds the database. Lists are masked like the web views.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from wanzheng.cli._common import AtOpt, DatabaseOpt, now_at, session_factory
from wanzheng.errors import ConflictError, DataError

__all__ = ["VOLUNTEER_ALIASES", "register"]

volunteer_app = typer.Typer(
    name="volunteer",
    help="双报到: party members and volunteers, their tasks, hours and reports.",
    no_args_is_help=True,
)

#: Columns of a registration file (canonical name -> accepted headers).
VOLUNTEER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "phone": ("手机号", "手机", "联系电话", "电话"),
    "kind": ("类别", "身份"),
    "community": ("社区", "报到社区", "社区编号"),
    "grid": ("网格", "居住网格", "网格编号"),
    "unit": ("工作单位", "单位"),
    "skills": ("技能", "特长"),
    "slots": ("服务时间", "可服务时间"),
}
_KIND_WORDS = {"在职党员": "party_member", "党员": "party_member", "志愿者": "volunteer"}


@volunteer_app.command("import")
def import_volunteers(
    path: Annotated[Path, typer.Argument(help="CSV/XLSX: 姓名, 手机号, 类别, 社区, 网格 …")],
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Register the volunteers of a file; nothing is written unless every row is valid.

    Columns: 姓名, 手机号, 类别 (在职党员 / 志愿者), 社区 and 网格 (keys of the case desk's
    tables), 工作单位 (in-service party members), 技能 (skill keys or labels, separated by
    、 or ,), 服务时间 (e.g. 周六 09:00-12:00; 周三 18:30-21:00).
    """
    from wanzheng.cases.users import Actor
    from wanzheng.data.tabular import cell_text, read_table
    from wanzheng.volunteer.registry import load_skills, register_volunteer

    table = read_table(path, aliases=VOLUNTEER_ALIASES)
    table.require("name", "phone", "kind", "community", "grid")
    skills = load_skills()
    by_label = {label: key for key, label in skills.items()}
    now = now_at(at)
    with session_factory(database) as sessions, sessions() as s:
        n = 0
        for row, rec in zip(table.rows, table.frame.to_dict("records"), strict=True):
            text = {k: cell_text(rec.get(k)) for k in VOLUNTEER_ALIASES}
            try:
                kind = _KIND_WORDS.get(text["kind"], text["kind"])
                words = [w for w in _split(text["skills"]) if w]
                register_volunteer(
                    s,
                    actor=Actor.system(),
                    name=text["name"],
                    phone=text["phone"],
                    kind=kind,
                    community=text["community"],
                    grid=text["grid"],
                    unit=text["unit"] or None,
                    skills=[by_label.get(w, w) for w in words],
                    slots=text["slots"],
                    now=now,
                    skill_names=skills,
                )
            except (DataError, ConflictError) as exc:
                s.rollback()
                raise DataError(f"{path}: row {row}: {exc}") from exc
            n += 1
        s.commit()
    typer.echo(f"registered {n} volunteers from {path}")


def _split(text: str) -> list[str]:
    for sep in "、，,;；":
        text = text.replace(sep, " ")
    return text.split()


@volunteer_app.command("list")
def list_command(
    database: DatabaseOpt = None,
    grid: Annotated[str | None, typer.Option(help="Only this home grid.")] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit.")] = None,
) -> None:
    """The registry, masked: id, kind, name, phone, grid, unit, skills."""
    from wanzheng.cases.users import Actor
    from wanzheng.volunteer.registry import list_volunteers, volunteer_view

    now = now_at(None)
    with session_factory(database) as sessions, sessions() as s:
        actor = Actor.system()
        for v in list_volunteers(s, actor=actor, grid=grid, unit=unit):
            x = volunteer_view(s, v, actor=actor, now=now)
            typer.echo(
                f"{x['id']}\t{x['kind_label']}\t{x['name']}\t{x['phone']}\t{x['grid']}\t"
                f"{x['unit'] or ''}\t{'、'.join(x['skill_labels'])}"
            )


@volunteer_app.command("sweep")
def sweep(database: DatabaseOpt = None, at: AtOpt = None) -> None:
    """Record no-shows (claims not checked in 30 minutes after the start); expire open tasks
    past their end. Run it from cron, e.g. every 10 minutes."""
    from wanzheng.volunteer.tasks import record_no_shows

    now = now_at(at)
    with session_factory(database) as sessions, sessions() as s:
        n = len(record_no_shows(s, now=now))
        s.commit()
    typer.echo(f"{n} no-shows recorded")


@volunteer_app.command("match")
def match(
    task_id: Annotated[int, typer.Argument(help="The task's id.")],
    audit: Annotated[Path, typer.Option(help="A `wanzheng audit --out` directory.")],
    database: DatabaseOpt = None,
    max_walk_m: Annotated[float, typer.Option(help="Farthest walk, metres.")] = 1200.0,
    at: AtOpt = None,
) -> None:
    """Volunteers suited to a task, nearest first by walking distance on the audit's network."""
    from wanzheng.cases.users import Actor
    from wanzheng.data.audit_output import load_audit_output
    from wanzheng.volunteer.matching import WalkingMatcher
    from wanzheng.volunteer.suggest import match_volunteers

    output = load_audit_output(audit)
    matcher = WalkingMatcher.from_network(output.network)
    speed = float(output.sources.get("walk_speed_m_per_min") or 60.0)
    with session_factory(database) as sessions, sessions() as s:
        rows = match_volunteers(
            s,
            task_id=task_id,
            actor=Actor.system(),
            matcher=matcher,
            now=now_at(at),
            max_walk_m=max_walk_m,
            walk_speed_m_per_min=speed,
        )
    if not rows:
        typer.echo("no volunteer suits this task within the walk")
    for r in rows:
        typer.echo(
            f"{r['volunteer_id']}\t{r['name']}\t{r['grid']}\t{r['distance_m']:.0f} m\t"
            f"{r['walk_min']} min\t{r['quarter_hours']:.2f} h this quarter"
        )


@volunteer_app.command("report")
def report(
    quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2026Q3.")],
    out: Annotated[Path, typer.Option(help="Folder for units-<quarter>.xlsx and .html.")],
    database: DatabaseOpt = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit.")] = None,
) -> None:
    """在职党员到社区报到情况: the quarterly report to each unit (XLSX and print-ready HTML)."""
    from wanzheng.cases.users import Actor
    from wanzheng.volunteer.ledger import parse_quarter, unit_report
    from wanzheng.volunteer.registry import BEIJING
    from wanzheng.volunteer.reports import unit_report_html, write_unit_report_xlsx

    year, q = parse_quarter(quarter)
    with session_factory(database) as sessions, sessions() as s:
        frame = unit_report(s, year=year, quarter=q, actor=Actor.system(), unit=unit)
    out.mkdir(parents=True, exist_ok=True)
    write_unit_report_xlsx(frame, out / f"units-{year}Q{q}.xlsx", year=year, quarter=q)
    made = dt.datetime.now(dt.UTC).astimezone(BEIJING).date()
    html = unit_report_html(frame, year=year, quarter=q, made_on=made)
    (out / f"units-{year}Q{q}.html").write_text(html, encoding="utf-8")
    units = frame["unit"].nunique()
    typer.echo(f"{units} units, {len(frame)} members, {frame['hours'].sum():.2f} hours → {out}")


@volunteer_app.command("record")
def record(
    volunteer_id: Annotated[int, typer.Argument(help="The volunteer's id.")],
    out: Annotated[Path, typer.Option(help="Folder for volunteer-<id>.xlsx and .html.")],
    database: DatabaseOpt = None,
    quarter: Annotated[str | None, typer.Option(help="Only this quarter, e.g. 2026Q3.")] = None,
) -> None:
    """A volunteer-service record (志愿服务记录): hours and tasks, XLSX and print-ready HTML."""
    from wanzheng.cases.users import Actor
    from wanzheng.volunteer.ledger import parse_quarter, quarter_bounds, service_record
    from wanzheng.volunteer.registry import BEIJING
    from wanzheng.volunteer.reports import service_record_html, write_service_record_xlsx

    start = end = None
    if quarter is not None:
        start, end = quarter_bounds(*parse_quarter(quarter))
    with session_factory(database) as sessions, sessions() as s:
        rec = service_record(
            s, volunteer_id=volunteer_id, actor=Actor.system(), start=start, end=end
        )
    out.mkdir(parents=True, exist_ok=True)
    write_service_record_xlsx(rec, out / f"volunteer-{volunteer_id}.xlsx")
    made = dt.datetime.now(dt.UTC).astimezone(BEIJING).date()
    (out / f"volunteer-{volunteer_id}.html").write_text(
        service_record_html(rec, made_on=made), encoding="utf-8"
    )
    typer.echo(f"{rec.total_minutes / 60:.2f} hours, {rec.tasks_done} tasks → {out}")


def register(app: typer.Typer) -> None:
    """Add ``volunteer``."""
    app.add_typer(volunteer_app)
