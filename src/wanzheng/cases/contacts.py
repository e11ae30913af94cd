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

__all__ = [
    "ROLES_WHO_UNMASK",
    "Contact",
    "log_bulk_unmask",
    "log_unmask",
    "unmask_contact",
    "unmask_log",
]

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
    log_unmask(
        session,
        actor=actor,
        purpose=purpose,
        person_id=person.id,
        case_id=case.id,
        fields="name,phone,id_number",
        now=now,
    )
    return Contact(name=person.name, phone=person.phone, id_number=person.id_number, masked=False)


def log_bulk_unmask(
    session: Session, *, actor: Actor, purpose: str, n_cases: int, now: dt.datetime
) -> None:
    """Log an unmasked export (one row naming how many cases it disclosed)."""
    log_unmask(
        session,
        actor=actor,
        purpose=purpose,
        person_id=None,
        case_id=None,
        fields=f"export:{n_cases} cases",
        now=now,
        export=True,
    )


def log_unmask(
    session: Session,
    *,
    actor: Actor,
    purpose: str | None,
    person_id: int | None,
    case_id: int | None,
    fields: str,
    now: dt.datetime,
    export: bool = False,
) -> None:
    """The one gate of every unmasking: the actor's role must be in :data:`ROLES_WHO_UNMASK`
    and the purpose stated; then a log row names who saw which ``fields`` of whom, and why.

    Raises
    ------
    PermissionDeniedError
        The role may not see (``export``: export) unmasked data.
    DataError
        No purpose given.
    """
    if actor.role not in ROLES_WHO_UNMASK:
        refused = "export unmasked data" if export else "see unmasked contacts"
        raise PermissionDeniedError(f"unmask: role {actor.role!r} may not {refused}")
    if not purpose or not purpose.strip():
        what = "export" if export else "contact"
        raise DataError(f"purpose: say why the unmasked {what} is needed")
    session.add(
        UnmaskLog(
            user_id=actor.user_id,
            actor_label=actor.label,
            person_id=person_id,
            case_id=case_id,
            fields=fields,
            purpose=purpose.strip(),
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
