"""Accounts of the case desk: who is calling (:class:`Actor`), logins with argon2 password
hashes, bearer tokens (only their SHA-256 stored) and residents' person records.

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.masking import normalise_phone
from wanzheng.cases.models import Department, Grid, Person, Token, User
from wanzheng.cases.states import ROLES
from wanzheng.errors import ConflictError, DataError, PermissionDeniedError

__all__ = [
    "STAFF_ROLES",
    "Actor",
    "ActorCache",
    "authenticate",
    "create_user",
    "hash_password",
    "issue_token",
    "person_for",
    "prove_phone",
    "resolve_token",
    "resolve_token_until",
    "revoke_token",
]

STAFF_ROLES = frozenset({"grid_worker", "handler", "dispatcher", "admin"})

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: role and scope. ``Actor.public()`` is an anonymous resident."""

    role: str
    user_id: int | None = None
    username: str = "anonymous"
    department_key: str | None = None
    grid_key: str | None = None
    person_id: int | None = None

    @classmethod
    def public(cls) -> Actor:
        """An anonymous caller (a resident without an account)."""
        return cls(role="resident")

    @classmethod
    def system(cls) -> Actor:
        """The service itself (escalation, automatic reopening, imports)."""
        return cls(role="admin", username="system")

    @property
    def label(self) -> str:
        """``role:username`` for logs."""
        return f"{self.role}:{self.username}"


def hash_password(password: str) -> str:
    """The argon2 hash of ``password`` (deliberately slow: do it outside write transactions)."""
    return _hasher.hash(password)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    department: str | None = None,
    grid: str | None = None,
    phone: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a login with an argon2 password hash.

    ``password_hash`` (:func:`hash_password` of ``password``, computed by the caller before
    its write transaction) spares the writer the hashing's tens of milliseconds.

    Handlers need ``department``, grid workers ``grid``. ``phone`` links the account to
    that phone's person record (its unowned cases show as the account's): only for callers
    that know the phone is the account holder's (an administrator, :func:`prove_phone`);
    self-registration never passes it.
    """
    if role not in ROLES:
        raise DataError(f"role: expected one of {list(ROLES)}, got {role!r}")
    if not username or len(username) > 100:
        raise DataError("username: expected 1–100 characters")
    if len(password) < 8:
        raise DataError("password: expected at least 8 characters")
    if role == "handler" and department is None:
        raise DataError("department: a handler needs a department")
    if role == "grid_worker" and grid is None:
        raise DataError("grid: a grid worker needs a grid")
    if department is not None and session.get(Department, department) is None:
        raise DataError(f"department: unknown department {department!r}")
    if grid is not None and session.get(Grid, grid) is None:
        raise DataError(f"grid: unknown grid {grid!r}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"username: {username!r} is taken")
    person_id = None
    if phone is not None:
        person_id = person_for(
            session, name=display_name or None, phone=normalise_phone(phone), id_number=None
        ).id
    user = User(
        username=username,
        password_hash=password_hash or hash_password(password),
        role=role,
        display_name=display_name,
        department_key=department,
        grid_key=grid,
        person_id=person_id,
    )
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password with the hasher's parameters (made once per process)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, *, username: str, password: str) -> User:
    """Check a password; raises PermissionDeniedError on any mismatch (no user enumeration).

    Constant work: an unknown or disabled user's password is verified against a dummy hash
    made with the same parameters, so every check is exactly one argon2 verification and the
    answer's timing does not tell whether the account exists.
    """
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is None or not user.active:
            _hasher.verify(_dummy_hash(), password)  # fails; the same work as a real check
            raise VerificationError
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise PermissionDeniedError("password: wrong username or password") from exc
    return user


def issue_token(
    session: Session, *, user_id: int, now: dt.datetime, ttl_hours: float = 12.0
) -> str:
    """Create a bearer token for ``user_id``; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        Token(
            token_hash=_hash_token(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=ttl_hours),
        )
    )
    return token


def resolve_token(session: Session, *, token: str, now: dt.datetime) -> Actor:
    """The actor a bearer token stands for; PermissionDeniedError when unknown or expired."""
    return resolve_token_until(session, token=token, now=now)[0]


