"""The result of one complete-community audit: what report writers and the web consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

__all__ = [
    "EVIDENCE_COLUMNS",
    "KIND_STATUSES",
    "VERDICTS",
    "AuditResult",
    "KindStatus",
    "Verdict",
    "empty_evidence",
]

KindStatus = Literal["met", "missing", "no_data", "not_audited"]
"""Status of one facility kind for one community.

``met``          the nearest facility of the kind is within the kind's walking threshold;
``missing``      the area's sources record the kind, but none is within the threshold;
``no_data``      no source records the kind anywhere in the area: unknown, *not* absent;
``not_audited``  a checklist item with no walking threshold (utilities, barrier-free …).
"""

KIND_STATUSES: tuple[KindStatus, ...] = ("met", "missing", "no_data", "not_audited")

Verdict = Literal["complete", "incomplete", "undetermined"]
"""``complete``: every audited kind met; ``incomplete``: at least one kind missing;
``undetermined``: nothing missing, but some kinds have no data."""

VERDICTS: tuple[Verdict, ...] = ("complete", "incomplete", "undetermined")

EVIDENCE_COLUMNS = ("community_id", "kind", "n_cases", "n_residents", "examples")
"""Columns of :attr:`AuditResult.evidence` (as :func:`wanzheng.proactive.evidence_counts`)."""


def empty_evidence() -> pd.DataFrame:
    """An evidence table without rows (an audit run without cases)."""
    return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Everything one audit found, as plain tables.

    Attributes
    ----------
    communities
        One row per community. Columns: ``id``, ``name``, ``population`` (residents),
        ``population_source`` (``given`` / ``estimated`` / ``unknown``), ``lon``, ``lat``
        (WGS-84 of the origin used), ``geometry`` (shapely, WGS-84), ``snap_leg_m``; for every
        audited kind ``k``: ``{k}_distance_m`` (float, inf beyond the cutoff), ``{k}_walk_min``,
        ``{k}_status`` (a :data:`KindStatus`), ``{k}_nearest_id``, ``{k}_nearest_name``
        (and ``{k}_share_within`` when buildings are the origins); then ``met`` and
        ``required`` (counts over the kinds that decide the verdict, ``in_verdict``, with data),
        ``verdict`` (a :data:`Verdict` over those kinds), ``missing`` and ``no_data``
        (``;``-joined keys of verdict kinds) and ``missing_life_circle`` (missing kinds of the
        wider life circles, reported beside the verdict), ``edge_distance_m`` (distance from
        the origin to the edge of the area the data covers), ``edge_uncertain`` (bool: some
        missing kind's threshold reaches past that edge, so one may lie just outside the data)
        and ``edge_uncertain_kinds`` (those kinds, ``;``-joined keys).
    facilities
        One row per (facility, kind): ``id``, ``name``, ``kind``, ``lon``, ``lat``, ``source``
        (``osm`` / ``ledger``), ``snap_leg_m``.
    coverage
        One row per audited kind: ``kind``, ``name_zh``, ``name_en``, ``tier``,
        ``threshold_m``, ``verified``, ``in_verdict``, ``facilities`` (count), ``has_data`` (bool),
        ``evidence`` (``osm`` / ``ledger`` / ``ledger+osm`` / ``none``), ``confidence`` in a
        ``missing`` verdict (``high`` ledger, ``medium`` ≥ 3 OSM records, ``low``, ``none``),
        ``communities_met``, ``communities_missing``, ``population_covered``,
        ``population_total``, ``population_share`` (0–1, NaN when no population is known).
    network
        The walking network for drawing: one row per edge with ``lon_u``, ``lat_u``,
        ``lon_v``, ``lat_v``, ``length_m``, ``highway``, ``name`` (the street's name, ``""``
        when unnamed).
    buildings
        Buildings for drawing: ``id``, ``geometry``, ``residential``, ``levels``.
    sources
        Provenance: ``osm_file``, ``ledger_file``, ``communities_file``, ``catalogue_name``,
        ``catalogue_version``, ``catalogue_origin``, ``walk_speed_m_per_min``,
        ``population_method``, ``floor_area_per_person_m2``, ``unverified_kinds``,
        ``unmapped_ledger_rows``, ``bounds`` and counts (``n_nodes``, ``n_edges`` …).
    kinds
        The audited kinds in catalogue order: ``key``, ``name_zh``, ``name_en``, ``tier``,
        ``threshold_m``, ``verified``, ``in_verdict``, ``requirement``, ``source``, ``clause``.
    evidence
        Residents' cases asking for a facility, per community of this audit and kind:
        ``community_id``, ``kind``, ``n_cases``, ``n_residents``, ``examples`` (redacted
        texts). Empty unless the audit was given cases (``wanzheng audit --cases``); the cases
        are tied to the communities by their pin or by their text (:mod:`wanzheng.place`).
    dropped_communities
        Residential objects of the OSM data that are not audited as communities, with why:
        ``id``, ``name``, ``source``, ``reason`` (zh-CN). A community needs an area; a point is
        kept only when a community file gives it.
    """

    communities: pd.DataFrame
    facilities: pd.DataFrame
    coverage: pd.DataFrame
    network: pd.DataFrame
    buildings: pd.DataFrame
    kinds: pd.DataFrame
    sources: dict[str, Any] = field(default_factory=dict)
    evidence: pd.DataFrame = field(default_factory=empty_evidence)
    dropped_communities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["id", "name", "source", "reason"])
    )
