"""Several server processes on one port, each with its own listening socket (``SO_REUSEPORT``).

uvicorn's own ``--workers`` lets N processes accept from one shared socket; whichever process
wakes first takes the connection, and under a burst of new connections one process often ends
up holding most of them (84 of 100 measured on the intake benchmark), which then sets the
latency of all. With a socket per process and ``SO_REUSEPORT`` the kernel spreads incoming
connections over the processes by a hash of the connection, so each holds about its share.

:func:`run_workers` supervises the processes: a process that dies while serving is replaced;
if one fails at start-up (the port is taken, the application does not load) all are stopped
and the failure is reported; SIGINT / SIGTERM stop them gracefully. A process whose supervisor
has vanished (killed) stops itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType

from wanzheng.errors import ConfigError

__all__ = ["reuse_port_supported", "run_workers"]

#: A process that dies within this many seconds of its start is a start-up failure.
_STARTUP_S = 20.0


def reuse_port_supported() -> bool:
    """True where the kernel balances ``SO_REUSEPORT`` sockets (Linux)."""
    return hasattr(socket, "SO_REUSEPORT") and os.uname().sysname == "Linux"


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _watch_parent(parent: int) -> None:
    """Stop this process gracefully when its supervisor is gone."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _worker(
    app: str, host: str, port: int, log_level: str, access_log: bool, ready: EventType
) -> None:  # pragma: no cover - runs in the worker process (covered by the serve tests)
    import uvicorn

    sock = _listening_socket(host, port)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(app, factory=True, log_level=log_level, access_log=access_log)
    )

    def _report_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=_report_ready, daemon=True).start()
    server.run(sockets=[sock])


def run_workers(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "warning",
    access_log: bool = True,
) -> None:
    """Serve ``app`` (an ``module:factory`` reference) with ``workers`` processes on one port.

    Raises
    ------
    ConfigError
        When a process fails at start-up (e.g. the port is in use by another program).
    """
    if workers < 1:
        raise ConfigError(f"workers: expected an integer >= 1, got {workers}")
    if not reuse_port_supported():  # pragma: no cover - Linux is where we run
        raise ConfigError("workers: SO_REUSEPORT is not available on this system")
    # fail early and clearly when the port is taken by a program without SO_REUSEPORT
    try:
        _listening_socket(host, port).close()
    except OSError as exc:
        raise ConfigError(f"port {port} on {host}: cannot listen ({exc.strerror})") from None
    ctx = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def _start() -> tuple[BaseProcess, EventType, float]:
        ready = ctx.Event()
        proc = ctx.Process(
            target=_worker, args=(app, host, port, log_level, access_log, ready), daemon=False
        )
        proc.start()
        return proc, ready, time.monotonic()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    procs = [_start() for _ in range(workers)]
    failure: str | None = None
    try:
        while not stop.wait(0.2):
            for i, (proc, ready, started) in enumerate(procs):
                if proc.is_alive():
                    continue
                if not ready.is_set() and time.monotonic() - started < _STARTUP_S:
                    failure = f"a server process failed at start-up (exit code {proc.exitcode})"
                    stop.set()
                    break
                procs[i] = _start()  # died while serving: replace it
    finally:
        for proc, _, _ in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc, _, _ in procs:
            proc.join(timeout=30)
            if proc.is_alive():  # pragma: no cover - a hung shutdown
                proc.kill()
                proc.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failure:
        raise ConfigError(failure)
