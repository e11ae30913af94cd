"""The proactive services wired to the case desk: rule runs that create cases, notices and
lists; hotspot topics turned into governance cases; case histories for hotspots, outlook and
evidence; the completion rate of proactive tasks.

Proactive tasks are the case desk's cases with ``case_type = "proactive"``, created with
its public :func:`~wanzheng.cases.store.create_case` (idempotency key
``proactive:{dedup key}``), so they are routed, timed, escalated, closed and measured like
residents' cases. Two things the case desk's ``create_case`` does not take are set on the
returned case right after it (in the same transaction): the **grid** (from the register,
when the case has no map location; a grid the desk does not know leaves the case in the
dispatcher queue) and the **deadline** (the rule's ``due_hours``, e.g. 24 h after a cold
wave, instead of the category's working-day deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.crud import apply_action, find_cases, measures_frame
from wanzheng.cases.intake import NewCase, create_case
from wanzheng.cases.models import Case, CategoryRow, Grid
from wanzheng.cases.states import StateMachine, load_state_machine
from wanzheng.cases.tables import grid_index
from wanzheng.cases.users import Actor
from wanzheng.errors import ConfigError, DataError
from wanzheng.proactive.models import ProactiveAction, RuleRun
from wanzheng.proactive.outbox import enqueue
from wanzheng.proactive.rules import RuleSet
from wanzheng.proactive.store import active_events, register_frame
from wanzheng.proactive.tasks import Event, evaluate

__all__ = [
    "BEIJING",
    "RunReport",
    "cases_frame",
    "create_task_case",
    "department_list",
    "existing_keys",
    "propose",
    "record_governance_task",
    "run_rules",
    "task_completion",
]

BEIJING = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class RunReport:
    """The outcome of one rule run.

    Attributes
    ----------
    run_id
        Row id in ``proactive_rule_runs`` (``None`` for a dry run).
    proposals
        Every proposed action (columns of :data:`~wanzheng.proactive.tasks.PROPOSAL_COLUMNS`),
        ``new`` False for those generated before.
    tasks, notices, list_rows
        How many new cases, outbox messages and department-list rows were created.
    unrouted
        New task cases whose grid the case desk does not know (in the dispatcher queue).
    """

    run_id: int | None
    proposals: pd.DataFrame
    tasks: int
    notices: int
    list_rows: int
    unrouted: int


def existing_keys(session: Session) -> set[str]:
    """Dedup keys of every action generated so far."""
    return set(session.scalars(select(ProactiveAction.key)).all())


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=BEIJING) if t.tzinfo is None else t


def propose(
    session: Session,
    *,
    rules: RuleSet,
    now: dt.datetime,
    events: Iterable[Event] = (),
) -> pd.DataFrame:
    """What a run at ``now`` would generate (the dry run): nothing is written.

    Ages and periods follow the Beijing calendar date of ``now``; stored events and
    ``events`` both count.
    """
    stored = active_events(session)
    extra = [
        Event(
            id=e.id,
            kind=e.kind,
            starts_at=_aware(e.starts_at),
            ends_at=_aware(e.ends_at) if e.ends_at is not None else None,
            grid_ids=e.grid_ids,
            community_ids=e.community_ids,
            note=e.note,
        )
        for e in events
    ]
    # An event given here replaces a stored one with the same id (no double proposals).
    by_id = {e.id: e for e in stored} | {e.id: e for e in extra}
    return evaluate(
        rules,
        register_frame(session),
        now=now.astimezone(BEIJING),
        events=list(by_id.values()),
        existing_keys=existing_keys(session),
    )


def create_task_case(
    session: Session,
    *,
    proposal: dict[str, Any],
    now: dt.datetime,
    lon: float | None = None,
    lat: float | None = None,
    machine: StateMachine | None = None,
) -> tuple[Case, bool]:
    """Create the proactive case for one task proposal (idempotent by its key).

    When the task's grid is known (from the map location or the register) the case is
    accepted and dispatched to that grid at once, as the rule's own dispatch; otherwise
    it stays ``submitted`` in the dispatcher queue.

    Returns
    -------
    (Case, routed)
        The case, and whether it reached a grid (else it waits in the dispatcher queue).

    Raises
    ------
    ConfigError
        The proposal's category is not in the case desk's category table.
    """
    category = str(proposal["category"])
    if session.get(CategoryRow, category) is None:
        raise ConfigError(
            f"rule {proposal['rule_id']!r}: category {category!r} is not a case-desk category"
        )
    due = pd.Timestamp(proposal["due_at"]).to_pydatetime()
    due = _aware(due).astimezone(dt.UTC)
    person = f"台账编号 {proposal['person_id']}；" if proposal.get("person_id") else ""
    text = (
        f"【主动服务】{proposal['title']}\n"
        f"原因：{proposal['reason']}\n"
        f"{person}网格 {proposal['grid_id'] or '未知'}；"
        f"完成时限 {due.astimezone(BEIJING):%Y-%m-%d %H:%M}"
    )
    address = None
    if lon is None or lat is None:
        lon = lat = None
        address = (
            f"{proposal['community_id'] or ''}社区 {proposal['grid_id'] or ''}网格（见服务台账）"
        )
    case, _created = create_case(
        session,
        new=NewCase(
            text=text,
            lon=lon,
            lat=lat,
            address=address,
            category=category,
            case_type="proactive",
            source="proactive",
        ),
        now=now,
        index=grid_index(session),
        idempotency_key=f"proactive:{proposal['key']}"[:128],
        check_area=False,
    )
    if not _created:
        return case, case.grid_key is not None
    case.resolve_due = due
    case.respond_due = min(case.respond_due, due)
    case.sign_due = min(case.sign_due, due)
    grid_key = case.grid_key
    if grid_key is None and proposal.get("grid_id"):
        grid = session.get(Grid, str(proposal["grid_id"]))
        grid_key = grid.key if grid is not None else None
    if grid_key is not None and case.department_key is not None:
        # The rule is the dispatcher: accept and dispatch to the grid at once.
        machine = machine or load_state_machine()
        system = Actor.system()
        apply_action(
            session,
            case_id=case.id,
            actor=system,
            action="accept",
            now=now,
            machine=machine,
            note="主动服务规则自动受理",
        )
        apply_action(
            session,
            case_id=case.id,
            actor=system,
            action="dispatch",
            now=now,
            machine=machine,
            department=case.department_key,
            grid=grid_key,
            note=f"主动服务规则自动派往网格 {grid_key}",
        )
    session.flush()
    return case, case.grid_key is not None


def run_rules(
    session: Session,
    *,
    rules: RuleSet,
    now: dt.datetime,
    by: str = "system",
    events: Iterable[Event] = (),
) -> RunReport:
    """Run the rules and create every new action in the caller's transaction.

    Tasks become proactive cases, notices outbox messages (key ``notice:{key}``), list
    rows stay in ``proactive_actions`` for :func:`department_list`. Every action's dedup
    key is stored, so a second run in the same period creates nothing.
    """
    proposals = propose(session, rules=rules, now=now, events=events)
    fresh = proposals[proposals["new"]]
    run = RuleRun(
        at=now,
        by=by,
        rules_name=rules.name,
        rules_version=rules.version,
        rules_origin=rules.origin,
        n_proposed=len(proposals),
        n_new=len(fresh),
    )
    session.add(run)
    session.flush()
    tasks = notices = lists = unrouted = 0
    machine = load_state_machine()
    for row in fresh.to_dict(orient="records"):
        p = {str(k): v for k, v in row.items()}
        case_id = None
        outbox_key = None
        if p["action"] == "task":
            case, routed = create_task_case(session, proposal=p, now=now, machine=machine)
            case_id = case.id
            tasks += 1
            unrouted += int(not routed)
        elif p["action"] == "notice":
            outbox_key = f"notice:{p['key']}"
            enqueue(
                session,
                key=outbox_key,
                recipient=str(p["person_id"]),
                subject=str(p["title"]),
                body=str(p["message"]),
                now=now,
            )
            notices += 1
        else:
            lists += 1
        session.add(
            ProactiveAction(
                key=p["key"],
                rule_id=p["rule_id"],
                action=p["action"],
                to=p["to"],
                person_id=p["person_id"],
                grid_id=p["grid_id"],
                community_id=p["community_id"],
                period=p["period"],
                title=p["title"],
                reason=p["reason"],
                created_at=now,
                due_at=_aware(pd.Timestamp(p["due_at"]).to_pydatetime()),
                case_id=case_id,
                outbox_key=outbox_key,
                run_id=run.id,
            )
        )
    session.flush()
    return RunReport(
        run_id=run.id,
        proposals=proposals,
        tasks=tasks,
        notices=notices,
        list_rows=lists,
        unrouted=unrouted,
    )


def record_governance_task(
    session: Session,
    *,
    proposal: dict[str, Any],
    now: dt.datetime,
    lon: float | None,
    lat: float | None,
) -> tuple[int, bool]:
    """Create (once) the governance case for a chosen hotspot topic.

    Returns
    -------
    (case id, created)
        ``created`` is False when the topic was already chosen this month.
    """
    prior = session.get(ProactiveAction, proposal["key"])
    if prior is not None and prior.case_id is not None:
        return prior.case_id, False
    case, _ = create_task_case(session, proposal=proposal, now=now, lon=lon, lat=lat)
    session.add(
        ProactiveAction(
            key=proposal["key"],
            rule_id=proposal["rule_id"],
            action="task",
            to=proposal["to"],
            person_id="",
            grid_id=case.grid_key or "",
            community_id=case.community_key or "",
            period=proposal["period"],
            title=proposal["title"],
            reason=proposal["reason"],
            created_at=now,
            due_at=_aware(pd.Timestamp(proposal["due_at"]).to_pydatetime()),
            case_id=case.id,
            outbox_key=None,
            run_id=None,
        )
    )
    session.flush()
    return case.id, True


def department_list(session: Session, *, department: str | None = None) -> pd.DataFrame:
    """Rows of the departments' lists (``list`` actions), newest first."""
    q = select(ProactiveAction).where(ProactiveAction.action == "list")
    if department is not None:
        q = q.where(ProactiveAction.to == department)
    rows = session.scalars(q.order_by(ProactiveAction.created_at.desc())).all()
    cols = ["department", "rule_id", "title", "person_id", "grid_id", "community_id", "period"]
    return pd.DataFrame(
        [
            {
                "department": r.to,
                "rule_id": r.rule_id,
                "title": r.title,
                "person_id": r.person_id,
                "grid_id": r.grid_id,
                "community_id": r.community_id,
                "period": r.period,
            }
            for r in rows
        ],
        columns=cols,
    )


