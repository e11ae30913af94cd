"""One handler mapping the :mod:`wanzheng.errors` tree to HTTP status codes and JSON.

=========================  ======  ==========================================
error                      status  note
=========================  ======  ==========================================
DataError                  422     400 under ``/open311/`` (GeoReport v2)
PermissionDeniedError      403     401 when the field is ``authorization``
NotFoundError              404
ConflictError              409     illegal transition, reused idempotency key
RateLimitedError           429     with ``Retry-After`` (seconds)
ConfigError                500     the installation is misconfigured
other WanzhengError        422
=========================  ======  ==========================================

The body is ``{"error": "DataError", "field": "text", "detail": "text: …"}``; the field is
the name before the first colon of the message. The framework's own answers get the same
body: an unknown path is a 404 ``NotFoundError``, a method the path does not have a 405
``MethodNotAllowed`` whose ``Allow`` header lists every method of the path, and a body that
cannot be parsed a 422 ``DataError`` on the field ``body``. Open311 paths get the GeoReport
error list ``[{"code": 400, "description": "…"}]`` (XML when the path ends in ``.xml``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wanzheng.errors import (
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    WanzhengError,
)

__all__ = ["error_response", "install_error_handlers", "status_of"]

_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-\[\]]*):")


def status_of(exc: WanzhengError, *, open311: bool = False) -> int:
    """HTTP status of an error of the wanzheng tree."""
    if isinstance(exc, DataError):
        return 400 if open311 else 422
    if isinstance(exc, PermissionDeniedError):
        return 401 if str(exc).startswith("authorization:") else 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, RateLimitedError):
        return 429
    if isinstance(exc, ConfigError):
        return 500
    return 422


def _field_of(message: str) -> str | None:
    m = _FIELD.match(message)
    return m.group(1) if m else None


def error_response(request: Request, status: int, error: str, message: str) -> Response:
    """The error body for ``request``: ours, or Open311's list in JSON or XML."""
    path = request.url.path
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            root = ET.Element("errors")
            err = ET.SubElement(root, "error")
            ET.SubElement(err, "code").text = str(status)
            ET.SubElement(err, "description").text = message
            body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            return Response(body, status_code=status, media_type="application/xml", headers=headers)
        return JSONResponse(
            [{"code": status, "description": message}], status_code=status, headers=headers
        )
    content: dict[str, Any] = {"error": error, "field": _field_of(message), "detail": message}
    return JSONResponse(content, status_code=status, headers=headers)


async def _wanzheng_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WanzhengError)  # registered for this class only
    status = status_of(exc, open311=request.url.path.startswith("/open311/"))
    response = error_response(request, status, type(exc).__name__, str(exc))
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # registered for this class only
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or "body"
    status = 400 if request.url.path.startswith("/open311/") else 422
    return error_response(request, status, "DataError", f"{field}: {first.get('msg', '')}")


def _allowed(request: Request, fallback: str) -> str:
    """Every method of every route matching the request's path (the framework's 405 names
    only those of the first route it tried)."""
    path = request.url.path
    methods = {
        m
        for route in getattr(request.app.state, "api_routes", ())
        if route.path_regex.match(path)
        for m in route.methods
    }
    return ", ".join(sorted(methods)) if methods else fallback


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # registered for this class only
    status = exc.status_code
    if status == 404:
        return error_response(
            request, 404, "NotFoundError", f"path: no endpoint {request.url.path}"
        )
    if status == 405:
        response = error_response(
            request, 405, "MethodNotAllowed", f"method: {request.method} is not allowed here"
        )
        response.headers["Allow"] = _allowed(request, (exc.headers or {}).get("Allow", ""))
        return response
    if status == 400:
        # the framework's only 400: a body that cannot be parsed (not JSON, not UTF-8, a
        # broken multipart form)
        status = 400 if request.url.path.startswith("/open311/") else 422
        return error_response(request, status, "DataError", f"body: {exc.detail}")
    response = error_response(request, status, "HTTPError", str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(WanzhengError, _wanzheng_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
