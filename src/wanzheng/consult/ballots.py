"""Votes: online ballots of proven residents (one each, secret), paper ballots counted per
booth and confirmed by a second person, and the count.

The ballot is secret by construction (``consult/models.py``): :class:`Voter` says that an
elector voted, :class:`Ballot` what was chosen, with nothing that joins them; the voter keeps a
receipt to read their own ballot back.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits. ``scope``: the community ids the caller may act on (``None`` for all).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.onetime import CodePolicy
from wanzheng.consult._common import _get, _option_costs, _steps
from wanzheng.consult.electors import mac, prove_elector
from wanzheng.consult.models import Ballot, Option, PaperCount, Step, Voter
from wanzheng.consult.tally import Tally, check_ballot, tally
from wanzheng.errors import ConflictError, DataError, NotFoundError, PermissionDeniedError

__all__ = [
    "ballot_json",
    "cast_vote",
    "confirm_paper",
    "current_tally",
    "enter_paper",
    "paper_counts",
    "read_receipt",
]


def _open_vote(steps: Mapping[str, Step], now: dt.datetime) -> Step:
    vote = steps["vote"]
    if vote.started_at is None:
        raise ConflictError("vote: the vote is not open yet")
    closes = dt.datetime.fromisoformat(str(vote.detail.get("closes_at")))
    if vote.done_at is not None or now >= closes:
        raise ConflictError("vote: the vote is closed")
    return vote


def cast_vote(
    session: Session,
    *,
    consultation_id: int,
    choices: Sequence[int],
    secret: str,
    now: dt.datetime,
    identifier: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    policy: CodePolicy = CodePolicy(),
) -> str:
    """Cast an elector's one online vote; returns the receipt (shown once, never stored).

    The elector is proven by the way the consultation was set up (``verify``): the ID number
    on the resident list, or the phone on it and the one-time code sent to it.

    Raises
    ------
    PermissionDeniedError
        Not on the community's list, or a wrong code.
    ConflictError
        The vote is not open, or this elector has already voted.
    DataError
        A ballot the method does not allow.
    """
    c = _get(session, consultation_id, None)
    _open_vote(_steps(session, consultation_id), now)
    picked = check_ballot(
        choices,
        method=c.method,
        option_costs=_option_costs(session, consultation_id),
        pick_n=c.pick_n,
        budget=c.budget,
    )
    if c.verify == "identifier" and not identifier:
        raise DataError("identifier: this vote is verified by the ID number on the resident list")
    if c.verify == "code":
        identifier = None
    elector = prove_elector(
        session,
        community_id=c.community_id,
        secret=secret,
        now=now,
        identifier=identifier,
        phone=phone,
        code=code,
        policy=policy,
    )
    voted = session.scalar(
        select(Voter.id).where(
            Voter.consultation_id == consultation_id, Voter.elector_id == elector.id
        )
    )
    if voted is not None:
        raise ConflictError("vote: this resident has already voted")
    session.add(Voter(consultation_id=consultation_id, elector_id=elector.id, voted_at=now))
    receipt = secrets.token_urlsafe(12)
    session.add(
        Ballot(
            key=secrets.token_hex(16),
            consultation_id=consultation_id,
            day=now.date(),
            choices=picked,
            receipt_hash=mac(secret, "consult-receipt", str(consultation_id), receipt),
        )
    )
    session.flush()
    return receipt


def read_receipt(session: Session, *, consultation_id: int, receipt: str, secret: str) -> list[str]:
    """The option labels of the ballot with this receipt (only its holder has it)."""
    ballot = session.scalar(
        select(Ballot).where(
            Ballot.consultation_id == consultation_id,
            Ballot.receipt_hash == mac(secret, "consult-receipt", str(consultation_id), receipt),
        )
    )
    if ballot is None:
        raise NotFoundError("receipt: no ballot with this receipt")
    labels = dict(
        session.execute(
            select(Option.id, Option.label).where(Option.consultation_id == consultation_id)
        ).all()
    )
    return [labels[i] for i in ballot.choices]


def enter_paper(
    session: Session,
    *,
    consultation_id: int,
    booth: str,
    ballots: int,
    invalid: int,
    counts: Mapping[int, int],
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """Enter (or correct, until confirmed) one booth's paper ballots: how many were cast,
    how many invalid, and the marks per option on the valid ones."""
    c = _get(session, consultation_id, scope)
    steps = _steps(session, consultation_id)
    if steps["vote"].started_at is None:
        raise ConflictError("paper: the vote has not opened")
    if steps["result"].done_at is not None:
        raise ConflictError("paper: the result is already posted")
    booth = booth.strip()
    if not booth or len(booth) > 100:
        raise DataError("booth: expected 1–100 characters")
    for name, v in (("ballots", ballots), ("invalid", invalid)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise DataError(f"{name}: expected a whole number >= 0, got {v!r}")
    if invalid > ballots:
        raise DataError(f"invalid: {invalid} invalid of {ballots} ballots")
    options = _option_costs(session, consultation_id)
    marks: dict[str, int] = {}
    for oid, n in counts.items():
        if int(oid) not in options:
            raise DataError(f"counts: {oid} is not an option of this consultation")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DataError(f"counts[{oid}]: expected a whole number >= 0, got {n!r}")
        marks[str(int(oid))] = n
    valid = ballots - invalid
    total = sum(marks.values())
    if any(n > valid for n in marks.values()):
        raise DataError(f"counts: an option has more marks than the {valid} valid ballots")
    if c.method == "majority" and total != valid:
        raise DataError(f"counts: {total} marks on {valid} valid one-choice ballots")
    if c.method == "pick_n" and not valid <= total <= valid * int(c.pick_n or 1):
        raise DataError(f"counts: {total} marks on {valid} valid ballots of 1–{c.pick_n} choices")
    row = session.scalar(
        select(PaperCount).where(
            PaperCount.consultation_id == consultation_id, PaperCount.booth == booth
        )
    )
    if row is not None and row.confirmed_at is not None:
        raise ConflictError(f"booth {booth!r}: already confirmed by {row.confirmed_by}")
    if row is None:
        row = PaperCount(consultation_id=consultation_id, booth=booth)
        session.add(row)
    row.ballots, row.invalid, row.counts = ballots, invalid, marks
    row.entered_by, row.entered_at = by, now
    session.flush()


def confirm_paper(
    session: Session,
    *,
    consultation_id: int,
    booth: str,
    by: str,
    now: dt.datetime,
    scope: Collection[str] | None = None,
) -> None:
    """A second staff member confirms a booth's count (not the one who entered it)."""
    _get(session, consultation_id, scope)
    row = session.scalar(
        select(PaperCount).where(
            PaperCount.consultation_id == consultation_id, PaperCount.booth == booth.strip()
        )
    )
    if row is None:
        raise NotFoundError(f"booth {booth!r}: no count entered")
    if row.confirmed_at is not None:
        raise ConflictError(f"booth {booth!r}: already confirmed by {row.confirmed_by}")
    if row.entered_by == by:
        raise PermissionDeniedError(
            f"booth {booth!r}: entered by {by}; a second person must confirm it"
        )
    row.confirmed_by, row.confirmed_at = by, now


