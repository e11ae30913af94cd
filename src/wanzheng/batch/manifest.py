"""The manifest of a batch: which areas to audit, from which files, into which folders.

TOML, one ``[[area]]`` table per area::

    [[area]]
    name = "海淀-中国农大"             # unique; names the area in progress and reports
    osm = "extracts/cau.osm.pbf"      # OSM extract
    out = "out/cau"                   # the area's audit folder (as ``wanzheng audit --out``)
    ledger = "ledgers/cau.xlsx"       # optional: facility ledger (``--facilities``)
    communities = "cau.geojson"       # optional: community file (``--communities``)
    catalogue = "city.toml"           # optional: catalogue override (``--standard``)
    date = 2025-12-31                 # optional: the day the data describe (``--date``)

or an XLSX (or CSV) workbook with the same columns, one row per area. Relative paths are
taken against the manifest's folder. ``date`` is recorded in the area's sources as
``wanzheng audit --date`` records it. Optional settings, per area: ``origins``
(``centroid`` / ``buildings``), ``floor_area_per_person`` (m²), ``ledger_crs`` and
``communities_crs`` (``wgs84`` / ``gcj02`` / ``bd09``).

Every problem is a :class:`~wanzheng.errors.DataError` naming the manifest, the area (its
name, else its position) and the field.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wanzheng.errors import DataError

__all__ = ["FIELDS", "Area", "load_manifest"]

REQUIRED = ("name", "osm", "out")
FIELDS: dict[str, str] = {
    "name": "unique name of the area",
    "osm": "OSM extract (.osm.pbf, .osm, .osm.bz2)",
    "out": "output folder of the area's audit",
    "ledger": "facility ledger, CSV or XLSX (optional)",
    "communities": "community file: GeoJSON, GeoPackage, XLSX or CSV (optional)",
    "catalogue": "catalogue override, TOML (optional)",
    "date": "the day the area's data describe, YYYY-MM-DD, as `wanzheng audit --date` (optional)",
    "origins": "centroid or buildings (optional, default centroid)",
    "floor_area_per_person": "m² of residential floor per resident (optional)",
    "ledger_crs": "coordinate system of the ledger: wgs84, gcj02, bd09 (optional, gcj02)",
    "communities_crs": "coordinate system of the community file (optional, wgs84)",
}
"""Every field an area may have, with what it holds."""

CRS_NAMES = ("wgs84", "gcj02", "bd09")


@dataclass(frozen=True, slots=True)
class Area:
    """One area of a batch: absolute paths and the audit's settings.

    Only paths and small values, so that a task for it is cheap to send to a worker.
    """

    name: str
    osm: Path
    out: Path
    ledger: Path | None = None
    communities: Path | None = None
    catalogue: Path | None = None
    origins: str = "centroid"
    floor_area_per_person_m2: float | None = None
    ledger_crs: str = "gcj02"
    communities_crs: str = "wgs84"
    audit_date: str | None = None

    def inputs(self) -> dict[str, Path]:
        """The input files by field name (those given)."""
        given = {
            "osm": self.osm,
            "ledger": self.ledger,
            "communities": self.communities,
            "catalogue": self.catalogue,
        }
        return {k: v for k, v in given.items() if v is not None}

    def settings(self) -> dict[str, Any]:
        """The settings that change an audit's result (beyond its input files)."""
        return {
            "origins": self.origins,
            "floor_area_per_person_m2": self.floor_area_per_person_m2,
            "ledger_crs": self.ledger_crs,
            "communities_crs": self.communities_crs,
            "audit_date": self.audit_date,
        }


