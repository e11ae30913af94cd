"""Login, logout, who am I, resident registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from wanzheng.cases.masking import PHONE_PATTERN
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
    revoke_token,
)
from wanzheng.errors import PermissionDeniedError
from wanzheng.web.deps import CurrentActor, Desk, ReadSession, bearer_token
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
    """A resident's self-registration; the phone links earlier cases submitted with it."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    phone: str = Field(max_length=64, pattern=PHONE_PATTERN)
    display_name: str = Field("", max_length=100)


class Me(BaseModel):
    """The caller."""

    username: str
    role: str
    department: str | None
    grid: str | None


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


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    """Who the token belongs to (``resident``/anonymous without one)."""
    return Me(
        username=actor.username,
        role=actor.role,
        department=actor.department_key,
        grid=actor.grid_key,
    )


@router.post("/register", response_model=Me, status_code=201, responses=errors(409))
def register(body: Register, desk: Desk) -> Me:
    """Create a resident account."""
    hashed = hash_password(body.password)
    user = desk.write(
        lambda s: create_user(
            s,
            username=body.username,
            password=body.password,
            password_hash=hashed,
            role="resident",
            display_name=body.display_name,
            phone=body.phone,
        )
    )
    return Me(username=user.username, role=user.role, department=None, grid=None)
