"""The OpenAPI description of the service, made to say what the service really answers.

FastAPI describes every operation's validation error as its own ``HTTPValidationError`` list
and knows nothing of the error handler (:mod:`wanzheng.web.errors`), the bearer token or the
statuses the library's errors become. :func:`install_openapi` rewrites the generated
document once, on first request of ``/openapi.json``:

* every error status of every operation is described by :class:`ErrorBody`
  (``{"error", "field", "detail"}``), or under ``/open311/`` by GeoReport's error list
  (:class:`Open311Error`, JSON or XML);
* ``422`` (``400`` under ``/open311/``) is declared on every operation: any request may carry
  a malformed parameter or body;
* the ``Authorization`` header is the ``bearer`` security scheme, required where the route
  depends on :func:`wanzheng.web.deps.require_roles`, optional (``{}`` among the
  alternatives) where it only identifies the caller; both answer ``401`` to a token that is
  malformed, unknown or expired, and role-restricted routes ``403`` to other roles;
* other statuses (``404``, ``409``, ``413``, ``415``) are declared by the route itself with
  ``responses=errors(404, …)``.

``tests/web/test_openapi.py`` runs schemathesis over the document against a real server
(all checks; admin, resident and no token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI
from fastapi import Path as PathParam
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

__all__ = [
    "BIGINT_MAX",
    "ID_MAX",
    "CaseId",
    "ErrorBody",
    "Open311Error",
    "errors",
    "install_openapi",
]

#: Largest row id: ids are INTEGER columns, 32-bit on PostgreSQL. Ids in paths, query strings
#: and bodies are declared ``le=ID_MAX`` so that a larger number is a 422 on the field (or a
#: 404 for a GeoReport id) instead of an overflow in the database driver.
ID_MAX = 2**31 - 1

#: Largest count or offset (a BIGINT on every database).
BIGINT_MAX = 2**63 - 1


class ErrorBody(BaseModel):
    """Every error answer of the API (outside ``/open311/``)."""

    error: str = Field(
        description="Class of the error: DataError, PermissionDeniedError, NotFoundError, "
        "ConflictError, ConfigError, …"
    )
    field: str | None = Field(
        description="The field the message is about (the name before the first colon of "
        "the detail), or null."
    )
    detail: str = Field(description="What was wrong and what was expected.")


class Open311Error(BaseModel):
    """One error of GeoReport v2 (``[{"code": 400, "description": "…"}]``)."""

    code: int
    description: str


_DESCRIPTIONS = {
    400: "Bad request (GeoReport v2)",
    401: "No, a malformed, an unknown or an expired bearer token",
    403: "The caller's role may not do this",
    404: "No such resource (or not visible to the caller)",
    409: "Conflict: an illegal transition, a reused idempotency key, a taken name",
    405: "The path has no such method (`Allow` lists those it has)",
    413: "The request body is too large",
    415: "Unsupported content type",
    422: "A parameter or the body is invalid; `field` names it",
    429: "Too many failed attempts: locked out; `Retry-After` gives the seconds to wait",
}

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_OPEN311_JSON = {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering ``statuses`` with :class:`ErrorBody`."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _auth(route: APIRoute) -> tuple[bool, bool]:
    """(reads the bearer token, requires a role) from the route's dependency tree."""
    from wanzheng.web.deps import get_actor

    calls = list(_calls(route.dependant))
    reads = any(c is get_actor for c in calls)
    roles = any(getattr(c, "roles", None) is not None for c in calls)
    return reads or roles, roles


def _error_content(path: str) -> dict[str, Any]:
    if path.startswith("/open311/"):
        return {
            "application/json": {"schema": _OPEN311_JSON},
            "application/xml": {"schema": {"type": "string"}},
        }
    return {"application/json": {"schema": _ERROR_REF}}


def _rewrite(routes: list[APIRoute], doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    schemas["Open311Error"] = Open311Error.model_json_schema()
    doc["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/auth/token.",
        }
    }
    for route in routes:
        if not route.include_in_schema:
            continue
        item = doc["paths"].get(route.path_format)
        if item is None:
            continue
        reads_route, needs_role = _auth(route)
        open311 = route.path_format.startswith("/open311/")
        for method in route.methods or ():
            op = item.get(method.lower())
            if op is None:
                continue
            # a route reading the header itself (POST /api/cases, logout) declares it
            reads_token = reads_route or any(
                p.get("in") == "header" and p.get("name", "").lower() == "authorization"
                for p in op.get("parameters", [])
            )
            responses = op.setdefault("responses", {})
            statuses = {400 if open311 else 422}
            if reads_token:
                statuses.add(401)
                op["security"] = [{"bearer": []}] if needs_role else [{"bearer": []}, {}]
                params = [
                    p
                    for p in op.get("parameters", [])
                    if not (
                        p.get("in") == "header" and p.get("name", "").lower() == "authorization"
                    )
                ]
                if params:
                    op["parameters"] = params
                else:
                    op.pop("parameters", None)
            if needs_role:
                statuses.add(403)
            if open311:
                responses.pop("422", None)
            for status in statuses:
                responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = _error_content(route.path_format)
                    if status in ("400", "422"):
                        response["description"] = _DESCRIPTIONS[int(status)]
                    if status == "429":
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds until the lockout ends",
                                "schema": {"type": "integer", "minimum": 1},
                            }
                        }
    return doc


def install_openapi(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Make ``app.openapi()`` return the rewritten document (built once) for the routes of
    ``routers`` (the routers ``app`` includes, each with its full paths)."""
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    app.state.api_routes = routes  # the 405 handler's list of methods per path

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _rewrite(routes, doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


CaseId = Annotated[int, PathParam(ge=1, le=ID_MAX, description="A case id (1 to 2³¹−1).")]
"""A case id in a path: a larger number is a 422 on the field, not a driver overflow."""
