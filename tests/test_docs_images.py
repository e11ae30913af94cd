"""Every picture the README and the guides show exists (screen guides: docs/roles/img/,
taken by ``python scripts/screenshots.py --roles``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_image_a_page_shows_exists() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    missing, shown = [], 0
    for page in pages:
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text("utf-8")):
            shown += 1
            if not (page.parent / target).is_file():
                missing.append(f"{page.relative_to(ROOT)}: {target}")
    assert missing == []
    guides = (ROOT / "docs" / "roles").glob("*.md")
    assert sum(len(re.findall(r"!\[", g.read_text("utf-8"))) for g in guides) >= 10
    assert shown >= 16
