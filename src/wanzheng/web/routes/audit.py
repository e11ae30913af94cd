"""``/api/audit/*``: the audit output directory as JSON and GeoJSON for the dashboard.

The store is read once from ``settings.audit_dir`` on first use (or set up front as
``app.state.audit_store``) and the big GeoJSON layers are serialised once and cached.
Every coordinate is WGS-84 longitude/latitude; distances are metres.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import Field

from wanzheng.errors import NotFoundError, WanzhengError
from wanzheng.place.reverse import PlaceName, PlaceNamer, build_place_namer
from wanzheng.web.audit_view import EXPORT_FILES, AuditView, load_audit_view
from wanzheng.web.openapi import errors

__all__ = ["AUDIT_MEDIA_TYPES", "AuditState", "PlaceNames", "place_names", "router"]
_log = logging.getLogger("wanzheng.web")

# every route answers 404 while no audit is loaded
router = APIRouter(prefix="/api/audit", tags=["audit"], responses=errors(404))
_STATE_LOCK = threading.Lock()

AUDIT_MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "html": "text/html; charset=utf-8",
}


class AuditState:
    """The audit one service shows: loaded lazily, its JSON answers cached.

    When the audit is rerun into the same directory (``audit.gpkg`` replaced), the next
    request reads the new audit; while the file is briefly missing the old one is served.
    """

    def __init__(self, audit_dir: Path | None, store: AuditView | None = None) -> None:
        self.audit_dir = audit_dir
        self._store = store
        self._stamp: tuple[int, int, int] | None = None
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._namer: tuple[AuditView, PlaceNamer] | None = None

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self.audit_dir is None:
            return None
        try:
            st = (self.audit_dir / "audit.gpkg").stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def store(self) -> AuditView:
        """The audit store; :class:`NotFoundError` when no audit is configured."""
        with self._lock:
            return self._current()

    def _current(self) -> AuditView:
        if self.audit_dir is None:
            if self._store is None:
                raise NotFoundError(
                    "no audit is loaded: set WANZHENG_AUDIT_DIR to a `wanzheng audit --out` "
                    "directory"
                )
            return self._store
        stamp = self._file_stamp()
        if self._store is None or (stamp is not None and stamp != self._stamp):
            self._store = load_audit_view(self.audit_dir)
            self._stamp = stamp
            self._cache.clear()
        return self._store

    def describe(self, lon: float, lat: float) -> PlaceName | None:
        """The place name of a point from the audit's communities and streets
        (:mod:`wanzheng.place.reverse`); ``None`` when no audit is loaded or it cannot be read.
        """
        with self._lock:
            try:
                store = self._current()
            except WanzhengError as exc:
                if not isinstance(exc, NotFoundError):
                    _log.warning("place names unavailable: %s", exc)
                return None
            if self._namer is None or self._namer[0] is not store:
                self._namer = (store, build_place_namer(store.communities, store.network))
            namer = self._namer[1]
        return namer.describe(lon, lat)

    def cached(self, key: str, build: Callable[[AuditView], Any]) -> bytes:
        """The JSON bytes of ``build(store)`` for the current audit, computed once."""
        with self._lock:
            store = self._current()
            if key not in self._cache:
                self._cache[key] = json.dumps(
                    build(store), ensure_ascii=False, separators=(",", ":")
                ).encode("utf-8")
            return self._cache[key]


def _state(request: Request) -> AuditState:
    # One AuditState per application, made on first use from the desk's settings (or set
    # up front as ``app.state.audit``, e.g. with an AuditView held in memory).
    state = getattr(request.app.state, "audit", None)
    if not isinstance(state, AuditState):
        with _STATE_LOCK:
            state = getattr(request.app.state, "audit", None)
            if not isinstance(state, AuditState):
                desk = getattr(request.app.state, "desk", None)
                settings = getattr(desk, "settings", None)
                state = AuditState(getattr(settings, "audit_dir", None))
                request.app.state.audit = state
    return state


State = Annotated[AuditState, Depends(_state)]


async def place_names(request: Request) -> Callable[[float | None, float | None], str | None]:
    """A function naming points of the loaded audit's area (``None`` without an audit or a
    point), for the case views: ``石科院生活区附近 · 学院路``. (``async``: FastAPI would run a
    plain function in a worker thread, a hop that costs more than this lookup.)"""
    state = _state(request)

    def name(lon: float | None, lat: float | None) -> str | None:
        if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        found = state.describe(lon, lat)
        return found.text if found is not None else None

    return name


PlaceNames = Annotated[Callable[[float | None, float | None], str | None], Depends(place_names)]


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get("/summary")
def summary(state: State) -> Response:
    """Counts by verdict, residents, residents affected, provenance, available exports."""
    return _json(state.cached("summary", AuditView.summary))


@router.get("/kinds")
def kinds(state: State) -> Response:
    """Audited facility kinds (names zh/en, threshold in m, number of facilities)."""
    return _json(state.cached("kinds", AuditView.kinds_json))


@router.get("/coverage")
def coverage(state: State) -> Response:
    """Population-weighted coverage per kind (``population_share`` 0–1)."""
    return _json(state.cached("coverage", AuditView.coverage_json))


@router.get("/communities")
def communities(state: State) -> Response:
    """GeoJSON of communities with verdicts and per-kind distances and statuses."""
    return _json(state.cached("communities", AuditView.communities_geojson))


@router.get("/facilities")
def facilities(state: State) -> Response:
    """GeoJSON points of facilities, one per (facility, kind)."""
    return _json(state.cached("facilities", AuditView.facilities_geojson))


@router.get("/network")
def network(state: State) -> Response:
    """GeoJSON of the walking network, one MultiLineString per highway type."""
    return _json(state.cached("network", AuditView.network_geojson))


@router.get("/labels")
def labels(state: State) -> Response:
    """Street and community names for the maps, each at one point (WGS-84)."""
    return _json(state.cached("labels", AuditView.labels))


@router.get("/buildings")
def buildings(state: State) -> Response:
    """GeoJSON of buildings (empty when the audit output has none)."""
    return _json(state.cached("buildings", AuditView.buildings_geojson))


@router.get("/place")
def place(
    state: State,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS-84 longitude.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS-84 latitude.")],
) -> dict[str, Any]:
    """The place name of a point from the audit's own data (community containing or near it,
    nearest named street): what the resident page shows when a pin is dropped."""
    found = state.describe(lon, lat)
    if found is None:
        raise NotFoundError("no audit is loaded: places cannot be named")
    return {
        "name": found.text,
        "community_id": found.community_id or None,
        "community": found.community_name or None,
        "inside": found.inside,
        "street": found.street or None,
        "street_m": found.street_m,
    }


@router.get("/communities/{community_id}/reach")
def reach(
    community_id: str,
    state: State,
    minutes: Annotated[
        list[Annotated[float, Field(gt=0, le=60)]],
        Query(min_length=1, max_length=12, description="Walking times in minutes, (0, 60]."),
    ] = [  # noqa: B006
        5.0,
        10.0,
        15.0,
    ],
) -> Response:
    """Streets and area reachable on foot from a community within each walking time."""
    store = state.store()
    body = json.dumps(
        store.reach_geojson(community_id, minutes), ensure_ascii=False, separators=(",", ":")
    )
    return Response(body.encode("utf-8"), media_type="application/json")


@router.get(
    "/export/{name}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file",
            "content": {media.split(";")[0]: {} for media in AUDIT_MEDIA_TYPES.values()},
        }
    },
)
def export(name: str, state: State) -> FileResponse:
    """Download ``communities.xlsx``, ``audit.gpkg`` or ``report.html`` of the audit."""
    keys = {file: key for key, file in EXPORT_FILES.items()}
    if name not in keys:
        raise NotFoundError(f"export {name!r}: expected one of {', '.join(keys)}")
    path = state.store().export_path(keys[name])
    key = keys[name]
    return FileResponse(
        path,
        media_type=AUDIT_MEDIA_TYPES[key],
        filename=None if key == "html" else name,
    )
