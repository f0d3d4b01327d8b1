"""Builds the object graph once: settings, logging, the database engine and the unit-of-work factory."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import Engine

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.app.conversation import Bot, answer_inbound
from cobro.app.conversation.receipts import send_receipt
from cobro.app.payment_ports import PaymentProvider
from cobro.app.ports import MessageReader
from cobro.app.record_payments import AfterRecord, RecordedPayment
from cobro.app.send_outbox import catalogue_index
from cobro.app.uow import UnitOfWork
from cobro.config import Settings
from cobro.domain.clock import Clock, SystemClock
from cobro.domain.conversation.intents import Entities, Reading
from cobro.domain.errors import InvalidInput
from cobro.domain.events import AuditEvent
from cobro.domain.messaging import InboundMessage
from cobro.domain.template_catalogue import load_catalogue
from cobro.logs import configure_logging


@dataclass
class Container:
    """What entrypoints need, built from one Settings object."""

    settings: Settings
    clock: Clock
    engine: Engine
    uow_factory: SqlUnitOfWorkFactory
    # Payments (entrypoints/web/payments.py): the provider behind /pay links (None: the sandbox's at
    # payment_provider_url), and the hook run after a payment is recorded, inside its transaction.
    payment_provider: PaymentProvider | None = None
    after_payment: AfterRecord | None = None

    @cached_property
    def bot(self) -> Bot:
        """The conversation bot; its reader's models are built on first use (`warm_bot` does it up front)."""
        from cobro.adapters.strategy_documents import parse_strategy_document

        return Bot(
            reader=_LazyReader(),
            catalogue=catalogue_index(load_catalogue()),
            public_url=self.settings.public_url.rstrip("/"),
            parse_strategy=parse_strategy_document,
        )

    def warm_bot(self) -> None:
        """Trains the classifier and builds the language detector and entity readers now (a few seconds),
        so the first message does not wait for them."""
        from cobro.adapters.nlu import default_reader

        with _READER_LOCK:
            default_reader().warm_up()

    def answer_inbound(
        self, uow: UnitOfWork, messages: Sequence[InboundMessage], opted_out: set[str], now: datetime
    ) -> list[AuditEvent]:
        """The bot's answer to new inbound messages, inside the transaction that records them."""
        return answer_inbound(uow, self.bot, messages, opted_out, now)

    def send_receipt(self, uow: UnitOfWork, recorded: RecordedPayment, now: datetime) -> object:
        """The bot's thank-you and receipt for a payment just recorded (in the payment's transaction)."""
        return send_receipt(uow, self.bot, recorded, now)

    def close(self) -> None:
        """Releases database connections."""
        self.engine.dispose()


_READER_LOCK = threading.Lock()


class _LazyReader:
    """The process's NluReader, built (once, under a lock) when first asked: receipts and other turns that
    read no text never wait for the classifier to train."""

    def _reader(self) -> MessageReader:
        from cobro.adapters.nlu import default_reader

        with _READER_LOCK:
            return default_reader()

    def read(self, text: str, fallback_language: str | None = None) -> Reading:
        return self._reader().read(text, fallback_language)

    def entities(self, text: str, language: str, zone: str, today: date) -> Entities:
        return self._reader().entities(text, language, zone, today)

    def birth_date(self, text: str, language: str) -> date | None:
        return self._reader().birth_date(text, language)


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
    container = Container(
        settings=settings, clock=clock, engine=engine, uow_factory=SqlUnitOfWorkFactory(engine, clock)
    )
    if settings.bot_enabled:
        container.after_payment = container.send_receipt
    return container
