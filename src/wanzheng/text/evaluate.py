"""Accuracy, macro-F1, a per-class table and the confusion matrix; cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wanzheng.errors import DataError
from wanzheng.text.classify import Classifier, train_classifier

__all__ = ["Evaluation", "cross_validate", "evaluate_predictions"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Scores of predictions against true labels.

    ``per_class`` has columns label, precision, recall, f1, support; ``confusion`` has the true
    labels as rows and the predicted labels as columns.
    """

    accuracy: float
    macro_f1: float
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    n: int


def evaluate_predictions(
    y_true: Sequence[str], y_pred: Sequence[str], *, labels: Sequence[str] | None = None
) -> Evaluation:
    """Score predicted labels; ``labels`` fixes the order (default: sorted union)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    if len(y_true) != len(y_pred):
        raise DataError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true:
        raise DataError("nothing to evaluate: no labelled rows")
    order = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=order, zero_division=0)
    present = [i for i, lab in enumerate(order) if lab in set(y_true)]
    per_class = pd.DataFrame(
        {"label": order, "precision": p, "recall": r, "f1": f, "support": s.astype(int)}
    )
    cm = confusion_matrix(y_true, y_pred, labels=order)
    acc = float(np.mean(np.asarray(y_true, dtype=object) == np.asarray(y_pred, dtype=object)))
    return Evaluation(
        accuracy=acc,
        macro_f1=float(np.mean(f[present])) if present else 0.0,
        per_class=per_class,
        confusion=pd.DataFrame(cm, index=order, columns=order),
        n=len(y_true),
    )


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    train: Callable[[list[str], list[str]], Classifier] | None = None,
) -> Evaluation:
    """Stratified k-fold cross-validation of a training function (default :func:`train_classifier`).

    Every text is predicted by a model that did not see it; the scores are over all texts.
    ``folds`` is reduced to the size of the smallest class when that is smaller.

    Raises
    ------
    DataError
        Fewer than two classes, or a class with a single case (it cannot be both trained on and
        tested).
    """
    from collections import Counter

    from sklearn.model_selection import StratifiedKFold

    counts = Counter(labels)
    if len(counts) < 2:
        raise DataError(f"cross-validation needs at least two classes, found {len(counts)}")
    k = min(folds, min(counts.values()))
    if k < 2:
        rare = [lab for lab, n in counts.items() if n < 2]
        raise DataError(
            f"cross-validation needs two cases of every class; only one of: {', '.join(rare)}"
        )
    fit = train or (lambda t, y: train_classifier(t, y, seed=seed))
    pred = [""] * len(texts)
    y = np.asarray(labels, dtype=object)
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        model = fit([texts[i] for i in tr], [labels[i] for i in tr])
        for i, p in zip(te, model.predict([texts[i] for i in te]), strict=True):
            pred[i] = p.label
    return evaluate_predictions(list(labels), pred, labels=sorted(counts))
