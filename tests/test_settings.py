"""Every setting is documented in docs/settings.md, and the environment prefix works."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanzheng.errors import ConfigError
from wanzheng.settings import Settings

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
