"""``wanzheng consult …``: consultations (议事协商) from the command line — the measured gaps
of a community, their costed options, and every step of a consultation. Parse, call the
library (``wanzheng.consult``), print. User guide: ``docs/consult.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from wanzheng.cli._common import AtOpt, DatabaseOpt, now_at, session_factory
from wanzheng.errors import DataError

__all__ = ["register"]

consult_app = typer.Typer(
    name="consult",
    help="议事协商: consultations on a measured gap — options, notice, meeting, votes, result, "
    "execution, report-back.",
    no_args_is_help=True,
)

ByOpt = Annotated[str, typer.Option("--by", help="Who does it (recorded with the step).")]


def _run(database: str | None, fn: Any) -> Any:
    """Run ``fn(session)`` in one transaction on the case desk's database; commit."""
    with session_factory(database) as sessions, sessions() as session:
        out = fn(session)
        session.commit()
        return out


def _secret() -> str:
    from wanzheng.settings import Settings

    return Settings().secret_key


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _audit(audit_dir: Path) -> Any:
    from wanzheng.data.audit_output import load_audit_output

    return load_audit_output(audit_dir)


@consult_app.command("gaps")
def gaps(
    audit_dir: Annotated[Path, typer.Argument(help="An audit's output folder.")],
    community: Annotated[str, typer.Option(help="The community's id in the audit.")],
) -> None:
    """The kinds the audit found missing for one community (where a consultation starts)."""
    from wanzheng.consult import community_gaps

    a = _audit(audit_dir)
    table = community_gaps(a.communities, a.kinds, community_id=community)
    for row in table.itertuples(index=False):
        typer.echo(
            f"{row.kind}\t{row.name_zh}\tnearest {row.distance_m:.0f} m > {row.threshold_m:g} m"
        )
    if table.empty:
        typer.echo("no missing kind")


@consult_app.command("options")
def options(
    audit_dir: Annotated[Path, typer.Argument(help="An audit's output folder.")],
    community: Annotated[str, typer.Option(help="The community's id in the audit.")],
    kind: Annotated[str, typer.Option(help="The missing kind (key).")],
    candidates: Annotated[Path, typer.Option(help="The office's candidate sites (CSV/XLSX).")],
    out: Annotated[Path, typer.Option(help="Write the options here (JSON).")],
    n: Annotated[int, typer.Option("--n", help="How many options.")] = 2,
    candidates_crs: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09.")] = "gcj02",
) -> None:
    """The costed siting options for a community's missing kind, each with the residents it
    newly reaches within the kind's threshold."""
    import dataclasses

    from wanzheng.audit.reach import graph_from_edges
    from wanzheng.consult import gap_options
    from wanzheng.data.candidates import load_candidates

    a = _audit(audit_dir)
    graph = graph_from_edges(a.network)
    if graph is None:
        raise DataError(f"{audit_dir}: the audit's network has no walkable edge")
    names = dict(zip(a.kinds["key"].astype(str), a.kinds["name_zh"].astype(str), strict=True))
    cand = load_candidates(candidates, kinds=names, default_crs=candidates_crs)
    drafts = gap_options(
        graph, communities=a.communities, facilities=a.facilities, kinds=a.kinds,
        candidates=cand, community_id=community, kind=kind, n=n,
    )  # fmt: skip
    gap = a.communities.set_index(a.communities["id"].astype(str)).loc[community]
    payload = {
        "community_id": community,
        "community_name": str(gap["name"]),
        "origin": "gap",
        "origin_ref": kind,
        "evidence": {
            "audit": str(audit_dir),
            "kind": kind,
            "distance_m": float(gap[f"{kind}_distance_m"]),
        },
        "options": [dataclasses.asdict(d) for d in drafts],
    }
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    for label, d in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", drafts, strict=False):
        typer.echo(f"{label}\t{d.title}\tcost {d.cost:g}\tnewly reached {d.residents_new:,.0f}")
    typer.echo(f"wrote {out}")


