"""Case desk API: submit, follow by tracking code, queues, transitions, extensions, contacts.

Handlers parse, call :mod:`wanzheng.cases.store` and commit; they hold no SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response
from fastapi import UploadFile as FormFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from wanzheng.cases.contacts import Contact, unmask_contact
from wanzheng.cases.crud import (
    AFTER_PHOTO_MAX,
    apply_action,
    attach_after_photos,
    claim_case,
    escalate_overdue,
    extend_deadline,
    get_case,
    get_case_by_tracking,
    missed_now,
    next_deadline,
    overdue_of,
    overdue_page,
    photo_visible,
    rate_case,
)
from wanzheng.cases.duplicates import duplicate_candidates
from wanzheng.cases.intake import (
    CaseReceipt,
    NewCase,
    PreparedCase,
    prepare_case,
    store_prepared,
    store_prepared_many,
)
from wanzheng.cases.masking import (
    ID_NUMBER_PATTERN,
    PHONE_PATTERN,
    mask_id_number,
    mask_name,
    mask_phone,
)
from wanzheng.cases.models import Case
from wanzheng.cases.photos import photo_path, store_photo
from wanzheng.cases.reads import (
    CaseRow,
    case_row,
    case_row_by_tracking,
    case_rows,
    event_rows,
)
from wanzheng.cases.users import Actor
from wanzheng.errors import DataError, NotFoundError, PermissionDeniedError, WanzhengError
from wanzheng.proactive.outbox import enqueue, notices_for
from wanzheng.text.redact import redact
from wanzheng.web.app import CaseDesk
from wanzheng.web.deps import (
    CurrentActor,
    Desk,
    DispatcherActor,
    ReadSession,
    ResidentActor,
    StaffActor,
    desk_of,
    get_actor,
)
from wanzheng.web.errors import error_response, status_of
from wanzheng.web.openapi import BIGINT_MAX, ID_MAX, CaseId, errors
from wanzheng.web.routes.audit import PlaceNames

__all__ = [
    "ActionIn",
    "CasePublic",
    "CaseStaff",
    "CaseSubmitted",
    "EventOut",
    "IntakeFastPath",
    "NoticeOut",
    "SubmitCase",
    "notify_merge",
    "page_recipient",
    "public_text",
    "router",
    "submit_case",
]

router = APIRouter(prefix="/api", tags=["cases"])


class SubmitCase(BaseModel):
    """A resident's submission (JSON body, or the same names as multipart form fields)."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, description="What is wrong, in the resident's words.")
    lon: float | None = Field(None, description="WGS-84 longitude of the problem.")
    lat: float | None = Field(None, description="WGS-84 latitude of the problem.")
    address: str | None = Field(None, description="Address in words (when no map point).")
    category: str | None = Field(None, description="Category key; empty = proposed from text.")
    name: str | None = Field(None, description="Resident's name (stored once, masked).")
    phone: str | None = Field(
        None,
        max_length=64,
        pattern=PHONE_PATTERN,
        description="Resident's phone (stored once, masked): mobile or landline.",
    )
    id_number: str | None = Field(
        None,
        pattern=ID_NUMBER_PATTERN,
        description="Resident ID number (optional, masked); its check digit must be right.",
    )
    idempotency_key: str | None = Field(
        None, description="Same as the Idempotency-Key header; a repeat returns the same case."
    )


class EventOut(BaseModel):
    """One event of a case."""

    action: str
    from_state: str | None
    to_state: str
    at: dt.datetime
    actor_role: str
    note: str | None


class NoticeOut(BaseModel):
    """A message to the resident delivered to the tracking page (e.g. a merge)."""

    subject: str
    body: str
    created_at: dt.datetime


class CaseSubmitted(BaseModel):
    """Answer to a submission: keep the tracking code to follow and rate the case."""

    id: int
    tracking_code: str
    state: str
    category: str
    proposed_category: str | None
    proposed_confidence: float | None
    department: str | None
    grid: str | None
    submitted_at: dt.datetime
    resolve_due: dt.datetime


class CasePublic(BaseModel):
    """What anyone holding the tracking code sees: no identity of the resident."""

    id: int
    state: str
    state_label: str
    category: str
    text: str
    place: str | None = Field(
        None,
        description="Where the pin is, in words from the audit's own data "
        "(石科院生活区附近 · 学院路); null without a pin or an audit.",
    )
    submitted_at: dt.datetime
    updated_at: dt.datetime
    resolve_due: dt.datetime
    rating: str | None
    events: list[EventOut]
    notices: list[NoticeOut] = Field(
        default_factory=list, description="Messages to the resident about this case, newest first."
    )
    photos: list[str] = Field(
        default_factory=list,
        description="The case's photos, each at /api/track/{code}/photos/{name}: the holder of "
        "the tracking code sees the photos filed with it.",
    )
    after_photos: list[str] = Field(
        default_factory=list,
        description="Photos of the place after the work (办结照片) the handler attached, at "
        "the same address.",
    )


