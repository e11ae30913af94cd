"""Saving and loading classifiers, the known label set, and the keyword-rules fallback.

A model directory holds two files:

``manifest.json``
    format name and version, the versions of wanzheng, scikit-learn, numpy and Python it was
    trained with, the labels, the feature configuration, the training report and the SHA-256 of
    the array file.
``model.npz``
    plain numeric numpy arrays only (bucket numbers, idf, weights, coefficients), written with
    ``numpy.savez_compressed``.

Nothing in a model directory is a pickle: the manifest is JSON and the arrays are read with
``numpy.load(..., allow_pickle=False)``, so an array of Python objects (which would unpickle,
and so could run code) is refused, as is any array that is not a plain number type. A model
file from elsewhere can therefore not run code when it is loaded.

:func:`load_classifier` reads and checks the manifest first: the format version must be one this
wanzheng reads (version 1 kept its arrays in a joblib pickle and is refused), the scikit-learn and
numpy major.minor / major versions must match the running ones, the labels must be known to the
category tree, and the array file's checksum must match. Any failure is a
:class:`~wanzheng.errors.ConfigError` saying what to do (usually: retrain with
``wanzheng text train``).
"""

from __future__ import annotations

import hashlib
import json
import platform
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from wanzheng.errors import ConfigError
from wanzheng.text.classify import (
    Prediction,
    TextClassifier,
    TrainingReport,
    normalise_label,
    predictions_from_proba,
)
from wanzheng.text.features import FeatureConfig, TextFeatures, normalise

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "KeywordClassifier",
    "LabelTree",
    "load_classifier",
    "load_label_tree",
    "save_classifier",
]

FORMAT = "wanzheng-text-classifier"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
ARRAYS = "model.npz"


@dataclass(frozen=True, slots=True)
class LabelTree:
    """Labels a model may carry: level-1 names, with their level-2/3 names and keywords."""

    version: str
    level1: tuple[str, ...]
    children: dict[str, tuple[str, ...]]  # level-1 name → level-2 and level-3 names
    keywords: dict[str, tuple[str, ...]]  # level-1 name → hand-written keywords
    origin: str

    @property
    def names(self) -> frozenset[str]:
        """Every name of the tree (any level): the labels a model may use."""
        out = set(self.level1)
        for kids in self.children.values():
            out.update(kids)
        return frozenset(out)

    def level1_of(self, name: str) -> str | None:
        """The level-1 name above ``name`` (itself for a level-1 name), or None if unknown."""
        if name in self.level1:
            return name
        for parent, kids in self.children.items():
            if name in kids:
                return parent
        return None


def load_label_tree(path: Path | None = None) -> LabelTree:
    """Read a label tree (default: the packaged ``labels.toml``).

    Raises
    ------
    ConfigError
        The file is not valid TOML or an entry has no ``name``.
    """
    if path is None:
        raw_text = resources.files("wanzheng.text").joinpath("labels.toml").read_text("utf-8")
        origin = "wanzheng/text/labels.toml"
    else:
        try:
            raw_text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the label tree ({exc})") from exc
        origin = str(path)
    try:
        raw = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from exc
    level1: list[str] = []
    children: dict[str, tuple[str, ...]] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    for i, entry in enumerate(raw.get("labels", [])):
        if "name" not in entry:
            raise ConfigError(f"{origin}: labels[{i}] has no 'name'")
        name = normalise_label(entry["name"])
        level1.append(name)
        kids = [normalise_label(x) for x in [*entry.get("level2", []), *entry.get("level3", [])]]
        children[name] = tuple(kids)
        keywords[name] = tuple(normalise(w) for w in entry.get("keywords", []) if w)
    if not level1:
        raise ConfigError(f"{origin}: no [[labels]] entries")
    return LabelTree(str(raw.get("version", "")), tuple(level1), children, keywords, origin)


