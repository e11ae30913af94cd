"""The batch summary: every area's communities and verdicts in one table, worst first.

A community's *residents affected* are its residents when its verdict is ``incomplete`` (a
facility kind it needs lies beyond walking distance), else 0; unknown population counts as 0
and stays blank in ``population``. Rows are ranked by residents affected (most first), then
by verdict (``incomplete``, ``undetermined``, ``complete``), area and community id, so that a
province reads the table from the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wanzheng.batch.run import AreaOutcome
from wanzheng.errors import DataError

__all__ = ["SUMMARY_COLUMNS", "build_summary", "write_summary"]

SUMMARY_COLUMNS = (
    "rank",
    "area",
    "community_id",
    "community_name",
    "population",
    "population_source",
    "verdict",
    "residents_affected",
    "missing",
    "met",
    "out",
)
"""Columns of the summary table (plus ``geometry``, WKB, written only to a GeoPackage)."""

_VERDICT_ORDER = {"incomplete": 0, "undetermined": 1, "complete": 2}


def build_summary(outcomes: Sequence[AreaOutcome]) -> pd.DataFrame:
    """One row per community of every audited (or skipped, unchanged) area, ranked.

    Parameters
    ----------
    outcomes
        The batch's outcomes; failed areas contribute no rows.

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS` and ``geometry`` (WKB bytes, WGS-84); ``population`` and
        ``residents_affected`` are residents (``population`` NaN when unknown).
    """
    frames = []
    for o in outcomes:
        cols = o.communities
        if o.status == "failed" or not cols:
            continue
        n = len(cols["id"])
        frames.append(
            pd.DataFrame(
                {
                    "area": [o.name] * n,
                    "community_id": [str(v) for v in cols["id"]],
                    "community_name": ["" if v is None else str(v) for v in cols["name"]],
                    "population": pd.to_numeric(pd.Series(cols["population"]), errors="coerce"),
                    "population_source": [str(v or "") for v in cols["population_source"]],
                    "verdict": [str(v) for v in cols["verdict"]],
                    "missing": ["" if v is None else str(v) for v in cols["missing"]],
                    "met": pd.to_numeric(pd.Series(cols["met"]), errors="coerce"),
                    "out": [o.out] * n,
                    "geometry": cols["wkb"],
                }
            )
        )
    if not frames:
        empty = pd.DataFrame({c: [] for c in (*SUMMARY_COLUMNS, "geometry")})
        return empty
    table = pd.concat(frames, ignore_index=True)
    pop = table["population"].astype("float64")
    incomplete = table["verdict"].eq("incomplete").to_numpy()
    affected = np.where(incomplete & np.isfinite(pop.to_numpy()), pop.to_numpy(), 0.0)
    table["residents_affected"] = affected.round().astype("int64")
    table["_order"] = table["verdict"].map(_VERDICT_ORDER).fillna(3)
    table = table.sort_values(
        ["residents_affected", "_order", "area", "community_id"],
        ascending=[False, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["met"] = table["met"].astype("Int64")
    return table[[*SUMMARY_COLUMNS, "geometry"]]


def write_summary(summary: pd.DataFrame, path: Path) -> Path:
    """Write the summary as CSV (UTF-8 with BOM), XLSX or GeoPackage, by ``path``'s suffix.

    Text cells go through :mod:`wanzheng.data.cells` (no cell can be a formula); the
    GeoPackage has one layer ``summary`` with the community geometries (EPSG:4326).

    Raises
    ------
    DataError
        An unknown suffix.
    """
    from wanzheng.data.cells import safe_frame, save_workbook, write_frame_csv

    path = Path(path)
    suffix = path.suffix.lower()
    table = summary[list(SUMMARY_COLUMNS)]
    if suffix == ".csv":
        write_frame_csv(table, path)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None  # a new workbook has its sheet
        ws.title = "summary"
        ws.append(list(SUMMARY_COLUMNS))
        for row in safe_frame(table).itertuples(index=False):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        save_workbook(wb, path)
    elif suffix == ".gpkg":
        _write_gpkg(summary, path)
    else:
        raise DataError(f"{path}: summary must end in .csv, .xlsx or .gpkg, not {suffix!r}")
    return path


def _cell(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _write_gpkg(summary: pd.DataFrame, path: Path) -> None:
    import pyogrio.raw
    import shapely

    from wanzheng.data.cells import safe_frame

    # the column and geometry handling of the audit's own GeoPackage layers
    from wanzheng.report.gpkg import CRS, layer_geometry, ogr_fields

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    gtype, geoms = layer_geometry(list(shapely.from_wkb(summary["geometry"].to_numpy(object))))
    data, names, masks = ogr_fields(safe_frame(summary[list(SUMMARY_COLUMNS)]))
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        data,
        names,
        field_mask=masks,
        layer="summary",
        driver="GPKG",
        geometry_type=gtype,
        crs=CRS,
    )
