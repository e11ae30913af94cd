"""The state machine as data: loading, validation, allowed and refused transitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanzheng.cases.states import ROLES, load_state_machine
from wanzheng.errors import ConfigError, ConflictError, PermissionDeniedError


def test_packaged_machine_is_consistent() -> None:
    m = load_state_machine()
    assert {
        "submitted",
        "accepted",
        "dispatched",
        "in_progress",
        "resolved",
        "closed",
        "returned",
        "merged",
        "rejected",
        "reopened",
    } <= set(m.states)
    assert m.states["closed"].open311 == "closed" and m.states["in_progress"].open311 == "open"
    finals = {k for k, s in m.states.items() if s.final}
    assert finals == {"closed", "merged", "rejected"}
    for t in m.transitions.values():
        assert t.roles <= set(ROLES)
    # every non-final state can be left
    for key, s in m.states.items():
        if not s.final:
            assert any(key in t.sources for t in m.transitions.values()), key


def test_transition_checks() -> None:
    m = load_state_machine()
    assert m.transition("submitted", "accept", role="dispatcher").target == "accepted"
    with pytest.raises(ConflictError, match="cannot 'resolve'"):
        m.transition("submitted", "resolve", role="dispatcher")
    with pytest.raises(PermissionDeniedError):
        m.transition("submitted", "accept", role="handler")
    with pytest.raises(ConflictError, match="unknown action"):
        m.transition("submitted", "teleport", role="admin")


def test_rating_rule() -> None:
    r = load_state_machine().rating
    assert r.target("满意", reopen_count=0) == "closed"
    assert r.target("基本满意", reopen_count=5) == "closed"
    assert r.target("不满意", reopen_count=0) == "reopened"
    assert r.target("不满意", reopen_count=1) == "disputed"
    with pytest.raises(ConflictError, match="rating"):
        r.target("还行", reopen_count=0)


def test_bad_state_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "states.toml"
    text = (Path(__file__).parents[2] / "src/wanzheng/cases/states.toml").read_text("utf-8")
    p.write_text(text.replace('to = "accepted"', 'to = "nowhere"'), "utf-8")
    with pytest.raises(ConfigError, match="unknown state 'nowhere'"):
        load_state_machine(p)


def test_recategorise_keeps_the_state_and_is_refused_on_merged_cases() -> None:
    m = load_state_machine()
    t = m.transition("closed", "recategorise", role="dispatcher")
    assert t.target is None and t.requires == frozenset({"category"})
    assert "recategorise" in m.actions_from("submitted", role="admin")
    assert "recategorise" not in m.actions_from("submitted", role="handler")
    with pytest.raises(ConflictError):
        m.transition("merged", "recategorise", role="dispatcher")
