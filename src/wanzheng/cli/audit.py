"""``wanzheng audit`` and ``wanzheng demo``."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the audit commands to the main application."""

    @app.command()
    def version() -> None:
        """Print the wanzheng version."""
        from wanzheng import __version__

        typer.echo(__version__)