class ContactOut(BaseModel):
    """The resident's contact, masked unless explicitly unmasked (and logged)."""

    name: str | None
    phone: str | None
    id_number: str | None
    masked: bool


class CaseStaff(BaseModel):
    """A case as staff see it; contact masked."""

    id: int
    tracking_code: str
    case_type: str
    state: str
    state_label: str
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    place: str | None = Field(
        None, description="The pin's place in words (石科院生活区附近 · 学院路), or null."
    )
    category: str
    proposed_category: str | None
    proposed_confidence: float | None
    category_source: str = Field(
        description="resident, proposed, default, imported, or staff (confirmed by a dispatcher)."
    )
    department: str | None
    grid: str | None
    community: str | None
    submitted_at: dt.datetime
    updated_at: dt.datetime
    sign_due: dt.datetime
    respond_due: dt.datetime
    resolve_due: dt.datetime
    next_due: str | None = Field(
        None,
        description="The deadline the case now runs against: sign (until accepted), respond "
        "(until handling starts), resolve (until resolved); null once resolved or closed.",
    )
    accepted_at: dt.datetime | None
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    escalation_level: int
    reopen_count: int
    extension_days: int
    rating: str | None
    merged_into: int | None
    overdue: dict[str, float]
    photos: list[str] = Field(description="The resident's photos, each at /api/photos/{name}.")
    after_photos: list[str] = Field(
        default_factory=list,
        description="Photos of the place after the work (办结照片), attached by staff with "
        "POST /api/cases/{id}/photos.",
    )
    contact: ContactOut
    actions: list[str]
    events: list[EventOut] | None = None


class ActionIn(BaseModel):
    """A transition: ``action`` plus what it requires (see states.toml)."""

    model_config = ConfigDict(extra="forbid")
    action: str
    note: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=2000)
    department: str | None = None
    grid: str | None = None
    merged_into: int | None = Field(None, ge=1, le=ID_MAX)
    rating: str | None = None
    category: str | None = Field(
        None, description="Category key for 'recategorise' (the current key confirms it)."
    )


class RatingIn(BaseModel):
    """The resident's rating: 满意 / 基本满意 / 不满意."""

    model_config = ConfigDict(extra="forbid")
    rating: str
    note: str | None = Field(None, max_length=2000)


class ExtensionIn(BaseModel):
    """An approved extension of the resolve deadline."""

    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=30, description="Working days, 1–30.")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class OverdueOut(BaseModel):
    """One overdue case."""

    id: int
    state: str
    department: str | None
    grid: str | None
    escalation_level: int
    missed: dict[str, float]


# --- views ------------------------------------------------------------------------------------


def public_text(text: str) -> str:
    """``text`` as shown outside the handling staff (tracking page, Open311, public lists).

    :func:`wanzheng.text.redact` masks mobile and landline numbers, ID numbers, bank cards
    (Luhn), e-mail addresses, licence plates and the part of an address below the building
    (unit, floor, room); the building stays visible so the place can still be recognised.
    """
    return redact(text, addresses=True).text


def _events(session: Session, case_id: int, *, public: bool) -> list[EventOut]:
    out = []
    for e in event_rows(session, case_id=case_id):
        note = e.note
        if public and note is not None:
            note = public_text(note)
        out.append(
            EventOut(
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                at=e.at,
                actor_role=e.actor_role,
                note=note,
            )
        )
    return out


def public_view(
    session: Session, desk: CaseDesk, case: CaseRow, *, place: str | None = None
) -> CasePublic:
    """The identity-free view of a case (``place``: the pin's place in words)."""
    code = quote(case.tracking_code, safe="")
    return CasePublic(
        id=case.id,
        state=case.state,
        state_label=desk.machine.states[case.state].label,
        category=case.category_key,
        text=public_text(case.text),
        place=place,
        submitted_at=case.submitted_at,
        updated_at=case.updated_at,
        resolve_due=case.resolve_due,
        rating=case.rating,
        events=_events(session, case.id, public=True),
        notices=[NoticeOut(**n) for n in notices_for(session, person_id=page_recipient(case))],
        photos=[
            f"/api/track/{code}/photos/{sha256}.{ext}"
            for sha256, ext, after in case.photos
            if not after
        ],
        after_photos=[
            f"/api/track/{code}/photos/{sha256}.{ext}"
            for sha256, ext, after in case.photos
            if after
        ],
    )


def page_recipient(case: Case | CaseRow) -> str:
    """The outbox recipient of messages shown on a case's tracking page."""
    return f"case:{case.tracking_code}"


