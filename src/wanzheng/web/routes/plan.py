"""``/api/plan/*``: the served audit's siting plan and the programme's progress.

The audit's own plan is ``<audit_dir>/plan`` (``wanzheng plan site AUDIT_DIR`` without
``--out``); the programme's progress is ``settings.progress_dir`` (else
``<audit_dir>/progress``), written by ``wanzheng plan progress --out``. Both are read from
their JSON files (``plan.json``, ``progress.json``) and re-read when a file changes.
``POST /api/plan/run`` sites kinds on the served audit's network on request, within small
limits (at most :data:`RUN_MAX_SITES` sites, :data:`RUN_MAX_SECONDS` seconds of HiGHS, one
run at a time), and answers without writing anything.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Literal

import shapely
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from wanzheng.errors import ConflictError, DataError, NotFoundError
from wanzheng.web.audit_view import AuditView
from wanzheng.web.deps import DispatcherActor
from wanzheng.web.openapi import errors
from wanzheng.web.routes.audit import AuditState, State

__all__ = ["PLAN_MEDIA_TYPES", "RUN_MAX_SECONDS", "RUN_MAX_SITES", "RunRequest", "router"]

router = APIRouter(prefix="/api/plan", tags=["plan"])

PLAN_MEDIA_TYPES = {
    "plan.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "plan.gpkg": "application/geopackage+sqlite3",
    "plan.html": "text/html; charset=utf-8",
}
RUN_MAX_SITES = 10
"""Most new sites ``POST /api/plan/run`` places."""
RUN_MAX_SECONDS = 10.0
"""Most seconds of HiGHS ``POST /api/plan/run`` spends."""

_RUN_LOCK = threading.Lock()  # one siting at a time per process: the machine is shared
_FILES_LOCK = threading.Lock()
_FILES: dict[Path, tuple[tuple[int, int], Any]] = {}


def _read_json(path: Path, what: str) -> Any:
    """The parsed file, re-read when its size or modification time changes."""
    try:
        st = path.stat()
    except OSError:
        raise NotFoundError(f"{what}; {path.name} not found in {path.parent}") from None
    stamp = (st.st_mtime_ns, st.st_size)
    with _FILES_LOCK:
        hit = _FILES.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFoundError(f"{what}; {path} cannot be read ({exc})") from None
    with _FILES_LOCK:
        _FILES[path] = (stamp, doc)
    return doc


def _plan_dir(store: AuditView) -> Path:
    if store.out_dir is None:
        raise NotFoundError("plan: the audit is held in memory and has no plan directory")
    return store.out_dir / "plan"


def _plan(store: AuditView) -> dict[str, Any]:
    doc = _read_json(
        _plan_dir(store) / "plan.json",
        "plan: no plan for this audit (run `wanzheng plan site AUDIT_DIR --kinds …`)",
    )
    if not isinstance(doc, dict):
        raise NotFoundError("plan: plan.json is not an object")
    return doc


def _stale(store: AuditView, doc: dict[str, Any]) -> bool:
    """True when the audit was rerun after the plan was made (``audit.gpkg`` changed)."""
    made_on = doc.get("audit")
    if not isinstance(made_on, dict) or store.out_dir is None:
        return False
    try:
        st = (store.out_dir / "audit.gpkg").stat()
    except OSError:
        return False
    return made_on != {"gpkg_size": st.st_size, "gpkg_mtime_ns": st.st_mtime_ns}


def _json(doc: Any) -> Response:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type="application/json")


@router.get(
    "/summary",
    responses={
        **errors(404),
        200: {"description": "The plan: summary, kinds, verdicts that change, alternatives"},
    },
)
def summary(state: State) -> Response:
    """The served audit's plan: model, status (``optimal`` / ``feasible`` with its gap /
    ``infeasible`` with the reason), residents newly covered, communities that become
    complete, the kinds sited, the verdicts that change and the best plan for p = 1 … N.
    ``stale`` is true when the audit was rerun after the plan was made; ``exports`` says
    which of ``plan.xlsx``, ``plan.gpkg``, ``plan.html`` exist. 404 without an audit or a
    plan."""
    store = state.store()
    doc = _plan(store)
    folder = _plan_dir(store)
    return _json(
        {
            "summary": doc.get("summary", {}),
            "kinds": doc.get("kinds", []),
            "changed": doc.get("changed", []),
            "alternatives": doc.get("alternatives", []),
            "stale": _stale(store, doc),
            "exports": {name: (folder / name).is_file() for name in PLAN_MEDIA_TYPES},
        }
    )


def _sites_geojson(doc: dict[str, Any]) -> dict[str, Any]:
    features = []
    for site in doc.get("sites", []):
        props = {k: v for k, v in site.items() if k not in ("lon", "lat")}
        props["kinds"] = [k for k in str(site.get("kinds") or "").split(";") if k]
        props["communities_new"] = [
            c for c in str(site.get("communities_new") or "").split("、") if c
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.get(
    "/sites",
    responses={**errors(404), 200: {"description": "GeoJSON points of the proposed sites"}},
)
def sites(state: State) -> Response:
    """The proposed sites as GeoJSON points (WGS-84): ``id`` (stable), ``name`` (in words),
    ``kinds`` (keys), ``cost``, ``residents_new`` (residents newly within reach, summed over
    the kinds), ``{kind}_new`` and ``communities_new`` (the communities it newly reaches).
    404 without an audit or a plan."""
    return _json(_sites_geojson(_plan(state.store())))


def _communities_geojson(store: AuditView, doc: dict[str, Any]) -> dict[str, Any]:
    rows = {str(c["id"]): c for c in doc.get("communities", [])}
    features = []
    comm = store.communities
    for cid, geom in zip(comm["id"].astype(str), comm["geometry"], strict=True):
        if cid not in rows or geom is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-7)),
                "properties": rows[cid],
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.get(
    "/communities",
    responses={
        **errors(404),
        200: {"description": "GeoJSON of the communities the plan newly reaches"},
    },
)
def communities(state: State) -> Response:
    """The communities with residents newly covered or a verdict that changes, as GeoJSON
    (the audit's polygons): ``residents_new``, per kind ``{k}_residents_new`` and the
    statuses before / after, ``verdict_before`` / ``verdict_after``. 404 without an audit or
    a plan."""
    store = state.store()
    return _json(_communities_geojson(store, _plan(store)))


@router.get(
    "/export/{name}",
    response_class=FileResponse,
    responses={
        **errors(404),
        200: {
            "description": "The file",
            "content": {media.split(";")[0]: {} for media in PLAN_MEDIA_TYPES.values()},
        },
    },
)
def export(name: str, state: State) -> FileResponse:
    """Download ``plan.xlsx``, ``plan.gpkg`` or ``plan.html`` of the served audit's plan.
    404 for another name, or without an audit or that file."""
    if name not in PLAN_MEDIA_TYPES:
        raise NotFoundError(f"name: expected one of {', '.join(PLAN_MEDIA_TYPES)}, got {name!r}")
    path = _plan_dir(state.store()) / name
    if not path.is_file():
        raise NotFoundError(f"name: {name} not found in the audit's plan directory")
    return FileResponse(
        path,
        media_type=PLAN_MEDIA_TYPES[name],
        filename=None if name.endswith(".html") else name,
    )


class RunRequest(BaseModel):
    """A siting on the served audit, with sites proposed from its walking network."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[str] = Field(
        min_length=1,
        max_length=4,
        description="Kind keys to site (each an audited kind with a walking threshold).",
    )
    add: int = Field(
        3, ge=1, le=RUN_MAX_SITES, description="At most this many new sites (mclp, pmedian)."
    )
    model: Literal["mclp", "lscp", "pmedian"] = Field(
        "mclp", description="mclp (most residents newly covered), lscp, pmedian."
    )
    time_limit_s: float = Field(
        5.0, gt=0, le=RUN_MAX_SECONDS, description="Seconds HiGHS may spend."
    )


