"""Hot topics from text: pairwise precision / recall and figures on real messages.

In one run:

- **our labelled topics** (``tests/data/proactive/topics_labelled.csv``, 60 texts we wrote,
  10 topics): pairwise precision and recall of :func:`wanzheng.proactive.topics.find_topics`
  against the same procedure with the problem test of ``wanzheng.proactive.hotspots`` (the
  character-bigram Jaccard index ≥ 0.2 of the whole texts, the peer already in the project)
  in place of the problem groups;
- **real messages** (``../shared/data/gov_messages_dev/messages_dev.csv``, read from
  ``../shared`` and never copied): the messages that carry a time, clustered month by month
  with both methods; no topic labels exist, so the figures are unsupervised: how many messages
  fall in a topic, topic sizes, and the share of linked pairs whose two messages carry the same
  level-1 category of the board (a linked pair about one problem should share it), with the
  time taken.

Run ``python bench/topics_bench.py`` from the repository root; it rewrites only the
``<!-- BEGIN topics -->`` block of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import itertools
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import wanzheng.proactive.topics as topics  # noqa: E402
from bench.docs import write_block  # noqa: E402
from wanzheng.proactive.hotspots import text_similarity  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "proactive" / "topics_labelled.csv"
REAL = next(
    (
        base / "shared" / "data" / "gov_messages_dev" / "messages_dev.csv"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "data" / "gov_messages_dev" / "messages_dev.csv").is_file()
    ),
    ROOT.parent / "shared" / "data" / "gov_messages_dev" / "messages_dev.csv",
)  # ../shared next to the checkout, or next to the folder of worktrees


def _pairs(labels: list[str]) -> set[tuple[int, int]]:
    return {
        (a, b)
        for a, b in itertools.combinations(range(len(labels)), 2)
        if labels[a] and labels[a] == labels[b]
    }


def _jaccard_problem() -> Callable[[], None]:
    """Swap the problem test for the hotspots module's bigram Jaccard ≥ 0.2 (returns undo)."""
    original = topics._problems, topics._overlap
    texts: dict[int, str] = {}

    def no_groups(text: str, terms: Any) -> frozenset[str]:
        return frozenset()

    topics._problems = no_groups  # type: ignore[assignment]
    topics._overlap = lambda m, i, j: 1.0 if text_similarity(texts[i], texts[j]) >= 0.2 else 0.0  # type: ignore[assignment]

    def undo() -> None:
        topics._problems, topics._overlap = original  # type: ignore[assignment]

    undo.texts = texts  # type: ignore[attr-defined]
    return undo


def _run(frame: pd.DataFrame, method: str) -> tuple[Any, float]:
    undo = None
    if method == "peer":
        undo = _jaccard_problem()
        title = frame["title"].fillna("") if "title" in frame else pd.Series([""] * len(frame))
        for i, (t, x) in enumerate(zip(title, frame["text"], strict=True)):
            undo.texts[i] = f"{t}。{x}" if t else x  # type: ignore[attr-defined]
    start = time.perf_counter()
    try:
        found = topics.find_topics(frame)
    finally:
        if undo is not None:
            undo()
    return found, time.perf_counter() - start


def labelled() -> list[str]:
    cases = pd.read_csv(LABELLED, dtype=str, keep_default_na=False)
    gold = _pairs(list(cases["topic"]))
    lines = [
        "| method | gold pairs | linked pairs | correct | pairwise precision "
        "| pairwise recall | topics |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method, name in (("ours", "problem groups + bigram overlap (wanzheng)"),
                         ("peer", "bigram Jaccard ≥ 0.2 (hotspots.py's test)")):  # fmt: skip
        found, _ = _run(cases, method)
        pred = _pairs(list(found.cases["cluster_id"]))
        hit = len(gold & pred)
        p = hit / len(pred) if pred else float("nan")
        lines.append(
            f"| {name} | {len(gold)} | {len(pred)} | {hit} | {p:.3f} | {hit / len(gold):.3f} "
            f"| {len(found.topics)} |"
        )
    return lines


def real() -> list[str]:
    if not REAL.is_file():
        return [f"(real messages not found at {REAL}; not measured)"]
    raw = pd.read_csv(REAL, dtype=str, keep_default_na=False)
    raw = raw[raw["time"].str.strip() != ""].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(len(raw))],
            "title": raw["title"],
            "text": raw["detail"],
            "created_at": pd.to_datetime(raw["time"], errors="coerce"),
        }
    )
    keep = frame["created_at"].notna().to_numpy()
    frame, labels = frame[keep].reset_index(drop=True), raw["label_level1"][keep].tolist()
    month = frame["created_at"].dt.strftime("%Y-%m")
    lines = [
        f"{len(frame):,} real messages with a time, {month.nunique()} months "
        f"({month.min()} … {month.max()}) of a whole province's board, so few share a place "
        "and a month; clustered month by month, places from the text (the board desensitised "
        "city and district names, so no gazetteer applies).",
        "",
        "| method | messages in a topic | topics | median / largest topic | linked pairs "
        "| same level-1 category | time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for method, name in (("ours", "problem groups + bigram overlap (wanzheng)"),
                         ("peer", "bigram Jaccard ≥ 0.2 (hotspots.py's test)")):  # fmt: skip
        in_topic = 0
        sizes: list[int] = []
        linked = same = 0
        seconds = 0.0
        for m in sorted(month.unique()):
            idx = np.flatnonzero((month == m).to_numpy())
            part = frame.iloc[idx].reset_index(drop=True)
            if len(part) < 2:
                continue
            found, took = _run(part, method)
            seconds += took
            cid = list(found.cases["cluster_id"])
            in_topic += sum(1 for c in cid if c)
            sizes += [int(s) for s in found.topics["n_cases"]]
            for a, b in _pairs(cid):
                linked += 1
                same += labels[idx[a]] == labels[idx[b]]
        share = f"{same / linked:.3f}" if linked else "–"
        med = f"{int(np.median(sizes))} / {max(sizes)}" if sizes else "–"
        lines.append(
            f"| {name} | {in_topic:,} ({in_topic / len(frame):.1%}) | {len(sizes)} | {med} "
            f"| {linked:,} | {share} | {seconds:.1f} |"
        )
    return lines


def main() -> None:
    labels = pd.read_csv(LABELLED, dtype=str, keep_default_na=False)["topic"]
    n_topics, n_alone = labels[labels != ""].nunique(), int((labels == "").sum())
    body = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine "
        f"({os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}) by `python bench/topics_bench.py`.",
        "",
        f"**Our labelled topics** ({len(labels)} texts we wrote, {n_topics} topics, "
        f"{n_alone} texts in no topic; constructed material, and the problem groups were "
        "written while looking at it: an upper bound):",
        "",
        *labelled(),
        "",
        "**Real messages** (unsupervised; no topic labels exist):",
        "",
        *real(),
    ]
    load = os.getloadavg()
    body += ["", f"Load average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."]
    write_block("topics", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