# --- keyword fallback -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeywordClassifier:
    """Fallback without a trained model: the label whose keywords occur most often wins.

    The confidence is the share of the best label's hits among all hits (a text that mentions
    keywords of two labels equally gets 0.5); a text with no keyword at all gets the label
    ``""`` with confidence 0, meaning *no proposal*.
    """

    rules: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def from_rules(cls, rules: Mapping[str, Sequence[str]]) -> KeywordClassifier:
        """Build from ``{label: [keyword, ...]}``."""
        return cls(
            tuple(
                (normalise_label(k), tuple(normalise(w) for w in v if w)) for k, v in rules.items()
            )
        )

    @classmethod
    def from_tree(cls, tree: LabelTree | None = None) -> KeywordClassifier:
        """Keywords of each level-1 label plus its level-2/3 names (the packaged tree by default).

        Category names shorter than two characters and the generic 其他 are not used.
        """
        tree = tree or load_label_tree()
        rules: dict[str, list[str]] = {}
        for name in tree.level1:
            words = [*tree.keywords.get(name, ()), *tree.children.get(name, ())]
            rules[name] = [w for w in dict.fromkeys(words) if len(w) >= 2 and w != "其他"]
        return cls.from_rules(rules)

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels the rules can propose."""
        return tuple(k for k, _ in self.rules)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text; label ``""`` (confidence 0) when no keyword occurs."""
        labels = self.labels
        proba = np.zeros((len(texts), len(labels)))
        for i, text in enumerate(texts):
            t = normalise(text)
            proba[i] = [sum(t.count(w) for w in words) for _, words in self.rules]
        totals = proba.sum(axis=1, keepdims=True)
        hit = totals[:, 0] > 0
        proba[hit] /= totals[hit]
        out = predictions_from_proba(proba, labels)
        return [
            p if h else Prediction(label="", confidence=0.0, alternatives=())
            for p, h in zip(out, hit, strict=True)
        ]


