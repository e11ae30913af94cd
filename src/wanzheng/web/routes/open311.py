"""Open311 GeoReport v2 under ``/open311/v2/`` (JSON and XML).

- ``services.{json|xml}``: the leaf categories; ``services/{code}.{fmt}``: a definition
  (no extra attributes, ``metadata`` is false);
- ``requests.{fmt}`` GET (filters ``service_request_id``, ``service_code``, ``start_date``,
  ``end_date``, ``status``; default the last 90 days, at most 1000) and POST (form fields,
  ``api_key`` required: a bearer token of any account);
- ``requests/{id}.{fmt}``; ``tokens/{token}.{fmt}`` (the token is the tracking code).

States map to ``open``/``closed`` (``states.toml``); ``status_notes`` carries the zh-CN
state label and the latest public note. Descriptions have phone and ID numbers masked;
no name, phone or photo of a resident is ever shown.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from wanzheng.cases.crud import find_cases, get_case_by_tracking
from wanzheng.cases.deadlines import BEIJING
from wanzheng.cases.models import Case
from wanzheng.cases.tables import list_table
from wanzheng.cases.users import resolve_token
from wanzheng.errors import DataError, NotFoundError, PermissionDeniedError
from wanzheng.web.app import CaseDesk
from wanzheng.web.deps import Desk, ReadSession
from wanzheng.web.openapi import ID_MAX, errors
from wanzheng.web.routes.cases import SubmitCase, public_text, submit_case

__all__ = ["router"]

_ID = re.compile(r"[0-9]{1,19}")

# every route answers 404 to a format other than .json / .xml
router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=errors(404))

#: The success answer of every route: JSON or XML by the path's suffix.
_BOTH: dict[str, Any] = {"content": {"application/json": {}, "application/xml": {}}}

_ITEM = {"services": "service", "service_requests": "request", "service_definition": None}


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise NotFoundError(f"format: expected .json or .xml, got .{fmt}")
    return fmt


def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        for v in value:
            _xml_value(el, "value" if not isinstance(v, dict) else "attribute", v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif value is not None:
        el.text = str(value).lower() if isinstance(value, bool) else str(value)


def _render(fmt: str, root: str, item: str | None, payload: Any, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(payload, status_code=status)
    top = ET.Element(root)
    if item is None:
        for k, v in payload.items():
            _xml_value(top, k, v)
    else:
        for entry in payload:
            el = ET.SubElement(top, item)
            for k, v in entry.items():
                _xml_value(el, k, v)
    body = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type="application/xml")


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(BEIJING).isoformat(timespec="seconds")


def _services(session: Session) -> list[dict[str, Any]]:
    cats = list_table(session, table="categories")
    names = {c["key"]: c["name"] for c in cats}
    return [
        {
            "service_code": c["key"],
            "service_name": c["name"],
            "description": f"{names.get(c['parent_key'], '')} / {c['name']}",
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(c["keywords"] or []),
            "group": names.get(c["parent_key"], ""),
        }
        for c in cats
        if c["department_key"] is not None
    ]


def _request_view(
    desk: CaseDesk, case: Case, departments: dict[str, str], categories: dict[str, str]
) -> dict[str, Any]:
    state = desk.machine.states[case.state]
    note = f"{state.label}" + (f"：{public_text(case.last_note)}" if case.last_note else "")
    return {
        "service_request_id": str(case.id),
        "status": state.open311,
        "status_notes": note,
        "service_name": categories.get(case.category_key, case.category_key),
        "service_code": case.category_key,
        "description": public_text(case.text),
        "agency_responsible": departments.get(case.department_key or "", ""),
        "service_notice": "",
        "requested_datetime": _iso(case.submitted_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.resolve_due),
        "address": public_text(case.address) if case.address else "",
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": "",
    }


def _names(session: Session, table: str) -> dict[str, str]:
    return {r["key"]: r["name"] for r in list_table(session, table=table)}


@router.get("/services.{fmt}", responses={200: _BOTH})
def services(fmt: str, session: ReadSession) -> Response:
    """The service list (leaf categories)."""
    return _render(_fmt(fmt), "services", "service", _services(session))


@router.get("/services/{code}.{fmt}", responses={200: _BOTH})
def service_definition(code: str, fmt: str, session: ReadSession) -> Response:
    """A service definition (no extra attributes)."""
    fmt = _fmt(fmt)
    if code not in {s["service_code"] for s in _services(session)}:
        raise NotFoundError(f"service_code: unknown service {code!r}")
    return _render(fmt, "service_definition", None, {"service_code": code, "attributes": []})


def _date(value: str | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"{field}: expected a W3C/ISO 8601 datetime, got {value!r}") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=BEIJING)


@router.get("/requests.{fmt}", responses={200: _BOTH})
def get_requests(
    fmt: str,
    session: ReadSession,
    desk: Desk,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> Response:
    """Search requests; without filters, the last 90 days (at most 1000)."""
    fmt = _fmt(fmt)
    ids: list[int] | None = None
    if service_request_id is not None:
        parts = [x.strip() for x in service_request_id.split(",") if x.strip()]
        if not all(_ID.fullmatch(x) and int(x) <= ID_MAX for x in parts):
            raise DataError("service_request_id: expected comma-separated request ids")
        ids = [int(x) for x in parts]
    states: Sequence[str] | None = None
    if status is not None:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            raise DataError(f"status: expected open and/or closed, got {status!r}")
        states = [k for k, s in desk.machine.states.items() if s.open311 in wanted]
    start = _date(start_date, "start_date")
    end = _date(end_date, "end_date")
    if ids is None and start is None and end is None:
        start = desk.now() - dt.timedelta(days=90)
    codes = [c for c in service_code.split(",")] if service_code else None
    rows = find_cases(session, ids=ids, categories=codes, start=start, end=end, states=states)
    deps, cats = _names(session, "departments"), _names(session, "categories")
    payload = [_request_view(desk, c, deps, cats) for c in rows]
    return _render(fmt, "service_requests", "request", payload)


@router.get("/requests/{request_id}.{fmt}", responses={200: _BOTH})
def get_request(request_id: str, fmt: str, session: ReadSession, desk: Desk) -> Response:
    """One request."""
    fmt = _fmt(fmt)
    if not _ID.fullmatch(request_id) or int(request_id) > ID_MAX:
        raise NotFoundError(f"service_request_id: no request {request_id!r}")
    rows = find_cases(session, ids=[int(request_id)])
    if not rows:
        raise NotFoundError(f"service_request_id: no request {request_id!r}")
    deps, cats = _names(session, "departments"), _names(session, "categories")
    return _render(fmt, "service_requests", "request", [_request_view(desk, rows[0], deps, cats)])


@router.get("/tokens/{token}.{fmt}", responses={200: _BOTH})
def get_token(token: str, fmt: str, session: ReadSession) -> Response:
    """The request id behind a token returned by POST."""
    fmt = _fmt(fmt)
    case = get_case_by_tracking(session, code=token)
    return _render(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": str(case.id), "token": case.tracking_code}],
    )


def _float(value: str | None, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{field}: expected a number, got {value!r}") from None


@router.post(
    "/requests.{fmt}",
    status_code=201,
    responses={
        201: _BOTH,
        200: {"description": "A repeat (same Idempotency-Key)", **_BOTH},
        **errors(403, 409),
    },
)
async def post_request(
    fmt: str,
    request: Request,
    desk: Desk,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    """Create a request (form-encoded GeoReport fields; ``api_key`` required)."""
    fmt = _fmt(fmt)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise DataError(
            "content-type: expected application/x-www-form-urlencoded or multipart/form-data"
        )
    async with request.form(max_files=0, max_fields=40) as form:
        f = {k: v for k, v in form.items() if isinstance(v, str)}
    api_key = f.get("api_key")
    if not api_key:
        raise PermissionDeniedError("api_key: required to create a request")

    def actor_of() -> Any:
        with desk.reads() as session:
            try:
                return resolve_token(session, token=api_key, now=desk.now())
            except PermissionDeniedError:
                raise PermissionDeniedError("api_key: unknown or expired api_key") from None

    actor = await run_in_threadpool(actor_of)
    code = f.get("service_code")
    if not code:
        raise DataError("service_code: required")
    name = (f.get("last_name", "") + f.get("first_name", "")).strip() or None
    body = SubmitCase(
        text=f.get("description"),
        lon=_float(f.get("long"), "long"),
        lat=_float(f.get("lat"), "lat"),
        address=f.get("address_string") or None,
        category=code,
        name=name,
        phone=f.get("phone") or None,
    )
    case, created = await submit_case(
        desk,
        body=body,
        photos=[],
        actor=actor,
        idempotency_key=idempotency_key,
        source="open311",
    )
    payload = [
        {
            "service_request_id": str(case.id),
            "token": case.tracking_code,
            "service_notice": "",
            "account_id": None,
        }
    ]
    return _render(fmt, "service_requests", "request", payload, status=201 if created else 200)
