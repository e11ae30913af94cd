"""docs/standards.md documents every kind of the built-in catalogue with its threshold."""

from __future__ import annotations

from pathlib import Path

from wanzheng.standards import load_catalogue

DOCS = Path(__file__).parent.parent.parent / "docs"


def test_every_kind_is_documented() -> None:
    text = (DOCS / "standards.md").read_text(encoding="utf-8")
    for kind in load_catalogue().kinds:
        rows = [line for line in text.splitlines() if line.startswith(f"| `{kind.key}` |")]
        assert len(rows) == 1, kind.key
        cells = [c.strip() for c in rows[0].strip("|").split("|")]
        assert cells[1] == kind.name_zh
        assert cells[3] == kind.tier
        expected = f"{kind.threshold_m:g} m" if kind.threshold_m is not None else "— (checklist)"
        assert cells[4] == expected, kind.key
        assert cells[5] == ("yes" if kind.verified else "no"), kind.key


def test_default_population_figures_are_documented() -> None:
    from wanzheng.audit.population import DEFAULT_FLOOR_AREA_PER_PERSON_M2, DEFAULT_LEVELS

    text = (DOCS / "inputs.md").read_text(encoding="utf-8")
    assert f"{DEFAULT_FLOOR_AREA_PER_PERSON_M2} m²" in text
    assert f"**{DEFAULT_LEVELS:g} levels**" in text
