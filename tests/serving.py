"""Helpers for tests that run the service in a real process on a real socket."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

#: ``wanzheng`` as a command, from the interpreter running the tests.
WANZHENG = [sys.executable, "-c", "from wanzheng.cli import main; main()"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(
    database_url: str,
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    args: tuple[str, ...] = (),
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """``wanzheng serve --database URL --port P ARGS`` with its output in ``log``;
    ``new_session`` puts it in a process group of its own (killed with its workers)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [*WANZHENG, "serve", "--database", database_url, "--port", str(port), *args],
            env=dict(env),
            stdout=out,
            stderr=out,
            start_new_session=new_session,
        )


def wait_until_serving(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the service answers the Open311 service list (at most 180 s: a loaded
    2-core CI machine can take over a minute to import and start the app)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the service stopped: {log.read_text(encoding='utf-8')}")
        try:
            if httpx.get(f"{base}/open311/v2/services.json", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the service did not start: {log.read_text(encoding='utf-8')}")
