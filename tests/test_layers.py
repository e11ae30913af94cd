"""Dependencies point one way: every import in ``src/wanzheng`` against the table of
``docs/architecture.md`` ("Who may import whom"), and the table without a cycle."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "wanzheng"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _rules() -> dict[str, set[str]]:
    """layer -> what it may import, read from the table under "Who may import whom"."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("### Who may import whom", 1)[1].split("\n### ", 1)[0]
    rules: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        rules[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[1]))
    return rules


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[:3] == ["wanzheng", "db", "migrations"]:
        return "db.migrations"
    return parts[1] if len(parts) > 1 else "wanzheng"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of the package in one file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from wanzheng import errors` names a module; `from wanzheng.x import f` does not
            found.append((node.lineno, target))
            found += [
                (node.lineno, f"{target}.{a.name}")
                for a in node.names
                if (PACKAGE.parent / target.replace(".", "/") / a.name).is_dir()
                or (PACKAGE.parent / target.replace(".", "/") / f"{a.name}.py").is_file()
            ]
    return [(n, m) for n, m in found if m == "wanzheng" or m.startswith("wanzheng.")]


def _allowed(target: str, allowed: set[str]) -> bool:
    if _layer(target) in allowed:
        return True
    # a dotted `wanzheng.…` entry allows that one module (and names taken from it)
    return target in allowed


def test_the_table_names_every_layer_and_has_no_cycle() -> None:
    rules = _rules()
    layers = {_layer(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert layers - set(rules) == set(), "layers missing from docs/architecture.md"
    graph = {
        layer: {_layer(a) if a.startswith("wanzheng.") else a for a in allowed} - {layer}
        for layer, allowed in rules.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"the import table has a cycle: {exc.args[1]}")
    assert order.index("errors") < order.index("data") < order.index("audit") < order.index("web")
    assert order.index("web") < order.index("cli")


def test_every_import_follows_the_table() -> None:
    rules = _rules()
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = _layer(_module_name(path))
        for line, target in _imports(path):
            if _layer(target) == layer:
                continue
            if not _allowed(target, rules[layer]):
                broken.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {target}")
    assert broken == []


def test_the_checker_sees_what_it_must_refuse() -> None:
    """The checker is not blind: the imports the table forbids are found in real files."""
    rules = _rules()
    cli_imports = {t for p in (PACKAGE / "cli").rglob("*.py") for _, t in _imports(p) if "web" in t}
    assert "wanzheng.web" in cli_imports  # `wanzheng serve` starts the app
    assert not _allowed("wanzheng.web.app", rules["cli"])
    assert not _allowed("wanzheng.web.audit_view", rules["cli"])
    assert not _allowed("wanzheng.cases.models", rules["db"])
    assert not _allowed("wanzheng.audit.reach", rules["data"])
    assert _allowed("wanzheng.cases.models", rules["db.migrations"])
