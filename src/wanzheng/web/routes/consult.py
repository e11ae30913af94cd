"""议事协商 API: consultations, votes, paper counts, proposals. Routes call library functions
(``wanzheng.consult``); no SQL here.

Residents (no account needed) read the consultations whose notice is posted, ask for a
one-time code, vote, read their own ballot back with its receipt, file and support proposals:
each proven against the office's resident list (``consult/electors.py``), wrong attempts
throttled like passwords. Staff run the steps: grid workers for their grid's community,
dispatchers and administrators for all; handlers have no part in consultations. Only
administrators load the resident list. No answer carries a voter's identity.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wanzheng.cases.models import Grid
from wanzheng.cases.onetime import CodePolicy
from wanzheng.cases.throttle import check_keys, credential_keys, raise_if_locked, record_failures
from wanzheng.cases.users import Actor
from wanzheng.consult import ballots, electors, proposals, store
from wanzheng.consult.options import OptionDraft
from wanzheng.errors import DataError, NotFoundError, PermissionDeniedError
from wanzheng.web.app import CaseDesk
from wanzheng.web.deps import AdminActor, Desk, ReadSession, require_roles
from wanzheng.web.openapi import ID_MAX, errors
from wanzheng.web.routes.auth import client_address

__all__ = ["PROPOSAL_THRESHOLD", "router"]

router = APIRouter(prefix="/api/consult", tags=["consult"])

PROPOSAL_THRESHOLD = 20
"""Supports a residents' proposal needs before it may start a consultation."""

T = TypeVar("T")

ConsultActor = Annotated[Actor, Depends(require_roles("grid_worker", "dispatcher", "admin"))]
ConsultationId = Annotated[
    int, PathParam(ge=1, le=ID_MAX, description="A consultation id (1 to 2³¹−1).")
]
ProposalId = Annotated[int, PathParam(ge=1, le=ID_MAX, description="A proposal id.")]
OptionId = Annotated[int, Field(ge=1, le=ID_MAX)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Text4k = Annotated[str, Field(min_length=1, max_length=4000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


def _scope(session: Session, actor: Actor) -> frozenset[str] | None:
    """The communities the caller may act on: a grid worker's grid's, else all (None)."""
    if actor.role != "grid_worker":
        return None
    grid = session.get(Grid, actor.grid_key) if actor.grid_key else None
    return frozenset({grid.community_key}) if grid is not None else frozenset()


def _policy(desk: CaseDesk) -> CodePolicy:
    return CodePolicy.from_settings(desk.settings)


# ----------------------------------------------------------------------------- bodies


class Proof(BaseModel):
    """How a resident proves being on the list: the ID number, or the phone and its code."""

    identifier: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    code: str | None = Field(default=None, max_length=12)


class VoteIn(Proof):
    choices: list[OptionId] = Field(min_length=1, max_length=26)


class Receipt(BaseModel):
    receipt: str = Field(min_length=8, max_length=64)


class ConsultCodeIn(BaseModel):
    community_id: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=5, max_length=32)


class ProposalIn(Proof):
    community_id: str = Field(min_length=1, max_length=64)
    title: Text200
    body: Text4k


class OptionIn(BaseModel):
    title: Text200
    description: str = Field(default="", max_length=4000)
    cost: float | None = Field(default=None, ge=0, le=1e12)
    source: Literal["plan", "staff"] = "staff"
    residents_new: float | None = Field(default=None, ge=0, le=1e9)
    site: dict[str, Any] | None = None
    reach: list[list[float]] = Field(default_factory=list, max_length=100_000)


class ConsultationIn(BaseModel):
    title: Text200
    community_id: str = Field(min_length=1, max_length=64)
    community_name: str = Field(default="", max_length=200)
    origin: Literal["gap", "topic", "proposal"]
    origin_ref: str = Field(default="", max_length=200)
    evidence: dict[str, Any] = Field(default_factory=dict)
    method: Literal["majority", "pick_n", "budget"] = "majority"
    pick_n: int | None = Field(default=None, ge=1, le=25)
    budget: float | None = Field(default=None, gt=0, le=1e12)
    verify: Literal["identifier", "code"] = "code"
    notice_days: int = Field(default=7, ge=1, le=90)
    responsible: dict[str, Annotated[str, Field(min_length=1, max_length=100)]]
    deadlines: dict[str, dt.datetime] = Field(default_factory=dict)
    options: list[OptionIn] = Field(min_length=2, max_length=26)


class NoticeIn(BaseModel):
    text: Text4k


class MeetingIn(BaseModel):
    held_at: dt.datetime
    attendance: int = Field(ge=1, le=100_000)
    attendees: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=500
    )
    minutes: Annotated[str, Field(min_length=1, max_length=20_000)]


class OpenIn(BaseModel):
    closes_at: dt.datetime


class PaperIn(BaseModel):
    booth: Annotated[str, Field(min_length=1, max_length=100)]
    ballots: Count
    invalid: Count = 0
    counts: dict[str, Count]


class BoothIn(BaseModel):
    booth: Annotated[str, Field(min_length=1, max_length=100)]


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=4000)


