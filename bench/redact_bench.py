"""Benchmark of public redaction (``wanzheng.text.redact``), addresses on, as the service uses it.

Measured in one run, the current redactor against the **baseline**: the redactor of an earlier
commit (default ``ba06045``, before issue 17), read from git and run on the same inputs:

- **recall on the probe set** (``tests/data/text/redaction_probes.toml``: spellings of phone,
  ID, card and other numbers, e-mail, plates, building/unit/room numbers, written for the test,
  not real people's data): a probe is found when every character of every piece it marks is
  inside a redacted span;
- **precision on ordinary sentences** (``tests/data/text/ordinary_sentences.txt``, written for the
  test): the share left exactly unchanged, and the false spans by kind;
- on the **real messages** of ``../shared/data/gov_messages_dev/messages_dev.csv`` (read from
  there, never copied; no message is printed or written): the share of characters redacted, the
  spans per kind, the messages touched, and throughput (characters per second).

``--review KIND [N]`` prints a seeded sample of N spans of that kind with 12 characters of
context each to the terminal, for a person to judge which are false hits; nothing of it is
written anywhere (the judged counts go into ``docs/text.md`` by hand).

Run ``python -m bench.redact_bench`` from the repository root; it rewrites only the block between
``<!-- BEGIN redact -->`` and ``<!-- END redact -->`` of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import tomllib
import types
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from bench.docs import write_block  # noqa: E402
from wanzheng.text.redact import redact  # noqa: E402

DATA = ROOT / "tests" / "data" / "text"
Redact = Callable[..., Any]


def shared_messages() -> Path:
    """``../shared/data/gov_messages_dev/messages_dev.csv`` next to the checkout (or worktree)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / "gov_messages_dev" / "messages_dev.csv"
        if path.exists():
            return path
    raise SystemExit("messages_dev.csv not found under ../shared/data/gov_messages_dev/")


def baseline(rev: str) -> Redact:
    """``redact`` of ``src/wanzheng/text/redact.py`` at git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:src/wanzheng/text/redact.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"redact_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"redact.py@{rev}", "exec"), module.__dict__)
    return module.redact  # type: ignore[no-any-return]


def load_probes() -> list[dict[str, Any]]:
    """The probe set: ``text``, ``hide`` (pieces that must be hidden) and ``kind``."""
    with (DATA / "redaction_probes.toml").open("rb") as fh:
        return list(tomllib.load(fh)["probe"])


def load_ordinary() -> list[str]:
    """The ordinary sentences (no personal data in them)."""
    lines = (DATA / "ordinary_sentences.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def probe_found(fn: Redact, probe: dict[str, Any]) -> bool:
    """Every character of every ``hide`` piece lies inside a redacted span."""
    text = probe["text"]
    covered: set[int] = set()
    for s in fn(text, addresses=True).spans:
        covered.update(range(s.start, s.end))
    for piece in probe["hide"]:
        at = text.index(piece)
        if not all(i in covered for i in range(at, at + len(piece))):
            return False
    return True


def recall(fn: Redact, probes: Sequence[dict[str, Any]]) -> tuple[float, Counter[str]]:
    """Share of probes found, and the probes missed per kind."""
    missed: Counter[str] = Counter()
    for p in probes:
        if not probe_found(fn, p):
            missed[p["kind"]] += 1
    return 1 - sum(missed.values()) / len(probes), missed


def precision(fn: Redact, sentences: Sequence[str]) -> tuple[float, Counter[str]]:
    """Share of ordinary sentences left unchanged, and the false spans per kind."""
    false: Counter[str] = Counter()
    clean = 0
    for s in sentences:
        spans = fn(s, addresses=True).spans
        clean += not spans
        false.update(x.kind for x in spans)
    return clean / len(sentences), false


def real(fn: Redact, texts: Sequence[str]) -> dict[str, Any]:
    """Characters redacted, spans per kind, messages touched and throughput on ``texts``."""
    start = time.perf_counter()
    results = [fn(t, addresses=True) for t in texts]
    seconds = time.perf_counter() - start
    chars = sum(len(t) for t in texts)
    return {
        "chars": chars,
        "redacted": sum(s.end - s.start for r in results for s in r.spans) / chars,
        "kinds": Counter(s.kind for r in results for s in r.spans),
        "touched": sum(1 for r in results if r.spans),
        "mchars_per_s": chars / seconds / 1e6,
    }


def read_texts(path: Path) -> list[str]:
    """Title and detail of every message (the file is read here and nowhere else)."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return (frame["title"] + "\n" + frame["detail"]).tolist()