@consult_app.command("electors")
def electors_cmd(
    path: Annotated[
        Path, typer.Argument(help="Resident list CSV/XLSX (身份证号, 手机号, 社区编号).")
    ],
    community: Annotated[str | None, typer.Option(help="All rows are of this community.")] = None,
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Load the office's resident list; only HMACs of ID numbers and phones are kept."""
    from wanzheng.consult.electors import load_electors, store_electors

    rows = load_electors(path, secret=_secret(), community_id=community)
    now = now_at(at)
    _echo(_run(database, lambda s: store_electors(s, rows=rows, source=str(path), now=now)))


@consult_app.command("create")
def create(
    title: Annotated[str, typer.Option(help="The question residents decide.")],
    options_file: Annotated[
        Path, typer.Option("--options", help="JSON from `consult options`, or a list of options.")
    ],
    responsible: Annotated[str, typer.Option(help="Who is responsible for the steps.")],
    community: Annotated[
        str | None, typer.Option(help="Community id (else from the file).")
    ] = None,
    origin: Annotated[str | None, typer.Option(help="gap, topic or proposal.")] = None,
    ref: Annotated[str | None, typer.Option(help="The kind, topic id or proposal id.")] = None,
    method: Annotated[str, typer.Option(help="majority, pick_n or budget.")] = "majority",
    pick_n: Annotated[int | None, typer.Option(help="Options each voter may pick.")] = None,
    budget: Annotated[float | None, typer.Option(help="The budget to spend.")] = None,
    verify: Annotated[str, typer.Option(help="identifier (ID number) or code (SMS).")] = "code",
    notice_days: Annotated[int, typer.Option(help="Days of notice before meeting.")] = 7,
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Start a consultation with its options and six timed steps; prints its id."""
    from wanzheng.consult import OptionDraft
    from wanzheng.consult.store import create_consultation

    try:
        data = json.loads(options_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{options_file}: not a JSON file of options ({exc})") from None
    spec = data if isinstance(data, dict) else {"options": data}
    fields = {f for f in OptionDraft.__dataclass_fields__}
    try:
        drafts = [
            OptionDraft(**{k: v for k, v in o.items() if k in fields}) for o in spec["options"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{options_file}: expected options with a title ({exc})") from None
    comm = community or spec.get("community_id")
    if not comm:
        raise DataError("--community: give the community (the options file names none)")
    now = now_at(at)
    cid = _run(
        database,
        lambda s: create_consultation(
            s, title=title, community_id=comm, community_name=spec.get("community_name", ""),
            origin=origin or spec.get("origin", "topic"),
            origin_ref=ref or spec.get("origin_ref", ""),
            evidence=spec.get("evidence", {}), options=drafts, responsible=responsible, by=by,
            now=now, method=method, pick_n=pick_n, budget=budget, verify=verify,
            notice_days=notice_days,
        ),
    )  # fmt: skip
    typer.echo(cid)


@consult_app.command("show")
def show(
    consultation: Annotated[int, typer.Argument(help="Consultation id.")],
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """A consultation with its steps (overdue flagged), paper counts and result (JSON)."""
    from wanzheng.consult.store import view_consultation

    now = now_at(at)
    _echo(
        _run(
            database,
            lambda s: view_consultation(s, consultation_id=consultation, now=now, staff=True),
        )
    )


@consult_app.command("overdue")
def overdue_cmd(database: DatabaseOpt = None, at: AtOpt = None) -> None:
    """Steps past their deadline (议而不决、决而不行); exit status 1 if any."""
    from wanzheng.consult.store import overdue_steps

    now = now_at(at)
    late = _run(database, lambda s: overdue_steps(s, now=now))
    for o in late:
        typer.echo(
            f"{o.consultation_id}\t{o.kind}\t{o.failure}\t"
            f"{o.days_late:g} days late\t{o.responsible}"
        )
    if late:
        raise typer.Exit(1)


@consult_app.command("notice")
def notice(
    consultation: Annotated[int, typer.Argument()],
    text: Annotated[str, typer.Option(help="The notice (公示).")],
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Post the notice; prints the earliest time of the meeting and the vote."""
    from wanzheng.consult.store import post_notice

    now = now_at(at)
    typer.echo(
        _run(
            database,
            lambda s: post_notice(s, consultation_id=consultation, text=text, by=by, now=now),
        )
    )


@consult_app.command("meeting")
def meeting(
    consultation: Annotated[int, typer.Argument()],
    held_at: Annotated[str, typer.Option(help="When it was held.")],
    attendance: Annotated[int, typer.Option(help="How many attended.")],
    minutes: Annotated[Path, typer.Option(help="The minutes (a text file).")],
    attendee: Annotated[list[str] | None, typer.Option(help="A member present (repeat).")] = None,
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Record the meeting (议事会)."""
    from wanzheng.consult.store import record_meeting

    held, now = now_at(held_at, option="--held-at"), now_at(at)
    try:
        text = minutes.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{minutes}: cannot read the minutes ({exc})") from None
    _run(
        database,
        lambda s: record_meeting(
            s, consultation_id=consultation, held_at=held, attendance=attendance,
            attendees=attendee or [], minutes=text, by=by, now=now,
        ),
    )  # fmt: skip


@consult_app.command("open")
def open_cmd(
    consultation: Annotated[int, typer.Argument()],
    closes_at: Annotated[str, typer.Option(help="When the vote closes.")],
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Open the vote."""
    from wanzheng.consult.store import open_vote

    closes, now = now_at(closes_at, option="--closes-at"), now_at(at)
    _run(
        database,
        lambda s: open_vote(s, consultation_id=consultation, closes_at=closes, by=by, now=now),
    )


@consult_app.command("close")
def close_cmd(
    consultation: Annotated[int, typer.Argument()],
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Close the vote."""
    from wanzheng.consult.store import close_vote

    now = now_at(at)
    _run(database, lambda s: close_vote(s, consultation_id=consultation, by=by, now=now))


def _counts(values: list[str], labels: dict[str, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in values:
        label, sep, n = v.partition("=")
        if not sep or label.strip().upper() not in labels or not n.strip().isdigit():
            raise DataError(
                f"--count: expected LABEL=MARKS with a label in {sorted(labels)}, got {v!r}"
            )
        out[labels[label.strip().upper()]] = int(n)
    return out


@consult_app.command("paper")
def paper(
    consultation: Annotated[int, typer.Argument()],
    booth: Annotated[str, typer.Option(help="The booth (投票点).")],
    ballots: Annotated[int, typer.Option(help="Paper ballots cast at the booth.")],
    count: Annotated[list[str], typer.Option(help="LABEL=MARKS on valid ballots (repeat).")],
    by: ByOpt,
    invalid: Annotated[int, typer.Option(help="Invalid ballots among them.")] = 0,
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Enter a booth's paper ballots (a second person confirms with `consult confirm`)."""
    from wanzheng.consult.ballots import enter_paper
    from wanzheng.consult.store import view_consultation

    now = now_at(at)

    def work(s: Any) -> None:
        view = view_consultation(s, consultation_id=consultation, now=now, staff=True)
        labels = {o["label"]: int(o["id"]) for o in view["options"]}
        enter_paper(
            s, consultation_id=consultation, booth=booth, ballots=ballots, invalid=invalid,
            counts=_counts(count, labels), by=by, now=now,
        )  # fmt: skip

    _run(database, work)


@consult_app.command("confirm")
def confirm(
    consultation: Annotated[int, typer.Argument()],
    booth: Annotated[str, typer.Option(help="The booth.")],
    by: ByOpt,
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Confirm a booth's count (not the person who entered it)."""
    from wanzheng.consult.ballots import confirm_paper

    now = now_at(at)
    _run(
        database,
        lambda s: confirm_paper(s, consultation_id=consultation, booth=booth, by=by, now=now),
    )


@consult_app.command("result")
def result(
    consultation: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option(help="How a tie was settled, if any.")] = "",
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Count and post the result (JSON)."""
    from wanzheng.consult.store import post_result

    now = now_at(at)
    _echo(
        _run(
            database,
            lambda s: post_result(s, consultation_id=consultation, by=by, now=now, note=note),
        )
    )


@consult_app.command("execution")
def execution(
    consultation: Annotated[int, typer.Argument()],
    project: Annotated[str | None, typer.Option(help="community:kind:site of a project.")] = None,
    programme: Annotated[Path | None, typer.Option(help="Check --project against it.")] = None,
    case: Annotated[str | None, typer.Option(help="A case's tracking code or id.")] = None,
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Link the execution to a programme project or a case."""
    from wanzheng.consult.store import link_execution, project_keys

    if (project is None) == (case is None):
        raise DataError("--project / --case: give exactly one")
    keys = None
    if programme is not None:
        from wanzheng.data.programme import load_programme

        keys = project_keys(load_programme(programme).projects)
    link, ref = ("project", project) if project is not None else ("case", case)
    now = now_at(at)
    _run(
        database,
        lambda s: link_execution(
            s, consultation_id=consultation, link=link, ref=str(ref), by=by, now=now,
            projects=keys,
        ),
    )  # fmt: skip


@consult_app.command("done")
def done(
    consultation: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option(help="What was done.")],
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Mark the execution done."""
    from wanzheng.consult.store import complete_execution

    now = now_at(at)
    _run(
        database,
        lambda s: complete_execution(s, consultation_id=consultation, note=note, by=by, now=now),
    )


@consult_app.command("report-back")
def report_back_cmd(
    consultation: Annotated[int, typer.Argument()],
    text: Annotated[str, typer.Option(help="The report to the residents (反馈).")],
    by: ByOpt = "cli",
    database: DatabaseOpt = None,
    at: AtOpt = None,
) -> None:
    """Report back to the residents."""
    from wanzheng.consult.store import report_back

    now = now_at(at)
    _run(
        database,
        lambda s: report_back(s, consultation_id=consultation, text=text, by=by, now=now),
    )


def register(app: typer.Typer) -> None:
    """Add ``consult``."""
    app.add_typer(consult_app)
