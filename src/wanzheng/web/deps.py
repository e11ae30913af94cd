"""Request dependencies as ``Annotated`` aliases: the desk, a read session, the caller.

Routes read through :data:`ReadSession` (read-only: it never takes SQLite's write lock, and
a write on it fails) and write through ``desk.write(fn)`` (the group committer, the one
write path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from wanzheng.cases.users import Actor, resolve_token
from wanzheng.errors import PermissionDeniedError
from wanzheng.web.app import CaseDesk

__all__ = [
    "AdminActor",
    "CurrentActor",
    "Desk",
    "DispatcherActor",
    "ReadSession",
    "ResidentActor",
    "StaffActor",
    "bearer_token",
    "require_roles",
]


def get_desk(request: Request) -> CaseDesk:
    """The application's :class:`CaseDesk`."""
    desk = request.app.state.desk
    assert isinstance(desk, CaseDesk)  # set by create_app
    return desk


Desk = Annotated[CaseDesk, Depends(get_desk)]


def get_read_session(desk: Desk) -> Iterator[Session]:
    """A read-only session for one request (one snapshot; writes go through ``desk.write``)."""
    with desk.reads() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PermissionDeniedError("authorization: expected 'Bearer <token>'")
    return token.strip()


class _BearerHeader(HTTPBearer):
    """The raw ``Authorization`` header, declared in the OpenAPI as the ``bearer`` scheme
    (:func:`bearer_token` checks its form, so that a malformed one is a 401, not ignored)."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return request.headers.get("authorization")


_bearer = _BearerHeader(scheme_name="bearer", auto_error=False)


def get_actor(desk: Desk, authorization: Annotated[str | None, Security(_bearer)]) -> Actor:
    """The caller: anonymous resident without a token, else the token's user.

    The lookup uses its own short read transaction, so that nothing is held while a request
    does slow work (photos).
    """
    token = bearer_token(authorization)
    if token is None:
        return Actor.public()
    with desk.reads() as session:
        return resolve_token(session, token=token, now=desk.now())


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[Actor], Actor]:
    """A dependency admitting only ``roles`` (401 for anonymous callers, 403 otherwise)."""

    def dep(actor: CurrentActor) -> Actor:
        if actor.user_id is None:
            raise PermissionDeniedError("authorization: log in first")
        if actor.role not in roles:
            raise PermissionDeniedError(f"role: {actor.role!r} may not use this endpoint")
        return actor

    dep.roles = roles  # type: ignore[attr-defined]  # read by wanzheng.web.openapi
    return dep


StaffActor = Annotated[
    Actor, Depends(require_roles("grid_worker", "handler", "dispatcher", "admin"))
]
DispatcherActor = Annotated[Actor, Depends(require_roles("dispatcher", "admin"))]
AdminActor = Annotated[Actor, Depends(require_roles("admin"))]
ResidentActor = Annotated[Actor, Depends(require_roles("resident"))]
