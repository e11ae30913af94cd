"""我为 — proactive services: registers and rules, hotspots, demand outlook, cases as evidence.

The pure parts are assembled here; persistence (``proactive.store``), the outbox
(``proactive.outbox``) and the wiring to the case desk (``proactive.service``) are imported
from their modules. Method and figures: ``docs/proactive.md``.
"""

from __future__ import annotations

from wanzheng.proactive.evidence import (
    EvidenceRules,
    evidence_counts,
    load_evidence_rules,
    match_kinds,
)
from wanzheng.proactive.hotspots import (
    Hotspots,
    find_hotspots,
    governance_task,
    hotspots_geojson,
    rank_month,
)
from wanzheng.proactive.outlook import Outlook, SeriesOutlook, forecast_series, outlook
from wanzheng.proactive.registers import Register, Viewer, load_register, present, scope
from wanzheng.proactive.rules import Rule, RuleSet, load_rules
from wanzheng.proactive.tasks import Event, evaluate, load_events

__all__ = [
    "Event",
    "EvidenceRules",
    "Hotspots",
    "Outlook",
    "Register",
    "Rule",
    "RuleSet",
    "SeriesOutlook",
    "Viewer",
    "evaluate",
    "evidence_counts",
    "find_hotspots",
    "forecast_series",
    "governance_task",
    "hotspots_geojson",
    "load_events",
    "load_evidence_rules",
    "load_register",
    "load_rules",
    "match_kinds",
    "outlook",
    "present",
    "rank_month",
    "scope",
]
