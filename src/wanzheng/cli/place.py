"""``wanzheng place``: cases without coordinates placed from their text. Parse, call, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

    from wanzheng.cases.routing import GridIndex
    from wanzheng.data.tabular import Limits, Table
    from wanzheng.place import Gazetteer

__all__ = ["area_gazetteer", "audit_evidence", "read_cases", "read_grids", "register"]

CASE_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "工单编号", "工单号", "诉求编号", "case_id", "order_no"),
    "category": ("诉求类别", "类别", "分类"),
    "resident_id": ("居民编号", "反映人编号", "reporter_id"),
    "lon": ("经度", "lng", "longitude"),
    "lat": ("纬度", "latitude"),
    "crs": ("坐标系", "coord_system"),
}


def area_gazetteer(
    area: Path,
    *,
    communities: Path | None = None,
    facilities: Path | None = None,
    communities_crs: str = "wgs84",
    facilities_crs: str = "gcj02",
) -> Gazetteer:
    """The gazetteer of an audit area: its OSM names, communities and ledger.

    The communities cases are tied to are those of the audit: the community file when given,
    else the residential areas the audit reads from the same OSM file (same ids, same names).
    """
    from wanzheng.data.communities import load_communities
    from wanzheng.data.ledger import load_ledger
    from wanzheng.data.osm import load_osm
    from wanzheng.data.osm_names import load_osm_names
    from wanzheng.place import build_gazetteer
    from wanzheng.standards import load_kind_rules

    rules = load_kind_rules()
    names = load_osm_names(area)
    if communities is not None:
        comm = load_communities(communities, default_crs=communities_crs)
    else:
        comm = load_osm(area, rules=rules).communities
    ledger = (
        load_ledger(facilities, rules=rules, default_crs=facilities_crs).facilities
        if facilities is not None
        else None
    )
    return build_gazetteer(names, communities=comm, facilities=ledger)


def read_grids(path: Path) -> GridIndex:
    """Grid polygons from a routing TOML (the layout of ``wanzheng cases load-tables``)."""
    from wanzheng.cases.routing import GridIndex, load_routing_seed

    seed = load_routing_seed(path)
    return GridIndex.build(
        [(g["key"], g["polygon"]) for g in seed.grids],
        [],
        communities={g["key"]: g["community"] for g in seed.grids},
    )


def _texts(table: Table, columns: list[str], *, all_needed: bool = True) -> list[str]:
    from wanzheng.data.tabular import cell_text, normalise_header
    from wanzheng.errors import DataError

    found = []
    for col in columns:
        key = normalise_header(col)
        name = next((c for c, h in table.headers.items() if normalise_header(h) == key), None)
        if name is None and key in table.frame.columns:
            name = key
        if name is None and all_needed:
            raise DataError(
                f"{table.path}: --text-columns: no column {col!r} "
                f"(columns: {', '.join(table.headers.values())})"
            )
        if name is not None:
            found.append(name)
    if not found:
        raise DataError(
            f"{table.path}: none of the text columns {', '.join(columns)} "
            f"(columns: {', '.join(table.headers.values())})"
        )
    return [
        "。".join(t for t in (cell_text(row[c]) for c in found) if t)
        for row in table.frame[found].to_dict("records")
    ]


def _coordinates(table: Table) -> tuple[list[float | None], list[float | None]] | None:
    from wanzheng.data.tabular import parse_float, split_lonlat
    from wanzheng.errors import DataError
    from wanzheng.geo import parse_coord_system, to_wgs84

    table = split_lonlat(table)
    frame = table.frame
    if "lon" not in frame or "lat" not in frame:
        return None
    lon: list[float | None] = []
    lat: list[float | None] = []
    for i, (x_raw, y_raw) in enumerate(zip(frame["lon"], frame["lat"], strict=True)):
        try:
            x, y = parse_float(x_raw), parse_float(y_raw)
        except ValueError:
            col = "lon" if not _is_number(x_raw) else "lat"
            raise DataError(
                f"{table.where(i, col)}: expected a number, got {frame[col].iloc[i]!r}"
            ) from None
        if (x is None) != (y is None):
            raise DataError(f"{table.where(i)}: give both longitude and latitude, or neither")
        if x is not None and y is not None and "crs" in frame:
            crs_text = str(frame["crs"].iloc[i] or "").strip()
            if crs_text:
                try:
                    crs = parse_coord_system(crs_text)
                except DataError as exc:
                    raise DataError(f"{table.where(i, 'crs')}: {exc}") from None
                gx, gy = to_wgs84(x, y, crs)
                x, y = float(gx), float(gy)
        lon.append(x)
        lat.append(y)
    return lon, lat


def _is_number(value: object) -> bool:
    from wanzheng.data.tabular import parse_float

    try:
        parse_float(value)
    except ValueError:
        return False
    return True


def read_cases(path: Path, text_columns: list[str], *, all_needed: bool = True) -> pd.DataFrame:
    """Cases from CSV / XLSX: ``id``, ``text`` (the text columns joined), ``lon`` / ``lat``
    (WGS-84, NaN where absent), ``category`` and ``resident_id`` (``""`` where absent).
    ``all_needed=False`` joins the text columns the file has (at least one).

    Raises
    ------
    DataError
        Naming the file, row and column: no or empty id, a missing text column, a bad number.
    """
    import numpy as np
    import pandas as pd

    from wanzheng.data.tabular import cell_text, read_table
    from wanzheng.errors import DataError

    table = read_table(path, aliases=CASE_ALIASES, limits=_limits())
    if "id" not in table.frame:
        raise DataError(f"{path}: no 'id' column (编号 / 工单编号 …)")
    ids = [cell_text(v) for v in table.frame["id"]]
    for i, ident in enumerate(ids):
        if not ident:
            raise DataError(f"{table.where(i, 'id')}: empty")
    coords = _coordinates(table)
    frame = pd.DataFrame(
        {
            "id": ids,
            "text": _texts(table, text_columns, all_needed=all_needed),
            "lon": np.asarray(
                [np.nan if v is None else v for v in coords[0]] if coords else [np.nan] * len(ids),
                dtype=np.float64,
            ),
            "lat": np.asarray(
                [np.nan if v is None else v for v in coords[1]] if coords else [np.nan] * len(ids),
                dtype=np.float64,
            ),
        }
    )
    for col in ("category", "resident_id"):
        frame[col] = (
            [cell_text(v) for v in table.frame[col]] if col in table.frame else [""] * len(ids)
        )
    return frame


def audit_evidence(
    cases: pd.DataFrame, gazetteer: Gazetteer, *, min_confidence: float = 0.6
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tie cases to the audit's communities (pin, else text) and count those asking for a
    missing facility: ``(evidence per community and kind, placements per case)``."""
    from wanzheng.place.table import place_cases
    from wanzheng.proactive.evidence import evidence_counts, load_evidence_rules
    from wanzheng.standards.catalogue import load_catalogue

    placed = place_cases(
        list(cases["id"]),
        list(cases["text"]),
        gazetteer,
        lon=list(cases["lon"]),
        lat=list(cases["lat"]),
        min_confidence=min_confidence,
    )
    rules = load_evidence_rules(kinds=[k.key for k in load_catalogue().kinds])
    tied = cases.assign(community_id=placed["community_id"].to_numpy())
    return evidence_counts(tied, rules), placed


