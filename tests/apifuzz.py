"""Schemathesis over the service's OpenAPI, against a real ``wanzheng serve`` on a real socket.

The service runs on a fresh SQLite database with an administrator and a resident (whose phone
filed two of the three seeded cases) and the audit of the embedded demo area; schemathesis runs
every check (``--checks all``) three times: with the administrator's token, with the
resident's, and with no token. ``tests/web/test_openapi.py`` runs it bounded (a few examples
per operation, a fixed seed); the full run is::

    .venv/bin/python tests/apifuzz.py                 # 100 examples per operation, seed 1
    .venv/bin/python tests/apifuzz.py -n 300 --seed 7

and prints, per caller, the operations tested, the test cases generated and the failures.

``positive_data_acceptance`` expects a request that fits the schema to be accepted. Where the
service rightly refuses such a request with 422 because of something no JSON Schema can say,
:data:`SEMANTIC_422` lists the operation and the reason, and 422 counts as expected there
(every other check, and every other status, stays as strict as schemathesis makes it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from serving import WANZHENG, free_port, start_serve, wait_until_serving

SCHEMATHESIS = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]

#: (method, path) -> why a request that fits the schema may still be refused with 422.
SEMANTIC_422: dict[tuple[str, str], str] = {
    ("POST", "/api/cases"): "the text must say something; the point must lie in the served "
    "area (an administrator's table); an ID number's check digit; a category key of the tree",
    ("POST", "/open311/v2/requests.{fmt}"): "as POST /api/cases (400 under Open311)",
    ("POST", "/api/cases/{case_id}/actions"): "what an action requires (states.toml) and keys "
    "of the department / grid tables",
    ("POST", "/api/admin/users"): "department and grid keys of the routing tables; a "
    "handler needs a department, a grid worker a grid",
    ("PUT", "/api/admin/tables/{table}/{key}"): "the fields of each table differ; polygons "
    "must be valid WKT; references to other tables",
    ("GET", "/api/measures"): "end must lie after start",
    ("POST", "/api/proactive/registers"): "the register's rows are checked cell by cell",
    ("POST", "/api/plan/run"): "the kinds must be kinds of the served audit with a walking "
    "threshold, each named once",
}

ROLES: tuple[str | None, ...] = ("admin", "resident", None)

#: Operations left out of the runs with a token: logging out revokes the very token the run
#: uses, after which every later operation answers 401 and is tested as anonymous only. The
#: anonymous run covers them.
ENDS_SESSION: tuple[str, ...] = ("/api/auth/logout",)


@dataclass
class Target:
    """A running service with a token per role."""

    base: str
    tokens: dict[str, str]
    root: Path


@dataclass(frozen=True)
class Outcome:
    """One schemathesis run: its exit code, output and summary figures."""

    caller: str
    returncode: int
    output: str
    operations: int
    generated: int
    failures: int


@contextmanager
def serve(root: Path) -> Iterator[Target]:
    """``wanzheng serve`` on a fresh database under ``root`` with the demo audit loaded."""
    from wanzheng.cases.seed import prepare_database
    from wanzheng.cases.store import create_user, issue_token, make_engine, make_sessionmaker
    from wanzheng.settings import Settings

    audit = root / "audit"
    subprocess.run([*WANZHENG, "demo", "--out", str(audit)], check=True, capture_output=True)
    url = f"sqlite:///{root / 'wanzheng.sqlite3'}"
    settings = Settings(data_dir=root, database_url=url)
    prepare_database(
        url, categories_file=settings.categories_file, routing_file=settings.routing_file
    )
    engine = make_engine(url, pool_size=1)
    tokens: dict[str, str] = {}
    with make_sessionmaker(engine)() as s:
        for name, role, phone in (
            ("admin", "admin", None),
            ("resident", "resident", "13800001111"),
        ):
            user = create_user(s, username=name, password="correct horse", role=role, phone=phone)
            tokens[name] = issue_token(
                s, user_id=user.id, now=dt.datetime.now(dt.UTC), ttl_hours=24
            )
        s.commit()
    engine.dispose()
    env = {
        **os.environ,
        "WANZHENG_DATA_DIR": str(root),
        "WANZHENG_AUDIT_DIR": str(audit),
        "WANZHENG_ESCALATION_INTERVAL_S": "0",
        # the fuzzer's wrong passwords would lock its address out of the login for 15 min
        # (429, documented; tests/web/test_auth_throttle.py tests the lockouts)
        "WANZHENG_LOGIN_MAX_FAILURES": "1000000",
        "WANZHENG_LOGIN_ADDRESS_MAX_FAILURES": "1000000",
        "WANZHENG_OTP_MAX_SENDS": "1000000",
    }
    port = free_port()
    log = root / "serve.log"
    proc = start_serve(url, port=port, env=env, log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, log)
        for i, phone in enumerate(("13800001111", "13800001111", None)):
            body = {"text": f"小区门口路灯不亮了，晚上很黑 {i}", "lon": 116.350, "lat": 40.005}
            if phone:
                body["phone"] = phone
            httpx.post(f"{base}/api/cases", json=body, timeout=10).raise_for_status()
        yield Target(base=base, tokens=tokens, root=root)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _config(token: str | None) -> str:
    lines = []
    if token is not None:
        lines += ["[auth.openapi.bearer]", f'bearer = "{token}"', ""]
    expected = '["2xx", "3xx", "401", "403", "404", "409", "422"]'
    for method, path in SEMANTIC_422:
        lines += [
            "[[operations]]",
            f'include-path = "{path}"',
            f'include-method = "{method}"',
            f"checks.positive_data_acceptance.expected-statuses = {expected}",
            "",
        ]
    return "\n".join(lines)


def _figure(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else -1


def run_schemathesis(
    target: Target,
    role: str | None,
    *,
    max_examples: int,
    seed: int,
    phases: str = "examples,coverage,fuzzing,stateful",
    extra: tuple[str, ...] = (),
) -> Outcome:
    """One schemathesis run (all checks) as ``role`` (None: no token)."""
    caller = role or "anonymous"
    config = target.root / f"schemathesis-{caller}.toml"
    config.write_text(_config(None if role is None else target.tokens[role]), encoding="utf-8")
    cmd = [
        *SCHEMATHESIS,
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{target.base}/openapi.json",
        "--checks",
        "all",
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--continue-on-failure",
        *(a for path in (ENDS_SESSION if role else ()) for a in ("--exclude-path", path)),
        *extra,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=target.root)
    out = proc.stdout + proc.stderr
    failures = _figure(r"found (\d+) unique failure", out)
    if failures < 0 and re.search(r"No issues found|\d+ passed", out):
        failures = 0
    return Outcome(
        caller=caller,
        returncode=proc.returncode,
        output=out,
        operations=_figure(r"Tested: (\d+)", out),
        generated=_figure(r"(\d+) generated", out),
        failures=failures,
    )


def main(argv: list[str] | None = None) -> int:
    """The full run; prints the figures of each caller."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    args = parser.parse_args(argv)
    worst = 0
    with tempfile.TemporaryDirectory(prefix="wanzheng-fuzz-") as tmp, serve(Path(tmp)) as target:
        for role in ROLES:
            o = run_schemathesis(
                target, role, max_examples=args.max_examples, seed=args.seed, phases=args.phases
            )
            if o.returncode != 0:
                print(o.output)
            else:
                warnings = re.search(r"\nWarnings:\n(.*?)\n\n", o.output, re.S)
                if warnings:
                    print(warnings.group(1))
            print(
                f"{o.caller}: {o.operations} operations, {o.generated} test cases, "
                f"{o.failures} failures (exit {o.returncode})",
                flush=True,
            )
            worst = max(worst, o.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