def notify_merge(session: Session, *, case: Case, target: Case, now: dt.datetime) -> None:
    """Tell both residents that ``case`` was merged into ``target``, through the durable outbox
    (delivered to the tracking pages by the default sender; never sent twice). The messages
    name no other resident and no other tracking code."""
    enqueue(
        session,
        key=f"case-merge:{case.id}:{target.id}:merged",
        recipient=page_recipient(case),
        subject="您的诉求已合并办理",
        body=(
            f"您反映的问题（第{case.id}号）与其他居民反映的同一问题（第{target.id}号）"
            "已合并，由同一承办单位一并办理。"
        ),
        now=now,
    )
    enqueue(
        session,
        key=f"case-merge:{case.id}:{target.id}:into",
        recipient=page_recipient(target),
        subject="有居民反映了同一问题",
        body=(
            f"另一位居民反映的同一问题（第{case.id}号）已并入您的诉求（第{target.id}号）一并办理。"
        ),
        now=now,
    )


def staff_view(
    session: Session,
    desk: CaseDesk,
    case: CaseRow,
    actor: Actor,
    *,
    with_events: bool = False,
    place: str | None = None,
) -> CaseStaff:
    """The staff view of a case (contact masked; ``place``: the pin's place in words)."""
    missed = missed_now(case, desk.now())
    # model_construct: every value comes typed from the row (a queue page builds many views,
    # and validating them again cost more than the queries); the answer is written by the
    # model's serializer, which warns on a value of the wrong type (an error in the tests).
    return CaseStaff.model_construct(
        id=case.id,
        tracking_code=case.tracking_code,
        case_type=case.case_type,
        state=case.state,
        state_label=desk.machine.states[case.state].label,
        text=case.text,
        address=case.address,
        lon=case.lon,
        lat=case.lat,
        place=place,
        category=case.category_key,
        proposed_category=case.proposed_category,
        proposed_confidence=case.proposed_confidence,
        category_source=case.category_source,
        department=case.department_key,
        grid=case.grid_key,
        community=case.community_key,
        submitted_at=case.submitted_at,
        updated_at=case.updated_at,
        sign_due=case.sign_due,
        respond_due=case.respond_due,
        resolve_due=case.resolve_due,
        next_due=next_deadline(case),
        accepted_at=case.accepted_at,
        responded_at=case.responded_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        escalation_level=case.escalation_level,
        reopen_count=case.reopen_count,
        extension_days=case.extension_days,
        rating=case.rating,
        merged_into=case.merged_into_id,
        overdue={k: round(v, 3) for k, v in missed.items()},
        photos=[f"/api/photos/{sha256}.{ext}" for sha256, ext, after in case.photos if not after],
        after_photos=[f"/api/photos/{sha256}.{ext}" for sha256, ext, after in case.photos if after],
        contact=ContactOut.model_construct(
            name=mask_name(case.person_name),
            phone=mask_phone(case.person_phone),
            id_number=mask_id_number(case.person_id_number),
            masked=True,
        ),
        actions=desk.machine.actions_from(case.state, role=actor.role),
        events=_events(session, case.id, public=False) if with_events else None,
    )


_STAFF_LIST: TypeAdapter[list[CaseStaff]] = TypeAdapter(list[CaseStaff])


def _json(model: BaseModel | list[CaseStaff]) -> Response:
    """A view as its JSON answer, the bytes FastAPI would write for the response model,
    without FastAPI validating the freshly built model a second time."""
    body = (
        model.model_dump_json().encode("utf-8")
        if isinstance(model, BaseModel)
        else _STAFF_LIST.dump_json(model)
    )
    return Response(body, media_type="application/json")


def _iso_z(t: dt.datetime) -> str:
    # the same text pydantic writes for an aware UTC datetime
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- submission -------------------------------------------------------------------------------


def _parse_model(data: dict[str, Any]) -> SubmitCase:
    try:
        return SubmitCase.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise DataError(f"{field}: {first['msg']}") from exc


@dataclass(frozen=True, slots=True)
class _Submission:
    """One queued submission of the intake batch."""

    desk: CaseDesk
    new: NewCase
    actor: Actor
    idempotency_key: str | None
    #: validated and routed before queueing (None: the writer does it, reading the database)
    prepared: PreparedCase | None = None