def _limits() -> Limits:
    """The input limits of the settings (``WANZHENG_INPUT_*``)."""
    from wanzheng.data.tabular import Limits
    from wanzheng.settings import Settings

    return Limits.from_settings(Settings())


def register(app: typer.Typer) -> None:
    """Add ``wanzheng place`` to the main application."""

    @app.command("place")
    def place(
        area: Annotated[Path, typer.Option("--area", help="The area's OSM extract (.osm.pbf).")],
        data: Annotated[Path, typer.Option("--data", help="Cases, CSV or XLSX.")],
        out: Annotated[Path, typer.Option("--out", help="Placed cases (CSV).")],
        text_columns: Annotated[
            str,
            typer.Option("--text-columns", help="Comma-separated text columns, e.g. title,detail."),
        ],
        communities: Annotated[
            Path | None,
            typer.Option(help="The audit's community file (default: the OSM residential areas)."),
        ] = None,
        facilities: Annotated[
            Path | None, typer.Option(help="Facility ledger (its names are places too).")
        ] = None,
        grids: Annotated[
            Path | None,
            typer.Option(help="Routing TOML with the grid polygons (grid_id; default none)."),
        ] = None,
        min_confidence: Annotated[
            float, typer.Option(help="Text placements below this stay unplaced (0–1).")
        ] = 0.6,
        communities_crs: Annotated[
            str, typer.Option(help="Coordinate system of the community file.")
        ] = "wgs84",
        facilities_crs: Annotated[
            str, typer.Option(help="Default coordinate system of the ledger.")
        ] = "gcj02",
    ) -> None:
        """Place cases from their text: location, community, grid and confidence, or the reason
        a case stays unplaced. Rows with coordinates keep them (confidence 1)."""
        from wanzheng.data.cells import write_frame_csv
        from wanzheng.data.tabular import cell_text, read_table
        from wanzheng.errors import DataError
        from wanzheng.place.table import place_cases

        if not 0 <= min_confidence <= 1:
            raise DataError(f"--min-confidence: expected 0…1, got {min_confidence}")
        columns = [c.strip() for c in text_columns.split(",") if c.strip()]
        if not columns:
            raise DataError(f"--text-columns: expected column names, got {text_columns!r}")
        table = read_table(data, aliases=CASE_ALIASES, limits=_limits())
        if "id" not in table.frame:
            raise DataError(f"{data}: no 'id' column (编号 / 工单编号 …)")
        ids = [cell_text(v) for v in table.frame["id"]]
        for i, ident in enumerate(ids):
            if not ident:
                raise DataError(f"{table.where(i, 'id')}: empty")
        texts = _texts(table, columns)
        coords = _coordinates(table)
        gazetteer = area_gazetteer(
            area,
            communities=communities,
            facilities=facilities,
            communities_crs=communities_crs,
            facilities_crs=facilities_crs,
        )
        placed = place_cases(
            ids,
            texts,
            gazetteer,
            lon=coords[0] if coords else None,
            lat=coords[1] if coords else None,
            grids=read_grids(grids) if grids is not None else None,
            min_confidence=min_confidence,
        )
        write_frame_csv(placed, out)
        by_text = placed[placed["how"] != "coordinates"]
        n_placed = int((by_text["how"] != "unplaced").sum())
        typer.echo(
            f"{len(placed)} cases: {len(placed) - len(by_text)} with coordinates, "
            f"{n_placed} placed from their text, {len(by_text) - n_placed} unplaced "
            f"({len(gazetteer.entries)} places, {len(gazetteer.communities)} communities)"
        )
        reasons = by_text.loc[by_text["how"] == "unplaced", "reason"].str.split("：").str[0]
        for reason, count in reasons.value_counts().items():
            typer.echo(f"  unplaced: {count} — {reason}")
        typer.echo(f"written: {out}")
