"""Places in residents' words: a gazetteer of the area, text placement, reverse geocoding.

``build_gazetteer`` gathers the area's names (OSM names, the community list, the facility
ledger) with their variants; ``place_text`` reads a case's text and returns a
:class:`Placement` (location, community, grid, confidence) or the reason it stays unplaced;
``describe_point`` names a dropped pin (``石科院生活区附近 · 学院路``) from the area's own data.
Pure: tables in, frozen results out (the files are read by :mod:`wanzheng.data`).
"""

from wanzheng.place.gazetteer import ENTRY_COLUMNS, PLACE_CLASSES, Gazetteer, build_gazetteer
from wanzheng.place.match import (
    REASONS,
    SAME_PLACE_M,
    GridLookup,
    Mention,
    Placement,
    find_mentions,
    place_text,
)
from wanzheng.place.names import (
    Vocabulary,
    chinese_number,
    estate_core,
    load_vocabulary,
    normalise,
    variants,
)
from wanzheng.place.table import PLACED_COLUMNS, place_cases, point_community

__all__ = [
    "ENTRY_COLUMNS",
    "PLACED_COLUMNS",
    "PLACE_CLASSES",
    "REASONS",
    "SAME_PLACE_M",
    "Gazetteer",
    "GridLookup",
    "Mention",
    "Placement",
    "Vocabulary",
    "build_gazetteer",
    "chinese_number",
    "estate_core",
    "find_mentions",
    "load_vocabulary",
    "normalise",
    "place_cases",
    "place_text",
    "point_community",
    "variants",
]
