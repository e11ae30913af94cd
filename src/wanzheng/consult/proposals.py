"""Residents' proposals: filed and supported by residents on the list (one support each);
a proposal that reaches its threshold may start a consultation.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wanzheng.cases.onetime import CodePolicy
from wanzheng.consult.electors import prove_elector
from wanzheng.consult.models import Proposal, Support
from wanzheng.errors import ConflictError, DataError, NotFoundError

__all__ = ["create_proposal", "list_proposals", "support_proposal"]


def create_proposal(
    session: Session,
    *,
    community_id: str,
    title: str,
    body: str,
    threshold: int,
    secret: str,
    now: dt.datetime,
    identifier: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    policy: CodePolicy = CodePolicy(),
) -> int:
    """A resident of the community (proven as for a vote) proposes; the proposal counts its
    author's support. Returns its id."""
    if not title.strip() or len(title) > 200 or not body.strip():
        raise DataError("title/body: expected a title of 1–200 characters and a text")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise DataError(f"threshold: expected a whole number >= 1, got {threshold!r}")
    elector = prove_elector(
        session,
        community_id=community_id,
        secret=secret,
        now=now,
        identifier=identifier,
        phone=phone,
        code=code,
        policy=policy,
    )
    p = Proposal(
        community_id=community_id,
        title=title.strip(),
        body=body.strip(),
        threshold=threshold,
        created_at=now,
        reached_at=now if threshold <= 1 else None,
    )
    session.add(p)
    session.flush()
    session.add(Support(proposal_id=p.id, elector_id=elector.id, created_at=now))
    session.flush()
    return p.id


def support_proposal(
    session: Session,
    *,
    proposal_id: int,
    secret: str,
    now: dt.datetime,
    identifier: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    policy: CodePolicy = CodePolicy(),
) -> int:
    """Support a proposal (one support per resident); returns its supports."""
    p = session.get(Proposal, proposal_id)
    if p is None:
        raise NotFoundError(f"proposal {proposal_id}: not found")
    elector = prove_elector(
        session,
        community_id=p.community_id,
        secret=secret,
        now=now,
        identifier=identifier,
        phone=phone,
        code=code,
        policy=policy,
    )
    if session.scalar(
        select(Support.id).where(Support.proposal_id == p.id, Support.elector_id == elector.id)
    ):
        raise ConflictError("support: this resident already supports the proposal")
    session.add(Support(proposal_id=p.id, elector_id=elector.id, created_at=now))
    session.flush()
    n = int(
        session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == p.id))
        or 0
    )
    if n >= p.threshold and p.reached_at is None:
        p.reached_at = now
    return n


def list_proposals(session: Session, *, community_id: str | None = None) -> list[dict[str, Any]]:
    """Proposals with their supports (counts only), newest first."""
    n = (
        select(Support.proposal_id, func.count().label("n"))
        .group_by(Support.proposal_id)
        .subquery()
    )
    q = select(Proposal, n.c.n).outerjoin(n, n.c.proposal_id == Proposal.id)
    if community_id is not None:
        q = q.where(Proposal.community_id == community_id)
    return [
        {
            "id": p.id,
            "community_id": p.community_id,
            "title": p.title,
            "body": p.body,
            "threshold": p.threshold,
            "supports": int(count or 0),
            "reached": p.reached_at is not None,
            "consultation_id": p.consultation_id,
        }
        for p, count in session.execute(q.order_by(Proposal.id.desc()))
    ]
