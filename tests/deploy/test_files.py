"""The deployment files agree with the program and with each other: the systemd unit runs a
command ``wanzheng serve`` accepts, the settings file names only real settings, and the paths
of docs/deploy.md are the ones the files use."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import typer

from wanzheng.cli import app
from wanzheng.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "wanzheng.service", encoding="utf-8")
    return unit


def _env() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / "wanzheng.env").read_text(encoding="utf-8").splitlines():
        m = re.match(r"#?\s*(WANZHENG_[A-Z_]+)=(.*)$", line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_the_unit_runs_a_command_wanzheng_serve_accepts() -> None:
    argv = shlex.split(_unit()["Service"]["ExecStart"])
    assert Path(argv[0]).name == "wanzheng" and argv[1] == "serve"
    command = typer.main.get_command(app)
    serve = command.commands["serve"]  # type: ignore[attr-defined]
    ctx = serve.make_context("serve", argv[2:])  # parses and checks every option
    assert ctx.params["host"] == "127.0.0.1"
    assert ctx.params["workers"] >= 2


def test_the_settings_file_names_only_real_settings() -> None:
    env = _env()
    assert env, "deploy/wanzheng.env has no settings"
    unknown = [k for k in env if k[len("WANZHENG_") :].lower() not in Settings.model_fields]
    assert unknown == []
    assert env["WANZHENG_ENVIRONMENT"] == "production"
    assert env["WANZHENG_LOG_FORMAT"] in ("text", "json")


def test_unit_proxy_settings_and_guide_agree_on_paths_and_ports() -> None:
    service = _unit()["Service"]
    env = _env()
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert service["EnvironmentFile"] in guide
    assert service["ReadWritePaths"] == env["WANZHENG_DATA_DIR"] == service["WorkingDirectory"]
    assert f"--home {service['WorkingDirectory']}" in guide and service["User"] in guide
    argv = shlex.split(service["ExecStart"])
    port = argv[argv.index("--port") + 1]
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert f"server 127.0.0.1:{port};" in nginx