class ExecutionIn(BaseModel):
    link: Literal["project", "case"]
    ref: Text200


class ReportIn(BaseModel):
    text: Text4k


# ----------------------------------------------------------------------------- residents


def _public(view: dict[str, Any]) -> bool:
    return bool(view["steps"][0]["done_at"])  # shown to residents once the notice is posted


@router.get("/consultations")
def list_public(session: ReadSession, desk: Desk) -> list[dict[str, Any]]:
    """Consultations whose notice is posted (公示), newest first."""
    rows = store.list_consultations(session, now=desk.now())
    return [r for r in rows if r["step"] != "notice"]


@router.get("/proposals")
def list_proposals(
    session: ReadSession, community_id: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict[str, Any]]:
    """Residents' proposals with their supports (counts only)."""
    return proposals.list_proposals(session, community_id=community_id)


@router.get("/consultations/{consultation_id}", responses=errors(404))
def get_public(consultation_id: ConsultationId, session: ReadSession, desk: Desk) -> dict[str, Any]:
    """A consultation as residents see it: options with their reach, steps, the posted result."""
    view = store.view_consultation(session, consultation_id=consultation_id, now=desk.now())
    if not _public(view):
        raise NotFoundError(f"consultation {consultation_id}: not found")
    return view


@router.post("/code", status_code=202, responses=errors(429))
def send_code(
    body: ConsultCodeIn,
    request: Request,
    background: BackgroundTasks,
    session: ReadSession,
    desk: Desk,
) -> dict[str, str]:
    """Send a one-time code to the phone if it is on the community's resident list (SMS,
    through the outbox). The answer is the same either way, so the list cannot be probed."""
    now = desk.now()
    keys = credential_keys(
        desk.settings, kind="consult-phone", subject=body.phone, address=client_address(request)
    )
    check_keys(session, keys=[k for k, _, _ in keys], now=now, what="phone")
    secret, policy = desk.settings.secret_key, _policy(desk)
    desk.write(
        lambda s: electors.send_vote_code(
            s, community_id=body.community_id, phone=body.phone, secret=secret, now=now,
            policy=policy,
        )
    )  # fmt: skip
    background.add_task(desk.deliver_notices)
    return {"detail": "如手机号在本社区居民名册中，验证码已发送"}


def _proven(desk: CaseDesk, request: Request, body: Proof, fn: Callable[[Session], T]) -> T:
    """Run ``fn`` on the write path; a failed proof is throttled (subject and address) and
    the attempt it counted is kept."""
    now = desk.now()
    subject = body.identifier or body.phone or ""
    keys = credential_keys(
        desk.settings, kind="consult-proof", subject=subject, address=client_address(request)
    )
    with desk.reads() as session:
        check_keys(session, keys=[k for k, _, _ in keys], now=now, what="identifier")

    def work(s: Session) -> tuple[T | None, str | None, dt.datetime | None]:
        try:
            return fn(s), None, None
        except PermissionDeniedError as exc:
            return None, str(exc), record_failures(s, keys=keys, now=now)

    out, refused, until = desk.write(work)
    if refused is not None:
        raise_if_locked(until, now=now, what="identifier")
        raise PermissionDeniedError(refused)
    return out  # type: ignore[return-value]


