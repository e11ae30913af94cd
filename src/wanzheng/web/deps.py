"""Request dependencies as ``Annotated`` aliases: the desk, a read session, the caller.

Routes read through :data:`ReadSession` (read-only: it never takes SQLite's write lock, and
a write on it fails) and write through ``desk.write(fn)`` (the group committer, the one
write path).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from wanzheng.cases.users import Actor
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
    "desk_of",
    "require_roles",
]


def desk_of(request: Request) -> CaseDesk:
    """The application's :class:`CaseDesk`."""
    desk = request.app.state.desk
    assert isinstance(desk, CaseDesk)  # set by create_app
    return desk


async def get_desk(request: Request) -> CaseDesk:
    """:func:`desk_of` as a dependency (``async``: FastAPI runs a plain function in a worker
    thread, a hop that costs more than the lookup)."""
    return desk_of(request)


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


async def get_actor(desk: Desk, authorization: Annotated[str | None, Security(_bearer)]) -> Actor:
    """The caller: anonymous resident without a token, else the token's user.

    A token seen in the last seconds is answered from :attr:`CaseDesk.actors` on the event
    loop; otherwise it is read in a worker thread with its own short read transaction, so
    that nothing is held while a request does slow work (photos).
    """
    token = bearer_token(authorization)
    if token is None:
        return Actor.public()
    actor = desk.actors.get(token, now=desk.now())
    if actor is not None:
        return actor
    return await run_in_threadpool(desk.actor_of, token)


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency admitting only ``roles`` (401 for anonymous callers, 403 otherwise)."""

    async def dep(actor: CurrentActor) -> Actor:
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