def resolve_token_until(
    session: Session, *, token: str, now: dt.datetime
) -> tuple[Actor, dt.datetime]:
    """:func:`resolve_token` and the moment the token expires (one query of plain columns)."""
    row = session.execute(
        select(
            Token.expires_at,
            User.id,
            User.active,
            User.role,
            User.username,
            User.department_key,
            User.grid_key,
            User.person_id,
        )
        .join(User, User.id == Token.user_id, isouter=True)
        .where(Token.token_hash == _hash_token(token))
    ).first()
    if row is None or row.expires_at <= now:
        raise PermissionDeniedError("authorization: unknown or expired token")
    if row.id is None or not row.active:
        raise PermissionDeniedError("authorization: the account is disabled")
    actor = Actor(
        role=row.role,
        user_id=row.id,
        username=row.username,
        department_key=row.department_key,
        grid_key=row.grid_key,
        person_id=row.person_id,
    )
    return actor, row.expires_at


class ActorCache:
    """The actors of recently resolved bearer tokens, kept for ``ttl_s`` seconds.

    Every request with a token would otherwise read the token and its account. An entry
    serves until ``ttl_s`` seconds after it was read or until the token expires, whichever
    comes first; a logout or an account change in this process drops it at once
    (:meth:`forget`, :meth:`clear`), so a revocation made elsewhere (another serving
    process, the CLI) is in force within ``ttl_s``. Keys are the tokens' SHA-256, as in the
    database.

    Parameters
    ----------
    ttl_s
        Seconds an entry is trusted (0 disables the cache).
    max_entries
        Entries kept; the cache is emptied when full.
    """

    def __init__(self, *, ttl_s: float = 2.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Actor, float, dt.datetime]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def stamp(self) -> tuple[float, int]:
        """Take before reading a token: :meth:`put` refuses a read that a :meth:`forget` or
        :meth:`clear` overtook."""
        return time.monotonic(), self._generation

    def get(self, token: str, *, now: dt.datetime) -> Actor | None:
        """The cached actor of ``token`` while its entry is fresh and the token valid."""
        entry = self._entries.get(_hash_token(token))
        if entry is None:
            return None
        actor, read_at, expires_at = entry
        if time.monotonic() - read_at > self.ttl_s or expires_at <= now:
            return None
        return actor

    def put(
        self, token: str, actor: Actor, *, expires_at: dt.datetime, stamp: tuple[float, int]
    ) -> None:
        """Remember ``actor`` for ``token`` as read from the database after ``stamp``
        (:meth:`stamp`)."""
        read_at, generation = stamp
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return  # a logout or an account change happened during the read
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[_hash_token(token)] = (actor, read_at, expires_at)

    def forget(self, token: str) -> None:
        """Drop ``token`` (logout)."""
        with self._lock:
            self._generation += 1
            self._entries.pop(_hash_token(token), None)

    def clear(self) -> None:
        """Drop every entry (an account was created, changed or disabled)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


def revoke_token(session: Session, *, token: str) -> None:
    """Delete a token (logout)."""
    row = session.get(Token, _hash_token(token))
    if row is not None:
        session.delete(row)


def prove_phone(session: Session, *, user_id: int, phone: str) -> User:
    """Link a resident account to the person record of ``phone`` once the account proved it
    holds the phone (a one-time code, :mod:`wanzheng.cases.onetime`): the account then sees
    the cases filed with that phone that no account owns."""
    user = session.get(User, user_id)
    if user is None or user.role != "resident":
        raise PermissionDeniedError("phone: only a resident account links a phone")
    user.person_id = person_for(session, name=None, phone=normalise_phone(phone), id_number=None).id
    return user


def person_for(
    session: Session, *, name: str | None, phone: str | None, id_number: str | None
) -> Person:
    """The person record of ``phone`` (its empty name / ID number filled in), or a new one."""
    person = None
    if phone is not None:
        person = session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        person = Person(name=name, phone=phone, id_number=id_number)
        session.add(person)
        session.flush()
    else:
        if person.name is None and name:
            person.name = name
        if person.id_number is None and id_number:
            person.id_number = id_number
    return person
