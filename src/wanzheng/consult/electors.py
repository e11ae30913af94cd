"""The office's resident list and how a resident proves being on it.

The list keeps ``HMAC-SHA256(secret, …)`` of each resident's ID number and phone (the server
secret, as the one-time codes do): neither can be read back. A resident proves being on the
list with the ID number, or with the phone and a one-time code sent to it through the outbox
(:mod:`wanzheng.cases.onetime`, purpose :data:`VOTE_PURPOSE`).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.masking import normalise_id_number, normalise_phone
from wanzheng.cases.onetime import CodePolicy, issue_code, verify_code
from wanzheng.consult.models import Elector
from wanzheng.data.tabular import DEFAULT_LIMITS, Limits, cell_text, read_table
from wanzheng.errors import DataError, PermissionDeniedError
from wanzheng.proactive.outbox import enqueue

__all__ = [
    "ELECTOR_ALIASES",
    "VOTE_PURPOSE",
    "import_electors",
    "mac",
    "prove_elector",
    "send_vote_code",
]

VOTE_PURPOSE = "consult-vote"
"""Purpose tag of the one-time codes that let a resident vote or support a proposal."""
_CODE_MESSAGE = "【议事协商】您的投票验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。"

ELECTOR_ALIASES: Mapping[str, Sequence[str]] = {
    "identifier": ("身份证号", "身份证号码", "证件号码", "id_number"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话"),
    "community_id": ("社区编号", "社区", "小区编号", "community"),
}


def mac(secret: str, *parts: str) -> str:
    """``HMAC-SHA256(secret, parts joined by NUL)`` as hex."""
    return hmac.new(secret.encode("utf-8"), "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def _id_hash(secret: str, community_id: str, identifier: str) -> str:
    return mac(secret, "consult-id", community_id, normalise_id_number(identifier))


def _phone_hash(secret: str, community_id: str, phone: str) -> str:
    return mac(secret, "consult-phone", community_id, normalise_phone(phone))


def load_electors(
    path: Path,
    *,
    secret: str,
    community_id: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[tuple[str, str], str | None]:
    """Read the office's resident list (CSV/XLSX: ``身份证号``, optional ``手机``, and
    ``社区编号`` unless ``community_id`` is given) into HMACs:
    ``(community, identifier HMAC) -> phone HMAC or None``. Nothing else is kept.

    Raises
    ------
    DataError
        A row without a valid ID number or with an invalid phone, naming file, row and column.
    """
    table = read_table(path, aliases=ELECTOR_ALIASES, limits=limits)
    table.require("identifier", hint="the resident list needs an ID number column (身份证号)")
    if community_id is None:
        table.require("community_id", hint="or give the community")
    rows: dict[tuple[str, str], str | None] = {}
    for i in range(len(table.frame)):
        rec = table.frame.iloc[i]
        comm = community_id or cell_text(rec["community_id"])
        if not comm:
            raise DataError(f"{table.where(i, 'community_id')}: empty")
        try:
            key = _id_hash(secret, comm, cell_text(rec["identifier"]))
        except DataError as exc:
            raise DataError(f"{table.where(i, 'identifier')}: {exc}") from None
        phone = cell_text(rec["phone"]) if "phone" in table.frame.columns else ""
        try:
            rows[(comm, key)] = _phone_hash(secret, comm, phone) if phone else None
        except DataError as exc:
            raise DataError(f"{table.where(i, 'phone')}: {exc}") from None
    return rows


def store_electors(
    session: Session,
    *,
    rows: Mapping[tuple[str, str], str | None],
    source: str,
    now: dt.datetime,
) -> dict[str, int]:
    """Replace the resident lists of the communities ``rows`` names (:func:`load_electors`);
    a resident no longer listed can no longer be matched."""
    communities = sorted({c for c, _ in rows})
    kept = {
        (e.community_id, e.id_hash): e
        for e in session.scalars(select(Elector).where(Elector.community_id.in_(communities)))
    }
    removed = 0
    for k, e in kept.items():
        if k not in rows:
            # electors who already voted or supported stay (their rows are referenced) but
            # lose their identifiers: they can no longer be matched
            e.id_hash, e.phone_hash = f"removed:{e.id}", None
            removed += 1
    for (comm, key), phone_hash in rows.items():
        if (comm, key) in kept:
            kept[(comm, key)].phone_hash = phone_hash
            kept[(comm, key)].imported_at = now
        else:
            session.add(
                Elector(
                    community_id=comm,
                    id_hash=key,
                    phone_hash=phone_hash,
                    source=source[:300],
                    imported_at=now,
                )
            )
    session.flush()
    return {"electors": len(rows), "communities": len(communities), "removed": removed}


def import_electors(
    session: Session,
    *,
    path: Path,
    secret: str,
    now: dt.datetime,
    community_id: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, int]:
    """:func:`load_electors` then :func:`store_electors` (the file read inside the caller's
    transaction: for scripts and the CLI; the web reads first, then writes)."""
    rows = load_electors(path, secret=secret, community_id=community_id, limits=limits)
    return store_electors(session, rows=rows, source=str(path), now=now)


def prove_elector(
    session: Session,
    *,
    community_id: str,
    secret: str,
    now: dt.datetime,
    identifier: str | None,
    phone: str | None,
    code: str | None,
    policy: CodePolicy,
) -> Elector:
    """The elector proven by an ID number, or by a phone and the one-time code sent to it."""
    if identifier:
        found = session.scalar(
            select(Elector).where(
                Elector.community_id == community_id,
                Elector.id_hash == _id_hash(secret, community_id, identifier),
            )
        )
    elif phone and code:
        phone = normalise_phone(phone)
        if not verify_code(
            session,
            secret=secret,
            purpose=VOTE_PURPOSE,
            subject=f"{community_id}:{phone}",
            code=code,
            now=now,
            policy=policy,
        ):
            raise PermissionDeniedError("code: wrong or expired code; ask for a new one")
        found = session.scalar(
            select(Elector).where(
                Elector.community_id == community_id,
                Elector.phone_hash == _phone_hash(secret, community_id, phone),
            )
        )
    else:
        raise DataError("identifier: give the ID number, or the phone and its code")
    if found is None:
        raise PermissionDeniedError("identifier: not on this community's resident list")
    return found


def send_vote_code(
    session: Session,
    *,
    community_id: str,
    phone: str,
    secret: str,
    now: dt.datetime,
    policy: CodePolicy = CodePolicy(),
) -> bool:
    """Send a one-time code (SMS, through the outbox) to ``phone`` if it is on the
    community's resident list; whether one was sent (callers answer alike either way, so
    that the list cannot be probed)."""
    phone = normalise_phone(phone)
    listed = session.scalar(
        select(Elector.id).where(
            Elector.community_id == community_id,
            Elector.phone_hash == _phone_hash(secret, community_id, phone),
        )
    )
    if listed is None:
        return False
    issued = issue_code(
        session,
        secret=secret,
        purpose=VOTE_PURPOSE,
        subject=f"{community_id}:{phone}",
        now=now,
        policy=policy,
    )
    enqueue(
        session,
        key=issued.key,
        recipient=phone,
        subject=VOTE_PURPOSE,
        body=_CODE_MESSAGE.format(code=issued.code, minutes=issued.minutes),
        now=now,
        channel="sms",
    )
    return True
