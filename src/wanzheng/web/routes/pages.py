"""The pages and their bundled assets, served with no external resource at all.

``/`` and ``/dashboard``: the planners' audit dashboard; ``/resident`` and ``/m``: the
residents' mobile page; ``/dispatch``: the dispatchers' console; ``/programme``: a city's
programme of complete communities (建设进度); ``/consult`` and ``/consult/staff``:
consultations (议事协商) for residents and for staff; ``/volunteer``: the volunteers' phone
page and ``/volunteer/staff`` the staff view of 双报到; ``/docs``: the API reference
(Swagger UI on ``/openapi.json``). The pages are built from ``frontend/`` by ``make web`` into
``web/static/`` and ship inside the Python package, Swagger UI's scripts and styles included,
so that every page renders on an intranet with no way out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from wanzheng.errors import NotFoundError

__all__ = ["PAGES", "STATIC_DIR", "favicon", "router", "vocabulary"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PAGES: dict[str, str] = {
    "/": "dashboard.html",
    "/dashboard": "dashboard.html",
    "/resident": "resident.html",
    "/m": "resident.html",
    "/dispatch": "dispatch.html",
    "/programme": "programme.html",
    "/volunteer": "volunteer.html",
    "/volunteer/staff": "volunteer-staff.html",
    "/docs": "docs.html",
    "/consult": "consult.html",
    "/consult/staff": "consult-staff.html",
}
"""URL path → built HTML file in :data:`STATIC_DIR`."""

router = APIRouter(tags=["pages"])


def _page(file: str) -> Any:
    def serve() -> FileResponse | HTMLResponse:
        path = STATIC_DIR / file
        if not path.is_file():
            return HTMLResponse(
                f"<!doctype html><meta charset=utf-8><title>wanzheng</title>"
                f"<p>{file} is not built: run <code>make web</code>.</p>",
                status_code=503,
            )
        return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})

    serve.__name__ = f"page_{file.split('.')[0]}"
    serve.__doc__ = f"The page {file}."
    return serve


for _path, _file in PAGES.items():
    router.add_api_route(
        _path, _page(_file), methods=["GET"], include_in_schema=False, response_model=None
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The site icon (browsers ask for it at this address whatever the page says)."""
    return static("favicon.svg")


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> FileResponse:
    """A built asset; hashed file names under ``assets/`` are cached for a year."""
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError(f"static file {path!r} does not exist")
    immutable = target.parent.name == "assets"
    return FileResponse(
        target,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"
        },
    )


@router.get("/api/ui/vocabulary", tags=["pages"])
def vocabulary(request: Request) -> dict[str, Any]:
    """Labels the pages show: states, actions, other history events, roles, categories,
    departments, grids (with their community), rating values (zh-CN ``label``; English
    ``label_en`` where the data has it).

    This is the one source of these labels: the pages carry no copy of them.

    All of it is the case desk's own public data (``states.toml``, ``categories.toml``, the
    departments, communities and grids tables, without the grids' polygons); nothing about
    any case or person.
    """
    from wanzheng.cases.tables import list_table

    desk = request.app.state.desk
    machine, tree = desk.machine, desk.tree
    with desk.reads() as session:
        departments = [
            {"key": r["key"], "name": r.get("name") or r["key"]}
            for r in list_table(session, table="departments")
        ]
        communities = {
            r["key"]: r.get("name") or r["key"] for r in list_table(session, table="communities")
        }
        grids = [
            {
                "key": r["key"],
                "name": r.get("name") or r["key"],
                "community": communities.get(r.get("community_key") or ""),
            }
            for r in list_table(session, table="grids")
        ]
    return {
        "states": {
            k: {"label": s.label, "label_en": s.label_en, "final": s.final}
            for k, s in machine.states.items()
        },
        "actions": {
            k: {
                "label": t.label,
                "label_en": t.label_en,
                "requires": sorted(t.requires),
                "roles": sorted(t.roles),
                "from": [k for k in machine.states if k in t.sources],
            }
            for k, t in machine.transitions.items()
        },
        "events": {
            k: {"label": e.label, "label_en": e.label_en} for k, e in machine.events.items()
        },
        "roles": {k: {"label": r.label, "label_en": r.label_en} for k, r in machine.roles.items()},
        "categories": {
            k: {"name": c.name, "parent": c.parent, "leaf": c.is_leaf}
            for k, c in tree.categories.items()
        },
        "departments": departments,
        "grids": grids,
        "ratings": list(machine.rating.values),
    }
