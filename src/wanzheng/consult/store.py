"""A consultation's life: create it from a measured origin with its options and six timed
steps, post the notice, record the meeting, open and close the vote, post the result, link
the execution to a programme project or a case, report back; its views and overdue steps.

Votes and paper counts are in ``consult/ballots.py``, the resident list in
``consult/electors.py``, proposals in ``consult/proposals.py``. Every function takes a
:class:`~sqlalchemy.orm.Session` and keyword arguments; the caller commits. ``scope`` is the
set of community ids the caller may act on (a grid worker: their grid's community), ``None``
for all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wanzheng.cases.models import Case
from wanzheng.consult._common import _finish, _get, _require_done, _steps
from wanzheng.consult.ballots import ballot_json, current_tally, paper_counts
from wanzheng.consult.models import Consultation, Elector, Option, PaperCount, Proposal, Step, Voter
from wanzheng.consult.options import OptionDraft
from wanzheng.consult.steps import DEFAULT_DAYS, STEP_NAMES_ZH, STEPS, Overdue, overdue
from wanzheng.consult.tally import METHODS
from wanzheng.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError

__all__ = [
    "ORIGINS",
    "close_vote",
    "complete_execution",
    "create_consultation",
    "link_execution",
    "list_consultations",
    "open_vote",
    "overdue_steps",
    "post_notice",
    "post_result",
    "project_keys",
    "record_meeting",
    "report_back",
    "view_consultation",
]

ORIGINS = ("gap", "topic", "proposal")


def create_consultation(
    session: Session,
    *,
    title: str,
    community_id: str,
    origin: str,
    options: Sequence[OptionDraft],
    responsible: str | Mapping[str, str],
    by: str,
    now: dt.datetime,
    community_name: str = "",
    origin_ref: str = "",
    evidence: Mapping[str, Any] | None = None,
    method: str = "majority",
    pick_n: int | None = None,
    budget: float | None = None,
    verify: str = "code",
    notice_days: int = 7,
    deadlines: Mapping[str, dt.datetime] | None = None,
    scope: Collection[str] | None = None,
) -> int:
    """Create a consultation with its options and its six steps; returns its id.

    Parameters
    ----------
    origin, origin_ref, evidence
        What it starts from: ``gap`` (``origin_ref`` the missing kind, ``evidence`` the
        audit's figures), ``topic`` (a hot topic's id) or ``proposal`` (a proposal's id,
        which must have reached its support threshold).
    responsible
        One person for every step, or step -> person.
    deadlines
        Step -> deadline; missing ones follow :data:`DEFAULT_DAYS` (the meeting's counted
        from the end of the ``notice_days`` notice period).
    """
    if not title.strip() or len(title) > 200:
        raise DataError("title: expected 1–200 characters")
    if scope is not None and community_id not in scope:
        raise PermissionDeniedError(f"community {community_id!r}: not your community")
    if origin not in ORIGINS:
        raise DataError(f"origin: expected one of {list(ORIGINS)}, got {origin!r}")
    if method not in METHODS:
        raise DataError(f"method: expected one of {list(METHODS)}, got {method!r}")
    if verify not in ("identifier", "code"):
        raise DataError(f"verify: expected 'identifier' or 'code', got {verify!r}")
    if isinstance(notice_days, bool) or not isinstance(notice_days, int) or notice_days < 1:
        raise DataError(f"notice_days: expected a whole number of days >= 1, got {notice_days!r}")
    if len(options) < 2:
        raise DataError(f"options: a consultation needs at least two options, got {len(options)}")
    if len(options) > 26:
        raise DataError("options: at most 26 options (A–Z)")
    if method == "pick_n" and (pick_n is None or not 1 <= pick_n < len(options)):
        raise DataError(f"pick_n: expected 1 … {len(options) - 1}, got {pick_n!r}")
    if method == "budget":
        if budget is None or not budget > 0:
            raise DataError(f"budget: expected an amount > 0, got {budget!r}")
        uncosted = [o.title for o in options if o.cost is None]
        if uncosted:
            raise DataError(f"options: a budget vote needs every option's cost ({uncosted[0]!r})")
    proposal = None
    if origin == "proposal":
        proposal = session.get(Proposal, int(origin_ref)) if origin_ref.isdigit() else None
        if proposal is None or proposal.community_id != community_id:
            raise NotFoundError(f"proposal {origin_ref!r}: not a proposal of {community_id!r}")
        if proposal.reached_at is None:
            raise ConflictError(
                f"proposal {origin_ref}: has not reached its {proposal.threshold} supports"
            )
        if proposal.consultation_id is not None:
            raise ConflictError(f"proposal {origin_ref}: already consulted")
    who = {k: responsible for k in STEPS} if isinstance(responsible, str) else dict(responsible)
    missing = [k for k in STEPS if not who.get(k, "").strip()]
    if missing:
        raise DataError(f"responsible: no responsible person for {', '.join(missing)}")
    given = dict(deadlines or {})
    unknown = set(given) - set(STEPS)
    if unknown:
        raise DataError(f"deadlines: unknown steps {sorted(unknown)} (steps: {list(STEPS)})")
    c = Consultation(
        title=title.strip(),
        community_id=community_id,
        community_name=community_name,
        origin=origin,
        origin_ref=origin_ref,
        evidence=dict(evidence or {}),
        method=method,
        pick_n=pick_n if method == "pick_n" else None,
        budget=budget if method == "budget" else None,
        verify=verify,
        notice_days=notice_days,
        created_by=by,
        created_at=now,
    )
    session.add(c)
    session.flush()
    for i, o in enumerate(options):
        if not o.title.strip():
            raise DataError(f"options[{i}]: title is empty")
        if o.cost is not None and not o.cost >= 0:
            raise DataError(f"options[{i}]: cost must be >= 0, got {o.cost}")
        session.add(
            Option(
                consultation_id=c.id,
                label=chr(ord("A") + i),
                title=o.title.strip()[:200],
                description=o.description,
                source=o.source,
                cost=o.cost,
                residents_new=o.residents_new,
                site=o.site,
                reach=o.reach,
            )
        )
    previous = now
    for pos, kind in enumerate(STEPS):
        extra = notice_days if kind == "meeting" else 0
        deadline = given.get(kind) or previous + dt.timedelta(days=DEFAULT_DAYS[kind] + extra)
        if deadline.tzinfo is None:
            raise DataError(f"deadlines.{kind}: expected a timezone-aware time")
        if deadline < previous:
            raise DataError(f"deadlines.{kind}: {deadline.isoformat()} is before the step before")
        session.add(
            Step(
                consultation_id=c.id,
                kind=kind,
                position=pos,
                responsible=who[kind].strip()[:100],
                deadline=deadline,
                detail={},
            )
        )
        previous = deadline
    if proposal is not None:
        proposal.consultation_id = c.id
    session.flush()
    return c.id


def post_notice(
    session: Session,
    *,
    consultation_id: int,
    text: str,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> dt.datetime:
    """Post the notice (公示); returns the earliest time the meeting and the vote may be."""
    c = _get(session, consultation_id, scope)
    if not text.strip():
        raise DataError("text: the notice is empty")
    step = _steps(session, consultation_id)["notice"]
    earliest = now + dt.timedelta(days=c.notice_days)
    _finish(step, by=by, now=now, text=text.strip(), earliest=earliest.isoformat())
    return earliest


def record_meeting(
    session: Session,
    *,
    consultation_id: int,
    held_at: dt.datetime,
    attendance: int,
    attendees: Sequence[str],
    minutes: str,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Record the meeting (议事会): when, how many attended, who (council members), minutes.

    The meeting may not be held before the notice period has run."""
    c = _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    notice = _require_done(steps, "notice", "meeting")
    assert notice.done_at is not None
    earliest = notice.done_at + dt.timedelta(days=c.notice_days)
    if held_at < earliest:
        raise ConflictError(
            f"held_at: {held_at.isoformat()} is within the {c.notice_days}-day notice period "
            f"(the meeting may be from {earliest.isoformat()})"
        )
    if held_at > now:
        raise DataError("held_at: the meeting is in the future; record it once held")
    if isinstance(attendance, bool) or attendance < 1:
        raise DataError(f"attendance: expected a number >= 1, got {attendance!r}")
    if not minutes.strip():
        raise DataError("minutes: empty")
    _finish(
        steps["meeting"],
        by=by,
        now=now,
        held_at=held_at.isoformat(),
        attendance=int(attendance),
        attendees=[a.strip() for a in attendees if a.strip()],
        minutes=minutes.strip(),
    )


