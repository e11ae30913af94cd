"""Intake: validate and route a submission (:func:`prepare_case`), then store it with its
``submit`` event, one at a time (:func:`store_prepared`, :func:`create_case`) or a whole
batch of the group committer at once (:func:`store_prepared_many`, plain-row inserts of
:mod:`wanzheng.db.bulk`).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from wanzheng.cases.categories import CategoryClassifier, DeadlineProfile
from wanzheng.cases.deadlines import build_deadlines
from wanzheng.cases.masking import normalise_id_number, normalise_phone
from wanzheng.cases.models import Case, CaseEvent, CasePhoto, CategoryRow, Grid
from wanzheng.cases.routing import GridIndex, in_china_bbox
from wanzheng.cases.users import Actor, person_for
from wanzheng.db.bulk import insert_rows, next_ids
from wanzheng.errors import ConflictError, DataError

__all__ = [
    "TEXT_MAX_CHARS",
    "CaseReceipt",
    "NewCase",
    "PreparedCase",
    "create_case",
    "prepare_case",
    "store_prepared",
    "store_prepared_many",
]

TEXT_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class NewCase:
    """A validated submission (as the resident gave it)."""

    text: str
    lon: float | None = None
    lat: float | None = None
    category: str | None = None
    address: str | None = None
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    case_type: str = "request"
    source: str = "web"
    photos: tuple[tuple[str, str], ...] = field(default=())  # (sha256, ext)

    def request_hash(self) -> str:
        """Hash of the payload, to tell a replay from a different request with the same key."""
        payload = json.dumps(
            [
                self.text,
                self.lon,
                self.lat,
                self.category,
                self.address,
                self.name,
                self.phone,
                self.id_number,
                self.case_type,
                list(self.photos),
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_TRACKING_ALPHABET = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# byte -> symbol; 256 is a multiple of 32, so every symbol is equally likely (5 bits each).
_TRACKING_TABLE = bytes(_TRACKING_ALPHABET[b % 32] for b in range(256))


_random = threading.local()


def _tracking_code() -> str:
    # 12 symbols = 60 bits from the OS generator, drawn 256 codes at a time (one system call
    # per 256 submissions), per thread and per process (a forked child draws its own).
    pid = os.getpid()
    if getattr(_random, "pid", None) != pid or _random.pos >= len(_random.buf):
        _random.buf = secrets.token_bytes(12 * 256)
        _random.pos = 0
        _random.pid = pid
    pos: int = _random.pos
    buf: bytes = _random.buf
    _random.pos = pos + 12
    return buf[pos : pos + 12].translate(_TRACKING_TABLE).decode("ascii")


@dataclass(frozen=True, slots=True)
class PreparedCase:
    """A submission that passed validation and routing (:func:`prepare_case`).

    ``values`` is the row of the ``cases`` table without ``id`` (and with ``person_id`` of the
    actor; a person record for the given contact is found or made only when it is stored).
    ``prior`` is the stored case of an earlier submission with the same idempotency key and
    payload: nothing is to be inserted then.
    """

    values: dict[str, Any]
    new: NewCase
    actor: Actor
    idempotency_key: str | None
    phone: str | None
    id_number: str | None
    prior: Case | None = None


@dataclass(frozen=True, slots=True)
class CaseReceipt:
    """What a submitter is told once the case is committed (the body of the 201 answer)."""

    id: int
    tracking_code: str
    state: str
    category_key: str
    proposed_category: str | None
    proposed_confidence: float | None
    department_key: str | None
    grid_key: str | None
    submitted_at: dt.datetime
    resolve_due: dt.datetime
    #: False for an idempotent replay (the earlier case is answered again).
    created: bool

    @classmethod
    def of(cls, case: Case, *, created: bool) -> CaseReceipt:
        """The receipt of a stored case."""
        return cls(case.id, **{f: getattr(case, f) for f in _RECEIPT_COLUMNS}, created=created)

    @classmethod
    def of_row(cls, case_id: int, values: Mapping[str, Any]) -> CaseReceipt:
        """The receipt of a case just inserted from ``values`` (its column values)."""
        return cls(case_id, **{f: values[f] for f in _RECEIPT_COLUMNS}, created=True)


#: The case columns a receipt repeats (every field of CaseReceipt but ``id`` and ``created``).
_RECEIPT_COLUMNS = (
    "tracking_code",
    "state",
    "category_key",
    "proposed_category",
    "proposed_confidence",
    "department_key",
    "grid_key",
    "submitted_at",
    "resolve_due",
)


def prepare_case(
    session: Session | None,
    *,
    new: NewCase,
    now: dt.datetime,
    index: GridIndex,
    classifier: CategoryClassifier | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    check_area: bool = True,
    max_chars: int = TEXT_MAX_CHARS,
) -> PreparedCase | None:
    """Validate and route a submission without writing anything (see :func:`create_case`).

    Reads the database only for an idempotency key (the earlier case) and when the routing
    snapshot ``index`` misses a grid's community or a category (tables edited since it was
    taken). With ``session=None`` it reads nothing and answers None where it would have to.

    Raises
    ------
    DataError
        Missing or too long text, bad location, unknown category, bad contact data.
    ConflictError
        The idempotency key was used for a different submission.
    """
    actor = actor or Actor.public()
    text = new.text.strip() if new.text else ""
    if not text:
        raise DataError("text: the description of the problem is empty")
    if len(text) > max_chars:
        raise DataError(f"text: at most {max_chars} characters, got {len(text)}")
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 128:
            raise DataError("idempotency_key: expected 1–128 characters")
        if session is None:
            return None
        prior = session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
        if prior is not None:
            if prior.request_hash != new.request_hash():
                raise ConflictError(
                    "idempotency_key: already used for a different submission "
                    f"(case {prior.id}); use a new key"
                )
            return PreparedCase({}, new, actor, idempotency_key, None, None, prior=prior)
    if (new.lon is None) != (new.lat is None):
        raise DataError("location: give both lon and lat, or neither")
    grid_key = None
    community_key = None
    if new.lon is not None and new.lat is not None:
        if not in_china_bbox(new.lon, new.lat):
            raise DataError(
                f"location: ({new.lon}, {new.lat}) is outside China; expected WGS-84 lon/lat"
            )
        if check_area and not index.in_served_area(new.lon, new.lat):
            raise DataError(f"location: ({new.lon}, {new.lat}) is outside the served area")
        grid_key = index.grid_of(new.lon, new.lat)
        if grid_key is not None:
            community_key = index.communities.get(grid_key)
            if not community_key:
                if session is None:
                    return None
                community_key = session.scalar(
                    select(Grid.community_key).where(Grid.key == grid_key)
                )
    elif not new.address:
        raise DataError("location: give a map location (lon, lat) or an address")
    proposal = classifier.propose_category(text) if classifier is not None else None
    category_key = new.category or (proposal[0] if proposal else "other.general")
    cat_info = index.categories.get(category_key)
    if cat_info is None:
        if session is None:
            return None
        row = session.get(CategoryRow, category_key)
        if row is not None:
            cat_info = (
                row.department_key,
                row.sign_hours,
                row.respond_hours,
                row.resolve_days,
                row.name,
            )
    if cat_info is None or cat_info[0] is None:
        raise DataError(f"category: unknown category {category_key!r}")
    cat_department, cat_sign, cat_respond, cat_resolve, cat_name = cat_info
    if new.case_type not in ("request", "proactive"):
        raise DataError(f"case_type: expected 'request' or 'proactive', got {new.case_type!r}")
    phone = normalise_phone(new.phone) if new.phone else None
    id_number = normalise_id_number(new.id_number) if new.id_number else None
    if new.name is not None and len(new.name) > 100:
        raise DataError("name: at most 100 characters")
    if new.address is not None and len(new.address) > 300:
        raise DataError("address: at most 300 characters")
    profile = DeadlineProfile(
        key=category_key,
        label=cat_name,
        sign_hours=float(cat_sign or 2),
        respond_hours=float(cat_respond or 24),
        resolve_days=int(cat_resolve or 5),
    )
    due = build_deadlines(now, profile)
    values: dict[str, Any] = dict(
        tracking_code=_tracking_code(),
        idempotency_key=idempotency_key,
        request_hash=new.request_hash() if idempotency_key else None,
        case_type=new.case_type,
        source=new.source,
        text=text,
        address=new.address,
        lon=new.lon,
        lat=new.lat,
        category_key=category_key,
        proposed_category=proposal[0] if proposal else None,
        proposed_confidence=proposal[1] if proposal else None,
        category_source=(
            ("imported" if new.source == "import" else "resident")
            if new.category
            else ("proposed" if proposal else "default")
        ),
        department_key=cat_department,
        grid_key=grid_key,
        community_key=community_key,
        person_id=actor.person_id,
        owner_id=actor.user_id if actor.role == "resident" else None,
        state="submitted",
        submitted_at=now,
        updated_at=now,
        sign_due=due.sign_due,
        respond_due=due.respond_due,
        resolve_due=due.resolve_due,
        resolve_days=profile.resolve_days,
        extension_days=0,
        escalation_level=0,
        reopen_count=0,
    )
    return PreparedCase(values, new, actor, idempotency_key, phone, id_number)


def _with_person(session: Session, prepared: PreparedCase) -> dict[str, Any]:
    """The case row, linked to the person record of the contact given (found or made)."""
    new = prepared.new
    if not (prepared.phone or prepared.id_number or new.name):
        return prepared.values
    person = person_for(session, name=new.name, phone=prepared.phone, id_number=prepared.id_number)
    return {**prepared.values, "person_id": person.id}


def _submit_event(case_id: int, values: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "action": "submit",
        "from_state": None,
        "to_state": "submitted",
        "actor_id": actor.user_id,
        "actor_role": actor.role,
        "at": values["submitted_at"],
        "note": None,
    }


def _photo_rows(case_id: int, new: NewCase) -> list[dict[str, Any]]:
    return [
        {"case_id": case_id, "position": pos, "sha256": sha, "ext": ext}
        for pos, (sha, ext) in enumerate(new.photos)
    ]


def store_prepared(session: Session, prepared: PreparedCase) -> tuple[Case, bool]:
    """Insert one prepared submission with its ``submit`` event (see :func:`create_case`).

    A lost race on the idempotency key (a concurrent submission inserted it first) answers
    the other case when its payload is the same, else raises ConflictError.
    """
    if prepared.prior is not None:
        return prepared.prior, False
    idempotency_key = prepared.idempotency_key
    new = prepared.new
    values = _with_person(session, prepared)
    # Core inserts (not the unit of work): intake is the hot path, and this halves its CPU.
    try:
        if idempotency_key is None:
            case_id = session.execute(_INSERT_CASE, values).scalar_one()
        else:
            with session.begin_nested():  # a savepoint: a lost race undoes only this insert
                case_id = session.execute(_INSERT_CASE, values).scalar_one()
    except IntegrityError as exc:
        # Two concurrent submissions with one idempotency key: the other one won. Any other
        # constraint (no key, or no case under it) is the database's own error.
        if idempotency_key is None:
            raise
        prior = session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
        if prior is None:
            raise
        if prior.request_hash == new.request_hash():
            return prior, False
        raise ConflictError("idempotency_key: a concurrent submission used this key") from exc
    if new.photos:
        session.execute(_INSERT_PHOTO, _photo_rows(case_id, new))
    session.execute(_INSERT_EVENT, _submit_event(case_id, values, prepared.actor))
    case = Case(
        id=case_id,
        merged_into_id=None,
        rating=None,
        accepted_at=None,
        responded_at=None,
        resolved_at=None,
        closed_at=None,
        **values,
    )
    make_transient_to_detached(case)
    session.add(case)
    session.flush()
    return case, True


def store_prepared_many(session: Session, prepared: Sequence[PreparedCase]) -> list[CaseReceipt]:
    """Insert many prepared submissions with one statement per table (the intake batch).

    The caller must roll the whole transaction back when this raises (a constraint failed,
    e.g. an idempotency key inserted concurrently, or one key twice in ``prepared``) and may
    then store the submissions one by one with :func:`store_prepared`, each in a savepoint,
    to give every submitter its own answer.

    Returns
    -------
    list of CaseReceipt
        In the order of ``prepared``.
    """
    keys = [p.idempotency_key for p in prepared if p.prior is None and p.idempotency_key]
    if len(keys) != len(set(keys)):
        raise ConflictError("idempotency_key: used twice in one batch")
    fresh = [(i, p, _with_person(session, p)) for i, p in enumerate(prepared) if p.prior is None]
    out: list[CaseReceipt | None] = [
        None if p.prior is None else CaseReceipt.of(p.prior, created=False) for p in prepared
    ]
    if fresh:
        conn = session.connection()
        ids = next_ids(conn, _CASES_T, len(fresh))
        columns = ("id", *fresh[0][2])
        insert_rows(
            conn,
            _CASES_T,
            columns,
            [{"id": case_id, **values} for case_id, (_, _, values) in zip(ids, fresh, strict=True)],
        )
        insert_rows(
            conn,
            _EVENTS_T,
            _EVENT_COLUMNS,
            [
                _submit_event(case_id, values, p.actor)
                for case_id, (_, p, values) in zip(ids, fresh, strict=True)
            ],
        )
        photos = []
        for case_id, (i, p, values) in zip(ids, fresh, strict=True):
            if p.new.photos:
                photos += _photo_rows(case_id, p.new)
            out[i] = CaseReceipt.of_row(case_id, values)
        if photos:
            conn.execute(_INSERT_PHOTO, photos)
    return [r for r in out if r is not None]


_EVENT_COLUMNS = (
    "case_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_role",
    "at",
    "note",
)


def create_case(
    session: Session,
    *,
    new: NewCase,
    now: dt.datetime,
    index: GridIndex,
    classifier: CategoryClassifier | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    check_area: bool = True,
    max_chars: int = TEXT_MAX_CHARS,
) -> tuple[Case, bool]:
    """Validate, route and store a new case with its ``submit`` event.

    :func:`prepare_case` then :func:`store_prepared`; the web service's intake batches many
    submissions with :func:`prepare_case` and :func:`store_prepared_many` instead.

    Parameters
    ----------
    new
        The submission.
    now
        Submission time (timezone-aware).
    index
        Grids and served areas (:func:`grid_index`).
    classifier
        Proposes a category from the text; used when ``new.category`` is empty and recorded
        as ``proposed_category`` either way.
    actor
        The submitter (a logged-in resident links the case to their person record).
    idempotency_key
        A repeat with the same key and payload returns the stored case; the same key with
        a different payload raises ConflictError.
    check_area
        Refuse locations outside the served area (imports of history may switch it off).
    max_chars
        Longest accepted text, in characters.

    Returns
    -------
    (Case, bool)
        The case and whether it was created now (False for an idempotent replay).
    """
    prepared = prepare_case(
        session,
        new=new,
        now=now,
        index=index,
        classifier=classifier,
        actor=actor,
        idempotency_key=idempotency_key,
        check_area=check_area,
        max_chars=max_chars,
    )
    assert prepared is not None  # None only without a session
    return store_prepared(session, prepared)


# Table-level (not ORM-entity) inserts skip the ORM bulk machinery on the hot intake path.
_CASES_T = cast(Table, Case.__table__)
_EVENTS_T = cast(Table, CaseEvent.__table__)
_INSERT_CASE = insert(_CASES_T).returning(_CASES_T.c.id)
_INSERT_EVENT = insert(_EVENTS_T)
_INSERT_PHOTO = insert(cast(Table, CasePhoto.__table__))