def review(texts: Sequence[str], kind: str, n: int, seed: int = 1) -> None:
    """Print ``n`` sampled spans of ``kind`` with context, to the terminal only."""
    spans = [
        (t[max(0, s.start - 12) : s.start], s.text, t[s.end : s.end + 12])
        for t in texts
        for s in redact(t, addresses=True).spans
        if s.kind == kind
    ]
    for i, (before, span, after) in enumerate(
        random.Random(seed).sample(spans, min(n, len(spans)))
    ):
        line = f"{before}[{span}]{after}".replace("\n", " ")
        print(f"{i + 1:3d}  …{line}…")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write its block (or, with ``--review``, print a sample)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="ba06045", help="git revision of the baseline")
    ap.add_argument("--review", nargs="+", metavar=("KIND", "N"), help="print a sample of spans")
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds (the best is kept)")
    args = ap.parse_args(argv)
    texts = read_texts(shared_messages())
    if args.review:
        review(texts, args.review[0], int(args.review[1]) if len(args.review) > 1 else 50)
        return
    old = baseline(args.baseline)
    probes, sentences = load_probes(), load_ordinary()
    load_start = os.getloadavg()[0]
    rows = {}
    for name, fn in (("wanzheng", redact), (f"baseline ({args.baseline})", old)):
        rec, missed = recall(fn, probes)
        prec, false = precision(fn, sentences)
        runs = [real(fn, texts) for _ in range(args.rounds)]
        best = max(runs, key=lambda r: r["mchars_per_s"])
        rows[name] = (rec, missed, prec, false, best)
    load_end = os.getloadavg()[0]
    kinds = sorted({k for *_, r in rows.values() for k in r["kinds"]})
    lines = [
        "## Redaction (public views)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; load average {load_start:.1f} at the start and "
        f"{load_end:.1f} at the end. `python -m bench.redact_bench`; `redact(text, "
        "addresses=True)` as the tracking page, Open311 and masked exports use it, against the "
        f"baseline: the redactor of commit `{args.baseline}` (before issue 17), read from git and "
        "run in the same process on the same inputs. Probe set and ordinary sentences are "
        f"**material written for the test** ({len(probes)} probes, {len(sentences)} sentences); "
        "the last rows are the **real messages** of `gov_messages_dev` "
        f"({len(texts):,} messages, {next(iter(rows.values()))[4]['chars']:,} characters; read "
        "from ../shared, nothing of them copied).",
        "",
        "| measure | " + " | ".join(rows) + " |",
        "|---|" + "---|" * len(rows),
    ]

    def row(label: str, cell: Callable[[tuple[Any, ...]], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(v) for v in rows.values()) + " |")

    def counts(c: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"

    row("probe recall (material written for the test)", lambda v: f"{v[0]:.3f}")
    row("probes missed, by kind", lambda v: counts(v[1]))
    row("ordinary sentences left unchanged", lambda v: f"{v[2]:.3f}")
    row("false spans in ordinary sentences, by kind", lambda v: counts(v[3]))
    row("real messages: share of characters redacted", lambda v: f"{v[4]['redacted']:.4f}")
    row("real messages: messages with a span", lambda v: f"{v[4]['touched']:,}")
    for k in kinds:

        def spans_of(v: tuple[Any, ...], k: str = k) -> str:
            return f"{v[4]['kinds'].get(k, 0):,}"

        row(f"real messages: `{k}` spans", spans_of)
    row("real messages: M characters/s (best of rounds)", lambda v: f"{v[4]['mchars_per_s']:.2f}")
    ours, base = (v[4]["mchars_per_s"] for v in rows.values())
    lines += [
        "",
        f"Speed ratio wanzheng / baseline: {ours / base:.2f}. Which real spans are false hits is "
        "judged by hand on a seeded sample (`--review KIND N`); the counts are in docs/text.md.",
    ]
    write_block("redact", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
