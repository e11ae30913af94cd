"""The facility catalogue: which kinds a complete community needs and within what walk.

The figures live in ``catalogue.toml`` next to this module; this module only reads and
validates them. A user override file (``--standard my-city.toml``) changes fields of
existing kinds, adds kinds or removes them; the resulting catalogue names its origin and a
version string that includes the override's name and version.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from wanzheng.errors import ConfigError
from wanzheng.standards.datafile import load_toml

__all__ = [
    "TIERS",
    "Catalogue",
    "FacilityKind",
    "Tier",
    "load_catalogue",
    "parse_distance_m",
]

Tier = Literal["5min", "10min", "15min", "block"]
"""Life-circle tier of GB 50180-2018 (``block`` = 居住街坊)."""

TIERS: tuple[Tier, ...] = ("5min", "10min", "15min", "block")

BUILTIN = "builtin"

_KIND_FIELDS = frozenset(
    {
        "key",
        "name_zh",
        "name_en",
        "tier",
        "threshold_m",
        "threshold",
        "requirement",
        "source",
        "clause",
        "verified",
        "in_verdict",
    }
)
_REQUIRED_FIELDS = ("key", "name_zh", "name_en", "tier", "requirement", "source", "clause")
_CATALOGUE_FIELDS = frozenset({"name", "version", "walk_speed_m_per_min"})
_TOP_FIELDS = frozenset({"catalogue", "kind"})
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_UNITS_M = {"m": 1.0, "米": 1.0, "km": 1000.0, "公里": 1000.0, "千米": 1000.0}
_DISTANCE_RE = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([^\s0-9].*?)?\s*$")


@dataclass(frozen=True, slots=True)
class FacilityKind:
    """One facility kind of the catalogue.

    Attributes
    ----------
    key
        Catalogue key, e.g. ``"kindergarten"``.
    name_zh, name_en
        Chinese and English names.
    tier
        Life-circle tier (``5min``, ``10min``, ``15min``, ``block``).
    threshold_m
        Walking distance on the network in metres within which one facility must lie;
        ``None`` for a checklist item that is not audited by distance.
    requirement, source, clause
        What the standard asks for, the document and the clause.
    verified
        ``True`` when the figure was read in a stored public source, ``False`` when recalled.
    in_verdict
        ``True`` when the kind belongs to the complete-community standard (完整居住社区建设标准
        items 1–15) and so decides the complete / incomplete verdict; ``False`` for kinds of the
        wider life circles (schools, community hospital …) that are audited and reported beside it.
    """

    key: str
    name_zh: str
    name_en: str
    tier: Tier
    threshold_m: float | None
    requirement: str
    source: str
    clause: str
    verified: bool
    in_verdict: bool = True

    @property
    def audited(self) -> bool:
        """True when the kind has a walking threshold."""
        return self.threshold_m is not None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A versioned set of facility kinds.

    Attributes
    ----------
    name, version
        Catalogue name and version; an override appends ``+<name>-<version>`` to the version.
    walk_speed_m_per_min
        Walking speed used to express distances as minutes (m/min).
    kinds
        Every kind in catalogue order.
    origin
        ``"builtin"``, or the path of the override file applied on top of the built-in one
        (or of the catalogue file when one was given instead of the built-in).
    """

    name: str
    version: str
    walk_speed_m_per_min: float
    kinds: tuple[FacilityKind, ...]
    origin: str

    def kind(self, key: str) -> FacilityKind:
        """The kind with this key; :class:`ConfigError` if there is none."""
        for k in self.kinds:
            if k.key == key:
                return k
        known = ", ".join(k.key for k in self.kinds)
        raise ConfigError(f"catalogue {self.name} {self.version}: no kind {key!r} (known: {known})")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every kind key in catalogue order."""
        return tuple(k.key for k in self.kinds)

    @property
    def audited(self) -> tuple[FacilityKind, ...]:
        """Kinds with a walking threshold, in catalogue order."""
        return tuple(k for k in self.kinds if k.threshold_m is not None)

    @property
    def max_threshold_m(self) -> float:
        """The largest walking threshold in metres (0 when nothing is audited)."""
        return max((k.threshold_m for k in self.kinds if k.threshold_m is not None), default=0.0)

    def walk_min(self, distance_m: float) -> float:
        """Walking minutes for a distance in metres at the catalogue's speed."""
        return distance_m / self.walk_speed_m_per_min


