"""Coordinate systems (WGS-84 / GCJ-02 / BD-09) and a local metric projection."""

from wanzheng.geo.coords import (
    COORD_SYSTEMS,
    CoordSystem,
    from_wgs84,
    gcj02_offset,
    in_china,
    parse_coord_system,
    to_wgs84,
)
from wanzheng.geo.projection import LocalProjection, local_projection

__all__ = [
    "COORD_SYSTEMS",
    "CoordSystem",
    "LocalProjection",
    "from_wgs84",
    "gcj02_offset",
    "in_china",
    "local_projection",
    "parse_coord_system",
    "to_wgs84",
]
