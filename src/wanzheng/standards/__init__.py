"""The standards as data: the facility catalogue and the rules that recognise kinds.

``catalogue.toml`` holds every facility kind with its walking threshold, source and clause;
``kinds.toml`` maps OSM tags and Chinese name keywords to those kinds. Both are read by
validating loaders and may be replaced or overridden by a user's file.
"""

from wanzheng.standards.catalogue import (
    TIERS,
    Catalogue,
    FacilityKind,
    Tier,
    load_catalogue,
    parse_distance_m,
)
from wanzheng.standards.rules import KindRule, KindRules, TagCondition, load_kind_rules

__all__ = [
    "TIERS",
    "Catalogue",
    "FacilityKind",
    "KindRule",
    "KindRules",
    "TagCondition",
    "Tier",
    "load_catalogue",
    "load_kind_rules",
    "parse_distance_m",
]
