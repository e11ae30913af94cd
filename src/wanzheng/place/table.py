"""Placing a whole table of cases: coordinates where they are given, the text elsewhere."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from wanzheng.place.gazetteer import Gazetteer
from wanzheng.place.match import REASONS, GridLookup, place_text

__all__ = ["PLACED_COLUMNS", "place_cases", "point_community"]

PLACED_COLUMNS = (
    "id",
    "lon",
    "lat",
    "community_id",
    "community_name",
    "grid_id",
    "matched",
    "confidence",
    "how",
    "reason",
    "candidates",
)
"""Columns of :func:`place_cases`: the eight of the ``wanzheng place`` contract, then ``how``
(``coordinates``, ``building``, ``estate``, ``intersection`` …), ``reason`` (zh-CN and English,
empty when placed) and ``candidates`` (places seen, ``；``-joined)."""


def point_community(gazetteer: Gazetteer, lon: float, lat: float) -> tuple[str, str]:
    """``(id, name)`` of the community covering a WGS-84 point, ``("", "")`` when none."""
    x, y = gazetteer.projection.forward(lon, lat)
    row = gazetteer.community_at(float(x), float(y))
    if row < 0:
        return "", ""
    comm = gazetteer.communities
    return str(comm.at[row, "id"]), str(comm.at[row, "name"])


def place_cases(
    ids: Sequence[object],
    texts: Sequence[str],
    gazetteer: Gazetteer,
    *,
    lon: Sequence[float | None] | None = None,
    lat: Sequence[float | None] | None = None,
    grids: GridLookup | None = None,
    min_confidence: float = 0.6,
) -> pd.DataFrame:
    """Place every case: by its coordinates when it has both, else by its text.

    Parameters
    ----------
    ids, texts
        One id and one text per case, in order.
    gazetteer
        The area's gazetteer.
    lon, lat
        WGS-84 coordinates per case (``None`` / NaN where absent).
    grids
        The case desk's grids (``grid_id``); ``None`` leaves it empty.
    min_confidence
        Text placements below it stay unplaced.

    Returns
    -------
    pandas.DataFrame
        One row per case in input order, columns :data:`PLACED_COLUMNS`; ``lon``, ``lat``,
        ``community_*``, ``grid_id``, ``matched`` and ``confidence`` are empty (NaN / ``""``)
        where the case stays unplaced. A case with coordinates has confidence 1.0.
    """
    rows: list[dict[str, object]] = []
    n = len(ids)
    for i in range(n):
        x = None if lon is None else lon[i]
        y = None if lat is None else lat[i]
        if x is not None and y is not None and not (math.isnan(x) or math.isnan(y)):
            cid, cname = point_community(gazetteer, x, y)
            rows.append(
                {
                    "id": ids[i],
                    "lon": x,
                    "lat": y,
                    "community_id": cid,
                    "community_name": cname,
                    "grid_id": (grids.grid_of(x, y) or "") if grids is not None else "",
                    "matched": "",
                    "confidence": 1.0,
                    "how": "coordinates",
                    "reason": "",
                    "candidates": "",
                }
            )
            continue
        p = place_text(texts[i], gazetteer, grids=grids, min_confidence=min_confidence)
        reason = ""
        if not p.placed:
            reason = REASONS[p.reason] + (f"：{p.detail}" if p.detail else "")
        rows.append(
            {
                "id": ids[i],
                "lon": p.lon if p.placed else np.nan,
                "lat": p.lat if p.placed else np.nan,
                "community_id": p.community_id,
                "community_name": p.community_name,
                "grid_id": p.grid_id,
                "matched": p.matched,
                "confidence": p.confidence if p.placed else np.nan,
                "how": p.how if p.placed else "unplaced",
                "reason": reason,
                "candidates": "；".join(p.candidates),
            }
        )
    frame = pd.DataFrame(rows, columns=list(PLACED_COLUMNS))
    return frame.astype({"lon": "float64", "lat": "float64", "confidence": "float64"})
