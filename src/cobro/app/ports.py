"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from cobro.app.template_parameters import TemplateParameter
from cobro.domain.accounts import Consent, Creditor, Invoice, OptOut
from cobro.domain.compliance.opt_out import OptOutEffect
from cobro.domain.contact import AccountContext, ContactHistory, DebtorContext
from cobro.domain.conversation.intents import Entities, Reading
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem
from cobro.domain.messaging import (
    DebtorLink,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookContents,
    WebhookDelivery,
    WhatsAppMessage,
)
from cobro.domain.outbox import (
    OutboxChange,
    OutboxItem,
    OutboxRecord,
    OutboxState,
    PreparedMessage,
    SendOutcome,
)
from cobro.domain.planning import PlannedContact
from cobro.domain.strategy import StrategyVersion
from cobro.domain.template_catalogue import StoredTemplate, TemplateEntry


class CreditorRepository(Protocol):
    """Stores and finds creditors (tenants)."""

    def add(self, creditor: Creditor) -> Creditor:
        """Stores a new creditor and returns it with its id; raises AlreadyExists on a taken slug."""
        ...

    def get(self, slug: str) -> Creditor | None:
        """The creditor with this slug, or None."""
        ...

    def list(self) -> list[Creditor]:
        """Every creditor, by slug."""
        ...


class EventLog(Protocol):
    """The append-only audit trail."""

    def append(self, event: AuditEvent) -> None:
        """Appends one event; events are never changed or removed."""
        ...

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        """Appends several events at once, in order."""
        ...

    def recent(self, kind: EventKind | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest events first, optionally of one kind."""
        ...


# Turns a chunk of valid rows into what a batch writes (COPY text, parameter tuples); module-level, so
# worker processes can run it.
RowEncoder = Callable[[Sequence[AccountRow]], Any]


class AccountImportBatch(Protocol):
    """One import in progress: rows are staged, checked across the whole file, then merged at once."""

    def row_encoder(self) -> RowEncoder:
        """A picklable function turning a chunk of valid rows into what stage_encoded() writes; it runs
        where the rows are validated, possibly in another process."""
        ...

    def stage_encoded(self, payload: Any) -> None:
        """Keeps one encoded chunk of valid rows aside (not yet visible) until the whole file is read."""
        ...

    def cross_row_problems(self, limit: int) -> list[RowProblem]:
        """Problems only visible across rows or against stored data: duplicates and mismatches."""
        ...

    def merge(self, full_snapshot: bool, at: datetime) -> ImportCounts:
        """Creates or updates debtors, accounts and invoices from the staged rows; settles the missing."""
        ...


# Reads one raw webhook body into what it reports; raises an InvalidInput subclass on a bad shape. The
# adapter's parser is passed in by the entrypoint, so use cases stay free of the payload format.
WebhookParser = Callable[[bytes], WebhookContents]


class WebhookDeliveryRepository(Protocol):
    """Webhook deliveries stored raw, claimed by one worker at a time, marked once applied."""

    def add(self, raw_body: bytes, received_at: datetime) -> int:
        """Stores a delivery's body exactly as received; returns its id."""
        ...

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Collection[int] | None = None
    ) -> list[WebhookDelivery]:
        """Leases up to `limit` unprocessed deliveries whose lease has run out (only those in `ids` when
        given), oldest first, so no other worker takes them before `lease_until`; counts the attempt."""
        ...

    def mark_processed(self, delivery_id: int, at: datetime) -> bool:
        """Marks a delivery processed; False when it already was (another worker finished it first)."""
        ...

    def record_failure(self, delivery_id: int, error: str, retry_at: datetime) -> None:
        """Keeps the error of a failed attempt; the delivery is claimable again from `retry_at`."""
        ...


