"""``wanzheng --help`` lists every command without loading the heavy stack.

How long it takes is measured in bench/, never here; this test checks the cause of a slow
start: the command modules must not import pandas, numpy, shapely or SQLAlchemy until a
command runs.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "shapely", "sqlalchemy", "osmium", "openpyxl")

SCRIPT = f"""
import sys
sys.argv = ["wanzheng", "--help"]
import wanzheng.cli
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_help_imports_no_heavy_library() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == ""


def test_help_lists_every_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from wanzheng.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("audit", "demo", "cases", "serve", "text", "proactive", "hotspots"):
        assert command in proc.stdout, command