def parse_distance_m(value: object, *, where: str) -> float:
    """A non-negative distance in metres from a number or a string with a unit.

    Parameters
    ----------
    value
        A number (metres) or a string such as ``"300 m"``, ``"0.3 km"``, ``"300米"``,
        ``"1公里"``. Minutes are refused: distances are the standard's unit.
    where
        Context for the error message (file, kind and field).

    Raises
    ------
    ConfigError
        Not a number, an unknown unit, a negative, infinite or NaN value.
    """
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a distance in metres, got {value!r}")
    if isinstance(value, int | float):
        metres = float(value)
    elif isinstance(value, str):
        match = _DISTANCE_RE.match(value)
        if match is None:
            raise ConfigError(
                f"{where}: expected a distance such as 300, '300 m' or '0.3 km', got {value!r}"
            )
        unit = (match.group(2) or "m").strip().lower()
        if unit not in _UNITS_M:
            raise ConfigError(
                f"{where}: unknown unit {unit!r} in {value!r} "
                "(expected one of m, km, 米, 公里, 千米)"
            )
        metres = float(match.group(1)) * _UNITS_M[unit]
    else:
        raise ConfigError(f"{where}: expected a distance in metres, got {value!r}")
    if not math.isfinite(metres) or metres < 0:
        raise ConfigError(f"{where}: expected a non-negative distance, got {value!r}")
    return metres


def _check_header(doc: Mapping[str, Any], label: str) -> dict[str, Any]:
    unknown = set(doc) - _TOP_FIELDS
    if unknown:
        raise ConfigError(
            f"{label}: unknown top-level key(s) {sorted(unknown)} "
            "(expected [catalogue] and [[kind]])"
        )
    header = doc.get("catalogue", {})
    if not isinstance(header, dict):
        raise ConfigError(f"{label}: [catalogue] must be a table")
    unknown = set(header) - _CATALOGUE_FIELDS
    if unknown:
        raise ConfigError(
            f"{label}: [catalogue]: unknown field(s) {sorted(unknown)} "
            f"(expected {sorted(_CATALOGUE_FIELDS)})"
        )
    for name in ("name", "version"):
        if name in header and (not isinstance(header[name], str) or not header[name].strip()):
            raise ConfigError(f"{label}: [catalogue]: field {name!r} must be a non-empty string")
    if "walk_speed_m_per_min" in header:
        speed = header["walk_speed_m_per_min"]
        if (
            isinstance(speed, bool)
            or not isinstance(speed, int | float)
            or not math.isfinite(speed)
            or speed <= 0
        ):
            raise ConfigError(
                f"{label}: [catalogue]: field 'walk_speed_m_per_min': "
                f"expected a positive number (m/min), got {speed!r}"
            )
    return header


