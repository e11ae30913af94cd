"""The classifier on **real** citizens' messages against a tuned baseline, in one run.

Data: ``../shared/data/gov_messages_dev/messages_dev.csv`` (3,956 labelled messages of a
provincial message board, 7 level-1 classes; read here only, never copied into the repository).

Method (grouped nested cross-validation, the same outer folds for both methods):

- **Groups.** Repeated posts must never straddle folds: messages with the same normalised title +
  detail (NFKC, lower case, letters/digits/CJK only) are one group, and so is every connected
  cluster of near-duplicates (cosine ≥ ``--near`` of character 3-gram TF-IDF of title + detail).
- **Outer folds**: ``StratifiedGroupKFold(5)``; each test fold is data neither method saw, in
  training or in any choice of settings.
- **wanzheng**: ``train_classifier`` on the outer training part exactly as ``wanzheng text
  train`` calls it (title and detail joined by ``join_fields``); whatever it chooses, it chooses
  on that part only.
- **Tuned baseline**: char 1–3-gram ``TfidfVectorizer`` + ``LinearSVC`` with ``C`` ∈ {0.1, 0.3,
  1, 3, 10}, ``class_weight`` ∈ {none, balanced} and ``sublinear_tf`` ∈ {false, true} chosen by
  an inner ``StratifiedGroupKFold(3)`` on the outer training part (best mean macro-F1), then
  refitted on the whole outer training part.
- **Speed**: both trained once on all messages (the baseline's final fit only, its tuning not
  counted), prediction rate over all messages, in this process.

Run ``python -m bench.text_real`` (``make bench-text-real``) from the repository root; it
rewrites only the block ``text-real`` of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import platform
import re
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from bench.docs import write_block  # noqa: E402
from wanzheng.text import join_fields, train_classifier  # noqa: E402

REAL = Path("shared") / "data" / "gov_messages_dev" / "messages_dev.csv"


def default_data() -> Path:
    """``../shared/data/...`` beside the checkout (or beside the main one, from a git worktree)."""
    import subprocess

    path = ROOT.parent / REAL
    if not path.is_file():
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if common:
            path = Path(common).parent.parent / REAL
    return path


GRID_C = (0.1, 0.3, 1.0, 3.0, 10.0)
GRID_WEIGHT = (None, "balanced")
GRID_SUBLINEAR = (False, True)


def load(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Titles, details and level-1 labels of the real messages."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return (
        [r["title"] for r in rows],
        [r["detail"] for r in rows],
        [r["label_level1"] for r in rows],
    )


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def duplicate_groups(
    titles: Sequence[str], details: Sequence[str], *, near: float = 0.5
) -> NDArray[np.int64]:
    """Group id per message: identical normalised posts and near-duplicate clusters together."""
    n = len(titles)
    keys: dict[str, int] = {}
    pairs = zip(titles, details, strict=True)
    exact = np.asarray([keys.setdefault(_key(t) + "|" + _key(d), len(keys)) for t, d in pairs])
    x = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(
        [_key(t) + _key(d) for t, d in zip(titles, details, strict=True)]
    )
    s = (x @ x.T).tocoo()
    m = (s.data >= near) & (s.row < s.col)
    rows = np.concatenate([s.row[m], np.arange(n)])
    cols = np.concatenate([s.col[m], exact + n])  # each message joined to its exact-text node
    k = n + len(keys)
    graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(k, k))
    _, label = connected_components(graph, directed=False)
    return np.asarray(label[:n], dtype=np.int64)


def _f1(y: Sequence[str] | NDArray[np.str_], p: Sequence[str] | NDArray[np.str_]) -> float:
    return float(f1_score(list(y), list(p), average="macro"))


def tune_baseline(
    texts: Sequence[str], y: NDArray[np.str_], groups: NDArray[np.int64], *, seed: int
) -> tuple[dict[str, object], float]:
    """Best (C, class_weight, sublinear_tf) by inner grouped 3-fold CV; its mean macro-F1."""
    inner = list(StratifiedGroupKFold(3, shuffle=True, random_state=seed).split(texts, y, groups))
    scores: dict[tuple[bool, str | None, float], list[float]] = {}
    for sub in GRID_SUBLINEAR:
        for tr, te in inner:
            v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=sub)
            xtr = v.fit_transform([texts[i] for i in tr])
            xte = v.transform([texts[i] for i in te])
            for cw, c in itertools.product(GRID_WEIGHT, GRID_C):
                m = LinearSVC(C=c, class_weight=cw).fit(xtr, y[tr])
                scores.setdefault((sub, cw, c), []).append(_f1(y[te], m.predict(xte)))
    best = max(scores, key=lambda k: float(np.mean(scores[k])))
    return {"sublinear_tf": best[0], "class_weight": best[1], "C": best[2]}, float(
        np.mean(scores[best])
    )


def fit_baseline(texts: Sequence[str], y: Sequence[str], params: dict[str, object]) -> object:
    """Char 1–3-gram TF-IDF + LinearSVC with the given settings, fitted."""
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=bool(params["sublinear_tf"])
        ),
        LinearSVC(C=float(params["C"]), class_weight=params["class_weight"]),  # type: ignore[arg-type]
    )
    return pipe.fit(list(texts), list(y))


def run(path: Path, *, folds: int, near: float, seed: int) -> dict[str, object]:
    titles, details, labels = load(path)
    texts = [join_fields([t, d]) for t, d in zip(titles, details, strict=True)]
    y = np.asarray(labels)
    groups = duplicate_groups(titles, details, near=near)
    n_groups = len(set(groups.tolist()))
    print(f"{len(texts)} messages, {n_groups} groups", flush=True)
    outer = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    rows = []
    pred_w = np.empty(len(texts), dtype=object)
    pred_b = np.empty(len(texts), dtype=object)
    for k, (tr, te) in enumerate(outer.split(texts, y, groups)):
        if set(groups[tr].tolist()) & set(groups[te].tolist()):
            raise RuntimeError("a duplicate group straddles folds")
        tr_texts = [texts[i] for i in tr]
        te_texts = [texts[i] for i in te]
        t0 = time.perf_counter()
        model = train_classifier(tr_texts, y[tr].tolist(), seed=seed)
        w_train = time.perf_counter() - t0
        pred_w[te] = [p.label for p in model.predict(te_texts)]
        t0 = time.perf_counter()
        params, inner_f1 = tune_baseline(tr_texts, y[tr], groups[tr], seed=seed)
        b_tune = time.perf_counter() - t0
        pipe = fit_baseline(tr_texts, y[tr], params)
        pred_b[te] = pipe.predict(te_texts)  # type: ignore[attr-defined]
        row = {
            "fold": k,
            "n_test": len(te),
            "w_f1": _f1(y[te], pred_w[te]),
            "b_f1": _f1(y[te], pred_b[te]),
            "b_params": params,
            "b_inner_f1": inner_f1,
            "w_train_s": w_train,
            "b_tune_s": b_tune,
            "w_chosen": model.report.chosen,
        }
        print(row, flush=True)
        rows.append(row)
    # Speed: both trained on all messages; prediction over all of them.
    t0 = time.perf_counter()
    model = train_classifier(texts, labels, seed=seed)
    w_train_all = time.perf_counter() - t0
    model.predict(texts[:50])
    t0 = time.perf_counter()
    model.predict(texts)
    w_rate = len(texts) / (time.perf_counter() - t0)
    params, _ = tune_baseline(texts, y, groups, seed=seed)
    t0 = time.perf_counter()
    pipe = fit_baseline(texts, labels, params)
    b_train_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipe.predict(texts)  # type: ignore[attr-defined]
    b_rate = len(texts) / (time.perf_counter() - t0)
    return {
        "n": len(texts),
        "groups": n_groups,
        "grouped_rows": int(len(texts) - n_groups),
        "chars": float(np.mean([len(t) for t in texts])),
        "rows": rows,
        "w_pooled": _f1(y, pred_w.astype(str)),
        "b_pooled": _f1(y, pred_b.astype(str)),
        "w_train_all": w_train_all,
        "b_train_all": b_train_all,
        "b_params_all": params,
        "w_rate": w_rate,
        "b_rate": b_rate,
        "w_notes": list(model.report.notes),
    }


def render(r: dict[str, object], *, folds: int, near: float, seed: int, load0: float) -> str:
    rows: list[dict[str, object]] = r["rows"]  # type: ignore[assignment]
    w = np.asarray([float(x["w_f1"]) for x in rows])  # type: ignore[arg-type]
    b = np.asarray([float(x["b_f1"]) for x in rows])  # type: ignore[arg-type]
    gain = (w - b) * 100
    load1 = os.getloadavg()[0]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on this machine ({os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load0:.1f} before and {load1:.1f} after) by "
        "`python -m bench.text_real` (`make bench-text-real`). **Real messages**: "
        f"`../shared/data/gov_messages_dev` ({r['n']:,} labelled messages of a provincial "
        f"message board, 7 level-1 classes, mean {float(r['chars']):.0f} characters), read by "  # type: ignore[arg-type]
        "the benchmark only.",
        "",
        f"Grouped nested cross-validation, {folds} outer folds (`StratifiedGroupKFold`, seed "
        f"{seed}): identical normalised posts and near-duplicate clusters (char 3-gram TF-IDF "
        f"cosine ≥ {near}) form {r['groups']:,} groups that never straddle folds. wanzheng is "
        "`train_classifier` as `wanzheng text train` calls it; the baseline is char 1–3-gram "
        "TF-IDF + `LinearSVC` with C ∈ {0.1, 0.3, 1, 3, 10}, class weights ∈ {none, balanced} "
        "and sublinear tf ∈ {no, yes} chosen by an inner grouped 3-fold CV on each outer "
        "training part. Same outer folds for both, in the same run.",
        "",
        "| outer fold | test messages | wanzheng | tuned baseline | gain, points | baseline's "
        "settings (C, weights, sublinear) |",
        "|---|---|---|---|---|---|",
    ]
    for x, g in zip(rows, gain, strict=True):
        p: dict[str, object] = x["b_params"]  # type: ignore[assignment]
        lines.append(
            f"| {x['fold']} | {x['n_test']} | {float(x['w_f1']):.3f} | "  # type: ignore[arg-type]
            f"{float(x['b_f1']):.3f} | {g:+.1f} | "  # type: ignore[arg-type]
            f"{p['C']}, {p['class_weight'] or 'none'}, {'yes' if p['sublinear_tf'] else 'no'} |"
        )
    lines += [
        f"| **mean ± sd** | | **{w.mean():.3f} ± {w.std(ddof=1):.3f}** | "
        f"**{b.mean():.3f} ± {b.std(ddof=1):.3f}** | **{gain.mean():+.1f} ± "
        f"{gain.std(ddof=1):.1f}** (smallest {gain.min():+.1f}) | |",
        f"| pooled over folds | {r['n']} | {float(r['w_pooled']):.3f} | "  # type: ignore[arg-type]
        f"{float(r['b_pooled']):.3f} | "  # type: ignore[arg-type]
        f"{(float(r['w_pooled']) - float(r['b_pooled'])) * 100:+.1f} | |",  # type: ignore[arg-type]
        "",
        "| trained on all messages | wanzheng | tuned baseline |",
        "|---|---|---|",
        f"| training, s | {float(r['w_train_all']):.1f} | {float(r['b_train_all']):.1f} "  # type: ignore[arg-type]
        "(final fit; tuning not counted) |",
        f"| prediction, messages/s | {float(r['w_rate']):,.0f} | {float(r['b_rate']):,.0f} |",  # type: ignore[arg-type]
        "",
        f"Ratio of prediction rates {float(r['w_rate']) / float(r['b_rate']):.1f}×. "  # type: ignore[arg-type]
        "Training time of wanzheng includes its own choice of settings.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--near", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print, do not touch benchmarks.md")
    a = ap.parse_args(argv)
    a.data = a.data or default_data()
    if not a.data.is_file():
        print(f"{a.data}: not found (the real messages live in ../shared/data)", file=sys.stderr)
        return 2
    load0 = os.getloadavg()[0]
    r = run(a.data, folds=a.folds, near=a.near, seed=a.seed)
    body = render(r, folds=a.folds, near=a.near, seed=a.seed, load0=load0)
    print(body)
    if not a.no_write:
        write_block("text-real", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