@router.post(
    "/consultations/{consultation_id}/vote", status_code=201, responses=errors(403, 404, 409, 429)
)
def vote(
    consultation_id: ConsultationId, body: VoteIn, request: Request, desk: Desk
) -> dict[str, str]:
    """Cast one vote; the answer's receipt (shown once) lets the voter read the ballot back."""
    now, secret, policy = desk.now(), desk.settings.secret_key, _policy(desk)
    receipt = _proven(
        desk,
        request,
        body,
        lambda s: ballots.cast_vote(
            s, consultation_id=consultation_id, choices=body.choices, secret=secret, now=now,
            identifier=body.identifier, phone=body.phone, code=body.code, policy=policy,
        ),
    )  # fmt: skip
    return {"receipt": receipt}


@router.post("/consultations/{consultation_id}/receipt", responses=errors(404))
def receipt(
    consultation_id: ConsultationId, body: Receipt, session: ReadSession, desk: Desk
) -> dict[str, list[str]]:
    """The options of the ballot with this receipt (only its voter holds it)."""
    labels = ballots.read_receipt(
        session, consultation_id=consultation_id, receipt=body.receipt,
        secret=desk.settings.secret_key,
    )  # fmt: skip
    return {"choices": labels}


@router.post("/proposals", status_code=201, responses=errors(403, 429))
def propose(body: ProposalIn, request: Request, desk: Desk) -> dict[str, int]:
    """File a proposal (a resident of the community); it counts its author's support."""
    now, secret, policy = desk.now(), desk.settings.secret_key, _policy(desk)
    pid = _proven(
        desk,
        request,
        body,
        lambda s: proposals.create_proposal(
            s, community_id=body.community_id, title=body.title, body=body.body,
            threshold=PROPOSAL_THRESHOLD, secret=secret, now=now, identifier=body.identifier,
            phone=body.phone, code=body.code, policy=policy,
        ),
    )  # fmt: skip
    return {"id": pid}


@router.post("/proposals/{proposal_id}/support", responses=errors(403, 404, 409, 429))
def support(proposal_id: ProposalId, body: Proof, request: Request, desk: Desk) -> dict[str, int]:
    """Support a proposal (one support per resident); answers its supports."""
    now, secret, policy = desk.now(), desk.settings.secret_key, _policy(desk)
    n = _proven(
        desk,
        request,
        body,
        lambda s: proposals.support_proposal(
            s, proposal_id=proposal_id, secret=secret, now=now, identifier=body.identifier,
            phone=body.phone, code=body.code, policy=policy,
        ),
    )  # fmt: skip
    return {"supports": n}


# ----------------------------------------------------------------------------- staff


@router.get("/staff/consultations", responses=errors(401, 403))
def staff_list(session: ReadSession, desk: Desk, actor: ConsultActor) -> list[dict[str, Any]]:
    """Every consultation in the caller's communities, with its current step and overdue."""
    return store.list_consultations(session, now=desk.now(), scope=_scope(session, actor))


@router.get("/staff/overdue", responses=errors(401, 403))
def staff_overdue(session: ReadSession, desk: Desk, actor: ConsultActor) -> list[dict[str, Any]]:
    """Steps past their deadline (议而不决、决而不行), most late first."""
    late = store.overdue_steps(session, now=desk.now(), scope=_scope(session, actor))
    return [
        {
            "consultation_id": o.consultation_id,
            "kind": o.kind,
            "responsible": o.responsible,
            "deadline": o.deadline.isoformat(),
            "days_late": o.days_late,
            "failure": o.failure,
        }
        for o in late
    ]


