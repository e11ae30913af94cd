"""``wanzheng serve``: upgrade the database, then run the web service with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``wanzheng serve`` to the main application."""

    @app.command()
    def serve(
        database: Annotated[
            str | None,
            typer.Option(help="SQLAlchemy URL (default: SQLite under the data directory)."),
        ] = None,
        host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    ) -> None:
        """Run the case desk API and Open311 (migrates and seeds the database first)."""
        import uvicorn

        from wanzheng.cases.migrate import prepare_database
        from wanzheng.cases.store import create_user, make_engine, make_sessionmaker
        from wanzheng.settings import Settings

        overrides: dict[str, object] = {}
        if database:
            overrides["database_url"] = database
        if host:
            overrides["host"] = host
        if port:
            overrides["port"] = port
        settings = Settings(**overrides)  # type: ignore[arg-type]
        url = settings.resolved_database_url
        if url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        prepare_database(
            url, categories_file=settings.categories_file, routing_file=settings.routing_file
        )
        if settings.admin_password:
            from sqlalchemy import select

            from wanzheng.cases.store import User

            engine = make_engine(url, pool_size=1)
            with make_sessionmaker(engine)() as s:
                if s.scalar(select(User.id).where(User.role == "admin")) is None:
                    create_user(
                        s,
                        username="admin",
                        password=settings.admin_password,
                        role="admin",
                        display_name="管理员",
                    )
                    s.commit()
            engine.dispose()
        from wanzheng.web import create_app

        typer.echo(f"wanzheng: serving {url} on http://{settings.host}:{settings.port}/docs")
        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level="warning"
        )