def task_completion(session: Session, *, now: dt.datetime, by: str = "rule_id") -> pd.DataFrame:
    """Completion of proactive tasks per rule (or ``grid_id``, or ``all``).

    A task is **completed** when its case has been resolved (``resolved_at`` set) and
    **on time** when that happened by its deadline; **overdue** counts open tasks past
    their deadline at ``now``. ``completion_rate = completed / tasks``,
    ``on_time_rate = on_time / tasks``.
    """
    if by not in {"rule_id", "grid_id", "all"}:
        raise DataError(f"by: expected rule_id, grid_id or all, got {by!r}")
    actions = session.execute(
        select(ProactiveAction.case_id, ProactiveAction.rule_id, ProactiveAction.grid_id).where(
            ProactiveAction.case_id.is_not(None)
        )
    ).all()
    cols = ["tasks", "completed", "on_time", "overdue", "completion_rate", "on_time_rate"]
    if not actions:
        return pd.DataFrame(columns=cols)
    links = pd.DataFrame([tuple(a) for a in actions], columns=["case_id", "rule_id", "grid_id"])
    cases = measures_frame(session, case_type="proactive")
    frame = links.merge(cases, on="case_id", how="inner")
    resolved = pd.to_datetime(frame["resolved_at"], utc=True)
    due = pd.to_datetime(frame["resolve_due"], utc=True)
    done = resolved.notna() | frame["state"].isin(["closed"])
    on_time = resolved.notna() & (resolved <= due)
    overdue = ~done & (due < pd.Timestamp(now))
    key = frame[by] if by != "all" else pd.Series("all", index=frame.index)
    parts = pd.DataFrame(
        {
            "key": key,
            "tasks": 1,
            "completed": done.astype(int),
            "on_time": on_time.astype(int),
            "overdue": overdue.astype(int),
        }
    )
    out = parts.groupby("key").sum()
    out["completion_rate"] = out["completed"] / out["tasks"]
    out["on_time_rate"] = out["on_time"] / out["tasks"]
    out.index.name = by
    return out[cols]


