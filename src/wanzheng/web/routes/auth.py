"""Login, logout, who am I, resident registration, a resident proving a phone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from wanzheng.cases.masking import PHONE_PATTERN, normalise_phone
from wanzheng.cases.onetime import CodePolicy, IssuedCode, issue_code, verify_code
from wanzheng.cases.throttle import (
    check_keys,
    clear_failures,
    credential_keys,
    raise_if_locked,
    record_failures,
)
from wanzheng.cases.users import (
    authenticate,
    create_user,
    hash_password,
    issue_token,
    prove_phone,
    revoke_token,
)
from wanzheng.errors import PermissionDeniedError
from wanzheng.proactive.outbox import enqueue
from wanzheng.web.deps import CurrentActor, Desk, ReadSession, ResidentActor, bearer_token
from wanzheng.web.openapi import errors

__all__ = ["client_address", "router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    """Username and password."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """A bearer token for the ``Authorization`` header."""

    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in_s: int


class Register(BaseModel):
    """A resident's self-registration. No phone: an account sees only the cases it files,
    claims by tracking code, or that were filed with a phone it proves
    (``POST /api/auth/phone/code`` then ``/api/auth/phone/verify``)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    display_name: str = Field("", max_length=100)


class PhoneIn(BaseModel):
    """A phone to send a one-time code to."""

    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=64, pattern=PHONE_PATTERN)


class PhoneCodeIn(BaseModel):
    """A phone and the one-time code sent to it."""

    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=64, pattern=PHONE_PATTERN)
    code: str = Field(min_length=4, max_length=12, pattern=r"^\s*[0-9]+\s*$")


class CodeSent(BaseModel):
    """A code is on its way (by SMS through the outbox)."""

    expires_in_s: int


class Me(BaseModel):
    """The caller."""

    username: str
    role: str
    department: str | None
    grid: str | None
    phone_verified: bool = False


def client_address(request: Request) -> str:
    """The caller's address (behind a reverse proxy, uvicorn takes it from
    ``X-Forwarded-For`` when the proxy is in ``--forwarded-allow-ips``)."""
    return request.client.host if request.client is not None else "unknown"


@router.post("/token", response_model=TokenOut, responses=errors(403, 429))
def login(body: Login, request: Request, session: ReadSession, desk: Desk) -> TokenOut:
    """Exchange username and password for a bearer token (only its hash is stored).

    Throttled per account and per client address: after ``login_max_failures`` wrong
    passwords for one account (or ``login_address_max_failures`` from one address) within
    ``login_window_s``, every attempt answers 429 with ``Retry-After`` for
    ``login_lockout_s``, the right password included. Unknown accounts are throttled and
    checked exactly like existing ones.
    """
    now = desk.now()
    keys = credential_keys(
        desk.settings, kind="account", subject=body.username, address=client_address(request)
    )
    counted = check_keys(session, keys=[k for k, _, _ in keys], now=now, what="password")
    # the password is checked on the read path (argon2 is slow); only the token is written
    try:
        user = authenticate(session, username=body.username, password=body.password)
    except PermissionDeniedError:
        until = desk.write(lambda s: record_failures(s, keys=keys, now=now))
        raise_if_locked(until, now=now, what="password")
        raise
    account_key = keys[0][0]
    ttl = desk.settings.token_ttl_hours

    def work(s: Session) -> str:
        if account_key in counted:
            clear_failures(s, key=account_key, now=now)
        return issue_token(s, user_id=user.id, now=now, ttl_hours=ttl)

    token = desk.write(work)
    return TokenOut(
        access_token=token, role=user.role, expires_in_s=int(desk.settings.token_ttl_hours * 3600)
    )


@router.post("/logout", status_code=204)
def logout(desk: Desk, authorization: Annotated[str | None, Header()] = None) -> None:
    """Revoke the token of this request."""
    token = bearer_token(authorization)
    if token is not None:
        desk.write(lambda s: revoke_token(s, token=token))
        desk.actors.forget(token)


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    """Who the token belongs to (``resident``/anonymous without one)."""
    return Me(
        username=actor.username,
        role=actor.role,
        department=actor.department_key,
        grid=actor.grid_key,
        phone_verified=actor.person_id is not None,
    )


