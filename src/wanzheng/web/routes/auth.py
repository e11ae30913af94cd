"""Login, logout, who am I, resident registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from wanzheng.cases.masking import PHONE_PATTERN
from wanzheng.cases.users import authenticate, create_user, issue_token, revoke_token
from wanzheng.web.deps import CurrentActor, DbSession, Desk, bearer_token
from wanzheng.web.openapi import errors

__all__ = ["router"]

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


@router.post("/token", response_model=TokenOut, responses=errors(403))
def login(body: Login, session: DbSession, desk: Desk) -> TokenOut:
    """Exchange username and password for a bearer token (only its hash is stored)."""
    user = authenticate(session, username=body.username, password=body.password)
    token = issue_token(
        session, user_id=user.id, now=desk.now(), ttl_hours=desk.settings.token_ttl_hours
    )
    session.commit()
    return TokenOut(
        access_token=token, role=user.role, expires_in_s=int(desk.settings.token_ttl_hours * 3600)
    )


@router.post("/logout", status_code=204)
def logout(session: DbSession, authorization: Annotated[str | None, Header()] = None) -> None:
    """Revoke the token of this request."""
    token = bearer_token(authorization)
    if token is not None:
        revoke_token(session, token=token)
        session.commit()


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
def register(body: Register, session: DbSession) -> Me:
    """Create a resident account."""
    user = create_user(
        session,
        username=body.username,
        password=body.password,
        role="resident",
        display_name=body.display_name,
        phone=body.phone,
    )
    session.commit()
    return Me(username=user.username, role=user.role, department=None, grid=None)
