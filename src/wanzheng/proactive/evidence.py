"""Cases as evidence in the audit: residents asking for a facility that is missing.

"Missing by the standard, and 37 residents asked for it." Rules in
``evidence_rules.toml`` (data, editable) say which case categories and which wording speak
of a missing facility kind; :func:`evidence_counts` counts matching cases per community
and kind, keyed by the facility catalogue's kind keys so that the audit report and the
dashboard can join the counts on ``(community_id, kind)`` beside the distance verdict.

A case counts for a kind when its category is one of the kind's ``categories``, or its
text contains one of the kind's ``phrases``, or its text names one of the kind's ``nouns``
with a ``lack`` cue (没有, 太远, 希望有 …) within ``window`` characters before or after it
in the same clause (clauses end at ，。；！？), and the text contains none of the kind's
``exclude`` words (so "菜市场噪音扰民" is a complaint about a market that exists, not
evidence that one is missing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from wanzheng.errors import ConfigError, DataError
from wanzheng.standards.datafile import load_toml
from wanzheng.text.redact import redact

__all__ = [
    "EVIDENCE_COLUMNS",
    "EvidenceRule",
    "EvidenceRules",
    "evidence_counts",
    "load_evidence_rules",
    "match_kinds",
]

EVIDENCE_COLUMNS = ("community_id", "kind", "n_cases", "n_residents", "examples")
_RULE_KEYS = {"kind", "phrases", "nouns", "exclude", "categories", "lack"}


@dataclass(frozen=True, slots=True)
class EvidenceRule:
    """Which cases speak of a missing facility of one ``kind`` (a catalogue key)."""

    kind: str
    phrases: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    lack: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceRules:
    """A validated evidence-rule file."""

    name: str
    version: str
    window: int
    rules: tuple[EvidenceRule, ...]
    origin: str


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: key '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_evidence_rules(
    doc: Mapping[str, Any], *, origin: str = "<evidence rules>", kinds: Iterable[str] | None = None
) -> EvidenceRules:
    """Validate a parsed evidence-rule document.

    Parameters
    ----------
    doc
        The TOML document as a dict.
    origin
        Name for error messages.
    kinds
        Valid kind keys (the catalogue's); ``None`` skips that check.

    Raises
    ------
    ConfigError
        Unknown keys or kinds, empty rules, bad lists, repeated kinds.
    """
    unknown = set(doc) - {"name", "version", "window", "lack", "rule"}
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    window = doc.get("window", 12)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= 200:
        raise ConfigError(f"{origin}: 'window' must be a whole number of characters 1…200")
    lack = _strings(doc, "lack", origin)
    raw_rules = doc.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{origin}: no [[rule]] tables")
    valid = set(kinds) if kinds is not None else None
    rules: list[EvidenceRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        where = f"{origin}: rule {i + 1}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: expected a [[rule]] table")
        extra = set(raw) - _RULE_KEYS
        if extra:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(extra))}; "
                f"expected {', '.join(sorted(_RULE_KEYS))}"
            )
        kind = raw.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ConfigError(f"{where}: key 'kind' must name a catalogue kind")
        where = f"{where} ({kind!r})"
        if valid is not None and kind not in valid:
            raise ConfigError(f"{where}: {kind!r} is not a kind of the facility catalogue")
        if kind in seen:
            raise ConfigError(f"{where}: kind {kind!r} has two rules; merge them")
        seen.add(kind)
        rule = EvidenceRule(
            kind=kind,
            phrases=_strings(raw, "phrases", where),
            nouns=_strings(raw, "nouns", where),
            exclude=_strings(raw, "exclude", where),
            categories=_strings(raw, "categories", where),
            lack=_strings(raw, "lack", where) or lack,
        )
        if not (rule.phrases or rule.nouns or rule.categories):
            raise ConfigError(f"{where}: needs phrases, nouns or categories")
        if rule.nouns and not rule.lack:
            raise ConfigError(f"{where}: nouns need 'lack' cues (here or at the top)")
        rules.append(rule)
    return EvidenceRules(
        name=str(doc.get("name", "")),
        version=str(doc.get("version", "")),
        window=window,
        rules=tuple(rules),
        origin=origin,
    )


def load_evidence_rules(
    path: str | Path | None = None, *, kinds: Iterable[str] | None = None
) -> EvidenceRules:
    """Load evidence rules; ``None`` loads the project's default ``evidence_rules.toml``.

    Parameters
    ----------
    path
        A TOML file, or ``None``.
    kinds
        Valid kind keys, e.g. ``[k.key for k in load_catalogue().kinds]``.
    """
    doc, origin = load_toml(
        path, package="wanzheng.proactive", name="evidence_rules.toml", what="evidence rules"
    )
    return parse_evidence_rules(doc, origin=origin, kinds=kinds)


_CLAUSE = re.compile(r"[，。；！？,.;!?\n]+")


def _near(text: str, nouns: tuple[str, ...], cues: tuple[str, ...], window: int) -> bool:
    """A noun with a cue within ``window`` characters of it, in the same clause."""
    for clause in _CLAUSE.split(text):
        for noun in nouns:
            for m in re.finditer(re.escape(noun), clause):
                lo, hi = max(0, m.start() - window), m.end() + window
                around = clause[lo : m.start()] + "\x00" + clause[m.end() : hi]
                if any(cue in around for cue in cues):
                    return True
    return False


def match_kinds(text: str, category: str, rules: EvidenceRules) -> tuple[str, ...]:
    """The kinds whose missing facility ``text`` / ``category`` speaks of, in rule order."""
    found: list[str] = []
    for rule in rules.rules:
        by_category = bool(category) and category in rule.categories
        by_phrase = any(p in text for p in rule.phrases)
        by_noun = (
            bool(rule.nouns)
            and not any(x in text for x in rule.exclude)
            and _near(text, rule.nouns, rule.lack, rules.window)
        )
        if by_category or by_phrase or by_noun:
            found.append(rule.kind)
    return tuple(found)


def evidence_counts(
    cases_df: pd.DataFrame, rules: EvidenceRules, *, n_examples: int = 3
) -> pd.DataFrame:
    """Count cases asking for a missing facility, per community and kind.

    Parameters
    ----------
    cases_df
        Columns ``id``, ``community_id``, ``text``; optional ``category`` and
        ``resident_id`` (reporter). Cases without a community are left out.
    rules
        Evidence rules (:func:`load_evidence_rules`).
    n_examples
        How many example texts to keep per row.

    Returns
    -------
    pandas.DataFrame
        Columns ``community_id``, ``kind``, ``n_cases``, ``n_residents`` (distinct
        ``resident_id``; a case without one counts as its own resident), ``examples``
        (tuple of up to ``n_examples`` texts, newest first when ``created_at`` is given,
        personal data masked, cut to 60 characters). Sorted by community, then
        ``n_residents`` descending. A case may count for more than one kind.
    """
    missing = [c for c in ("id", "community_id", "text") if c not in cases_df.columns]
    if missing:
        raise DataError(f"cases: missing column(s) {', '.join(missing)}")
    frame = cases_df.copy()
    if "created_at" in frame.columns:
        frame = frame.sort_values("created_at", ascending=False, kind="stable")
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        community = rec.get("community_id")
        if not isinstance(community, str) or not community:
            continue
        text = str(rec.get("text") or "")
        category = str(rec.get("category") or "") if "category" in frame.columns else ""
        resident = rec.get("resident_id") if "resident_id" in frame.columns else None
        who = str(resident) if resident is not None and str(resident) not in {"", "nan"} else None
        for kind in match_kinds(text, category, rules):
            rows.append(
                {
                    "community_id": community,
                    "kind": kind,
                    "case_id": rec["id"],
                    "resident": who if who is not None else f"case:{rec['id']}",
                    "text": text,
                }
            )
    if not rows:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    hits = pd.DataFrame(rows)
    out = []
    for (community_key, kind_key), group in hits.groupby(["community_id", "kind"], sort=True):
        examples = tuple(redact(t, addresses=True).text[:60] for t in group["text"][:n_examples])
        out.append(
            {
                "community_id": str(community_key),
                "kind": str(kind_key),
                "n_cases": int(group["case_id"].nunique()),
                "n_residents": int(group["resident"].nunique()),
                "examples": examples,
            }
        )
    result = pd.DataFrame(out, columns=list(EVIDENCE_COLUMNS))
    return result.sort_values(
        ["community_id", "n_residents", "kind"], ascending=[True, False, True]
    ).reset_index(drop=True)