class WhatsAppMessageRepository(Protocol):
    """Messages, one per wamid, and the debtors they belong to."""

    def add_absent(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        """Inserts the messages whose wamid is not stored yet; returns the wamids it inserted."""
        ...

    def record_outbound(self, message: WhatsAppMessage, at: datetime) -> bool:
        """Stores an outbound message; when its statuses arrived first and made a status-only row, fills that
        row in and keeps the status it reached. False when it was already recorded."""
        ...

    def record_outbound_many(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        """record_outbound for many messages at once; returns the wamids newly recorded (inserted or filled in)."""
        ...

    def link_debtor(self, wamid: str, link: DebtorLink) -> None:
        """Ties a stored message that names no debtor yet to this debtor, unless it names another creditor."""
        ...

    def get(self, wamid: str) -> WhatsAppMessage | None:
        """The message with this wamid, or None."""
        ...

    def links(self, wamids: Collection[str]) -> dict[str, DebtorLink]:
        """The debtor of each stored message that has one, by wamid."""
        ...

    def advance(self, updates: Sequence[StatusUpdate]) -> None:
        """Moves each outbound message to the update's status where that is causally later, never back."""
        ...

    def debtor_links(self, wa_ids: Collection[str]) -> dict[str, DebtorLink]:
        """For each wa_id whose phone (`+` + wa_id) belongs to exactly one debtor, that debtor."""
        ...


class MessageStatusRepository(Protocol):
    """Every status reported for a wamid, once per (wamid, status), known message or not."""

    def add_absent(self, statuses: Sequence[StatusUpdate], received_at: datetime) -> list[StatusUpdate]:
        """Stores the statuses not stored yet; returns those it stored."""
        ...

    def for_wamid(self, wamid: str) -> list[StatusUpdate]:
        """Every status stored for one wamid."""
        ...


class TemplateReviewRepository(Protocol):
    """Template review results, once per (template, event, time)."""

    def add_absent(
        self, updates: Sequence[TemplateStatusUpdate], received_at: datetime
    ) -> list[TemplateStatusUpdate]:
        """Stores the review results not stored yet; returns those it stored."""
        ...


@dataclass(frozen=True, slots=True)
class PlanningCase:
    """One debtor of one creditor, their accounts and their recent contacts: what the planner decides on."""

    creditor_id: int
    debtor: DebtorContext
    accounts: tuple[AccountContext, ...]
    history: ContactHistory


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A contact decision as the planner stores it."""

    planned: PlannedContact
    decided_at: datetime


class PlanningRepository(Protocol):
    """What the planner reads (debtors page by page) and writes (decisions, once per idempotency key)."""

    def cases(
        self,
        after_debtor_id: int,
        limit: int,
        creditor_id: int | None,
        since: datetime,
        until_debtor_id: int | None = None,
    ) -> tuple[list[PlanningCase], int | None]:
        """The next page of debtors after `after_debtor_id` (up to `until_debtor_id` when given), with
        accounts and contacts since `since`; and the last debtor id read, None when there are no more."""
        ...

    def debtor_id_range(self, creditor_id: int | None) -> tuple[int, int] | None:
        """The lowest and highest debtor id (of one creditor when given), None when there are none."""
        ...

    def add_decisions(self, decisions: Sequence[StoredDecision]) -> int:
        """Stores the decisions whose idempotency key is not taken yet; returns how many it stored."""
        ...


class DebtorFlagRepository(Protocol):
    """What the person at a debtor's phone said, kept on the debtor: opt-out, wrong number, right party."""

    def debtors_by_phone(self, phones: Collection[str]) -> dict[str, list[DebtorLink]]:
        """Every debtor (of any creditor) at each E.164 phone, by phone, lowest id first."""
        ...

    def record_opt_out(
        self, debtor_ids: Collection[int], opt_out: OptOut, now: datetime
    ) -> dict[int, OptOutEffect]:
        """Stores the opt-out on each debtor (set, widened, or kept when as wide); the effect per debtor."""
        ...

    def record_wrong_number(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        """Marks the phone as not each debtor's (the first report is kept); returns those newly marked."""
        ...

    def confirm_right_party(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        """Records that each debtor confirmed being the person addressed; returns those newly confirmed."""
        ...


@dataclass(frozen=True, slots=True)
class AccountOverview:
    """An account with its creditor, debtor and the state of its collection, as `cobro explain` shows it."""

    creditor_id: int
    creditor_slug: str
    creditor_name: str
    account_id: int
    reference: str
    currency: str
    debtor_id: int
    debtor_name: str
    debtor_phone: str
    debtor_language: str
    debtor_time_zone: str
    consent: Consent | None = None
    opt_out: OptOut | None = None
    wrong_number_at: datetime | None = None
    right_party_confirmed_at: datetime | None = None
    disputed_at: datetime | None = None
    hardship_at: datetime | None = None
    promise_until: date | None = None
    promise_broken_at: datetime | None = None
    plan_status: str = "none"


@dataclass(frozen=True, slots=True)
class ContactDecisionRecord:
    """One stored contact decision of the planner: what it did and why."""

    id: int
    decided_at: datetime
    action: str
    kind: str
    stage: str | None
    segments: tuple[str, ...]
    template: str | None
    language: str | None
    not_before: datetime | None
    rules: tuple[str, ...]
    reason: str
    jurisdiction: str
    rules_version: str
    state: str | None = None  # of the send's outbox row
    wamid: str | None = None
    send_reason: str | None = None  # the outbox row's reason: why it failed, waits or was cancelled


class AccountHistoryReader(Protocol):
    """Reads what Cobro knows and did about one account, for explaining it (never writes)."""

    def accounts_by_reference(self, reference: str) -> list[AccountOverview]:
        """Every account with this reference, one per creditor that has it, by creditor slug."""
        ...

    def open_invoices(self, account_id: int) -> list[Invoice]:
        """The account's open invoices, oldest due first."""
        ...

    def decisions(self, account_id: int) -> list[ContactDecisionRecord]:
        """The planner's decisions about the account, oldest first."""
        ...

    def messages(self, debtor_id: int) -> list[WhatsAppMessage]:
        """Every WhatsApp message to or from the debtor, oldest first."""
        ...

    def statuses(self, wamids: Collection[str]) -> dict[str, list[StatusUpdate]]:
        """Every status reported for these messages, by wamid, oldest first."""
        ...

    def events(self, account_id: int, debtor_id: int) -> list[AuditEvent]:
        """Audit events about the account, or about the debtor and no other account, oldest first."""
        ...


class StrategyRepository(Protocol):
    """Strategy documents per creditor, one row per version; the newest is in force."""

    def add(self, creditor_id: int, name: str, document: dict[str, Any], created_by: str) -> int:
        """Stores the document as the creditor's next version (atomically) and returns that version."""
        ...

    def current(self, creditor_id: int) -> tuple[int, dict[str, Any]] | None:
        """The newest version and its document, or None when none is stored."""
        ...

    def versions(self, creditor_id: int) -> list[StrategyVersion]:
        """Every stored version, oldest first."""
        ...


class MessageTemplateRepository(Protocol):
    """The message_templates table: the last status Cobro knows per (WABA, name, language)."""

    def upsert(self, record: StoredTemplate) -> None:
        """Inserts the template's row or replaces the existing one."""
        ...

    def get(self, waba_id: str, name: str, language: str) -> StoredTemplate | None:
        """The row of one template version, or None."""
        ...

    def list(self, waba_id: str | None = None) -> list[StoredTemplate]:
        """Every recorded template, optionally of one WABA."""
        ...

    def approved(self, waba_id: str) -> set[tuple[str, str]]:
        """The (name, language) pairs with status APPROVED."""
        ...


# --- the send pipeline (docs/decisions/0032) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuedBatch:
    """Outbox rows moved to `queued` together, for one sending number: one send task carries their ids."""

    phone_number_id: str | None
    ids: tuple[int, ...]


class OutboxRepository(Protocol):
    """The outbox rows: dispatched, claimed, settled and swept, every move a conditional state change."""

    def queue_due(self, now: datetime, limit: int, batch_size: int) -> list[QueuedBatch]:
        """Moves up to `limit` due `planned` rows (due_at <= now, oldest first) to `queued` and returns them in
        batches of at most `batch_size` ids per sending number. Rows another transaction holds are skipped
        (FOR UPDATE SKIP LOCKED on PostgreSQL), so concurrent dispatchers never queue a row twice."""
        ...

    def requeue_stale(
        self, queued_before: datetime, now: datetime, limit: int, batch_size: int
    ) -> list[QueuedBatch]:
        """Rows still `queued` since before `queued_before` (their task was lost, e.g. with a broker that
        restarted without it): stamps them queued again at `now` and returns them to be published again."""
        ...

    def claim(
        self, ids: Sequence[int], worker: str, now: datetime, lease_until: datetime
    ) -> list[OutboxItem]:
        """Moves those of `ids` that are still `queued` to `sending` for `worker` (attempts + 1, lease until
        `lease_until`) and returns them; a row another worker claimed, or already settled, is left alone."""
        ...

    def add_prepared(self, messages: Sequence[PreparedMessage], now: datetime) -> dict[str, int]:
        """Stores each prepared message (a bot reply, an agent's answer, a receipt) as a `planned` row once
        per idempotency key; returns the row id of every key, new or already stored."""
        ...

    def settle(self, changes: Sequence[OutboxChange], worker: str, now: datetime) -> list[int]:
        """Applies each change to its row only while `worker` still holds it in `sending`; returns the ids
        changed. A row a status webhook already reconciled, or whose lease a sweep took, is left alone."""
        ...

    def release(self, ids: Sequence[int], worker: str, now: datetime) -> int:
        """Puts rows `worker` claimed but never tried to send back to `queued` (graceful shutdown)."""
        ...

    def expire_leases(self, now: datetime, limit: int) -> list[OutboxRecord]:
        """`sending` rows whose lease ran out (their worker died or hung after claiming): moved to `unknown`
        with the reason, since the request may have left. Returns them."""
        ...

    def hand_over_unknown(self, unknown_before: datetime, now: datetime, limit: int) -> list[OutboxRecord]:
        """`unknown` rows with no evidence since before `unknown_before`: moved to `review` for a person, with
        the reason. Returns them."""
        ...

    def reconcile(self, statuses: Sequence[StatusUpdate], now: datetime) -> list[OutboxRecord]:
        """Settles rows in a RECONCILABLE state from status webhooks whose `biz_opaque_callback_data` names
        their key: the wamid is recorded and the row becomes `sent` (or `failed` for a failed status with
        no sign of delivery). Returns the rows settled, as they are now."""
        ...

    def counts(self, states: Collection[OutboxState] | None = None) -> dict[OutboxState, int]:
        """How many rows are in each state (only `states` when given: cheap for the open states, which
        a partial index covers)."""
        ...

    def records(self, states: Collection[OutboxState], limit: int, after_id: int = 0) -> list[OutboxRecord]:
        """Rows in any of `states`, by id, after `after_id`."""
        ...

    def resolve(
        self, outbox_id: int, state: OutboxState, reason: str, now: datetime, wamid: str | None = None
    ) -> bool:
        """A person's decision on a row in `review` or `unknown`: `sent` (with the wamid when known),
        `failed`, or `planned` (send it again, due now). False if the row is not in one of those states."""
        ...


@dataclass(frozen=True, slots=True)
class SendRecipient:
    """What a claimed row is rendered from at send time, read fresh from the ledger."""

    debtor: DebtorContext
    debtor_name: str
    creditor_name: str
    creditor_language: str | None
    accounts: tuple[AccountContext, ...]
    history: ContactHistory


class SendContextReader(Protocol):
    """Reads, for claimed rows, the debtors, accounts and contact history the claim-time re-check needs."""

    def recipients(self, debtor_ids: Collection[int], since: datetime) -> dict[int, SendRecipient]:
        """Each debtor with their accounts and contact history since `since`, by debtor id."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingTemplate:
    """One template message ready to send: the catalogue entry, its parameters from the ledger, the debtor's
    phone, the sending number and the callback data Meta echoes in the message's statuses."""

    to: str
    phone_number_id: str
    entry: TemplateEntry
    parameters: tuple[TemplateParameter, ...]
    callback_data: str


@dataclass(frozen=True, slots=True)
class OutgoingReply:
    """One prepared free-form message ready to send (text, reply buttons or a list), written whole when it
    was decided; `content` is PreparedMessage's content of type text, buttons or list."""

    to: str  # E.164 phone, wa_id digits, or a business-scoped user id
    phone_number_id: str
    content: dict[str, Any]
    callback_data: str


Outgoing = OutgoingTemplate | OutgoingReply


class MessageSender(Protocol):
    """Sends one message through the Cloud API (Meta or the sandbox: only the base URL differs)."""

    async def send_template(self, message: OutgoingTemplate) -> SendOutcome:
        """Accepted with the wamid; Refused when the answer proves nothing was sent; Unknown otherwise.
        Never raises for a WhatsApp or transport failure."""
        ...

    async def send_reply(self, message: OutgoingReply) -> SendOutcome:
        """The same for a prepared free-form message (only inside the 24-hour service window)."""
        ...


class SendRateLimiter(Protocol):
    """The throughput limit of each sending number, shared by every worker on every machine."""

    async def reserve(self, phone_number_id: str, count: int) -> float:
        """Reserves `count` consecutive send slots on the number; returns the seconds until the first. The
        slots are 1/rate apart, so the i-th message (0-based) goes at first + i / rate."""
        ...

    async def penalise(self, phone_number_id: str, seconds: float) -> None:
        """Pushes the number's next free slot `seconds` later, for every worker (after a 130429)."""
        ...

    def rate(self, phone_number_id: str) -> float:
        """Messages a second the number may send."""
        ...


class SendQueue(Protocol):
    """The task engine seen from the use cases: publishes send tasks, each carrying outbox ids only."""

    def publish(self, batches: Sequence[QueuedBatch]) -> None:
        """Enqueues one send task per batch; raises if the broker refused, leaving the rows `queued` (the
        stale sweep publishes them again)."""
        ...


class MessageReader(Protocol):
    """Understands a debtor's free text, offline and deterministically (adapters/nlu)."""

    def read(self, text: str, fallback_language: str | None = None) -> Reading:
        """The message's language (`fallback_language` when the text is too short to tell), intent and
        confidence."""
        ...

    def entities(self, text: str, language: str, zone: str, today: date) -> Entities:
        """Dates (resolved in `zone`, relative to `today`), amounts (in the language's number format) and
        account or reference numbers written in `text`."""
        ...

    def birth_date(self, text: str, language: str) -> date | None:
        """A date of birth as written ("15/03/1985", "15 de marzo de 1985"), or None."""
        ...
