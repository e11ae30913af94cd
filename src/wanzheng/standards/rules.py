"""Rules that say which catalogue kinds an OSM feature or a line of ledger text is.

The rules are data (``kinds.toml``); this module parses them into small matchers. Two
sources of evidence are combined: OSM tags (``amenity=kindergarten``) and keywords in the
feature's ``name`` or in free text (``幼儿园``), each with vetoes for names that mislead
(``宠物理发`` is no barber, ``养老保险`` no elderly station).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wanzheng.errors import ConfigError
from wanzheng.standards.catalogue import Catalogue, load_catalogue
from wanzheng.standards.datafile import load_toml

__all__ = [
    "KindMemoInfo",
    "KindRule",
    "KindRules",
    "TagCondition",
    "load_kind_rules",
    "normalise_text",
]

_RULE_FIELDS = frozenset({"kind", "tags", "keywords", "unless_tags", "unless_words", "group"})
_TOP_FIELDS = frozenset({"rules", "names", "rule"})
_NAMES_FIELDS = frozenset({"ignore_tags", "ignore_words"})
_HEADER_FIELDS = frozenset({"name", "version"})


def normalise_text(text: str) -> str:
    """NFKC-normalised, lower-cased text (full-width letters and digits become ASCII)."""
    return unicodedata.normalize("NFKC", text).lower()


def _values(raw: str) -> frozenset[str]:
    """The elements of an OSM value list (``"convenience;hairdresser"``)."""
    return frozenset(v.strip() for v in raw.split(";") if v.strip())


@dataclass(frozen=True, slots=True)
class TagCondition:
    """One tag condition: ``key=v1|v2``, ``key=*`` / ``key`` (present), ``!key…`` (negated).

    ``values`` is empty for "any value".
    """

    key: str
    values: frozenset[str]
    negated: bool

    @classmethod
    def parse(cls, text: str, *, where: str) -> TagCondition:
        """Parse one condition; :class:`ConfigError` naming ``where`` if malformed."""
        spec = text.strip()
        negated = spec.startswith("!")
        if negated:
            spec = spec[1:].strip()
        key, sep, raw = spec.partition("=")
        key = key.strip()
        raw = raw.strip()
        if not key or any(c in key for c in " |&!") or (sep and not raw):
            raise ConfigError(
                f"{where}: malformed tag condition {text!r} "
                "(expected key=value, key=v1|v2, key=*, key or !key=value)"
            )
        values = frozenset() if raw in ("", "*") else frozenset(v.strip() for v in raw.split("|"))
        if any(not v for v in values):
            raise ConfigError(f"{where}: empty value in tag condition {text!r}")
        return cls(key=key, values=values, negated=negated)

    def holds(self, tags: Mapping[str, str]) -> bool:
        """Whether the condition holds for these tags."""
        value = tags.get(self.key)
        if value is None:
            found = False
        elif not self.values:
            found = True
        elif ";" in value:
            found = bool(_values(value) & self.values)
        else:
            # one value, not a list: what _values() would give, without building a set
            found = value.strip() in self.values
        return found != self.negated


def _parse_alternative(text: str, *, where: str) -> tuple[TagCondition, ...]:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: expected a non-empty tag condition string, got {text!r}")
    return tuple(TagCondition.parse(part, where=where) for part in text.split("&"))


def _holds_all(alternative: tuple[TagCondition, ...], tags: Mapping[str, str]) -> bool:
    return all(c.holds(tags) for c in alternative)


@dataclass(frozen=True, slots=True)
class KindRule:
    """One ``[[rule]]``: tag alternatives and name keywords for one kind, with vetoes."""

    kind: str
    tags: tuple[tuple[TagCondition, ...], ...]
    keywords: tuple[str, ...]
    unless_tags: tuple[tuple[TagCondition, ...], ...]
    unless_words: tuple[str, ...]
    group: str | None

    def vetoed(self, tags: Mapping[str, str], text: str) -> bool:
        """True when an ``unless_tags`` condition or an ``unless_words`` word applies."""
        if any(_holds_all(alt, tags) for alt in self.unless_tags):
            return True
        return any(w in text for w in self.unless_words)

    def by_tags(self, tags: Mapping[str, str]) -> bool:
        """True when one tag alternative holds (vetoes not checked)."""
        return any(_holds_all(alt, tags) for alt in self.tags)

    def by_words(self, text: str) -> bool:
        """True when the (normalised) text contains a keyword (vetoes not checked)."""
        return any(w in text for w in self.keywords)


_MEMO_MAX = 65_536
"""Tag patterns :meth:`KindRules.kinds_for_tags` remembers before it starts afresh (real
extracts have a few hundred)."""


@dataclass(frozen=True, slots=True)
class KindMemoInfo:
    """Counts of :meth:`KindRules.kinds_for_tags` calls.

    ``hits``: answered from the memo; ``misses``: evaluated and remembered; ``name_decides``:
    evaluated afresh because the name holds one of the rules' words; ``size``: patterns held.
    """

    hits: int
    misses: int
    name_decides: int
    size: int

    @property
    def calls(self) -> int:
        """Every call counted."""
        return self.hits + self.misses + self.name_decides

    @property
    def hit_rate(self) -> float:
        """Share of calls answered from the memo (0 when there were none)."""
        return self.hits / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class KindRules:
    """The parsed rules.

    Attributes
    ----------
    name, version
        Of the rules file.
    rules
        Every ``[[rule]]`` in file order.
    ignore_name_tags
        Features carrying one of these tag alternatives get no kinds from their name.
    ignore_words
        Names / texts containing one of these words get no kinds from keywords.
    kind_keys
        The catalogue keys the rules were validated against; ``kinds_for_text`` also accepts
        a bare key (``"kindergarten"``).
    origin
        ``"builtin"`` or the path of the rules file.
    """

    name: str
    version: str
    rules: tuple[KindRule, ...]
    ignore_name_tags: tuple[tuple[TagCondition, ...], ...]
    ignore_words: tuple[str, ...]
    kind_keys: frozenset[str]
    origin: str
    # Lookup structures built by load_kind_rules (not part of the data):
    # rules whose tag alternatives all need one of these keys, by key; rules to try always;
    # one regular expression of every keyword, to skip names that contain none.
    tag_index: Mapping[str, tuple[int, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    always: tuple[int, ...] = field(default=(), repr=False, compare=False)
    keyword_pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    # Memo of kinds_for_tags (see there), derived from the rules in __post_init__ so that
    # dataclasses.replace() never carries a memo over to other rules.
    _condition_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    _word_pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _memo: dict[frozenset[tuple[str, str]], frozenset[str]] = field(
        init=False, repr=False, compare=False
    )
    _memo_counts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {
            condition.key
            for alternatives in (
                self.ignore_name_tags,
                *(rule.tags for rule in self.rules),
                *(rule.unless_tags for rule in self.rules),
            )
            for alternative in alternatives
            for condition in alternative
        }
        words = {w for rule in self.rules for w in (*rule.keywords, *rule.unless_words)}
        words.update(self.ignore_words)
        pattern = (
            re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
            if words
            else None
        )
        object.__setattr__(self, "_condition_keys", frozenset(keys))
        object.__setattr__(self, "_word_pattern", pattern)
        object.__setattr__(self, "_memo", {})
        object.__setattr__(self, "_memo_counts", [0, 0, 0])

    @property
    def trigger_keys(self) -> frozenset[str] | None:
        """Keys one of which a feature must carry for :meth:`kinds_for_tags` to find any kind.

        The keys of the lookup index (a tag alternative can hold only where its first positive
        key is present) and ``name`` when some rule has keywords. ``None`` when that cannot be
        said: a tag alternative without a positive condition, or no index (every rule is tried).
        Readers use it to skip, in C++, features that cannot be facilities.
        """
        if self.always or not self.tag_index:
            return None
        keys = set(self.tag_index)
        if any(rule.keywords for rule in self.rules):
            keys.add("name")
        return frozenset(keys)

    def memo_info(self) -> KindMemoInfo:
        """How often :meth:`kinds_for_tags` answered from its memo since these rules were made."""
        hits, misses, by_name = self._memo_counts
        return KindMemoInfo(hits=hits, misses=misses, name_decides=by_name, size=len(self._memo))

    def _candidates(self, tags: Mapping[str, str]) -> list[int]:
        """Indices of rules whose tag part can match these tags."""
        if not self.tag_index and not self.always:
            return list(range(len(self.rules)))
        found: set[int] = set(self.always)
        for key in tags:
            hit = self.tag_index.get(key)
            if hit:
                found.update(hit)
        return sorted(found)

    def kinds_for_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        """Kinds of an OSM feature from its tags and the keywords of its ``name`` tag.

        The same as :meth:`evaluate_tags`, remembered per *tag pattern*: the tags whose key
        appears in some condition of the rules (other tags cannot change the answer), for
        features whose name contains none of the rules' words (keywords, ``unless_words``,
        ignore words) and so cannot change it either. Features whose name holds such a word
        are always evaluated afresh; free text is never part of the memo's key, so on real
        data the memo hits only where tag patterns repeat (``building=yes``,
        ``highway=bus_stop`` …), not where one named place repeats.

        Parameters
        ----------
        tags
            The feature's OSM tags (``{"amenity": "kindergarten", "name": "…"}``).

        Returns
        -------
        frozenset of str
            Catalogue keys; empty when nothing matches.
        """
        counts = self._memo_counts
        raw_name = tags.get("name", "") or ""
        if raw_name and self._word_pattern is not None:
            name = normalise_text(raw_name)
            if self._word_pattern.search(name) is not None:
                counts[2] += 1
                return self._evaluate(tags, name)
        keys = self._condition_keys
        pattern = frozenset(item for item in tags.items() if item[0] in keys)
        found = self._memo.get(pattern)
        if found is not None:
            counts[0] += 1
            return found
        counts[1] += 1
        found = self._evaluate(tags, normalise_text(raw_name) if raw_name else "")
        if len(self._memo) >= _MEMO_MAX:
            self._memo.clear()
        self._memo[pattern] = found
        return found

    def evaluate_tags(self, tags: Mapping[str, str]) -> frozenset[str]:
        """:meth:`kinds_for_tags` evaluated afresh, without the memo (for checks)."""
        raw_name = tags.get("name", "") or ""
        return self._evaluate(tags, normalise_text(raw_name) if raw_name else "")

    def _evaluate(self, tags: Mapping[str, str], name: str) -> frozenset[str]:
        """The rules applied to ``tags`` with ``name`` already normalised."""
        use_name = (
            bool(name)
            and (self.keyword_pattern is None or self.keyword_pattern.search(name) is not None)
            and not (
                any(_holds_all(alt, tags) for alt in self.ignore_name_tags)
                or any(w in name for w in self.ignore_words)
            )
        )
        by_tag: set[str] = set()
        by_word: set[str] = set()
        tagged_groups: set[str] = set()
        word_groups: dict[str, str | None] = {}
        candidates = self._candidates(tags)
        # outside the candidates no tag alternative can hold: only keywords are tried there
        tag_possible = set(candidates) if use_name else None
        for i in range(len(self.rules)) if use_name else candidates:
            rule = self.rules[i]
            tag_hit = (tag_possible is None or i in tag_possible) and rule.by_tags(tags)
            word_hit = not tag_hit and use_name and rule.by_words(name)
            if not (tag_hit or word_hit) or rule.vetoed(tags, name):
                continue
            if tag_hit:
                by_tag.add(rule.kind)
                if rule.group is not None:
                    tagged_groups.add(rule.group)
            else:
                by_word.add(rule.kind)
                word_groups.setdefault(rule.kind, rule.group)
        kept = {k for k in by_word if word_groups[k] is None or word_groups[k] not in tagged_groups}
        return frozenset(by_tag | kept)

    def kinds_for_text(self, text: str) -> frozenset[str]:
        """Kinds named by free text (a ledger's category or name column).

        A bare catalogue key (``"kindergarten"``) maps to itself; otherwise the keywords
        and vetoes of the rules apply.
        """
        norm = normalise_text(text).strip()
        if not norm:
            return frozenset()
        if norm in self.kind_keys:
            return frozenset({norm})
        if any(w in norm for w in self.ignore_words):
            return frozenset()
        return frozenset(
            rule.kind for rule in self.rules if rule.by_words(norm) and not rule.vetoed({}, norm)
        )


def _str_list(entry: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: field {field!r}: expected a list of non-empty strings")
    return tuple(value)


def _parse_rule(entry: Mapping[str, Any], where: str, known: frozenset[str]) -> KindRule:
    unknown = set(entry) - _RULE_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {sorted(unknown)} (expected {sorted(_RULE_FIELDS)})"
        )
    kind = entry.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"{where}: missing field 'kind'")
    if kind not in known:
        raise ConfigError(
            f"{where}: field 'kind': unknown kind {kind!r} (not in the catalogue: "
            f"{', '.join(sorted(known))})"
        )
    tags = tuple(_parse_alternative(t, where=where) for t in _str_list(entry, "tags", where))
    keywords = tuple(normalise_text(w) for w in _str_list(entry, "keywords", where))
    if not tags and not keywords:
        raise ConfigError(f"{where}: a rule needs 'tags' or 'keywords'")
    group = entry.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise ConfigError(f"{where}: field 'group': expected a non-empty string")
    return KindRule(
        kind=kind,
        tags=tags,
        keywords=keywords,
        unless_tags=tuple(
            _parse_alternative(t, where=where) for t in _str_list(entry, "unless_tags", where)
        ),
        unless_words=tuple(normalise_text(w) for w in _str_list(entry, "unless_words", where)),
        group=group,
    )


def load_kind_rules(
    path: str | Path | None = None, *, catalogue: Catalogue | None = None
) -> KindRules:
    """Read and validate the OSM-tag and keyword rules.

    Parameters
    ----------
    path
        A rules file in the format of the built-in ``kinds.toml``; ``None`` for that file.
    catalogue
        Kinds the rules may name; the built-in catalogue when ``None``.

    Raises
    ------
    ConfigError
        Naming the file and the rule: unknown fields, unknown kinds, malformed tag conditions.
    """
    doc, label = load_toml(path, package="wanzheng.standards", name="kinds.toml", what="rules")
    origin = "builtin" if path is None else label
    unknown = set(doc) - _TOP_FIELDS
    if unknown:
        raise ConfigError(
            f"{label}: unknown top-level key(s) {sorted(unknown)} "
            "(expected [rules], [names] and [[rule]])"
        )
    header = doc.get("rules", {})
    names = doc.get("names", {})
    if not isinstance(header, dict) or not isinstance(names, dict):
        raise ConfigError(f"{label}: [rules] and [names] must be tables")
    for table, fields, title in (
        (header, _HEADER_FIELDS, "rules"),
        (names, _NAMES_FIELDS, "names"),
    ):
        extra = set(table) - fields
        if extra:
            raise ConfigError(f"{label}: [{title}]: unknown field(s) {sorted(extra)}")
    entries = doc.get("rule", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{label}: 'rule' must be an array of tables ([[rule]])")
    if not entries:
        raise ConfigError(f"{label}: no [[rule]] entries")
    cat = catalogue if catalogue is not None else load_catalogue()
    known = frozenset(cat.keys)
    rules = tuple(
        _parse_rule(e, f"{label}: rule #{i + 1} ({e.get('kind', '?')})", known)
        for i, e in enumerate(entries)
    )
    tag_index: dict[str, list[int]] = {}
    always: list[int] = []
    for i, rule in enumerate(rules):
        if not rule.tags:
            continue
        keys: set[str] = set()
        for alt in rule.tags:
            positive = [c.key for c in alt if not c.negated]
            if not positive:
                keys = set()
                break
            keys.add(positive[0])
        if not keys:
            always.append(i)
        for key in keys:
            tag_index.setdefault(key, []).append(i)
    words = sorted({w for r in rules for w in r.keywords}, key=len, reverse=True)
    return KindRules(
        name=str(header.get("name", Path(label).stem)),
        version=str(header.get("version", "")),
        rules=rules,
        ignore_name_tags=tuple(
            _parse_alternative(t, where=f"{label}: [names]")
            for t in _str_list(names, "ignore_tags", f"{label}: [names]")
        ),
        ignore_words=tuple(
            normalise_text(w) for w in _str_list(names, "ignore_words", f"{label}: [names]")
        ),
        kind_keys=known,
        origin=origin,
        tag_index={k: tuple(v) for k, v in tag_index.items()},
        always=tuple(always),
        keyword_pattern=re.compile("|".join(re.escape(w) for w in words)) if words else None,
    )
