"""audit.gpkg's network layer: segment WKB packed by numpy equals shapely's, byte for byte."""

from __future__ import annotations

import numpy as np
import shapely

from wanzheng.report.gpkg import _segment_wkb


def test_segment_wkb_equals_shapely_byte_for_byte() -> None:
    rng = np.random.default_rng(7)
    lon_u, lon_v = rng.uniform(73.0, 135.0, (2, 500))
    lat_u, lat_v = rng.uniform(18.0, 53.0, (2, 500))
    # a segment of length zero and exact values that print short
    lon_u[0], lat_u[0], lon_v[0], lat_v[0] = 116.3, 39.9, 116.3, 39.9
    ours = _segment_wkb(lon_u, lat_u, lon_v, lat_v)
    coords = np.stack([np.column_stack([lon_u, lat_u]), np.column_stack([lon_v, lat_v])], axis=1)
    theirs = shapely.to_wkb(shapely.linestrings(coords))
    assert ours.dtype == object and len(ours) == 500
    assert all(isinstance(w, bytes) and len(w) == 41 for w in ours)
    assert list(ours) == list(theirs)
    back = shapely.from_wkb(ours)
    assert shapely.get_coordinates(back[0]).tolist() == [[116.3, 39.9], [116.3, 39.9]]


def test_no_segments_give_an_empty_array() -> None:
    empty = np.zeros(0)
    out = _segment_wkb(empty, empty, empty, empty)
    assert out.shape == (0,) and out.dtype == object