def load_manifest(path: Path) -> list[Area]:
    """Read a batch manifest (TOML, XLSX or CSV).

    Parameters
    ----------
    path
        ``.toml`` with ``[[area]]`` tables, or ``.xlsx`` / ``.csv`` with one row per area.

    Returns
    -------
    list[Area]
        The areas in manifest order, paths made absolute against the manifest's folder.

    Raises
    ------
    DataError
        Unreadable file, no area, an unknown or missing field, a wrong value, two areas with
        the same name or the same output folder, an input file that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: manifest not found")
    toml = path.suffix.lower() == ".toml"
    records = _toml_records(path) if toml else _table_records(path)
    if not records:
        raise DataError(f"{path}: no area; add one [[area]] table (or row) per area")
    base = path.resolve().parent
    areas = [_area(path, where, rec, base) for where, rec in records]
    _check_unique(path, areas)
    return areas


def _toml_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML: {exc}") from exc
    extra = sorted(set(doc) - {"area"})
    if extra:
        raise DataError(
            f"{path}: unknown top-level key {extra[0]!r}; the manifest holds [[area]] tables only"
        )
    areas = doc.get("area", [])
    if not isinstance(areas, list) or not all(isinstance(a, dict) for a in areas):
        raise DataError(f"{path}: 'area' must be an array of tables, written [[area]]")
    return [(f"area {i + 1}", dict(a)) for i, a in enumerate(areas)]


def _table_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    from wanzheng.data.tabular import cell_text, read_table

    table = read_table(path, aliases={f: () for f in FIELDS})
    unknown = [c for c in table.frame.columns if c not in FIELDS]
    if unknown:
        raise DataError(
            f"{path}: unknown column {table.headers.get(unknown[0], unknown[0])!r}; "
            f"expected {', '.join(FIELDS)}"
        )
    records: list[tuple[str, dict[str, Any]]] = []
    for i, row in enumerate(table.frame.itertuples(index=False)):
        rec: dict[str, Any] = {}
        for col, value in zip(table.frame.columns, row, strict=True):
            if col in ("floor_area_per_person", "date"):
                if value is not None and cell_text(value) != "":
                    rec[col] = value  # a number, a date cell or text; checked in _area
            elif (text := cell_text(value)) != "":
                rec[col] = text
        records.append((f"row {int(table.rows[i])}", rec))
    return records


def _area(path: Path, where: str, rec: Mapping[str, Any], base: Path) -> Area:
    name = rec.get("name")
    label = f"{path}: {where}" + (f" ({name})" if isinstance(name, str) and name.strip() else "")
    unknown = sorted(set(rec) - set(FIELDS))
    if unknown:
        raise DataError(
            f"{label}: unknown field {unknown[0]!r}; expected one of {', '.join(FIELDS)}"
        )
    for field in REQUIRED:
        value = rec.get(field)
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{label}: field {field!r} is missing or empty ({FIELDS[field]})")

    def located(field: str) -> Path | None:
        value = rec.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{label}: field {field!r}: expected a path, got {value!r}")
        p = Path(value.strip()).expanduser()
        p = p if p.is_absolute() else base / p
        if field != "out" and not p.is_file():
            raise DataError(f"{label}: field {field!r}: file {p} not found")
        return p

    osm, out = located("osm"), located("out")
    if osm is None or out is None:  # checked above; says so to the type checker
        raise DataError(f"{label}: fields 'osm' and 'out' are required")
    origins = rec.get("origins", "centroid")
    if origins not in ("centroid", "buildings"):
        raise DataError(
            f"{label}: field 'origins': expected centroid or buildings, got {origins!r}"
        )
    crs: dict[str, str] = {}
    for field, default in (("ledger_crs", "gcj02"), ("communities_crs", "wgs84")):
        value = rec.get(field, default)
        if not isinstance(value, str) or value.strip().lower() not in CRS_NAMES:
            raise DataError(
                f"{label}: field {field!r}: expected one of {', '.join(CRS_NAMES)}, got {value!r}"
            )
        crs[field] = value.strip().lower()
    return Area(
        name=str(rec["name"]).strip(),
        osm=osm,
        out=out,
        ledger=located("ledger"),
        communities=located("communities"),
        catalogue=located("catalogue"),
        origins=str(origins),
        floor_area_per_person_m2=_floor_area(label, rec.get("floor_area_per_person")),
        ledger_crs=crs["ledger_crs"],
        communities_crs=crs["communities_crs"],
        audit_date=_audit_date(label, rec.get("date")),
    )


def _audit_date(label: str, value: Any) -> str | None:
    """The ``date`` field as ISO ``YYYY-MM-DD`` (a TOML date, a date cell or text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise DataError(
                f"{label}: field 'date': expected a day such as 2025-12-31, got {value!r}"
            )
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise DataError(f"{label}: field 'date': expected a day such as 2025-12-31, got {value!r}")


def _floor_area(label: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise DataError(
            f"{label}: field 'floor_area_per_person': expected a positive number of m², "
            f"got {value!r}"
        )
    return number


def _check_unique(path: Path, areas: list[Area]) -> None:
    names: dict[str, int] = {}
    outs: dict[Path, str] = {}
    for i, a in enumerate(areas):
        if a.name in names:
            raise DataError(
                f"{path}: area {i + 1} ({a.name}): field 'name': the name is already used by "
                f"area {names[a.name] + 1}"
            )
        names[a.name] = i
        out = a.out.resolve()
        if out in outs:
            raise DataError(
                f"{path}: area {i + 1} ({a.name}): field 'out': {a.out} is already the output "
                f"folder of area {outs[out]!r}"
            )
        outs[out] = a.name