@router.get("/staff/consultations/{consultation_id}", responses=errors(401, 403, 404))
def staff_get(
    consultation_id: ConsultationId, session: ReadSession, desk: Desk, actor: ConsultActor
) -> dict[str, Any]:
    """A consultation with the staff's details (attendees, booths, who confirmed)."""
    return store.view_consultation(
        session, consultation_id=consultation_id, now=desk.now(), staff=True,
        scope=_scope(session, actor),
    )  # fmt: skip


def _staff_write(
    desk: CaseDesk, actor: Actor, fn: Callable[[Session, frozenset[str] | None], T]
) -> T:
    with desk.reads() as session:
        scope = _scope(session, actor)
    return desk.write(lambda s: fn(s, scope))


@router.post("/consultations", status_code=201, responses=errors(401, 403, 404, 409))
def create(body: ConsultationIn, desk: Desk, actor: ConsultActor) -> dict[str, int]:
    """Start a consultation from a gap, a topic or a proposal, with its options and steps."""
    now = desk.now()
    options = [
        OptionDraft(
            title=o.title, description=o.description, source=o.source, cost=o.cost,
            residents_new=o.residents_new, site=o.site, reach=o.reach,
        )
        for o in body.options
    ]  # fmt: skip
    responsible: str | dict[str, str] = (
        body.responsible["all"] if set(body.responsible) == {"all"} else body.responsible
    )
    cid = _staff_write(
        desk,
        actor,
        lambda s, scope: store.create_consultation(
            s, title=body.title, community_id=body.community_id,
            community_name=body.community_name, origin=body.origin, origin_ref=body.origin_ref,
            evidence=body.evidence, options=options, responsible=responsible,
            by=actor.username, now=now, method=body.method, pick_n=body.pick_n,
            budget=body.budget, verify=body.verify, notice_days=body.notice_days,
            deadlines=body.deadlines, scope=scope,
        ),
    )  # fmt: skip
    return {"id": cid}


@router.post("/consultations/{consultation_id}/notice", responses=errors(401, 403, 404, 409))
def notice(
    consultation_id: ConsultationId, body: NoticeIn, desk: Desk, actor: ConsultActor
) -> dict[str, str]:
    """Post the notice (公示); answers the earliest time of the meeting and the vote."""
    now = desk.now()
    earliest = _staff_write(
        desk, actor,
        lambda s, scope: store.post_notice(
            s, consultation_id=consultation_id, text=body.text, by=actor.username, now=now,
            scope=scope,
        ),
    )  # fmt: skip
    return {"earliest": earliest.isoformat()}


@router.post(
    "/consultations/{consultation_id}/meeting",
    status_code=204,
    responses=errors(401, 403, 404, 409),
)
def meeting(
    consultation_id: ConsultationId, body: MeetingIn, desk: Desk, actor: ConsultActor
) -> None:
    """Record the meeting: when, attendance, the members present, the minutes."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.record_meeting(
            s, consultation_id=consultation_id, held_at=body.held_at,
            attendance=body.attendance, attendees=body.attendees, minutes=body.minutes,
            by=actor.username, now=now, scope=scope,
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/open", status_code=204, responses=errors(401, 403, 404, 409)
)
def open_vote(
    consultation_id: ConsultationId, body: OpenIn, desk: Desk, actor: ConsultActor
) -> None:
    """Open the vote until ``closes_at``."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.open_vote(
            s, consultation_id=consultation_id, closes_at=body.closes_at, by=actor.username,
            now=now, scope=scope,
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/close", status_code=204, responses=errors(401, 403, 404, 409)
)
def close_vote(consultation_id: ConsultationId, desk: Desk, actor: ConsultActor) -> None:
    """Close the vote."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.close_vote(
            s, consultation_id=consultation_id, by=actor.username, now=now, scope=scope
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/paper", status_code=204, responses=errors(401, 403, 404, 409)
)
def paper(consultation_id: ConsultationId, body: PaperIn, desk: Desk, actor: ConsultActor) -> None:
    """Enter (or correct, until confirmed) one booth's paper ballots: ``counts`` maps option
    ids to marks on the valid ballots."""
    now = desk.now()
    counts = {_option_id(k): v for k, v in body.counts.items()}
    _staff_write(
        desk, actor,
        lambda s, scope: ballots.enter_paper(
            s, consultation_id=consultation_id, booth=body.booth, ballots=body.ballots,
            invalid=body.invalid, counts=counts, by=actor.username, now=now, scope=scope,
        ),
    )  # fmt: skip


def _option_id(key: str) -> int:
    if not key.isdigit() or not 1 <= int(key) <= ID_MAX:
        raise DataError(f"counts: {key!r} is not an option id")
    return int(key)


@router.post(
    "/consultations/{consultation_id}/paper/confirm",
    status_code=204,
    responses=errors(401, 403, 404, 409),
)
def confirm(
    consultation_id: ConsultationId, body: BoothIn, desk: Desk, actor: ConsultActor
) -> None:
    """Confirm a booth's count (a second staff member, not the one who entered it)."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: ballots.confirm_paper(
            s, consultation_id=consultation_id, booth=body.booth, by=actor.username, now=now,
            scope=scope,
        ),
    )  # fmt: skip