@router.post("/register", response_model=Me, status_code=201, responses=errors(409))
def register(body: Register, desk: Desk) -> Me:
    """Create a resident account (it sees no case until it files, claims or proves one)."""
    hashed = hash_password(body.password)
    user = desk.write(
        lambda s: create_user(
            s,
            username=body.username,
            password=body.password,
            password_hash=hashed,
            role="resident",
            display_name=body.display_name,
        )
    )
    return Me(username=user.username, role=user.role, department=None, grid=None)


#: Purpose tag of the codes proving a resident's phone (:mod:`wanzheng.cases.onetime`).
PHONE_PURPOSE = "resident-phone"
_PHONE_MESSAGE = "【民呼】您的验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。"


@router.post("/phone/code", response_model=CodeSent, status_code=202, responses=errors(403, 429))
def send_phone_code(
    body: PhoneIn,
    request: Request,
    background: BackgroundTasks,
    session: ReadSession,
    desk: Desk,
    actor: ResidentActor,
) -> CodeSent:
    """Send a one-time code to ``phone`` (SMS, through the outbox) so the account can prove
    it holds the phone. At most ``otp_max_sends`` per phone per ``otp_send_window_s``."""
    now, phone = desk.now(), normalise_phone(body.phone)
    keys = credential_keys(
        desk.settings, kind="phone", subject=phone, address=client_address(request)
    )
    check_keys(session, keys=[k for k, _, _ in keys], now=now, what="phone")
    policy, secret = CodePolicy.from_settings(desk.settings), desk.settings.secret_key

    def work(s: Session) -> IssuedCode:
        issued = issue_code(
            s, secret=secret, purpose=PHONE_PURPOSE, subject=phone, now=now, policy=policy
        )
        enqueue(
            s,
            key=issued.key,
            recipient=phone,
            subject=PHONE_PURPOSE,
            body=_PHONE_MESSAGE.format(code=issued.code, minutes=issued.minutes),
            now=now,
            channel="sms",
        )
        return issued

    issued = desk.write(work)
    background.add_task(desk.deliver_notices)  # now, not at the next timer pass
    return CodeSent(expires_in_s=int((issued.expires_at - now).total_seconds()))


@router.post("/phone/verify", response_model=Me, responses=errors(403, 429))
def verify_phone(
    body: PhoneCodeIn, request: Request, session: ReadSession, desk: Desk, actor: ResidentActor
) -> Me:
    """Prove the phone with the code sent to it: the account then also sees the cases filed
    with that phone that no account owns. Wrong codes are throttled like passwords."""
    now, phone = desk.now(), normalise_phone(body.phone)
    keys = credential_keys(
        desk.settings, kind="phone", subject=phone, address=client_address(request)
    )
    check_keys(session, keys=[k for k, _, _ in keys], now=now, what="code")
    policy = CodePolicy.from_settings(desk.settings)
    secret, user_id = desk.settings.secret_key, actor.user_id
    assert user_id is not None  # require_roles admits accounts only

    def work(s: Session) -> tuple[bool, dt.datetime | None]:
        ok = verify_code(
            s,
            secret=secret,
            purpose=PHONE_PURPOSE,
            subject=phone,
            code=body.code,
            now=now,
            policy=policy,
        )
        if ok:
            prove_phone(s, user_id=user_id, phone=phone)
            return True, None
        return False, record_failures(s, keys=keys, now=now)

    ok, until = desk.write(work)
    if ok:
        desk.actors.clear()  # the account's tokens now stand for a proven phone
    if not ok:
        raise_if_locked(until, now=now, what="code")
        raise PermissionDeniedError("code: wrong or expired code; ask for a new one")
    return Me(
        username=actor.username, role=actor.role, department=None, grid=None, phone_verified=True
    )
