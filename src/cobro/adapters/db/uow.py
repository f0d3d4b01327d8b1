"""The SQL unit of work: one connection, one transaction, the repositories bound to it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from cobro.adapters.db.account_history import SqlAccountHistory
from cobro.adapters.db.account_import import SqlAccountImportBatch
from cobro.adapters.db.conversations import SqlConversations
from cobro.adapters.db.debtor_flags import SqlDebtorFlags
from cobro.adapters.db.inbox import SqlInbox
from cobro.adapters.db.messaging import (
    SqlMessageStatuses,
    SqlTemplateReviews,
    SqlWebhookDeliveries,
    SqlWhatsAppMessages,
)
from cobro.adapters.db.outbox import SqlOutbox, SqlSendContext
from cobro.adapters.db.payments import SqlPayments
from cobro.adapters.db.planning import SqlPlanning
from cobro.adapters.db.repositories import SqlCreditorRepository, SqlEventLog
from cobro.adapters.db.strategies import SqlStrategyRepository
from cobro.adapters.db.templates import SqlMessageTemplates
from cobro.domain.clock import Clock


class SqlUnitOfWork:
    """A transaction on the configured database; rolled back on exit unless committed."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._connection.begin()
        self.creditors = SqlCreditorRepository(self._connection, self._clock)
        self.events = SqlEventLog(self._connection)
        self.deliveries = SqlWebhookDeliveries(self._connection)
        self.messages = SqlWhatsAppMessages(self._connection)
        self.statuses = SqlMessageStatuses(self._connection)
        self.template_reviews = SqlTemplateReviews(self._connection)
        self.debtor_flags = SqlDebtorFlags(self._connection)
        self.account_history = SqlAccountHistory(self._connection)
        self.planning = SqlPlanning(self._connection)
        self.strategies = SqlStrategyRepository(self._connection, self._clock)
        self.templates = SqlMessageTemplates(self._connection)
        self.outbox = SqlOutbox(self._connection)
        self.send_context = SqlSendContext(self._connection)
        self.conversations = SqlConversations(self._connection)
        self.payments = SqlPayments(self._connection)
        self.inbox = SqlInbox(self._connection)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._connection is not None
        try:
            if self._connection.in_transaction():
                self._connection.rollback()
        finally:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> Connection:
        """The open connection (for adapters that share this transaction)."""
        assert self._connection is not None, "unit of work used outside 'with'"
        return self._connection

    def commit(self) -> None:
        """Commits and starts a new transaction on the same connection."""
        self.connection.commit()
        self.connection.begin()

    def rollback(self) -> None:
        """Rolls back and starts a new transaction on the same connection."""
        self.connection.rollback()
        self.connection.begin()

    def savepoint(self) -> AbstractContextManager[object]:
        """A SAVEPOINT: the block's work is rolled back alone when it raises."""
        return self.connection.begin_nested()

    def account_import(self, creditor_id: int) -> SqlAccountImportBatch:
        """Stages an account import inside this transaction."""
        return SqlAccountImportBatch(self.connection, creditor_id)


class SqlUnitOfWorkFactory:
    """Makes SqlUnitOfWork objects for one engine."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.clock)