@router.post("/consultations/{consultation_id}/result", responses=errors(401, 403, 404, 409))
def result(
    consultation_id: ConsultationId, body: NoteIn, desk: Desk, actor: ConsultActor
) -> dict[str, Any]:
    """Count and post the result publicly (结果公布)."""
    now = desk.now()
    return _staff_write(
        desk, actor,
        lambda s, scope: store.post_result(
            s, consultation_id=consultation_id, by=actor.username, now=now, note=body.note,
            scope=scope,
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/execution",
    status_code=204,
    responses=errors(401, 403, 404, 409),
)
def execution(
    consultation_id: ConsultationId, body: ExecutionIn, desk: Desk, actor: ConsultActor
) -> None:
    """Link the execution to a programme project (``community:kind:site``) or a case."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.link_execution(
            s, consultation_id=consultation_id, link=body.link, ref=body.ref,
            by=actor.username, now=now, scope=scope,
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/execution/done",
    status_code=204,
    responses=errors(401, 403, 404, 409),
)
def execution_done(
    consultation_id: ConsultationId, body: NoteIn, desk: Desk, actor: ConsultActor
) -> None:
    """Mark the execution done."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.complete_execution(
            s, consultation_id=consultation_id, note=body.note, by=actor.username, now=now,
            scope=scope,
        ),
    )  # fmt: skip


@router.post(
    "/consultations/{consultation_id}/report-back",
    status_code=204,
    responses=errors(401, 403, 404, 409),
)
def report_back(
    consultation_id: ConsultationId, body: ReportIn, desk: Desk, actor: ConsultActor
) -> None:
    """Report back to the residents on what was done (反馈)."""
    now = desk.now()
    _staff_write(
        desk, actor,
        lambda s, scope: store.report_back(
            s, consultation_id=consultation_id, text=body.text, by=actor.username, now=now,
            scope=scope,
        ),
    )  # fmt: skip


@router.post("/electors", status_code=201, responses=errors(401, 403, 413))
def load_electors(
    desk: Desk,
    actor: AdminActor,
    file: Annotated[UploadFile, File()],
    community_id: Annotated[str | None, Form(max_length=64)] = None,
) -> dict[str, int]:
    """Load the office's resident list (CSV/XLSX: 身份证号, 手机号, 社区编号); only HMACs
    of the ID numbers and phones are kept."""
    from wanzheng.data.tabular import Limits

    suffix = Path(file.filename or "residents.csv").suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise DataError(f"file: expected a .csv or .xlsx resident list, got {suffix!r}")
    now, secret = desk.now(), desk.settings.secret_key
    limits = Limits.from_settings(desk.settings)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"residents{suffix}"
        path.write_bytes(file.file.read())
        rows = electors.load_electors(
            path, secret=secret, community_id=community_id or None, limits=limits
        )
        return desk.write(
            lambda s: electors.store_electors(
                s, rows=rows, source=file.filename or "upload", now=now
            )
        )