class _Intake:
    """Intake as a bulk job of a desk's group committer (:class:`~wanzheng.cases.batch.BulkOp`).

    A batch is validated and routed submission by submission (one that fails alone gets its
    own error and writes nothing), then inserted with one statement per table. A committer
    belongs to one desk, so all the submissions of a batch share it.
    """

    @staticmethod
    def _prepare(session: Session, item: _Submission, now: dt.datetime) -> PreparedCase:
        if item.prepared is not None:
            return item.prepared
        desk = item.desk
        prepared = prepare_case(
            session,
            new=item.new,
            now=now,
            index=desk.index(session),
            classifier=desk.classifier,
            actor=item.actor,
            idempotency_key=item.idempotency_key,
            max_chars=desk.settings.case_text_max_chars,
        )
        assert prepared is not None  # None only without a session
        return prepared

    def run_many(self, session: Session, items: Sequence[_Submission]) -> list[Any]:
        answers: list[Any] = [None] * len(items)
        ready: list[tuple[int, PreparedCase]] = []
        now = items[0].desk.now() if items else dt.datetime.now(dt.UTC)
        for i, item in enumerate(items):
            try:
                ready.append((i, self._prepare(session, item, now)))
            except WanzhengError as exc:  # this submission's own error; nothing written
                answers[i] = exc
        receipts = store_prepared_many(session, [p for _, p in ready])
        for (i, _), receipt in zip(ready, receipts, strict=True):
            answers[i] = receipt
        return answers

    def run_one(self, session: Session, item: _Submission) -> CaseReceipt:
        case, created = store_prepared(session, self._prepare(session, item, item.desk.now()))
        return CaseReceipt.of(case, created=created)


async def submit_case(
    desk: CaseDesk,
    *,
    body: SubmitCase,
    photos: list[bytes],
    actor: Actor,
    idempotency_key: str | None,
    source: str = "web",
) -> tuple[CaseReceipt, bool]:
    """Store photos, then create the case; returns once its commit is durable.

    The insert goes through the desk's group committer, so concurrent submissions share one
    commit (one fsync) and one INSERT statement per table.

    Returns
    -------
    (CaseReceipt, bool)
        The stored case and whether it was created now (False: an idempotent replay).
    """
    stored = [
        await run_in_threadpool(
            store_photo,
            data,
            photo_dir=desk.photo_dir,
            max_bytes=desk.settings.photo_max_bytes,
            field=f"photos[{i}]",
        )
        for i, data in enumerate(photos)
    ]
    new = NewCase(
        text=body.text or "",
        lon=body.lon,
        lat=body.lat,
        category=body.category or None,
        address=body.address or None,
        name=body.name or None,
        phone=body.phone or None,
        id_number=body.id_number or None,
        source=source,
        photos=tuple((p.sha256, p.ext) for p in stored),
    )
    # Validate and route here, outside the writer's transaction, when that reads nothing
    # (no idempotency key, a fresh routing snapshot that knows the grid and category): the
    # write lock is then held for the inserts and the commit alone. Otherwise the writer
    # does it inside its transaction.
    prepared = None
    index = desk.fresh_index()
    if index is not None and idempotency_key is None:
        prepared = prepare_case(
            None,
            new=new,
            now=desk.now(),
            index=index,
            classifier=desk.classifier,
            actor=actor,
            max_chars=desk.settings.case_text_max_chars,
        )
    receipt = await desk.committer.submit_bulk(
        _INTAKE, _Submission(desk, new, actor, idempotency_key, prepared)
    )
    return receipt, receipt.created


_INTAKE = _Intake()


_MAX_PHOTOS = 6
_MAX_JSON_BYTES = 64_000


