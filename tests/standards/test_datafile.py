"""The one reader of the TOML data files: the packaged default, or a user's file whose every
failure is a ConfigError naming it — also for the loaders that once let a traceback through."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanzheng.cases.categories import load_categories
from wanzheng.cases.states import load_state_machine
from wanzheng.errors import ConfigError
from wanzheng.standards.datafile import load_toml


def test_the_packaged_default_and_a_users_file(tmp_path: Path) -> None:
    doc, label = load_toml(None, package="wanzheng.cases", name="states.toml", what="state machine")
    assert label == "wanzheng:cases/states.toml"
    assert "submitted" in doc["states"]
    path = tmp_path / "mine.toml"
    path.write_text('name = "东升"\n[limits]\nn = 3\n', encoding="utf-8")
    assert load_toml(path, package="wanzheng.cases", name="x.toml", what="rule") == (
        {"name": "东升", "limits": {"n": 3}},
        str(path),
    )


def test_every_failure_names_the_file(tmp_path: Path) -> None:
    args = {"package": "wanzheng.cases", "name": "states.toml", "what": "rule"}
    with pytest.raises(ConfigError, match=r"nowhere\.toml: rule file not found"):
        load_toml(tmp_path / "nowhere.toml", **args)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('name = "东升"\n'.encode("gbk"))
    with pytest.raises(ConfigError, match=r"gbk\.toml: cannot read the rule file \("):
        load_toml(gbk, **args)
    broken = tmp_path / "broken.toml"
    broken.write_text("[states\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML: "):
        load_toml(broken, **args)
    # the case desk's loaders read through it too (they raised a bare TOMLDecodeError before)
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_state_machine(broken)
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_categories(broken)
