"""Alembic environment: migrates the URL it is given, batch mode so ALTERs work on SQLite."""

from __future__ import annotations

from alembic import context

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import metadata

config = context.config


def run_migrations_online() -> None:
    """Runs the migrations on a live connection."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