def cases_frame(
    session: Session,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    case_type: str | None = "request",
    actor: Actor | None = None,
) -> pd.DataFrame:
    """The case desk's cases as the table hotspots, outlook and evidence take.

    Columns ``id``, ``category``, ``text``, ``lon``, ``lat``, ``created_at`` (UTC),
    ``grid_id``, ``community_id``, ``resident_id`` (the desk's person id, for counting
    distinct residents; no contact data), ``state``, ``case_type``. With ``actor``, only the
    cases in the actor's scope (the case lists' rule, :func:`wanzheng.cases.store.scoped`).
    """
    rows = find_cases(session, start=start, end=end, limit=10_000_000, actor=actor)
    data = [
        {
            "id": c.id,
            "category": c.category_key,
            "text": c.text,
            "lon": c.lon if c.lon is not None else np.nan,
            "lat": c.lat if c.lat is not None else np.nan,
            "created_at": c.submitted_at,
            "grid_id": c.grid_key or "",
            "community_id": c.community_key or "",
            "resident_id": str(c.person_id) if c.person_id is not None else "",
            "state": c.state,
            "case_type": c.case_type,
        }
        for c in rows
        if case_type is None or c.case_type == case_type
    ]
    cols = [
        "id",
        "category",
        "text",
        "lon",
        "lat",
        "created_at",
        "grid_id",
        "community_id",
        "resident_id",
        "state",
        "case_type",
    ]
    frame = pd.DataFrame(data, columns=cols)
    return frame.sort_values("created_at", kind="stable").reset_index(drop=True)
