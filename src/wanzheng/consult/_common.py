"""Shared lookups of the consultation operations (not public)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.consult.models import Consultation, Option, Step
from wanzheng.consult.steps import STEP_NAMES_ZH
from wanzheng.errors import ConflictError, NotFoundError, PermissionDeniedError

__all__: list[str] = []


def _get(session: Session, consultation_id: int, scope: Collection[str] | None) -> Consultation:
    c = session.get(Consultation, consultation_id)
    if c is None:
        raise NotFoundError(f"consultation {consultation_id}: not found")
    if scope is not None and c.community_id not in scope:
        raise PermissionDeniedError(f"consultation {consultation_id}: not in your community")
    return c


def _steps(session: Session, consultation_id: int) -> dict[str, Step]:
    rows = session.scalars(select(Step).where(Step.consultation_id == consultation_id))
    return {s.kind: s for s in rows}


def _require_done(steps: Mapping[str, Step], kind: str, what: str) -> Step:
    step = steps[kind]
    if step.done_at is None:
        raise ConflictError(f"{what}: the {kind} step ({STEP_NAMES_ZH[kind]}) is not done yet")
    return step


def _finish(step: Step, *, by: str, now: dt.datetime, **detail: Any) -> None:
    if step.done_at is not None:
        raise ConflictError(f"{step.kind}: already done at {step.done_at.isoformat()}")
    step.started_at = step.started_at or now
    step.done_at = now
    step.done_by = by
    step.detail = {**(step.detail or {}), **detail}


def _option_costs(session: Session, consultation_id: int) -> dict[int, float | None]:
    rows = session.execute(
        select(Option.id, Option.cost).where(Option.consultation_id == consultation_id)
    )
    return {int(i): c for i, c in rows}
