"""The analyst's front door: an audit or an OSM file as GeoDataFrames, in a notebook.

``wanzheng.audit`` and ``wanzheng.load_osm`` (assembled in ``wanzheng/__init__``) are these
functions. They call the same code as ``wanzheng audit`` (:func:`wanzheng.pipeline.audit_area`),
so a notebook and the command line give the same figures; only the shape of the answer differs:
tables with a geometry column and a coordinate reference system (WGS-84, ``EPSG:4326``), ready
for ``.to_crs``, ``.explore`` or a spatial join.

geopandas is imported when one of these functions is called, never by ``import wanzheng``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from wanzheng.audit.result import AuditResult
    from wanzheng.data.osm import OsmExtract
    from wanzheng.report import OutputFiles

__all__ = ["CRS", "Audit", "OsmData", "audit", "load_osm"]

CRS = "EPSG:4326"
"""Coordinate reference system of every GeoDataFrame returned here (WGS-84 lon/lat)."""


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs=CRS)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geometry, crs=CRS)


def _with_geometry(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=CRS)


def _segments(
    lon_u: Any, lat_u: Any, lon_v: Any, lat_v: Any, attributes: pd.DataFrame
) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import numpy as np
    import shapely

    coords = np.stack(
        [np.column_stack([lon_u, lat_u]), np.column_stack([lon_v, lat_v])], axis=1
    ).astype(np.float64)
    lines = shapely.linestrings(coords)
    return gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=lines, crs=CRS)


@dataclass(frozen=True, slots=True)
class Audit:
    """One area's complete-community audit, as GeoDataFrames in WGS-84 (``EPSG:4326``).

    Attributes
    ----------
    communities
        One row per community with its area (Polygon / MultiPolygon) as geometry, and every
        column of :attr:`wanzheng.audit.result.AuditResult.communities`: ``verdict``,
        ``{kind}_distance_m`` (metres, inf beyond the cutoff), ``{kind}_status`` …
    facilities
        One row per (facility, kind), a Point each: ``id``, ``name``, ``kind``, ``source``
        (``osm`` / ``ledger``), ``snap_leg_m`` (metres to the walking network).
    network
        The walking network, one LineString per edge: ``length_m`` (metres), ``highway``,
        ``name``.
    buildings
        Buildings (Polygon / MultiPolygon): ``id``, ``residential``, ``levels``.
    coverage
        One row per audited kind (no geometry): facilities found, communities met and
        missing, ``population_share`` (0-1) within the kind's walking threshold.
    kinds
        The audited kinds in catalogue order: names, ``tier``, ``threshold_m``, ``source``,
        ``clause`` (no geometry).
    dropped_communities
        Residential objects of the OSM data not audited as communities, with the reason.
    sources
        Provenance: files read, catalogue, walking speed, counts.
    result
        The audit as the report writers take it (plain DataFrames).
    """

    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    coverage: pd.DataFrame
    kinds: pd.DataFrame
    dropped_communities: pd.DataFrame
    sources: dict[str, Any]
    result: AuditResult

    @classmethod
    def from_result(cls, result: AuditResult) -> Audit:
        """The GeoDataFrames of an :class:`~wanzheng.audit.result.AuditResult`."""
        net = result.network
        return cls(
            communities=_with_geometry(result.communities),
            facilities=_points(result.facilities),
            network=_segments(
                net["lon_u"],
                net["lat_u"],
                net["lon_v"],
                net["lat_v"],
                net.drop(columns=["lon_u", "lat_u", "lon_v", "lat_v"]),
            ),
            buildings=_with_geometry(result.buildings),
            coverage=result.coverage.copy(),
            kinds=result.kinds.copy(),
            dropped_communities=result.dropped_communities.copy(),
            sources=dict(result.sources),
            result=result,
        )

    def to_files(self, out: str | Path) -> OutputFiles:
        """Write the audit's folder ``out`` as ``wanzheng audit --out`` does: report.html,
        communities.xlsx / .csv, facilities.csv and audit.gpkg (which ``wanzheng serve
        --audit-dir`` shows). An existing folder of earlier audit outputs is replaced
        atomically; any other existing folder is refused.

        Returns
        -------
        OutputFiles
            The paths written.
        """
        from wanzheng.pipeline import write_audit_files

        return write_audit_files(self.result, Path(out))


def audit(
    area: str | Path,
    ledger: str | Path | None = None,
    communities: str | Path | None = None,
    *,
    standard: str | Path | None = None,
    ledger_crs: str = "gcj02",
    communities_crs: str = "wgs84",
    origins: str = "centroid",
    floor_area_per_person_m2: float | None = None,
    area_name: str | None = None,
    audit_date: str | None = None,
) -> Audit:
    """Audit every community of an OSM extract on its walking network.

    The same computation as ``wanzheng audit AREA --facilities LEDGER --communities FILE``,
    answered as GeoDataFrames instead of files (write them with :meth:`Audit.to_files`).

    Parameters
    ----------
    area
        OSM extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``).
    ledger
        A street office's facility ledger (CSV / XLSX), added to OSM's facilities.
    communities
        Community file (GeoJSON, GeoPackage, XLSX, CSV); default: the extract's residential
        areas (a residential *point* is dropped, see ``Audit.dropped_communities``).
    standard
        Catalogue override (TOML) on top of the national catalogue: an office's local rules.
    ledger_crs, communities_crs
        Coordinate system of the ledger / community file where the file does not say
        (``wgs84``, ``gcj02``, ``bd09``).
    origins
        ``centroid`` (one point per community) or ``buildings`` (every residential building,
        weighted by its estimated residents).
    floor_area_per_person_m2
        m² of residential floor per resident for population estimates; ``None``: the default.
    area_name
        The area's name in the report's title; ``None``: from the data.
    audit_date
        The day the data describe (``YYYY-MM-DD``), recorded in ``sources``.

    Returns
    -------
    Audit
        Communities, facilities, network and buildings as GeoDataFrames (``EPSG:4326``).

    Raises
    ------
    wanzheng.DataError
        An input is wrong; the message names the file, row and field.
    """
    from wanzheng.pipeline import audit_area

    result, _, _ = audit_area(
        Path(area),
        facilities=None if ledger is None else Path(ledger),
        communities=None if communities is None else Path(communities),
        standard=None if standard is None else Path(standard),
        facilities_crs=ledger_crs,
        communities_crs=communities_crs,
        floor_area_per_person_m2=floor_area_per_person_m2,
        origins=origins,
        audit_date=audit_date,
        area_name=area_name,
    )
    return Audit.from_result(result)


@dataclass(frozen=True, slots=True)
class OsmData:
    """What wanzheng reads from an OSM file, as GeoDataFrames in WGS-84 (``EPSG:4326``).

    Attributes
    ----------
    network
        Walkable edges, one LineString per consecutive node pair of a way: ``u``, ``v`` (OSM
        node ids), ``way`` (OSM way id), ``highway``, ``name`` (``""`` when unnamed),
        ``length_m`` (metres, on the WGS-84 ellipsoid).
    facilities
        One Point per (object, kind): ``id`` (``n123`` / ``w456`` / ``r789``), ``name``,
        ``kind``, ``osm_tags``.
    communities
        Residential areas (``landuse=residential``, ``place=neighbourhood``): ``id``,
        ``name``, ``source``, ``population``.
    buildings
        ``id``, ``building``, ``levels``, ``residential``.
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the data.
    extract
        The arrays the audit works on (:class:`wanzheng.data.osm.OsmExtract`).
    """

    network: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    bounds: tuple[float, float, float, float]
    extract: OsmExtract


def load_osm(path: str | Path, *, standard: str | Path | None = None) -> OsmData:
    """Read the walking network, facilities, communities and buildings of an OSM file.

    Parameters
    ----------
    path
        An ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` file with complete ways.
    standard
        Catalogue override (TOML): its kinds decide which objects are facilities.

    Returns
    -------
    OsmData
        GeoDataFrames in ``EPSG:4326``.
    """
    import numpy as np
    import pandas as pd
    from pyproj import Geod

    from wanzheng.data.osm import load_osm as read_osm
    from wanzheng.standards import load_catalogue, load_kind_rules

    catalogue = load_catalogue(override=None if standard is None else Path(standard))
    ext = read_osm(Path(path), rules=load_kind_rules(catalogue=catalogue))
    lon_u, lat_u = ext.node_lon[ext.edge_u], ext.node_lat[ext.edge_u]
    lon_v, lat_v = ext.node_lon[ext.edge_v], ext.node_lat[ext.edge_v]
    _, _, length = Geod(ellps="WGS84").inv(lon_u, lat_u, lon_v, lat_v)
    names = ext.way_names.reindex(ext.edge_way).fillna("").to_numpy(str)
    edges = pd.DataFrame(
        {
            "u": ext.node_id[ext.edge_u],
            "v": ext.node_id[ext.edge_v],
            "way": ext.edge_way,
            "highway": ext.edge_highway.astype(object),
            "name": names.astype(object),
            "length_m": np.asarray(length, dtype=np.float64),
        }
    )
    return OsmData(
        network=_segments(lon_u, lat_u, lon_v, lat_v, edges),
        facilities=_points(ext.facilities),
        communities=_with_geometry(ext.communities),
        buildings=_with_geometry(ext.buildings),
        bounds=ext.bounds,
        extract=ext,
    )
