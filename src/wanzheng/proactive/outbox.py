"""The notification outbox: durable, retried, never lost, never delivered twice.

Messages are rows of ``proactive_outbox`` (``proactive/store.py``), written in the same
transaction as whatever caused them, each with a unique **key** (enqueueing the same key
again is a no-op). :func:`deliver` sends due messages through a :class:`Sender`:

1. **claim** — in a short transaction, a conditional ``UPDATE … SET status = 'sending',
   claimed_until = now + lease, claim_token = T WHERE id = ? AND <still claimable>``; only
   the worker whose update changed the row owns it (two workers never send the same claim);
2. **send** — ``sender.send(message)`` outside any transaction;
3. **mark** — ``UPDATE … SET status = 'sent' WHERE id = ? AND claim_token = T``.

A failure in send (an exception) puts the row back to ``pending`` with
``next_attempt_at = now + backoff_s · 2^(attempts − 1)`` (capped at ``max_backoff_s``) and
the error text; after ``max_attempts`` failures the row is ``dead``: kept, listed, and
re-queued by :func:`requeue` — never silently dropped. A crash between send and mark
leaves the row ``sending``; once its lease has passed it is claimed and sent again. So
delivery is *at least once*, and because every message carries its key and a sender must
treat a repeated key as already done (:class:`Sender`), the effect at the sender is
*exactly once*.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pandas as pd
from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wanzheng.cases.masking import mask_phone
from wanzheng.errors import ConfigError, DataError
from wanzheng.proactive.models import Notice, OutboxRow

if TYPE_CHECKING:
    from wanzheng.settings import Settings

__all__ = [
    "ChannelSender",
    "DeliveryReport",
    "FileSender",
    "Message",
    "PageLogSender",
    "Sender",
    "build_sender",
    "deliver",
    "enqueue",
    "notices_for",
    "outbox_frame",
    "requeue",
]


@dataclass(frozen=True, slots=True)
class Message:
    """One notification as a sender sees it."""

    key: str
    channel: str
    recipient: str
    subject: str
    body: str


@runtime_checkable
class Sender(Protocol):
    """Delivers messages (SMS gateway, WeChat template message, the resident page …).

    ``send`` must return only when the message is accepted, raise on failure, and treat a
    ``message.key`` it has already accepted as done (return without sending again): the
    outbox may hand the same message over twice after a crash.
    """

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver` pass did."""

    claimed: int
    sent: int
    failed: int
    dead: int


def enqueue(
    session: Session,
    *,
    key: str,
    recipient: str,
    subject: str,
    body: str,
    now: dt.datetime,
    channel: str = "resident_page",
) -> bool:
    """Add a message to the outbox in the caller's transaction; ``False`` if the key exists.

    Raises
    ------
    DataError
        Empty key, recipient or body.
    """
    if not key or len(key) > 220:
        raise DataError("outbox: key must be 1–220 characters")
    if not recipient or not body.strip():
        raise DataError(f"outbox {key!r}: recipient and body are required")
    if session.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) is not None:
        return False
    session.add(
        OutboxRow(
            key=key,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()
    return True


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == "sending", OutboxRow.claimed_until < now),
    )