@router.post(
    "/run",
    responses={
        **errors(404, 409),
        200: {"description": "The plan, in the shape of plan.json (nothing is written)"},
    },
)
def run(body: RunRequest, state: State, actor: DispatcherActor) -> Response:
    """Site ``kinds`` on the served audit now (staff only): at most ``add`` new sites chosen
    among sites proposed from the walking network (named by the area's places), solved by
    HiGHS within ``time_limit_s``; the status says whether the answer is proven optimal.
    Answers the plan in the shape of ``plan.json`` without writing it. 404 without an audit,
    409 while another siting is running, 422 for a kind the audit cannot site."""
    from wanzheng.audit.reach import graph_from_edges
    from wanzheng.place.reverse import build_place_namer
    from wanzheng.plan.run import site_plan
    from wanzheng.report.plan import plan_json

    store = state.store()
    table = store.kinds
    known = dict(zip(table["key"].astype(str), table["name_zh"].astype(str), strict=True))
    for n, key in enumerate(body.kinds):
        if key not in known:
            raise DataError(
                f"kinds: item {n}: {key!r} is not a kind of this audit "
                f"(audited: {', '.join(known)})"
            )
    if len(set(body.kinds)) != len(body.kinds):
        raise DataError(f"kinds: a kind is named twice ({', '.join(body.kinds)})")
    if not _RUN_LOCK.acquire(blocking=False):
        raise ConflictError("run: another siting is running; try again when it has finished")
    try:
        graph = graph_from_edges(store.network)
        if graph is None:
            raise DataError("run: the audit's network has no walkable edge")
        namer = build_place_namer(store.communities, store.network, pois=store.facilities)
        outcome, _ = site_plan(
            graph,
            communities=store.communities,
            facilities=store.facilities,
            kinds=table,
            sited=list(body.kinds),
            model=body.model,
            p=None if body.model == "lscp" else body.add,
            time_limit_s=body.time_limit_s,
            site_name=namer.name_site,
        )
    finally:
        _RUN_LOCK.release()
    doc = plan_json(outcome, kind_names=known)
    doc["sites_geojson"] = _sites_geojson(doc)
    return _json(doc)