def open_vote(
    session: Session,
    *,
    consultation_id: int,
    closes_at: dt.datetime,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Open the vote (after the meeting) until ``closes_at``."""
    _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    _require_done(steps, "meeting", "vote")
    vote = steps["vote"]
    if vote.started_at is not None:
        raise ConflictError("vote: already opened")
    if closes_at <= now:
        raise DataError("closes_at: expected a time after now")
    vote.started_at = now
    vote.detail = {"opened_by": by, "closes_at": closes_at.isoformat()}


def close_vote(
    session: Session,
    *,
    consultation_id: int,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Close the vote; paper counts may still be entered and confirmed before the result."""
    _get(session, consultation_id, scope)
    vote = _steps(session, consultation_id)["vote"]
    if vote.started_at is None:
        raise ConflictError("vote: not opened")
    _finish(vote, by=by, now=now)


def post_result(
    session: Session,
    *,
    consultation_id: int,
    by: str,
    now: dt.datetime,
    note: str = "",
    scope: Collection[str] | None = None,
) -> dict[str, Any]:
    """Count and post the result publicly (结果公布); the counts are frozen in the step.

    Raises
    ------
    ConflictError
        The vote is still open, or a booth's paper count is not confirmed.
    """
    _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    _require_done(steps, "vote", "result")
    pending = session.scalars(
        select(PaperCount.booth).where(
            PaperCount.consultation_id == consultation_id, PaperCount.confirmed_at.is_(None)
        )
    ).all()
    if pending:
        raise ConflictError(f"result: paper counts of {', '.join(pending)} are not confirmed")
    result = ballot_json(current_tally(session, consultation_id=consultation_id))
    if result["tied"] and not note.strip():
        raise ConflictError("result: a tie on the last chosen place; say how it was settled")
    _finish(steps["result"], by=by, now=now, tally=result, note=note.strip())
    return result


def project_keys(projects: pd.DataFrame) -> list[str]:
    """The keys by which an execution names a programme project (``community:kind:site``),
    from :attr:`wanzheng.data.programme.Programme.projects`."""
    return [
        f"{c}:{k}:{s}"
        for c, k, s in zip(
            projects["community_id"].astype(str),
            projects["kind"].astype(str),
            projects["site"].fillna("").astype(str),
            strict=True,
        )
    ]


def link_execution(
    session: Session,
    *,
    consultation_id: int,
    link: str,
    ref: str,
    by: str,
    now: dt.datetime,
    projects: Collection[str] | None = None,
    scope: Collection[str] | None = None,
) -> None:
    """Start the execution (执行) of the decision, linked to a programme project (``link``
    ``project``, ``ref`` its :func:`project_keys` key; checked against ``projects`` when
    given) or a case (``case``,
    ``ref`` its tracking code or id)."""
    _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    _require_done(steps, "result", "execution")
    step = steps["execution"]
    if step.done_at is not None:
        raise ConflictError("execution: already done")
    ref = ref.strip()
    if link == "project":
        if not ref:
            raise DataError("ref: the project id is empty")
        if projects is not None and ref not in projects:
            raise NotFoundError(f"project {ref!r}: not a project of the programme")
        detail: dict[str, Any] = {"link": "project", "ref": ref}
    elif link == "case":
        case = session.scalar(
            select(Case).where(
                (Case.tracking_code == ref) | (Case.id == (int(ref) if ref.isdigit() else -1))
            )
        )
        if case is None:
            raise NotFoundError(f"case {ref!r}: not found")
        detail = {"link": "case", "ref": case.tracking_code, "case_id": case.id}
    else:
        raise DataError(f"link: expected 'project' or 'case', got {link!r}")
    step.started_at = step.started_at or now
    step.detail = {**(step.detail or {}), **detail, "linked_by": by}


def complete_execution(
    session: Session,
    *,
    consultation_id: int,
    note: str,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Mark the execution done (it must be linked first)."""
    _get(session, consultation_id, scope)
    step = _steps(session, consultation_id)["execution"]
    if step.started_at is None or "link" not in (step.detail or {}):
        raise ConflictError("execution: link it to a project or a case first")
    _finish(step, by=by, now=now, note=note.strip())


def report_back(
    session: Session,
    *,
    consultation_id: int,
    text: str,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Report back to the residents (反馈) on what was done."""
    _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    _require_done(steps, "execution", "report_back")
    if not text.strip():
        raise DataError("text: the report is empty")
    _finish(steps["report_back"], by=by, now=now, text=text.strip())


def overdue_steps(
    session: Session, *, now: dt.datetime, scope: Collection[str] | None = None
) -> list[Overdue]:
    """Every step not done by its deadline (议而不决、决而不行), most late first."""
    q = select(Step.consultation_id, Step.kind, Step.responsible, Step.deadline, Step.done_at).join(
        Consultation, Consultation.id == Step.consultation_id
    )
    if scope is not None:
        q = q.where(Consultation.community_id.in_(list(scope)))
    return overdue([tuple(r) for r in session.execute(q)], now=now)  # type: ignore[misc]


_PUBLIC_DETAIL = {
    "notice": ("text", "earliest"),
    "meeting": ("held_at", "attendance", "minutes"),
    "vote": ("closes_at",),
    "result": ("tally", "note"),
    "execution": ("link", "ref", "note"),
    "report_back": ("text",),
}


def view_consultation(
    session: Session,
    *,
    consultation_id: int,
    now: dt.datetime,
    staff: bool = False,
    scope: Collection[str] | None = None,
) -> dict[str, Any]:
    """A consultation as JSON: options, steps (overdue flagged) and, once posted, the result.

    The public view (``staff=False``) has no staff names of the booths, no attendee list and
    no count before the result is posted; neither view has any voter."""
    c = _get(session, consultation_id, scope if staff else None)
    steps = sorted(_steps(session, consultation_id).values(), key=lambda s: s.position)
    late = {
        o.kind: o
        for o in overdue(
            [(c.id, s.kind, s.responsible, s.deadline, s.done_at) for s in steps], now=now
        )
    }
    options = session.scalars(
        select(Option).where(Option.consultation_id == consultation_id).order_by(Option.label)
    )
    vote = next(s for s in steps if s.kind == "vote")
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "community_id": c.community_id,
        "community_name": c.community_name,
        "origin": c.origin,
        "origin_ref": c.origin_ref,
        "evidence": c.evidence,
        "method": c.method,
        "pick_n": c.pick_n,
        "budget": c.budget,
        "verify": c.verify,
        "notice_days": c.notice_days,
        "vote_open": vote.started_at is not None
        and vote.done_at is None
        and now < dt.datetime.fromisoformat(str(vote.detail.get("closes_at"))),
        "options": [
            {
                "id": o.id,
                "label": o.label,
                "title": o.title,
                "description": o.description,
                "source": o.source,
                "cost": o.cost,
                "residents_new": o.residents_new,
                "site": o.site,
                "reach": o.reach,
            }
            for o in options
        ],
        "steps": [
            {
                "kind": s.kind,
                "name_zh": STEP_NAMES_ZH[s.kind],
                "responsible": s.responsible,
                "deadline": s.deadline.isoformat(),
                "started_at": s.started_at.isoformat() if s.started_at else None,
                "done_at": s.done_at.isoformat() if s.done_at else None,
                "done_by": s.done_by if staff else None,
                "overdue": s.kind in late,
                "days_late": late[s.kind].days_late if s.kind in late else None,
                "failure": late[s.kind].failure if s.kind in late else None,
                "detail": dict(s.detail or {})
                if staff
                else {k: v for k, v in (s.detail or {}).items() if k in _PUBLIC_DETAIL[s.kind]},
            }
            for s in steps
        ],
    }
    result = next(s for s in steps if s.kind == "result")
    out["result"] = (result.detail or {}).get("tally") if result.done_at else None
    if staff:
        out["voters_online"] = session.scalar(
            select(func.count()).select_from(Voter).where(Voter.consultation_id == c.id)
        )
        out["paper"] = paper_counts(session, consultation_id=c.id)
        out["electors"] = session.scalar(
            select(func.count())
            .select_from(Elector)
            .where(Elector.community_id == c.community_id, ~Elector.id_hash.like("removed:%"))
        )
    return out


def list_consultations(
    session: Session, *, now: dt.datetime, scope: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Every consultation (within ``scope``), newest first, with its current step and overdue."""
    q = select(Consultation).order_by(Consultation.id.desc())
    if scope is not None:
        q = q.where(Consultation.community_id.in_(list(scope)))
    out = []
    for c in session.scalars(q):
        steps = sorted(_steps(session, c.id).values(), key=lambda s: s.position)
        current = next((s for s in steps if s.done_at is None), None)
        late = overdue(
            [(c.id, s.kind, s.responsible, s.deadline, s.done_at) for s in steps], now=now
        )
        out.append(
            {
                "id": c.id,
                "title": c.title,
                "community_id": c.community_id,
                "community_name": c.community_name,
                "origin": c.origin,
                "method": c.method,
                "step": current.kind if current else "closed",
                "overdue": [o.kind for o in late],
            }
        )
    return out
