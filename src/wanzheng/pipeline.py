"""One audit of one area, from input files to its output folder.

:func:`audit_to_dir` is the only path from files to a written audit: ``wanzheng audit`` calls
it in the foreground, ``wanzheng batch run`` calls it once per area inside a Dask task. Both
therefore write the same folder for the same inputs (byte-identical tables; the HTML report
and the workbook's "generated" cell carry the time of writing).

The stages, in order, are :data:`STAGES`; ``step(name)`` is called before each, so a progress
display or a failure report can say where an audit is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from wanzheng.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from wanzheng.audit.result import AuditResult
    from wanzheng.data.ledger import Ledger
    from wanzheng.report import OutputFiles, ProgressCallback

__all__ = [
    "STAGES",
    "AuditInputs",
    "AuditRun",
    "Enrich",
    "audit_area",
    "audit_to_dir",
    "origins_option",
    "write_audit_files",
]

STAGES: dict[str, str] = {
    "load": "读取 OSM / reading OSM",
    "graph": "构建步行网络 / building the walking graph",
    "snap": "吸附到路网 / snapping to the network",
    "distances": "计算步行距离 / walking distances",
    "verdicts": "判定 / verdicts",
    "outputs": "写出报告 / writing outputs",
}
"""Stage name -> label shown to people, in the order an audit passes them."""


@dataclass(frozen=True, slots=True)
class AuditInputs:
    """What an audit read, for an :data:`Enrich` hook that needs more than the result."""

    area: Path
    ledger: Ledger | None
    communities: pd.DataFrame | None


Enrich = Callable[["AuditResult", AuditInputs], "AuditResult"]
"""``enrich(result, inputs) -> result``: called after the verdicts, before the outputs are
written (``wanzheng audit --cases`` adds residents' cases per community this way)."""


@dataclass(frozen=True, slots=True)
class AuditRun:
    """An audit written to its folder.

    Attributes
    ----------
    result
        What the audit found.
    files
        The files written (all inside ``files.out_dir``).
    ledger
        The facility ledger as read (its ``unmapped`` rows are worth showing), or ``None``.
    """

    result: AuditResult
    files: OutputFiles
    ledger: Ledger | None


def origins_option(value: str) -> Literal["centroid", "buildings"]:
    """``value`` as an origins mode; :class:`DataError` unless ``centroid`` or ``buildings``."""
    if value == "centroid":
        return "centroid"
    if value == "buildings":
        return "buildings"
    raise DataError(f"--origins: expected 'centroid' or 'buildings', got {value!r}")


def audit_to_dir(
    area: Path,
    *,
    out: Path,
    facilities: Path | None = None,
    communities: Path | None = None,
    standard: Path | None = None,
    facilities_crs: str = "gcj02",
    communities_crs: str = "wgs84",
    floor_area_per_person_m2: float | None = None,
    origins: str = "centroid",
    audit_date: str | None = None,
    area_name: str | None = None,
    step: Callable[[str], None] | None = None,
    enrich: Enrich | None = None,
    write_progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> AuditRun:
    """Audit every community of ``area`` and write the audit's folder ``out``.

    Parameters
    ----------
    area
        OSM extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``).
    out
        Output folder; replaced atomically (see :func:`wanzheng.report.write_outputs`).
    facilities
        A street office's facility ledger (CSV/XLSX), added to OSM's facilities.
    communities
        Community file (GeoJSON, GeoPackage, XLSX, CSV); default: the extract's residential
        areas.
    standard
        Catalogue override (TOML) on top of the national catalogue.
    facilities_crs, communities_crs
        Coordinate system of the ledger / community file where the file does not say
        (``wgs84``, ``gcj02``, ``bd09``).
    floor_area_per_person_m2
        m² of residential floor per resident for population estimates; ``None``: the default.
    origins
        ``centroid`` or ``buildings`` (see :func:`wanzheng.audit.run.run_audit`).
    audit_date
        The day the audit's data describe (ISO ``YYYY-MM-DD``), recorded in the sources.
    area_name
        The area's name for the report's title; ``None``: built from the data.
    step
        Called with the name of each stage of :data:`STAGES` before it starts.
    enrich
        Called with the result and the inputs read before the outputs are written.
    write_progress
        ``progress(file_name, done, total)`` while the outputs are written.
    threads
        Threads of the distance engine; ``None``: the CPUs this process may use (see
        :func:`wanzheng.audit.run.run_audit`).

    Returns
    -------
    AuditRun
        The result, the files written and the ledger as read.

    Raises
    ------
    WanzhengError
        Any input is wrong (the message names the file, row and field); nothing is written.
    """
    say = step if step is not None else (lambda _name: None)
    result, ledger, comms = audit_area(
        area,
        facilities=facilities,
        communities=communities,
        standard=standard,
        facilities_crs=facilities_crs,
        communities_crs=communities_crs,
        floor_area_per_person_m2=floor_area_per_person_m2,
        origins=origins,
        audit_date=audit_date,
        area_name=area_name,
        step=say,
        threads=threads,
    )
    if enrich is not None:
        result = enrich(result, AuditInputs(area=area, ledger=ledger, communities=comms))
    say("outputs")
    files = write_audit_files(result, out, progress=write_progress)
    return AuditRun(result=result, files=files, ledger=ledger)


def write_audit_files(
    result: AuditResult, out: Path, *, progress: ProgressCallback | None = None
) -> OutputFiles:
    """Write the audit's folder ``out``: the report's files, then what the dashboard reads
    inside ``audit.gpkg`` (what ``wanzheng serve --audit-dir`` shows)."""
    from wanzheng.report import write_dashboard_extras, write_outputs

    files = write_outputs(result, out, progress=progress)
    write_dashboard_extras(result, out)
    return files


def audit_area(
    area: Path,
    *,
    facilities: Path | None = None,
    communities: Path | None = None,
    standard: Path | None = None,
    facilities_crs: str = "gcj02",
    communities_crs: str = "wgs84",
    floor_area_per_person_m2: float | None = None,
    origins: str = "centroid",
    audit_date: str | None = None,
    area_name: str | None = None,
    step: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> tuple[AuditResult, Ledger | None, pd.DataFrame | None]:
    """Read the inputs and audit ``area``, writing nothing (the stages up to ``verdicts``).

    The parameters are those of :func:`audit_to_dir`. Returns the result, the ledger as read
    (or ``None``) and the community table as read (or ``None``).
    """
    from wanzheng.audit.run import run_audit
    from wanzheng.data.communities import load_communities
    from wanzheng.data.ledger import load_ledger
    from wanzheng.data.osm import load_osm
    from wanzheng.data.tabular import Limits
    from wanzheng.settings import Settings
    from wanzheng.standards import load_catalogue, load_kind_rules

    def say(name: str) -> None:
        if step is not None:
            step(name)

    origin_mode = origins_option(origins)
    say("load")
    catalogue = load_catalogue(override=standard)
    rules = load_kind_rules(catalogue=catalogue)
    limits = Limits.from_settings(Settings())
    extract = load_osm(area, rules=rules)
    ledger = (
        None
        if facilities is None
        else load_ledger(facilities, rules=rules, default_crs=facilities_crs, limits=limits)
    )
    comms = (
        None
        if communities is None
        else load_communities(communities, default_crs=communities_crs, limits=limits)
    )
    result = run_audit(
        extract,
        catalogue=catalogue,
        ledger=ledger,
        communities=comms,
        floor_area_per_person_m2=floor_area_per_person_m2,
        origins=origin_mode,
        sources={
            "osm_file": area.name,
            "ledger_file": facilities.name if facilities else None,
            "communities_file": communities.name if communities else None,
            "audit_date": audit_date,
            "area_name": area_name,
        },
        step=say,
        threads=threads,
    )
    return result, ledger, comms