@router.get(
    "/available",
    responses={200: {"description": "Whether a plan and a programme's progress can be read"}},
)
def available(request: Request, state: State) -> dict[str, bool]:
    """``{"audit": …, "plan": …, "progress": …}``: whether an audit is served and whether
    ``/api/plan/summary`` and ``/api/plan/progress`` have something to show (the pages ask
    first, so that having no plan is not an error)."""
    try:
        store = state.store()
    except NotFoundError:
        store = None
    try:
        plan = store is not None and (_plan_dir(store) / "plan.json").is_file()
    except NotFoundError:
        plan = False
    try:
        progress = (_progress_dir(request, state) / "progress.json").is_file()
    except NotFoundError:
        progress = False
    return {"audit": store is not None, "plan": plan, "progress": progress}


def _progress_dir(request: Request, state: AuditState) -> Path:
    desk = getattr(request.app.state, "desk", None)
    settings = getattr(desk, "settings", None)
    configured: Path | None = getattr(settings, "progress_dir", None)
    if configured is not None:
        return configured
    if state.audit_dir is not None:
        return state.audit_dir / "progress"
    store = state.store()
    if store.out_dir is None:
        raise NotFoundError("progress: no programme progress is configured (progress_dir)")
    return store.out_dir / "progress"


@router.get(
    "/progress",
    responses={
        **errors(404),
        200: {"description": "The programme's progress, as progress.json"},
    },
)
def progress(request: Request, state: State) -> Response:
    """The programme's progress from dated audits (``wanzheng plan progress``): summary
    (complete communities at the first and last audit, share complete against the target),
    districts and subdistricts ranked by the index (完整度指数), each community's verdict at
    every audit date, the changes and the projects late. Read from ``progress_dir`` (else
    ``<audit_dir>/progress``). 404 when there is none."""
    folder = _progress_dir(request, state)
    return _json(
        _read_json(
            folder / "progress.json",
            "progress: no programme progress (run `wanzheng plan progress … --out DIR` and "
            "set WANZHENG_PROGRESS_DIR)",
        )
    )
