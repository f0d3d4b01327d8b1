"""Builds the object graph once: settings, logging, the database engine and the unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.config import Settings
from cobro.domain.clock import Clock, SystemClock
from cobro.domain.errors import InvalidInput
from cobro.logs import configure_logging


@dataclass
class Container:
    """What entrypoints need, built from one Settings object."""

    settings: Settings
    clock: Clock
    engine: Engine
    uow_factory: SqlUnitOfWorkFactory

    def close(self) -> None:
        """Releases database connections."""
        self.engine.dispose()


def load_settings(**overrides: object) -> Settings:
    """Reads the environment and .env; the only place that does. Production refuses published secrets."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if public := settings.public_defaults_in_production():
        raise InvalidInput(
            f"COBRO_ENV=production needs its own {', '.join(public)}: the defaults are public (README)"
        )
    return settings


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    """Wires Cobro for one process."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, json=settings.env == "production")
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    return Container(
        settings=settings, clock=clock, engine=engine, uow_factory=SqlUnitOfWorkFactory(engine, clock)
    )
