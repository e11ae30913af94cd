"""The case category tree and the default keyword classifier.

Categories are data (``categories.toml``): a two-level tree whose leaves carry the
responsible department and a deadline profile (sign / respond hours, resolve working days).
On arrival the service asks a :class:`CategoryClassifier` to propose a category; the default
:class:`KeywordClassifier` counts the leaf keywords found in the text. A trained model (the
``text`` module) plugs in by implementing the same one-method protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wanzheng.errors import ConfigError
from wanzheng.settings import Settings
from wanzheng.standards.datafile import load_toml

__all__ = [
    "Category",
    "CategoryClassifier",
    "CategoryTree",
    "DeadlineProfile",
    "KeywordClassifier",
    "build_classifier",
    "load_categories",
]


@dataclass(frozen=True, slots=True)
class DeadlineProfile:
    """Deadlines of a kind of case: sign and respond in hours, resolve in working days."""

    key: str
    label: str
    sign_hours: float
    respond_hours: float
    resolve_days: int


@dataclass(frozen=True, slots=True)
class Category:
    """One node of the tree; leaves have a department and a profile."""

    key: str
    name: str
    parent: str | None
    department: str | None
    profile: str | None
    keywords: tuple[str, ...]
    informed_by: str

    @property
    def is_leaf(self) -> bool:
        """True for categories a case may be filed under."""
        return self.department is not None


@dataclass(frozen=True, slots=True)
class CategoryTree:
    """The category tree with its deadline profiles."""

    version: str
    categories: dict[str, Category]
    profiles: dict[str, DeadlineProfile]
    origin: str

    def leaves(self) -> list[Category]:
        """Categories a case may be filed under, in file order."""
        return [c for c in self.categories.values() if c.is_leaf]


class CategoryClassifier(Protocol):
    """Proposes a category for a case text; ``None`` when it has no idea."""

    def propose_category(self, text: str) -> tuple[str, float] | None:
        """Return ``(category key, confidence in [0, 1])`` or ``None``."""
        ...


@dataclass(frozen=True, slots=True)
class KeywordClassifier:
    """Default classifier: the leaf with the most keyword hits wins.

    A keyword's hits are its non-overlapping occurrences in the text (``str.count``); a leaf's
    hits are the sum over its keywords. Confidence is ``hits(best) / total hits`` over all
    leaves, so a text that mentions keywords of two categories equally gets 0.5; on a tie
    the leaf listed first wins.
    """

    keywords: tuple[tuple[str, tuple[str, ...]], ...]
    #: first character -> ((keyword, leaf position), ...): only keywords whose first
    #: character occurs in the text are counted (intake runs this on every submission).
    _by_first: dict[str, tuple[tuple[str, int], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_first: dict[str, list[tuple[str, int]]] = {}
        for pos, (_, words) in enumerate(self.keywords):
            for w in words:
                if w:
                    by_first.setdefault(w[0], []).append((w, pos))
        object.__setattr__(self, "_by_first", {c: tuple(v) for c, v in by_first.items()})

    @classmethod
    def from_tree(cls, tree: CategoryTree) -> KeywordClassifier:
        """Build the classifier from the keywords of every leaf."""
        return cls(tuple((c.key, c.keywords) for c in tree.leaves() if c.keywords))

    def propose_category(self, text: str) -> tuple[str, float] | None:
        """Propose the leaf whose keywords occur most often in ``text``."""
        hits: dict[int, int] = {}
        by_first = self._by_first
        for ch in set(text).intersection(by_first):
            for word, pos in by_first[ch]:
                n = text.count(word)
                if n:
                    hits[pos] = hits.get(pos, 0) + n
        if not hits:
            return None
        best = min(hits, key=lambda pos: (-hits[pos], pos))
        return self.keywords[best][0], hits[best] / sum(hits.values())


def _get(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    return table[key]


def load_categories(path: Path | None = None) -> CategoryTree:
    """Read and validate the category tree (default: the packaged ``categories.toml``).

    Raises
    ------
    ConfigError
        Duplicate or unknown keys, a leaf without a profile, a bad profile value.
    """
    raw, origin = load_toml(
        path, package="wanzheng.cases", name="categories.toml", what="category tree"
    )
    profiles: dict[str, DeadlineProfile] = {}
    for key, p in _get(raw, "profiles", origin).items():
        where = f"{origin}: profiles.{key}"
        prof = DeadlineProfile(
            key=key,
            label=str(p.get("label", key)),
            sign_hours=float(_get(p, "sign_hours", where)),
            respond_hours=float(_get(p, "respond_hours", where)),
            resolve_days=int(_get(p, "resolve_days", where)),
        )
        if prof.sign_hours <= 0 or prof.respond_hours <= 0 or prof.resolve_days < 1:
            raise ConfigError(f"{where}: hours must be > 0 and resolve_days >= 1")
        profiles[key] = prof
    categories: dict[str, Category] = {}
    for i, c in enumerate(_get(raw, "categories", origin)):
        where = f"{origin}: categories[{i}]"
        cat = Category(
            key=str(_get(c, "key", where)),
            name=str(_get(c, "name", where)),
            parent=c.get("parent"),
            department=c.get("department"),
            profile=c.get("profile"),
            keywords=tuple(c.get("keywords", [])),
            informed_by=str(c.get("informed_by", "")),
        )
        if cat.key in categories:
            raise ConfigError(f"{where}: key {cat.key!r} defined twice")
        if cat.parent is not None and cat.parent not in categories:
            raise ConfigError(f"{where}: parent {cat.parent!r} not defined above")
        if (cat.department is None) != (cat.profile is None):
            raise ConfigError(f"{where}: a leaf needs both department and profile")
        if cat.profile is not None and cat.profile not in profiles:
            raise ConfigError(f"{where}: unknown profile {cat.profile!r}")
        categories[cat.key] = cat
    return CategoryTree(
        version=str(raw.get("version", "")), categories=categories, profiles=profiles, origin=origin
    )


def build_classifier(settings: Settings, tree: CategoryTree) -> CategoryClassifier:
    """The proposer of categories for new cases.

    With ``settings.text_model_dir``: the trained model (``wanzheng text train``), whose labels
    must be leaf keys or names of ``tree``; below ``settings.text_min_confidence`` the keyword
    rules of the tree answer instead. Without it: the keyword rules alone.

    Raises
    ------
    ConfigError
        The configured model cannot be loaded (missing, incompatible versions, unknown labels):
        the service refuses to start rather than silently falling back to keywords.
    """
    keywords = KeywordClassifier.from_tree(tree)
    if settings.text_model_dir is None:
        return keywords
    from wanzheng.text.service import load_proposer  # scikit-learn only when a model is used

    leaves = [(c.key, c.name) for c in tree.leaves()]
    try:
        return load_proposer(
            settings.text_model_dir,
            leaves,
            min_confidence=settings.text_min_confidence,
            fallback=keywords,
        )
    except ConfigError as exc:
        raise ConfigError(
            f"WANZHENG_TEXT_MODEL_DIR={settings.text_model_dir}: the case classifier cannot be "
            f"loaded ({exc}); retrain it with `wanzheng text train` on the desk's category keys "
            "or unset the setting to use the keyword rules"
        ) from exc
