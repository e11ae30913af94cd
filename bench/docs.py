"""Write one marked block of ``docs/benchmarks.md`` and leave every other block alone.

A block is the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->``. Each benchmark owns
its blocks (``engine``, ``machine``, …); :func:`write_block` replaces the block if it is there and
appends it otherwise.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"

HEADER = """# Benchmarks

Reproducible comparisons of wanzheng against the tools a user would otherwise reach for, on this
project's machines. `make bench` installs the peers into `bench/.venv`, builds the inputs, runs
every tool in its own process on the same inputs, checks that they agree and rewrites the marked
blocks below; `make bench-quick` is the five-minute check of the audit engine against scipy.
Ratios matter, not absolute seconds: the machine is shared and its load is recorded with the
figures. Each benchmark owns its own block between `<!-- BEGIN name -->` and `<!-- END name -->`
markers and rewrites only that block.
"""


def write_block(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the block ``name`` of ``path`` with ``body``."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    block = f"<!-- BEGIN {name} -->\n{body.strip()}\n<!-- END {name} -->"
    pattern = re.compile(
        rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.DOTALL
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _lscpu() -> dict[str, str]:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _mem_total_gb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    return float("nan")


def machine_block(versions: dict[str, str], loads: list[float]) -> str:
    """Markdown describing the machine, the software versions and the load during the run."""
    cpu = _lscpu()
    lines = [
        "## Machine",
        "",
        f"- measured: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu.get('Model name', platform.processor())}, "
        f"{cpu.get('CPU(s)', os.cpu_count())} CPUs "
        f"({cpu.get('Thread(s) per core', '?')} thread(s) per core), "
        f"L2 {cpu.get('L2 cache', '?')}, L3 {cpu.get('L3 cache', '?')}; "
        f"hypervisor: {cpu.get('Hypervisor vendor', 'none')}",
        f"- memory: {_mem_total_gb():.1f} GiB; OS: {platform.platform()}",
        f"- Python {sys.version.split()[0]}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
    ]
    if loads:
        lines.append(
            f"- 1-minute load average during the runs: min {min(loads):.1f}, "
            f"median {sorted(loads)[len(loads) // 2]:.1f}, max {max(loads):.1f} on "
            f"{os.cpu_count()} CPUs (the machine is shared with other work; runs of the "
            "tools being compared are interleaved so that load falls on all of them alike)"
        )
    return "\n".join(lines)
