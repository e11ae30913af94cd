"""The ``wanzheng`` command line: parse, call the library, print. Nothing else.

Each topic has its own module with a Typer sub-application (``cli/audit.py``,
``cli/cases.py`` …); this module assembles them and turns every
:class:`~wanzheng.errors.WanzhengError` into one clear line and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from wanzheng.errors import WanzhengError

__all__ = ["app", "main"]

app = typer.Typer(
    name="wanzheng",
    help="完整社区 — audit complete communities, run the 民呼 case desk, act before asked.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """完整社区 — audit complete communities, run the 民呼 case desk, act before asked."""


def _audit_only(argv: list[str]) -> bool:
    """Whether this process is the console script running ``wanzheng audit`` / ``demo``.

    Those commands need only the audit topic; the others would import SQLAlchemy and the rest
    of the case desk's stack for nothing (about 0.3 s of every audit's start-up).
    """
    return len(argv) > 1 and Path(argv[0]).stem == "wanzheng" and argv[1] in ("audit", "demo")


def _register(*, audit_only: bool = False) -> None:
    # Imported here so that each topic stays in its own module; the order is the help order.
    from wanzheng.cli import audit

    audit.register(app)
    if audit_only:
        return
    from wanzheng.cli import cases

    cases.register(app)
    from wanzheng.cli import serve

    serve.register(app)
    from wanzheng.cli import text

    text.register(app)
    from wanzheng.cli import proactive

    proactive.register(app)
    from wanzheng.cli import place

    place.register(app)
    from wanzheng.cli import plan

    plan.register(app)
    from wanzheng.cli import batch

    batch.register(app)
    from wanzheng.cli import consult

    consult.register(app)
    from wanzheng.cli import volunteer

    volunteer.register(app)


_register(audit_only=_audit_only(sys.argv))


def main() -> None:
    """Entry point of the console script: run the app, map errors to exit status 2."""
    try:
        app()
    except WanzhengError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
