"""Purpose-tagged one-time codes: prove that a caller holds a phone (or any subject).

:func:`issue_code` makes a six-digit code for ``(purpose, subject)`` — e.g.
``("resident-phone", "13912345678")``; the caller puts the message carrying it in the
notification outbox in the same transaction (``web/routes/auth.py``: channel ``sms``, key
:attr:`IssuedCode.key`), so it is sent by whatever sender the installation plugs in (an
office's SMS gateway; by default a file, see ``docs/cases.md``) with the outbox's retries.
:func:`verify_code` checks a code typed back.

* **Stored hashed**: the table keeps ``HMAC-SHA256(secret, purpose | subject | code)`` and an
  HMAC of the subject; neither the code nor the phone can be read back from it.
* **Purpose-tagged**: a code issued for one purpose never verifies another.
* **Expires** after ``ttl_s``; **used once**; a new code replaces the earlier ones.
* **Attempts limited**: ``max_attempts`` wrong codes burn it (the caller also throttles the
  checks per subject and address, :mod:`wanzheng.cases.throttle`).
* **Sends limited**: at most ``max_sends`` codes per subject and purpose within
  ``send_window_s`` (RateLimitedError with the seconds to wait).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits. :func:`verify_code` never raises for a wrong code (it runs on the write path, where
an exception would roll back the attempt it counts): it returns whether the code was right.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wanzheng.cases.models import OneTimeCode
from wanzheng.errors import DataError, RateLimitedError

if TYPE_CHECKING:
    from wanzheng.settings import Settings

__all__ = ["CodePolicy", "IssuedCode", "issue_code", "verify_code"]

_DIGITS = 6


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """Lifetime, wrong attempts allowed, and sends allowed per window (seconds)."""

    ttl_s: float = 600.0
    max_attempts: int = 5
    max_sends: int = 3
    send_window_s: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CodePolicy:
        """The policy of the settings (``WANZHENG_OTP_*``)."""
        return cls(
            ttl_s=settings.otp_ttl_s,
            max_attempts=settings.otp_max_attempts,
            max_sends=settings.otp_max_sends,
            send_window_s=settings.otp_send_window_s,
        )


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A new code (to be sent, never stored), a unique key for its message, its expiry."""

    code: str
    key: str
    expires_at: dt.datetime
    minutes: int


def _mac(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode("utf-8"), "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def _subject_key(secret: str, purpose: str, subject: str) -> str:
    return f"{purpose}:{_mac(secret, 'subject', purpose, subject)[:48]}"


def issue_code(
    session: Session,
    *,
    secret: str,
    purpose: str,
    subject: str,
    now: dt.datetime,
    policy: CodePolicy = CodePolicy(),
    code: str | None = None,
) -> IssuedCode:
    """Make a code for ``(purpose, subject)``; only its HMAC is stored. ``code`` is for tests
    only; by default six random digits.

    Raises
    ------
    RateLimitedError
        ``policy.max_sends`` codes were already sent for this subject within the window.
    DataError
        An empty purpose or subject.
    """
    if not purpose or len(purpose) > 32 or not subject:
        raise DataError("purpose: expected 1-32 characters and a subject")
    key = _subject_key(secret, purpose, subject)
    since = now - dt.timedelta(seconds=policy.send_window_s)
    sent = session.execute(
        select(func.count(), func.min(OneTimeCode.created_at)).where(
            OneTimeCode.subject_key == key, OneTimeCode.created_at > since
        )
    ).one()
    if sent[0] >= policy.max_sends:
        retry = math.ceil((sent[1] - since).total_seconds()) if sent[1] else 1
        raise RateLimitedError(
            f"phone: {policy.max_sends} codes were sent within {policy.send_window_s:g} s; "
            f"try again in {max(1, retry)} s",
            retry_after_s=max(1, retry),
        )
    # earlier codes of this subject and purpose stop working
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.subject_key == key, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = code or f"{secrets.randbelow(10**_DIGITS):0{_DIGITS}d}"
    expires = now + dt.timedelta(seconds=policy.ttl_s)
    row = OneTimeCode(
        purpose=purpose,
        subject_key=key,
        code_hash=_mac(secret, "code", purpose, subject, code),
        created_at=now,
        expires_at=expires,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return IssuedCode(
        code=code,
        key=f"otp:{purpose}:{row.id}",
        expires_at=expires,
        minutes=math.ceil(policy.ttl_s / 60),
    )


def verify_code(
    session: Session,
    *,
    secret: str,
    purpose: str,
    subject: str,
    code: str,
    now: dt.datetime,
    policy: CodePolicy = CodePolicy(),
) -> bool:
    """Whether ``code`` is the live code of ``(purpose, subject)``; a right code is used up,
    a wrong one counts an attempt (``policy.max_attempts`` of them burn the code)."""
    key = _subject_key(secret, purpose, subject)
    row = session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.subject_key == key,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        return False
    expected = _mac(secret, "code", purpose, subject, code.strip())
    if hmac.compare_digest(row.code_hash, expected):
        row.used_at = now
        return True
    row.attempts += 1
    if row.attempts >= policy.max_attempts:
        row.used_at = now
    return False