def deliver(
    sessions: sessionmaker[Session],
    sender: Sender,
    *,
    now: dt.datetime,
    batch: int = 100,
    lease_s: float = 300.0,
    max_attempts: int = 8,
    backoff_s: float = 60.0,
    max_backoff_s: float = 6 * 3600.0,
) -> DeliveryReport:
    """Send the messages that are due (see the module docstring for the protocol).

    Parameters
    ----------
    sessions
        Session factory (each step uses its own short transaction).
    sender
        Where messages go.
    now
        The current time (UTC, timezone-aware).
    batch
        Most messages claimed in one pass.
    lease_s
        How long a claim lasts before another pass may take the message over, seconds.
    max_attempts
        Failures after which a message is ``dead`` (kept; :func:`requeue` revives it).
    backoff_s, max_backoff_s
        First retry delay and its cap, seconds; the delay doubles per failure.
    """
    token = secrets.token_hex(16)
    with sessions() as session:
        ids = session.scalars(
            select(OutboxRow.id).where(_claimable(now)).order_by(OutboxRow.id).limit(batch)
        ).all()
        claimed: list[int] = []
        for row_id in ids:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, _claimable(now))
                .values(
                    status="sending",
                    claimed_until=now + dt.timedelta(seconds=lease_s),
                    claim_token=token,
                )
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(row_id)
        session.commit()
        messages = [
            (
                r.id,
                r.attempts,
                Message(
                    key=r.key,
                    channel=r.channel,
                    recipient=r.recipient,
                    subject=r.subject,
                    body=r.body,
                ),
            )
            for r in session.scalars(
                select(OutboxRow).where(OutboxRow.id.in_(claimed)).order_by(OutboxRow.id)
            ).all()
        ]
    sent = failed = dead = 0
    for row_id, attempts, message in messages:
        try:
            sender.send(message)
        except Exception as exc:  # any failure of the sender is retried later
            attempts += 1
            is_dead = attempts >= max_attempts
            delay = min(backoff_s * 2 ** (attempts - 1), max_backoff_s)
            with sessions() as session:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == row_id, OutboxRow.claim_token == token)
                    .values(
                        status="dead" if is_dead else "pending",
                        attempts=attempts,
                        next_attempt_at=now + dt.timedelta(seconds=delay),
                        claimed_until=None,
                        claim_token=None,
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
                session.commit()
            failed += 1
            dead += int(is_dead)
            continue
        with sessions() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.claim_token == token)
                .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
            )
            session.commit()
        sent += 1
    return DeliveryReport(claimed=len(messages), sent=sent, failed=failed, dead=dead)


