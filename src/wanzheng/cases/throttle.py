"""Throttling of credential checks: failures counted per key in the database, lockouts.

A *key* names what is being guessed at — one account (``login-account``), one client address
(``login-address``), one phone's one-time codes (``otp-…``) — and is stored only as an HMAC
with the installation's secret key (:func:`throttle_key`), so the table holds no usernames,
addresses or phone numbers. Each key has one row: failures within the current window and,
after ``max_failures`` of them, a lockout until a time. Every process of the service reads and
writes the same rows, so a lockout holds whichever worker the next guess reaches.

The cost is one primary-key read before the check (:func:`check_keys`) and one small write
after a *failed* check (:func:`record_failure`); a success clears the account's row only when
there is one (:func:`clear_failures`). Rows expire by themselves and are deleted by the next
write after they did.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits. :func:`record_failure` never raises for a lockout (it runs on the write path, where
an exception would roll back the very failure it records): it returns the lockout and the
caller answers 429 (:class:`~wanzheng.errors.RateLimitedError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from wanzheng.cases.models import AuthThrottle
from wanzheng.errors import RateLimitedError
from wanzheng.settings import Settings

__all__ = [
    "ThrottlePolicy",
    "check_keys",
    "clear_failures",
    "credential_keys",
    "raise_if_locked",
    "record_failure",
    "record_failures",
    "throttle_key",
]

_log = logging.getLogger("wanzheng.security")


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """``max_failures`` failed checks within ``window_s`` seconds lock the key for
    ``lockout_s`` seconds."""

    max_failures: int
    window_s: float
    lockout_s: float


def throttle_key(secret: str, *, kind: str, value: str) -> str:
    """``kind:HMAC-SHA256(secret, kind + value)`` — the stored key of ``value`` (an account
    name, a client address, a phone), from which the value cannot be read back."""
    mac = hmac.new(secret.encode("utf-8"), f"{kind}\0{value}".encode(), hashlib.sha256)
    return f"{kind}:{mac.hexdigest()[:48]}"


def credential_keys(
    settings: Settings, *, kind: str, subject: str, address: str
) -> list[tuple[str, ThrottlePolicy, str]]:
    """The throttle keys of one credential check: the subject (an account name, a phone) and
    the client address, with their policies and log labels (``login_*`` settings)."""
    window, lockout = settings.login_window_s, settings.login_lockout_s
    return [
        (
            throttle_key(settings.secret_key, kind=kind, value=subject),
            ThrottlePolicy(settings.login_max_failures, window, lockout),
            f"{kind} {subject!r}",
        ),
        (
            throttle_key(settings.secret_key, kind="address", value=address),
            ThrottlePolicy(settings.login_address_max_failures, window, lockout),
            f"address {address}",
        ),
    ]


def check_keys(
    session: Session, *, keys: Sequence[str], now: dt.datetime, what: str
) -> frozenset[str]:
    """Before a credential check: raise :class:`RateLimitedError` while any of ``keys`` is
    locked out; else return those of ``keys`` that have failures counted (to be cleared by
    :func:`clear_failures` after a success, so a success costs a write only when needed).
    One primary-key read."""
    rows = session.execute(
        select(AuthThrottle.key, AuthThrottle.locked_until).where(
            AuthThrottle.key.in_(list(keys)), AuthThrottle.expires_at >= now
        )
    ).all()
    until = max((t for _, t in rows if t is not None and t > now), default=None)
    raise_if_locked(until, now=now, what=what)
    return frozenset(k for k, _ in rows)


def raise_if_locked(until: dt.datetime | None, *, now: dt.datetime, what: str) -> None:
    """Raise :class:`RateLimitedError` (HTTP 429 with ``Retry-After``) while ``until`` is in
    the future; ``what`` names the field in the message (``password``, ``code`` …)."""
    if until is None or until <= now:
        return
    retry = max(1, math.ceil((until - now).total_seconds()))
    raise RateLimitedError(
        f"{what}: too many failed attempts; try again in {retry} s", retry_after_s=retry
    )


def record_failure(
    session: Session,
    *,
    key: str,
    policy: ThrottlePolicy,
    now: dt.datetime,
    label: str,
) -> dt.datetime | None:
    """Count one failed check of ``key``; returns the lockout's end when this failure (or an
    earlier one) locked the key, else None. A new lockout is logged (``wanzheng.security``,
    WARNING) with ``label`` (e.g. ``account 'admin'``)."""
    _purge(session, now=now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(AuthThrottle)
        .values(key=key, failures=0, window_start=now, expires_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.get(AuthThrottle, key, with_for_update=True, populate_existing=True)
    assert row is not None  # inserted just above
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    if (now - row.window_start).total_seconds() > policy.window_s:
        row.failures, row.window_start = 0, now
    row.failures += 1
    row.expires_at = now + dt.timedelta(seconds=policy.window_s)
    if row.failures < policy.max_failures:
        return None
    until = now + dt.timedelta(seconds=policy.lockout_s)
    row.failures, row.window_start, row.locked_until = 0, now, until
    row.expires_at = max(row.expires_at, until)
    _log.warning(
        "lockout: %s locked until %s after %d failed attempts within %g s",
        label,
        until.isoformat(),
        policy.max_failures,
        policy.window_s,
    )
    return until


def record_failures(
    session: Session,
    *,
    keys: Sequence[tuple[str, ThrottlePolicy, str]],
    now: dt.datetime,
) -> dt.datetime | None:
    """:func:`record_failure` for each ``(key, policy, label)``; the latest lockout end, or
    None when none of the keys is locked."""
    ends = [
        record_failure(session, key=key, policy=policy, now=now, label=label)
        for key, policy, label in keys
    ]
    return max((t for t in ends if t is not None), default=None)


def clear_failures(session: Session, *, key: str, now: dt.datetime) -> None:
    """Forget the failures of ``key`` (after a successful check); a running lockout is not
    lifted (a success cannot happen during one: the check is refused before it is made)."""
    session.execute(
        delete(AuthThrottle).where(
            AuthThrottle.key == key,
            or_(AuthThrottle.locked_until.is_(None), AuthThrottle.locked_until <= now),
        )
    )


def _purge(session: Session, *, now: dt.datetime) -> None:
    session.execute(delete(AuthThrottle).where(AuthThrottle.expires_at < now))
