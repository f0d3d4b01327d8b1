"""The unit of work: one transaction around a use case, and the repositories that live inside it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Protocol, Self

from cobro.app.conversation_ports import ConversationRepository
from cobro.app.inbox_ports import InboxRepository
from cobro.app.payment_ports import PaymentRepository
from cobro.app.ports import (
    AccountHistoryReader,
    AccountImportBatch,
    CreditorRepository,
    DebtorFlagRepository,
    EventLog,
    MessageStatusRepository,
    MessageTemplateRepository,
    OutboxRepository,
    PlanningRepository,
    SendContextReader,
    StrategyRepository,
    TemplateReviewRepository,
    WebhookDeliveryRepository,
    WhatsAppMessageRepository,
)


class UnitOfWork(Protocol):
    """A transaction: nothing a use case stores is visible until commit, and all of it is gone on rollback."""

    creditors: CreditorRepository
    events: EventLog
    deliveries: WebhookDeliveryRepository
    messages: WhatsAppMessageRepository
    statuses: MessageStatusRepository
    template_reviews: TemplateReviewRepository
    debtor_flags: DebtorFlagRepository
    account_history: AccountHistoryReader
    planning: PlanningRepository
    strategies: StrategyRepository
    templates: MessageTemplateRepository
    outbox: OutboxRepository
    send_context: SendContextReader
    conversations: ConversationRepository
    payments: PaymentRepository
    inbox: InboxRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None:
        """Makes everything done in this unit of work durable."""
        ...

    def rollback(self) -> None:
        """Discards everything done since the last commit."""
        ...

    def savepoint(self) -> AbstractContextManager[object]:
        """A nested transaction: what is done inside is undone alone when the block raises."""
        ...

    def account_import(self, creditor_id: int) -> AccountImportBatch:
        """Starts staging an account import for one creditor inside this transaction."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work for each use case call."""

    def __call__(self) -> UnitOfWork: ...
