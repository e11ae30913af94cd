"""Residents' contact data on a case: masked in every view, unmasked only for the roles of
:data:`ROLES_WHO_UNMASK` with a stated purpose, and every unmasking written to the log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.masking import mask_id_number, mask_name, mask_phone
from wanzheng.cases.models import Case, UnmaskLog
from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, PermissionDeniedError

__all__ = ["ROLES_WHO_UNMASK", "Contact", "log_bulk_unmask", "unmask_contact", "unmask_log"]

#: Roles that may see unmasked phone and ID numbers (each time logged).
ROLES_WHO_UNMASK = frozenset({"dispatcher", "admin"})


@dataclass(frozen=True, slots=True)
class Contact:
    """A resident's contact data, masked or not."""

    name: str | None
    phone: str | None
    id_number: str | None
    masked: bool


def unmask_contact(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    purpose: str | None,
    now: dt.datetime,
    unmask: bool,
) -> Contact:
    """The resident's contact for a case: masked, or unmasked (logged) for allowed roles."""
    person = case.person
    if person is None:
        return Contact(name=None, phone=None, id_number=None, masked=True)
    if not unmask:
        return Contact(
            name=mask_name(person.name),
            phone=mask_phone(person.phone),
            id_number=mask_id_number(person.id_number),
            masked=True,
        )
    if actor.role not in ROLES_WHO_UNMASK:
        raise PermissionDeniedError(f"unmask: role {actor.role!r} may not see unmasked contacts")
    if not purpose or not purpose.strip():
        raise DataError("purpose: say why the unmasked contact is needed")
    session.add(
        UnmaskLog(
            user_id=actor.user_id,
            actor_label=actor.label,
            person_id=person.id,
            case_id=case.id,
            fields="name,phone,id_number",
            purpose=purpose,
            at=now,
        )
    )
    session.flush()
    return Contact(name=person.name, phone=person.phone, id_number=person.id_number, masked=False)


def log_bulk_unmask(
    session: Session, *, actor: Actor, purpose: str, n_cases: int, now: dt.datetime
) -> None:
    """Log an unmasked export (one row naming how many cases it disclosed)."""
    if actor.role not in ROLES_WHO_UNMASK:
        raise PermissionDeniedError(f"unmask: role {actor.role!r} may not export unmasked data")
    if not purpose.strip():
        raise DataError("purpose: say why the unmasked export is needed")
    session.add(
        UnmaskLog(
            user_id=actor.user_id,
            actor_label=actor.label,
            person_id=None,
            case_id=None,
            fields=f"export:{n_cases} cases",
            purpose=purpose,
            at=now,
        )
    )
    session.flush()


def unmask_log(session: Session, *, limit: int = 500) -> list[dict[str, Any]]:
    """The latest unmasking log rows."""
    rows = session.scalars(select(UnmaskLog).order_by(UnmaskLog.id.desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "actor": r.actor_label,
            "case_id": r.case_id,
            "person_id": r.person_id,
            "fields": r.fields,
            "purpose": r.purpose,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]
