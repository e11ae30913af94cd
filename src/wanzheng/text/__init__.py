"""Chinese text of cases: classification, duplicate finding, personal-data redaction.

The service-facing seam is small::

    clf = load_classifier(model_dir)     # or KeywordClassifier.from_tree()
    clf.predict(["标题\\n详情"])         # -> [Prediction(label, confidence, alternatives)]
    redact(text, addresses=True)         # -> RedactionResult(text, spans)
"""

from __future__ import annotations

from wanzheng.text.classify import (
    Classifier,
    Prediction,
    TextClassifier,
    TrainingReport,
    train_classifier,
)
from wanzheng.text.dedupe import CaseText, DuplicateCandidate, find_duplicates
from wanzheng.text.features import join_fields
from wanzheng.text.model import (
    KeywordClassifier,
    LabelTree,
    load_classifier,
    load_label_tree,
    save_classifier,
)
from wanzheng.text.redact import RedactionResult, RedactionSpan, redact

__all__ = [
    "CaseText",
    "Classifier",
    "DuplicateCandidate",
    "KeywordClassifier",
    "LabelTree",
    "Prediction",
    "RedactionResult",
    "RedactionSpan",
    "TextClassifier",
    "TrainingReport",
    "find_duplicates",
    "join_fields",
    "load_classifier",
    "load_label_tree",
    "redact",
    "save_classifier",
    "train_classifier",
]
