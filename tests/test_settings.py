"""Every setting is documented in docs/settings.md, and the environment prefix works."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from wanzheng.cases.duplicates import duplicate_candidates
from wanzheng.errors import ConfigError
from wanzheng.settings import (
    DUPLICATE_MIN_SIMILARITY,
    DUPLICATE_RADIUS_M,
    DUPLICATE_WINDOW_DAYS,
    Settings,
)
from wanzheng.text.dedupe import find_duplicates

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [
        name
        for name in Settings.model_fields
        if f"`{name}`" not in text or f"`WANZHENG_{name.upper()}`" not in text
    ]
    assert missing == [], f"settings missing from docs/settings.md: {missing}"


def test_every_setting_has_a_description() -> None:
    for name, f in Settings.model_fields.items():
        assert f.description, name


def test_environment_prefix_and_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WANZHENG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WANZHENG_PHOTO_MAX_BYTES", "1234")
    s = Settings()
    assert s.photo_max_bytes == 1234
    assert s.resolved_database_url == f"sqlite:///{(tmp_path / 'wanzheng.sqlite3').resolve()}"
    assert s.resolved_photo_dir == tmp_path / "photos"


def test_production_refuses_placeholder_secret() -> None:
    with pytest.raises((ConfigError, ValueError), match="placeholder"):
        Settings(environment="production")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "change-me",
        "CHANGEME",
        "secret",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "short-but-random-9x",
    ],
)
def test_outside_development_refuses_empty_placeholder_or_weak_secret(key: str) -> None:
    with pytest.raises((ConfigError, ValueError), match="WANZHENG_SECRET_KEY"):
        Settings(environment="production", secret_key=key)


def test_real_secret_is_accepted_and_development_keeps_the_default() -> None:
    key = "q3V9x-2mLr8TzKp0bWc7YhN4sJf6GdA1eUoQiR5vXy"
    assert Settings(environment="production", secret_key=key).secret_key == key
    assert Settings().secret_key == "change-me"


def _documented_defaults() -> dict[str, str]:
    """``setting -> default`` from the table of docs/settings.md."""
    rows = re.findall(r"^\| `(\w+)` \| `WANZHENG_\w+` \| `([^`|]+)`", DOC.read_text("utf-8"), re.M)
    return dict(rows)


def test_documented_defaults_are_the_code_defaults() -> None:
    """A number in the table of docs/settings.md is the field's default (a changed default
    with a stale page fails here)."""
    documented = _documented_defaults()
    checked = 0
    for name, f in Settings.model_fields.items():
        if isinstance(f.default, int | float) and not isinstance(f.default, bool):
            assert float(documented[name]) == float(f.default), name
            checked += 1
    assert checked >= 10


def test_duplicate_window_is_one_constant_in_code_and_docs() -> None:
    """The duplicate search's radius, window and similarity: the settings' defaults, the case
    desk's function, the text library's function and every page that names them agree."""
    want = {
        "radius_m": DUPLICATE_RADIUS_M,
        "window_days": DUPLICATE_WINDOW_DAYS,
        "min_similarity": DUPLICATE_MIN_SIMILARITY,
    }
    for fn in (duplicate_candidates, find_duplicates):
        params = inspect.signature(fn).parameters
        assert {k: params[k].default for k in want} == want, fn.__name__
    for key, value in want.items():
        assert Settings.model_fields[f"duplicate_{key}"].default == value
    root = DOC.parents[1]
    text = (root / "docs" / "text.md").read_text("utf-8")
    for key, value in want.items():
        assert f"{key}={value:g}" in text
        assert f"`duplicate_{key}` = {value:g}" in text
    guide = (root / "docs" / "roles" / "dispatcher.md").read_text("utf-8")
    found = re.search(
        r"within (\d+) m and (\d+) days\s+whose text is similar \(similarity at least ([\d.]+)",
        guide,
    )
    assert found is not None, "docs/roles/dispatcher.md no longer states the duplicate window"
    assert [float(x) for x in found.groups()] == [
        DUPLICATE_RADIUS_M,
        DUPLICATE_WINDOW_DAYS,
        DUPLICATE_MIN_SIMILARITY,
    ]