def _kind_entries(doc: Mapping[str, Any], label: str) -> list[dict[str, Any]]:
    entries = doc.get("kind", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{label}: 'kind' must be an array of tables ([[kind]])")
    return entries


def _where(label: str, entry: Mapping[str, Any], index: int) -> str:
    key = entry.get("key")
    return f"{label}: kind {key!r}" if isinstance(key, str) else f"{label}: kind #{index + 1}"


def _threshold(entry: Mapping[str, Any], where: str) -> tuple[bool, float | None]:
    """(given, metres) from ``threshold_m`` or ``threshold``; ``threshold = "none"`` → None."""
    if "threshold_m" in entry and "threshold" in entry:
        raise ConfigError(f"{where}: give either 'threshold_m' or 'threshold', not both")
    if "threshold_m" in entry:
        value = entry["threshold_m"]
        if isinstance(value, str):
            raise ConfigError(
                f"{where}: field 'threshold_m': expected a number of metres, got {value!r} "
                '(write threshold = "0.3 km" to give a unit, threshold = "none" for a '
                "checklist item)"
            )
        return True, parse_distance_m(value, where=f"{where}: field 'threshold_m'")
    if "threshold" in entry:
        value = entry["threshold"]
        if isinstance(value, str) and value.strip().lower() == "none":
            return True, None
        return True, parse_distance_m(value, where=f"{where}: field 'threshold'")
    return False, None


def _check_fields(entry: Mapping[str, Any], where: str) -> None:
    unknown = set(entry) - _KIND_FIELDS - {"remove"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {sorted(unknown)} (expected {sorted(_KIND_FIELDS)})"
        )
    key = entry.get("key")
    if key is not None and (not isinstance(key, str) or not _KEY_RE.match(key)):
        raise ConfigError(
            f"{where}: field 'key': expected lower-case letters, digits and _, got {key!r}"
        )
    if "tier" in entry and entry["tier"] not in TIERS:
        raise ConfigError(
            f"{where}: field 'tier': unknown tier {entry['tier']!r} (expected one of {TIERS})"
        )
    for name in ("name_zh", "name_en", "requirement", "source", "clause"):
        if name in entry and (not isinstance(entry[name], str) or not entry[name].strip()):
            raise ConfigError(f"{where}: field {name!r} must be a non-empty string")
    if "verified" in entry and not isinstance(entry["verified"], bool):
        raise ConfigError(
            f"{where}: field 'verified': expected true or false, got {entry['verified']!r}"
        )
    if "in_verdict" in entry and not isinstance(entry["in_verdict"], bool):
        raise ConfigError(
            f"{where}: field 'in_verdict': expected true or false, got {entry['in_verdict']!r}"
        )
    if "remove" in entry and not isinstance(entry["remove"], bool):
        raise ConfigError(f"{where}: field 'remove': expected true or false")


def _new_kind(entry: Mapping[str, Any], where: str) -> FacilityKind:
    missing = [f for f in _REQUIRED_FIELDS if f not in entry]
    if missing:
        raise ConfigError(f"{where}: missing field(s) {missing}")
    given, threshold = _threshold(entry, where)
    if not given:
        raise ConfigError(
            f"{where}: missing field 'threshold_m' (a walking distance in metres; write "
            'threshold = "none" for a checklist item that is not audited by distance)'
        )
    return FacilityKind(
        key=entry["key"],
        name_zh=entry["name_zh"],
        name_en=entry["name_en"],
        tier=entry["tier"],
        threshold_m=threshold,
        requirement=entry["requirement"],
        source=entry["source"],
        clause=entry["clause"],
        verified=entry.get("verified", False),
        in_verdict=entry.get("in_verdict", True),
    )


def _parse(doc: Mapping[str, Any], label: str) -> tuple[dict[str, Any], list[FacilityKind]]:
    header = _check_header(doc, label)
    for name in ("name", "version", "walk_speed_m_per_min"):
        if name not in header:
            raise ConfigError(f"{label}: [catalogue]: missing field {name!r}")
    kinds: list[FacilityKind] = []
    seen: set[str] = set()
    for i, entry in enumerate(_kind_entries(doc, label)):
        where = _where(label, entry, i)
        _check_fields(entry, where)
        if "remove" in entry:
            raise ConfigError(f"{where}: 'remove' is only allowed in an override file")
        kind = _new_kind(entry, where)
        if kind.key in seen:
            raise ConfigError(f"{where}: duplicate key {kind.key!r}")
        seen.add(kind.key)
        kinds.append(kind)
    if not kinds:
        raise ConfigError(f"{label}: the catalogue has no [[kind]] entries")
    return header, kinds


def _apply_override(base: Catalogue, doc: Mapping[str, Any], label: str) -> Catalogue:
    header = _check_header(doc, label)
    kinds = list(base.kinds)
    index = {k.key: i for i, k in enumerate(kinds)}
    seen: set[str] = set()
    removed: set[str] = set()
    for i, entry in enumerate(_kind_entries(doc, label)):
        where = _where(label, entry, i)
        _check_fields(entry, where)
        key = entry.get("key")
        if key is None:
            raise ConfigError(f"{where}: missing field 'key'")
        if key in seen:
            raise ConfigError(f"{where}: duplicate key {key!r}")
        seen.add(key)
        if entry.get("remove", False):
            if key not in index:
                raise ConfigError(f"{where}: cannot remove unknown kind {key!r}")
            removed.add(key)
            continue
        if key in index:
            old = kinds[index[key]]
            given, threshold = _threshold(entry, where)
            fields = _KIND_FIELDS - {"key", "threshold", "threshold_m"}
            changes = {f: v for f, v in entry.items() if f in fields}
            kinds[index[key]] = replace(
                old, **changes, threshold_m=threshold if given else old.threshold_m
            )
        else:
            index[key] = len(kinds)
            kinds.append(_new_kind(entry, where))
    name = header.get("name", Path(label).stem)
    suffix = f"{name}-{header['version']}" if "version" in header else name
    return Catalogue(
        name=base.name,
        version=f"{base.version}+{suffix}",
        walk_speed_m_per_min=float(header.get("walk_speed_m_per_min", base.walk_speed_m_per_min)),
        kinds=tuple(k for k in kinds if k.key not in removed),
        origin=label,
    )


def load_catalogue(
    path: str | Path | None = None, *, override: str | Path | None = None
) -> Catalogue:
    """Read and validate a facility catalogue.

    Parameters
    ----------
    path
        A complete catalogue file; ``None`` for the built-in ``catalogue.toml``.
    override
        A file that changes fields of existing kinds (only the fields it gives), adds kinds
        (all fields required), removes kinds (``remove = true``) or changes
        ``walk_speed_m_per_min``. Its ``[catalogue] name`` and ``version`` are appended to
        the version string (``2026.1+hangzhou-2023``).

    Returns
    -------
    Catalogue
        ``origin`` is ``"builtin"``, the catalogue path, or the override path.

    Raises
    ------
    ConfigError
        Naming the file, the kind and the field: unknown keys, missing fields (a kind
        without a threshold must say ``threshold = "none"``), negative, non-numeric or
        unit-less-string thresholds, unknown units, unknown tiers, duplicates.
    """
    doc, label = load_toml(
        path, package="wanzheng.standards", name="catalogue.toml", what="catalogue"
    )
    header, kinds = _parse(doc, label)
    catalogue = Catalogue(
        name=header["name"],
        version=header["version"],
        walk_speed_m_per_min=float(header["walk_speed_m_per_min"]),
        kinds=tuple(kinds),
        origin=BUILTIN if path is None else str(path),
    )
    if override is not None:
        odoc, olabel = load_toml(
            override, package="wanzheng.standards", name="catalogue.toml", what="catalogue"
        )
        catalogue = _apply_override(catalogue, odoc, olabel)
    return catalogue