# --- saving and loading -----------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import sklearn

    from wanzheng import __version__

    return {
        "wanzheng": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_classifier(model: TextClassifier, model_dir: Path, *, label_tree: str = "builtin") -> Path:
    """Write ``model`` to ``model_dir`` (created if missing); return the manifest path.

    Parameters
    ----------
    label_tree
        ``"builtin"`` when the labels were checked against the packaged tree at training time,
        ``"custom"`` when the office trained on labels of its own (then the service must pass its
        own label set to :func:`load_classifier`).
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {
        "coef": np.ascontiguousarray(model.coef, dtype=np.float32),
        "intercept": np.asarray(model.intercept, dtype=np.float64),
        **model.features.to_arrays(),
    }
    array_path = model_dir / ARRAYS
    with array_path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "labels": list(model.labels),
        "label_tree": label_tree,
        "feature_config": asdict(model.features.config),
        "blocks": [b.name for b in model.features.blocks],
        "n_features": model.features.n_features,
        "training": model.report.to_json(),
        "arrays": {"file": ARRAYS, "sha256": _sha256(array_path)},
    }
    path = model_dir / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _major_minor(v: str, n: int) -> tuple[str, ...]:
    return tuple(v.split(".")[:n])


def _check_manifest(
    manifest: dict[str, Any], where: Path, known_labels: Iterable[str] | None
) -> None:
    if manifest.get("format") != FORMAT:
        got = manifest.get("format")
        raise ConfigError(f"{where}: not a wanzheng text classifier (format {got!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        old = " (version 1 kept its arrays in a pickle, which is no longer loaded)"
        raise ConfigError(
            f"{where}: model format version {manifest.get('format_version')!r}, this wanzheng "
            f"reads version {FORMAT_VERSION}{old if manifest.get('format_version') == 1 else ''}"
            "; retrain with `wanzheng text train`"
        )
    have = _versions()
    saved = manifest.get("versions", {})
    for lib, n in (("scikit-learn", 2), ("numpy", 1)):
        if _major_minor(str(saved.get(lib, "")), n) != _major_minor(have[lib], n):
            raise ConfigError(
                f"{where}: trained with {lib} {saved.get(lib)!r}, running {have[lib]}; "
                "the model is incompatible, retrain it with `wanzheng text train`"
            )
    labels = manifest.get("labels")
    if not isinstance(labels, list) or len(labels) < 2:
        raise ConfigError(f"{where}: the manifest lists no labels (need at least two)")
    if known_labels is None and manifest.get("label_tree") == "builtin":
        known_labels = load_label_tree().names
    if known_labels is not None:
        known = {normalise_label(k) for k in known_labels}
        unknown = [lab for lab in labels if lab not in known]
        if unknown:
            raise ConfigError(
                f"{where}: labels unknown to the category tree: {', '.join(unknown)}; "
                "retrain on the current categories or pass the tree the model was trained for"
            )


def _load_arrays(path: Path) -> dict[str, Any]:
    """The arrays of an ``.npz`` file, refusing pickles and anything but plain numbers."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as exc:  # numpy refuses an object array without allow_pickle
        raise ConfigError(
            f"{path}: holds Python objects (a pickle), which are never loaded; "
            "retrain with `wanzheng text train`"
        ) from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ConfigError(f"{path}: not a readable model array file ({exc})") from exc
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise ConfigError(
                f"{path}: array {name!r} has dtype {array.dtype}; expected numbers only"
            )
    return arrays


def load_classifier(
    model_dir: Path, *, known_labels: Iterable[str] | None = None
) -> TextClassifier:
    """Load a model saved by :func:`save_classifier`, checking the manifest first.

    Parameters
    ----------
    model_dir
        The directory written by ``wanzheng text train --out``.
    known_labels
        Labels the caller accepts (e.g. its category tree's names). By default a model trained on
        the packaged tree is checked against it and a ``custom`` one is not checked.

    Raises
    ------
    ConfigError
        Missing files, another format or format version, incompatible scikit-learn / numpy,
        labels unknown to the category tree, or an array file that does not match its checksum.
    """
    mpath = model_dir / MANIFEST
    if not mpath.is_file():
        raise ConfigError(f"{model_dir}: no {MANIFEST}; is this a model directory?")
    try:
        manifest = json.loads(mpath.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{mpath}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ConfigError(f"{mpath}: the manifest is not a JSON object")
    _check_manifest(manifest, mpath, known_labels)
    apath = model_dir / ARRAYS
    if not apath.is_file():
        raise ConfigError(f"{model_dir}: {ARRAYS} is missing")
    if _sha256(apath) != manifest.get("arrays", {}).get("sha256"):
        raise ConfigError(f"{apath}: checksum does not match the manifest; refusing to load it")
    arrays = _load_arrays(apath)
    try:
        cfg_raw = dict(manifest["feature_config"])
        for key in ("body_ngrams", "title_ngrams"):
            cfg_raw[key] = tuple(cfg_raw[key])
        config = FeatureConfig(**cfg_raw)
        features = TextFeatures.from_arrays(config, manifest["blocks"], arrays)
        coef = np.asarray(arrays["coef"], dtype=np.float32)
        intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        tr = manifest.get("training", {})
        report = TrainingReport(
            n_rows=int(tr.get("n_rows", 0)),
            n_skipped=int(tr.get("n_skipped", 0)),
            class_counts=dict(tr.get("class_counts", {})),
            candidate_macro_f1=tuple(tr.get("candidate_macro_f1", ())),
            chosen=int(tr.get("chosen", 0)),
            member_weights=dict(tr.get("member_weights", {})),
            folds=int(tr.get("folds", 0)),
            seconds=float(tr.get("seconds", 0.0)),
            source=str(tr.get("source", "")),
            notes=tuple(tr.get("notes", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{model_dir}: model files are inconsistent ({exc})") from exc
    labels = tuple(manifest["labels"])
    if coef.shape != (len(labels), features.n_features):
        raise ConfigError(
            f"{model_dir}: coefficients have shape {coef.shape}, expected "
            f"({len(labels)}, {features.n_features})"
        )
    return TextClassifier(
        features=features, labels=labels, coef=coef, intercept=intercept, report=report
    )