def requeue(session: Session, *, now: dt.datetime, key: str | None = None) -> int:
    """Put ``dead`` messages (all, or one key) back in the queue; returns how many."""
    q = update(OutboxRow).where(OutboxRow.status == "dead")
    if key is not None:
        q = q.where(OutboxRow.key == key)
    result = session.execute(q.values(status="pending", attempts=0, next_attempt_at=now))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def outbox_frame(session: Session, *, status: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Outbox rows (newest first) for the staff view: key, status, attempts, errors."""
    q = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        q = q.where(OutboxRow.status == status)
    cols = ["key", "channel", "recipient", "status", "attempts", "next_attempt_at", "last_error"]
    records = []
    for r in session.scalars(q).all():
        rec = {c: getattr(r, c) for c in cols}
        # Staff never read what only the recipient may (a one-time code, the phone): the body
        # is not listed, a sender's error that echoes it is redacted, SMS recipients masked.
        rec["last_error"] = _without_secrets(r.last_error, f"{r.body} {r.recipient}")
        if r.channel == "sms":
            rec["recipient"] = mask_phone(r.recipient)
        records.append(rec)
    return pd.DataFrame(records, columns=cols)


_DIGIT_RUN = re.compile(r"\d{4,}")


def _without_secrets(text: str | None, body: str) -> str | None:
    """``text`` with every run of four or more digits of ``body`` (codes, numbers) starred."""
    if not text:
        return text
    for secret in sorted(set(_DIGIT_RUN.findall(body)), key=len, reverse=True):
        text = text.replace(secret, "*" * len(secret))
    return text


class PageLogSender:
    """The default sender: writes the notice to the resident page store and a log file.

    The page store is the ``proactive_notices`` table (one row per delivery key, so a
    repeated key is recognised and not written again); the log is a JSON-lines file
    appended once per new notice. No SMS or WeChat gateway is reachable offline; a
    deployment plugs one in by passing another :class:`Sender` to :func:`deliver`.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        log_path: Path,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._sessions = sessions
        self._log_path = Path(log_path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def send(self, message: Message) -> None:
        """Write the notice once; a repeated key is a no-op."""
        now = self._clock()
        with self._sessions() as session:
            if session.scalar(select(Notice.id).where(Notice.delivery_key == message.key)):
                return
            session.add(
                Notice(
                    delivery_key=message.key,
                    person_id=message.recipient,
                    subject=message.subject,
                    body=message.body,
                    created_at=now,
                )
            )
            try:
                session.commit()
            except IntegrityError:  # a concurrent delivery of the same key won
                session.rollback()
                return
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": now.isoformat(),
            "key": message.key,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
        }
        with self._log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


class FileSender:
    """A sender that writes each message (recipient and body included) as one JSON line of
    a file, once per key — the default of the ``sms`` channel on an installation without an
    SMS gateway (development; an operator may forward the file). Keep the file private: it
    holds phones and one-time codes."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._path = Path(path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def _sent_keys(self) -> set[str]:
        if not self._path.is_file():
            return set()
        with self._path.open(encoding="utf-8") as fh:
            return {json.loads(line)["key"] for line in fh if line.strip()}

    def send(self, message: Message) -> None:
        """Append the message unless its key is already in the file."""
        if message.key in self._sent_keys():
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": self._clock().isoformat(),
            "key": message.key,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        with self._path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


class ChannelSender:
    """Hands each message to the sender of its channel (``sms`` → the SMS gateway …), the
    others to ``default``: one :func:`deliver` pass serves every channel."""

    def __init__(self, default: Sender, channels: dict[str, Sender]) -> None:
        self._default = default
        self._channels = dict(channels)

    def send(self, message: Message) -> None:
        """Deliver through the channel's sender."""
        self._channels.get(message.channel, self._default).send(message)


def build_sender(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], dt.datetime] | None = None,
    sms: Sender | None = None,
) -> Sender:
    """The installation's sender: ``sms`` messages (one-time codes) through ``sms``, else the
    factory named by ``settings.sms_sender`` (``"package.module:function"``, called with the
    settings, returning a :class:`Sender` — the office's SMS gateway), else a
    :class:`FileSender` writing ``<data_dir>/sms/outbox.jsonl`` (development only); every other
    channel through :class:`PageLogSender` (the resident pages and
    ``<data_dir>/proactive/notices.jsonl``).

    Raises
    ------
    ConfigError
        ``settings.sms_sender`` cannot be imported or does not make a Sender; or it is unset
        outside development (the file sender keeps codes in clear).
    """
    if sms is None and settings.sms_sender:
        import importlib

        module, _, name = settings.sms_sender.partition(":")
        try:
            factory = getattr(importlib.import_module(module), name)
            sms = factory(settings)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"WANZHENG_SMS_SENDER={settings.sms_sender!r}: cannot make the SMS sender "
                f"({exc}); expected 'package.module:function' returning a Sender"
            ) from exc
        if not isinstance(sms, Sender):
            raise ConfigError(
                f"WANZHENG_SMS_SENDER={settings.sms_sender!r}: the factory returned "
                f"{type(sms).__name__}, which has no send(message)"
            )
    if sms is None:
        if settings.environment != "development":
            # the file holds phones and one-time codes in clear: a development stand-in only
            raise ConfigError(
                f"WANZHENG_SMS_SENDER is not set: in {settings.environment} one-time codes "
                "must go to the office's SMS gateway ('package.module:function' returning a "
                "Sender); the file sender (<data_dir>/sms/outbox.jsonl) is for development only"
            )
        sms = FileSender(settings.data_dir / "sms" / "outbox.jsonl", clock=clock)
    pages = PageLogSender(sessions, settings.data_dir / "proactive" / "notices.jsonl", clock=clock)
    return ChannelSender(pages, {"sms": sms})


# built once (a tracking page reads it on every view); run as Core on the session's connection
_NOTICES = (
    select(Notice.subject, Notice.body, Notice.created_at)
    .where(Notice.person_id == bindparam("person_id"))
    .order_by(Notice.id.desc())
)


def notices_for(session: Session, *, person_id: str) -> list[dict[str, str]]:
    """A resident's notices, newest first (what the resident page shows)."""
    rows = session.connection().execute(_NOTICES, {"person_id": person_id})
    return [
        {"subject": subject, "body": body, "created_at": created_at.isoformat()}
        for subject, body, created_at in rows
    ]