def _json_submission(raw: bytes) -> SubmitCase:
    """The submission of a JSON body (DataError naming the field when it is not one)."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataError("body: not valid JSON") from None
    if not isinstance(data, dict):
        raise DataError("body: expected a JSON object")
    return _parse_model(data)


def _submitted(receipt: CaseReceipt) -> tuple[int, bytes, str]:
    """Status, JSON body and Location of the answer to a submission."""
    out = {
        "id": receipt.id,
        "tracking_code": receipt.tracking_code,
        "state": receipt.state,
        "category": receipt.category_key,
        "proposed_category": receipt.proposed_category,
        "proposed_confidence": receipt.proposed_confidence,
        "department": receipt.department_key,
        "grid": receipt.grid_key,
        "submitted_at": _iso_z(receipt.submitted_at),
        "resolve_due": _iso_z(receipt.resolve_due),
    }
    body = json.dumps(out, ensure_ascii=False).encode("utf-8")
    return (201 if receipt.created else 200), body, f"/api/cases/{receipt.id}"


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseSubmitted,
    responses={
        200: {"description": "A repeat of an earlier submission (same idempotency key)"},
        415: {"description": "Neither JSON nor multipart/form-data"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": SubmitCase.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            **{k: {"type": "string"} for k in SubmitCase.model_fields},
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                },
            },
            "required": True,
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
            },
            {
                "name": "Authorization",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Bearer token (optional)",
            },
        ],
    },
)
async def post_case(request: Request) -> Response:
    """Submit a case (JSON, or multipart/form-data with up to six photos).

    Answers 201 with the tracking code; a repeat with the same ``Idempotency-Key`` and the
    same content answers 200 with the same case; the same key with other content is 409.
    """
    # Anonymous JSON submissions are answered by IntakeFastPath before routing; this route
    # answers the others (and documents the endpoint) with the same helpers.
    desk = desk_of(request)
    authorization = request.headers.get("authorization")
    actor = Actor.public() if authorization is None else await get_actor(desk, authorization)
    idempotency_key = request.headers.get("idempotency-key")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    photos: list[bytes] = []
    if ctype == "application/json":
        raw = await request.body()
        if len(raw) > _MAX_JSON_BYTES:
            return error_response(request, 413, "DataError", "body: over 64 kB")
        body = _json_submission(raw)
    elif ctype == "multipart/form-data":
        fields: dict[str, Any] = {}
        async with request.form(max_files=_MAX_PHOTOS, max_fields=20) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != "photos":
                        raise DataError(f"{key}: unexpected file field; photos go in 'photos'")
                    data_b = await value.read(desk.settings.photo_max_bytes + 1)
                    photos.append(data_b)
                elif key == "photos":
                    raise DataError("photos: expected a file upload")
                else:
                    fields[key] = value if value != "" else None
        body = _parse_model(fields)
    else:
        return error_response(
            request,
            415,
            "DataError",
            f"content-type: expected application/json or multipart/form-data, got {ctype!r}",
        )
    idem = idempotency_key or body.idempotency_key
    receipt, _ = await submit_case(
        desk, body=body, photos=photos, actor=actor, idempotency_key=idem
    )
    status, payload, location = _submitted(receipt)
    return Response(
        payload, status_code=status, media_type="application/json", headers={"Location": location}
    )


class IntakeFastPath:
    """ASGI middleware answering anonymous JSON ``POST /api/cases`` without routing.

    The hot path of the service: routing, dependency solving and the framework's
    request/response objects cost more CPU than the submission itself. ``create_app`` makes
    it the innermost user middleware (:class:`wanzheng.web.app._DeskApp`), so every other
    middleware of the application (security headers, throttling, body limits, logging) and
    the framework's outermost error middleware (a plain 500, logged, on anything unexpected)
    wrap it as they wrap the routes. The answer is the one :func:`post_case` gives (same
    helpers, same errors through :func:`wanzheng.web.errors.error_response`), written on
    the same write path (the desk's group committer); every other request, and submissions
    with an ``Authorization`` header or another content type, go on to the routes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/cases" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        ctype = b""
        idempotency_key: str | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                await self.app(scope, receive, send)
                return
            if name == b"content-type":
                ctype = value.split(b";")[0].strip().lower()
            elif name == b"idempotency-key":
                idempotency_key = value.decode("latin-1")
        if ctype != b"application/json":
            await self.app(scope, receive, send)
            return
        desk = scope["app"].state.desk
        try:
            raw = await _read_body(receive, _MAX_JSON_BYTES)
            if raw is None:
                response = error_response(Request(scope), 413, "DataError", "body: over 64 kB")
                await response(scope, receive, send)
                return
            body = _json_submission(raw)
            receipt, _ = await submit_case(
                desk,
                body=body,
                photos=[],
                actor=Actor.public(),
                idempotency_key=idempotency_key or body.idempotency_key,
            )
        except WanzhengError as exc:
            response = error_response(Request(scope), status_of(exc), type(exc).__name__, str(exc))
            await response(scope, receive, send)
            return
        status, payload, location = _submitted(receipt)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(payload)).encode("ascii")),
                    (b"content-type", b"application/json"),
                    (b"location", location.encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise DataError("body: the client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


# --- residents --------------------------------------------------------------------------------

# Hot reads on the event loop (SQLite). The tracking page and the staff queue are the reads
# that come at a rate (residents refreshing, dispatchers' consoles polling) while intake
# commits. On SQLite each is a few indexed selects on a WAL snapshot, run inside this process
# (it never waits for the writer), and its JSON: about a millisecond of CPU. Handing it to a
# worker thread cost more than that: two thread wake-ups, and under load a convoy on the
# interpreter lock, the worker and the event loop each waiting up to a switch interval for the
# other at every query. So on SQLite these two run on the loop: a tracking page, and a queue
# page of at most _LOOP_ROWS cases (a larger page goes to a worker thread, so that no request
# holds the loop for long). On PostgreSQL a read waits for another process (the server) at
# every query, and on the loop that wait would stall every other request (measured: intake
# fell behind), so there they stay in a worker thread, in a short read session (autocommit:
# no BEGIN / ROLLBACK round trips; CaseDesk.read_hot). Running them on the loop without
# blocking it, through SQLAlchemy's asyncio bridge on psycopg's async driver, was measured
# too and was slower still: each round trip of a read then waits for a turn of a loop busy
# with intake. docs/benchmarks.md (block mixed) has the comparisons.
_LOOP_ROWS = 50


@router.get("/track/{code}", response_model=CasePublic, responses=errors(404))
async def track(code: str, desk: Desk, names: PlaceNames) -> Response:
    """Follow a case by its tracking code (no login; no personal data shown)."""

    def read(session: Session) -> Response:
        case = case_row_by_tracking(session, code=code)
        return _json(public_view(session, desk, case, place=names(case.lon, case.lat)))

    return await desk.read_hot(read)  # see "Hot reads on the event loop" above


@router.post("/track/{code}/claim", response_model=CasePublic, responses=errors(403, 404, 409, 429))
def claim(
    code: str,
    request: Request,
    session: ReadSession,
    desk: Desk,
    actor: ResidentActor,
    names: PlaceNames,
) -> CasePublic:
    """Attach the case of this tracking code to the calling resident account (the code is
    the proof: it was given to whoever filed the case). A case another account owns is a
    409; unknown codes are throttled like wrong passwords (per account and address)."""
    from wanzheng.cases.throttle import (
        check_keys,
        credential_keys,
        raise_if_locked,
        record_failures,
    )
    from wanzheng.web.routes.auth import client_address

    now = desk.now()
    keys = credential_keys(
        desk.settings, kind="claim", subject=actor.username, address=client_address(request)
    )
    check_keys(session, keys=[k for k, _, _ in keys], now=now, what="tracking_code")
    try:
        case = desk.write(lambda s: claim_case(s, code=code, actor=actor))
    except NotFoundError:
        until = desk.write(lambda s: record_failures(s, keys=keys, now=now))
        raise_if_locked(until, now=now, what="tracking_code")
        raise
    with desk.reads() as s:
        row = case_row_by_tracking(s, code=case.tracking_code)
        return public_view(s, desk, row, place=names(case.lon, case.lat))


@router.post("/track/{code}/rating", response_model=CasePublic, responses=errors(404, 409))
def rate(code: str, body: RatingIn, desk: Desk, names: PlaceNames) -> CasePublic:
    """Rate a resolved case: 满意 / 基本满意 close it; 不满意 reopens it (once)."""
    now = desk.now()

    def work(session: Session) -> Case:
        case = get_case_by_tracking(session, code=code)
        return rate_case(
            session,
            case=case,
            rating=body.rating,
            note=body.note,
            actor=Actor.public(),
            now=now,
            machine=desk.machine,
        )

    case = desk.write(work)
    with desk.reads() as session:
        row = case_row_by_tracking(session, code=case.tracking_code)
        return public_view(session, desk, row, place=names(case.lon, case.lat))


# --- staff ------------------------------------------------------------------------------------


@router.get("/cases", response_model=list[CaseStaff])
async def queue(
    desk: Desk,
    actor: CurrentActor,
    state: str | None = None,
    case_type: str | None = None,
    category: Annotated[str | None, Query(description="A category key.")] = None,
    overdue: Annotated[
        bool, Query(description="Only open cases with a deadline passed and unmet now.")
    ] = False,
    unrouted: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> Response:
    """The caller's queue: own cases (resident), own grid, own department, or all; newest
    first, filtered by state, type, category, overdue."""
    if actor.user_id is None:
        from wanzheng.errors import PermissionDeniedError

        raise PermissionDeniedError("authorization: log in to list cases")
    if state is not None and state not in desk.machine.states:
        raise DataError(f"state: unknown state {state!r}")

    def read(session: Session) -> Response:
        rows = case_rows(
            session,
            actor=actor,
            state=state,
            case_type=case_type,
            category=category,
            overdue_at=desk.now() if overdue else None,
            unrouted=unrouted,
            limit=limit,
            offset=offset,
        )
        return _json([staff_view(session, desk, c, actor) for c in rows])

    if limit <= _LOOP_ROWS:
        # see "Hot reads on the event loop" above; the overdue filter plans its query for
        # this call (SET LOCAL: a transaction of its own)
        return await desk.read_hot(read, transaction=overdue)

    def read_long() -> Response:
        with desk.reads() as session:
            return read(session)

    return await run_in_threadpool(read_long)


@router.get("/cases/overdue", response_model=list[OverdueOut])
def overdue(
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> list[OverdueOut]:
    """Open cases past a deadline in the caller's scope, most overdue first (ties: lower id
    first); ``limit`` / ``offset`` page them as in ``GET /api/cases``."""
    return [
        OverdueOut(
            id=c.id,
            state=c.state,
            department=c.department_key,
            grid=c.grid_key,
            escalation_level=c.escalation_level,
            missed={k: round(v, 3) for k, v in m.items()},
        )
        for c, m in overdue_page(
            session,
            actor=actor,
            now=desk.now(),
            limit=limit,
            offset=offset,
            states=list(desk.machine.states),
        )
    ]


@router.post("/cases/escalate", response_model=list[OverdueOut])
def escalate(desk: Desk, actor: DispatcherActor) -> list[OverdueOut]:
    """Run escalation (督办) now; answers the cases whose level rose, in id order. Also run by
    a timer."""
    now = desk.now()
    changed = desk.write(lambda s: escalate_overdue(s, now=now, machine=desk.machine))
    if not changed:
        return []
    with desk.reads() as session:
        overdue = overdue_of(
            session,
            actor=actor,
            now=desk.now(),
            ids=[cid for cid, _ in changed],
            states=list(desk.machine.states),
        )
    return [
        OverdueOut(
            id=c.id,
            state=c.state,
            department=c.department_key,
            grid=c.grid_key,
            escalation_level=c.escalation_level,
            missed={k: round(v, 3) for k, v in m.items()},
        )
        for c, m in overdue
    ]


@router.get("/cases/{case_id:int}", response_model=CaseStaff, responses=errors(404))
def case_detail(
    case_id: CaseId, session: ReadSession, desk: Desk, actor: CurrentActor, names: PlaceNames
) -> CaseStaff:
    """One case with its events (residents: only their own)."""
    if actor.user_id is None:
        raise NotFoundError(f"case: no case {case_id} visible to you")
    case = case_row(session, case_id=case_id, actor=actor)
    return staff_view(session, desk, case, actor, with_events=True, place=names(case.lon, case.lat))


@router.post(
    "/cases/{case_id:int}/actions", response_model=CaseStaff, responses=errors(403, 404, 409)
)
def act(
    case_id: CaseId, body: ActionIn, desk: Desk, actor: CurrentActor, names: PlaceNames
) -> CaseStaff:
    """Apply a transition (accept, dispatch, start, return, resolve, close, merge, reject,
    reopen, rate, recategorise). Illegal transitions answer 409."""
    if actor.user_id is None:
        raise NotFoundError(f"case: no case {case_id} visible to you")
    now = desk.now()

    def work(session: Session) -> Case:
        case = apply_action(
            session,
            case_id=case_id,
            actor=actor,
            action=body.action,
            now=now,
            machine=desk.machine,
            note=body.note,
            reason=body.reason,
            department=body.department,
            grid=body.grid,
            merged_into=body.merged_into,
            rating=body.rating,
            category=body.category,
        )
        if body.action == "merge" and case.merged_into_id is not None:
            target = get_case(session, case_id=case.merged_into_id, actor=actor)
            notify_merge(session, case=case, target=target, now=now)
        return case

    case = desk.write(work)
    with desk.reads() as session:
        # the case as committed, whatever the action did to the caller's scope
        row = case_row(session, case_id=case.id, actor=Actor.system())
        place = names(case.lon, case.lat)
        return staff_view(session, desk, row, actor, with_events=True, place=place)


class DuplicateOut(BaseModel):
    """A possible duplicate of a case, with what a dispatcher needs to judge it."""

    id: int
    state: str
    category: str
    text: str
    distance_m: float | None = Field(description="Metres between the two reports.")
    days_apart: float = Field(description="Days between the two reports.")
    similarity: float = Field(description="Text similarity, 0-1 (character n-gram TF-IDF).")
    matched_phrases: list[str] = Field(description="Phrases both texts share, best first.")
    submitted_at: dt.datetime


@router.get(
    "/cases/{case_id:int}/duplicates", response_model=list[DuplicateOut], responses=errors(404)
)
def duplicates(
    case_id: CaseId,
    session: ReadSession,
    desk: Desk,
    actor: DispatcherActor,
    radius_m: Annotated[
        float | None, Query(gt=0, le=5000, description="Default: setting duplicate_radius_m.")
    ] = None,
    days: Annotated[
        float | None, Query(gt=0, le=365, description="Default: setting duplicate_window_days.")
    ] = None,
    min_similarity: Annotated[
        float | None, Query(ge=0, le=1, description="Default: duplicate_min_similarity.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[DuplicateOut]:
    """Open cases that probably report the same thing (candidates for ``merge``): near, recent
    and similar in text, ranked by similarity, with the phrases both share."""
    st = desk.settings
    found = duplicate_candidates(
        session,
        case_id=case_id,
        radius_m=st.duplicate_radius_m if radius_m is None else radius_m,
        window_days=st.duplicate_window_days if days is None else days,
        min_similarity=st.duplicate_min_similarity if min_similarity is None else min_similarity,
        limit=limit,
    )
    return [
        DuplicateOut(
            id=c.id,
            state=c.state,
            category=c.category_key,
            text=c.text,
            distance_m=None if d.distance_m is None else round(d.distance_m, 1),
            days_apart=round(d.days_apart, 2),
            similarity=round(d.similarity, 3),
            matched_phrases=list(d.matched_phrases),
            submitted_at=c.submitted_at,
        )
        for c, d in found
    ]


@router.post(
    "/cases/{case_id:int}/extensions", response_model=CaseStaff, responses=errors(404, 409)
)
def extend(case_id: CaseId, body: ExtensionIn, desk: Desk, actor: DispatcherActor) -> CaseStaff:
    """Approve an extension of the resolve deadline (working days, with a reason)."""
    now = desk.now()
    case = desk.write(
        lambda s: extend_deadline(
            s, case_id=case_id, actor=actor, days=body.days, reason=body.reason, now=now
        )
    )
    with desk.reads() as session:
        row = case_row(session, case_id=case.id, actor=Actor.system())
        return staff_view(session, desk, row, actor, with_events=True)


@router.post(
    "/cases/{case_id:int}/photos",
    response_model=CaseStaff,
    responses=errors(401, 403, 404, 409),
)
async def add_photos(
    case_id: CaseId,
    desk: Desk,
    actor: StaffActor,
    names: PlaceNames,
    photos: Annotated[
        list[FormFile],
        File(
            description=f"1-{AFTER_PHOTO_MAX} photos (JPEG, PNG, WebP) of the place after the work."
        ),
    ],
) -> CaseStaff:
    """Attach photos of the place after the work (办结照片) to a case being handled
    (已派单, 办理中, 重办, or resolved before it is rated): handlers and grid workers in scope,
    dispatchers. The console offers it with 办结; the resident sees them on the tracking page."""
    if len(photos) > AFTER_PHOTO_MAX:
        raise DataError(f"photos: at most {AFTER_PHOTO_MAX} photos, got {len(photos)}")
    stored = []
    for i, upload in enumerate(photos):
        data = await upload.read(desk.settings.photo_max_bytes + 1)
        stored.append(
            await run_in_threadpool(
                store_photo,
                data,
                photo_dir=desk.photo_dir,
                max_bytes=desk.settings.photo_max_bytes,
                field=f"photos[{i}]",
            )
        )
    now = desk.now()

    def work(session: Session) -> Case:
        return attach_after_photos(
            session,
            case_id=case_id,
            actor=actor,
            photos=[(p.sha256, p.ext) for p in stored],
            now=now,
        )

    case = await run_in_threadpool(desk.write, work)

    def view() -> CaseStaff:
        with desk.reads() as session:
            place = names(case.lon, case.lat)
            row = case_row(session, case_id=case.id, actor=Actor.system())
            return staff_view(session, desk, row, actor, with_events=True, place=place)

    return await run_in_threadpool(view)


@router.get("/cases/{case_id:int}/contact", response_model=ContactOut, responses=errors(404))
def contact(
    case_id: CaseId,
    session: ReadSession,
    desk: Desk,
    actor: StaffActor,
    unmask: bool = False,
    purpose: str | None = None,
) -> ContactOut:
    """The resident's contact: masked; ``unmask=true`` (dispatcher, admin) is logged."""
    now = desk.now()

    def contact_of(s: Session) -> Contact:
        case = get_case(s, case_id=case_id, actor=actor)
        return unmask_contact(s, case=case, actor=actor, purpose=purpose, now=now, unmask=unmask)

    # unmasking writes its log row: the write path; a masked contact is a plain read
    c = desk.write(contact_of) if unmask else contact_of(session)
    return ContactOut(name=c.name, phone=c.phone, id_number=c.id_number, masked=c.masked)


@router.get("/track/{code}/photos/{name}", response_class=FileResponse, responses=errors(404))
def track_photo(code: str, name: str, session: ReadSession, desk: Desk) -> FileResponse:
    """A photo of the case with this tracking code (the resident who filed it sees it)."""
    case = get_case_by_tracking(session, code=code)
    if name not in {f"{p.sha256}.{p.ext}" for p in case.photos}:
        raise NotFoundError("photo: no such photo")
    return _photo_file(desk, name)


@router.get("/photos/{name}", response_class=FileResponse, responses=errors(401, 404))
def photo(name: str, session: ReadSession, desk: Desk, actor: CurrentActor) -> FileResponse:
    """A stored photo, for callers who may see one of its cases (staff in scope, the
    resident who owns the case); 404 to everyone else, so existence is not revealed."""
    if actor.user_id is None:
        raise PermissionDeniedError("authorization: log in first")
    sha, _, ext = name.partition(".")
    if not photo_visible(session, sha256=sha, ext=ext, actor=actor):
        raise NotFoundError("photo: no such photo")
    return _photo_file(desk, name)


def _photo_file(desk: CaseDesk, name: str) -> FileResponse:
    sha, _, ext = name.partition(".")
    if (
        len(sha) != 64
        or not all(ch in "0123456789abcdef" for ch in sha)
        or ext not in ("jpg", "png", "webp")
    ):
        raise NotFoundError("photo: no such photo")
    path = photo_path(desk.photo_dir, sha, ext)
    if not path.is_file():
        raise NotFoundError("photo: no such photo")
    media = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[ext]
    return FileResponse(path, media_type=media)