def paper_counts(session: Session, *, consultation_id: int) -> list[dict[str, Any]]:
    """Every booth's count with who entered and who confirmed it."""
    rows = session.scalars(
        select(PaperCount)
        .where(PaperCount.consultation_id == consultation_id)
        .order_by(PaperCount.booth)
    )
    return [
        {
            "booth": r.booth,
            "ballots": r.ballots,
            "invalid": r.invalid,
            "counts": {int(k): v for k, v in r.counts.items()},
            "entered_by": r.entered_by,
            "entered_at": r.entered_at.isoformat(),
            "confirmed_by": r.confirmed_by,
            "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
        }
        for r in rows
    ]


def current_tally(session: Session, *, consultation_id: int) -> Tally:
    """Count the online ballots and the confirmed paper counts."""
    c = _get(session, consultation_id, None)
    options = [
        (int(o.id), o.label, o.cost)
        for o in session.scalars(
            select(Option).where(Option.consultation_id == consultation_id).order_by(Option.label)
        )
    ]
    ballots = session.scalars(
        select(Ballot.choices).where(Ballot.consultation_id == consultation_id)
    )
    paper: dict[int, int] = {}
    n_paper = n_invalid = 0
    for r in session.scalars(
        select(PaperCount).where(
            PaperCount.consultation_id == consultation_id, PaperCount.confirmed_at.is_not(None)
        )
    ):
        n_paper += r.ballots
        n_invalid += r.invalid
        for k, v in r.counts.items():
            paper[int(k)] = paper.get(int(k), 0) + v
    return tally(
        method=c.method,
        options=options,
        ballots=list(ballots),
        paper=paper,
        paper_ballots=n_paper,
        invalid_paper=n_invalid,
        pick_n=c.pick_n,
        budget=c.budget,
    )


def ballot_json(t: Tally) -> dict[str, Any]:
    """A count as JSON (what the result step freezes and posts)."""
    return {
        "method": t.method,
        "ballots_online": t.ballots_online,
        "ballots_paper": t.ballots_paper,
        "invalid_paper": t.invalid_paper,
        "spent": t.spent,
        "tied": t.tied,
        "counts": [
            {
                "option_id": x.option_id,
                "label": x.label,
                "online": x.online,
                "paper": x.paper,
                "total": x.total,
                "cost": x.cost,
                "chosen": x.chosen,
            }
            for x in t.counts
        ],
        "chosen": t.chosen,
    }
