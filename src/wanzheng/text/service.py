"""The seam between the case desk and the text models.

The case desk asks a ``CategoryClassifier`` (``wanzheng.cases.categories``) for
``propose_category(text) -> (category key, confidence) | None``. :class:`CategoryProposer`
adapts any :class:`~wanzheng.text.classify.Classifier` (a trained model or
:class:`~wanzheng.text.model.KeywordClassifier`) to that protocol: it maps the model's label to
a category key and proposes nothing when the label has no key or the confidence is too low.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from wanzheng.text.classify import Classifier, normalise_label
from wanzheng.text.features import join_fields
from wanzheng.text.model import load_classifier

__all__ = ["CategoryProposer", "ProposesCategory", "label_map", "load_proposer"]


class ProposesCategory(Protocol):
    """The case desk's classifier protocol (``wanzheng.cases.categories.CategoryClassifier``)."""

    def propose_category(self, text: str) -> tuple[str, float] | None:
        """``(category key, confidence in [0, 1])`` or None."""
        ...


def label_map(categories: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{label: key}`` from ``(key, name)`` pairs of the categories a case may be filed under.

    Both the key and the name map to the key, so a model trained on either works.
    """
    out: dict[str, str] = {}
    for key, name in categories:
        out[normalise_label(key)] = key
        out[normalise_label(name)] = key
    return out


@dataclass(frozen=True, slots=True)
class CategoryProposer:
    """Proposes a category key for a case text, for the case desk."""

    classifier: Classifier
    label_to_key: Mapping[str, str]
    min_confidence: float = 0.0
    fallback: ProposesCategory | None = field(default=None)

    def propose_category(self, text: str) -> tuple[str, float] | None:
        """``(category key, confidence)``, or the fallback's answer, or None.

        ``text`` is the case text; a title may come first on its own line.
        """
        (p,) = self.classifier.predict([text if "\n" in text else join_fields([text])])
        key = self.label_to_key.get(p.label) if p.label else None
        if key is not None and p.confidence >= self.min_confidence:
            return key, p.confidence
        return self.fallback.propose_category(text) if self.fallback is not None else None


def load_proposer(
    model_dir: Path,
    categories: Iterable[tuple[str, str]],
    *,
    min_confidence: float = 0.0,
    fallback: ProposesCategory | None = None,
) -> CategoryProposer:
    """A proposer from a trained model whose labels are the given categories' keys or names.

    Raises
    ------
    ConfigError
        The model cannot be loaded, or it has labels that are not among ``categories``.
    """
    mapping = label_map(categories)
    clf = load_classifier(model_dir, known_labels=mapping.keys())
    return CategoryProposer(clf, mapping, min_confidence=min_confidence, fallback=fallback)
