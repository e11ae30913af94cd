"""``wanzheng.web.workers``: one listening socket per process, connections spread by the kernel."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from serving import free_port

from wanzheng.errors import ConfigError
from wanzheng.web.workers import run_workers

PID_APP = """
import os


def make():
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app
"""


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the workers did not start listening")


def test_connections_are_spread_over_the_processes(tmp_path: Path) -> None:
    (tmp_path / "pidapp.py").write_text(PID_APP)
    port = free_port()
    code = (
        "from wanzheng.web.workers import run_workers; "
        f"run_workers('pidapp:make', host='127.0.0.1', port={port}, workers=2)"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=err)
    try:
        _wait_for(port, proc, log)
        time.sleep(1.0)  # both processes listening (the first may be up before the second)
        # open every connection first (the kernel picks a process per connection), then ask
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(64)]
        for c in conns:
            c.connect()
        pids: Counter[str] = Counter()
        for c in conns:
            c.request("GET", "/")
            pids[c.getresponse().read().decode()] += 1
            c.close()
        assert len(pids) == 2, pids
        # with a hash per connection each process gets Binomial(64, 1/2): below 16 is ~1e-5
        assert min(pids.values()) >= 16, pids
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
    # the workers went with their supervisor
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def test_a_port_taken_by_another_program_is_a_clear_error() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1: cannot listen"):
            run_workers("pidapp:make", host="127.0.0.1", port=port, workers=2)


def test_workers_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="workers: expected an integer >= 1"):
        run_workers("pidapp:make", host="127.0.0.1", port=1, workers=0)
