"""`cobro db`: migrate the configured database."""

from __future__ import annotations

import typer

from cobro.entrypoints.cli.context import container, out

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Revision to migrate to.")) -> None:
    """Migrates the configured database (COBRO_DATABASE_URL) to the newest schema."""
    from cobro.adapters.db import migrate

    c = container()
    migrate.upgrade(c.settings.database_url, revision)
    out.print(
        f"database at revision {migrate.current_revision(c.settings.database_url)} ({c.engine.url.get_backend_name()})"
    )
    c.close()


@app.command("current")
def current() -> None:
    """Prints the revision the configured database is at."""
    from cobro.adapters.db import migrate

    c = container()
    out.print(migrate.current_revision(c.settings.database_url) or "not migrated")
    c.close()
