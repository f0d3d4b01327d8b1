"""The port of debtor conversations: one row per business number and contact, its flow and verification, and
the ledger reads and writes the bot's flows need."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Protocol

from cobro.domain.conversation.ledger import AccountCard, DebtorCard, InstalmentDue, PaymentSeen
from cobro.domain.conversation.plans import PlanOption
from cobro.domain.conversation.state import Conversation


class ConversationRepository(Protocol):
    """Conversations and what the bot reads of the ledger to answer in them (adapters/db/conversations.py)."""

    def open(
        self, phone_number_id: str, contact: str, wa_id: str | None, user_id: str | None, now: datetime
    ) -> Conversation:
        """The conversation of this contact on this business number, created when new, and locked until the
        transaction ends (PostgreSQL: FOR UPDATE), so two messages of one person are answered one at a time."""
        ...

    def save(self, conversation: Conversation, now: datetime) -> None:
        """Stores the conversation's state."""
        ...

    def get(self, conversation_id: int) -> Conversation | None:
        """A conversation by id."""
        ...

    def latest_for_debtor(self, debtor_id: int) -> Conversation | None:
        """The debtor's most recently active conversation (verified as, or linked by phone to, the debtor)."""
        ...

    def debtors_at(self, wa_id: str | None, user_id: str | None) -> list[DebtorCard]:
        """Every debtor whose phone is +wa_id or whose linked WhatsApp user id is `user_id`."""
        ...

    def debtor(self, debtor_id: int) -> DebtorCard | None:
        """One debtor."""
        ...

    def creditors_of_number(self, phone_number_id: str) -> list[int]:
        """The creditors that send from this business number (empty: the number is the default one)."""
        ...

    def accounts_by_reference(
        self, normalised: str, creditor_ids: Collection[int] | None
    ) -> list[AccountCard]:
        """Accounts whose reference, normalised (letters and digits, upper case), is `normalised`; only of
        `creditor_ids` when given."""
        ...

    def account(self, account_id: int) -> AccountCard | None:
        """One account with its outstanding balance."""
        ...

    def open_accounts(self, debtor_id: int) -> list[int]:
        """The ids of the debtor's accounts that still owe something."""
        ...

    def link_user_id(self, debtor_id: int, user_id: str, now: datetime) -> bool:
        """Links the debtor to the WhatsApp business-scoped user id; True when it changed."""
        ...

    def set_account_state(
        self,
        account_id: int,
        now: datetime,
        *,
        disputed_at: datetime | None = None,
        hardship_at: datetime | None = None,
        promise_until: date | None = None,
        plan_status: str | None = None,
    ) -> None:
        """Sets the given collection-state fields (None leaves a field alone); a new promise clears a broken
        one."""
        ...

    def add_plan(
        self, account: AccountCard, option: PlanOption, conversation_id: int | None, now: datetime
    ) -> int:
        """Stores an agreed plan and its instalments (number 0 is the down payment); returns its id."""
        ...

    def payments_since(self, account_id: int, since: datetime) -> list[PaymentSeen]:
        """Payments recorded on the account at or after `since`."""
        ...

    # --- the scheduled follow-ups (app/conversation/jobs.py) ---------------------------------------------

    def promises_past(self, today: date, limit: int) -> list[tuple[AccountCard, DebtorCard]]:
        """Accounts whose promised date is before `today` (UTC; the caller checks the debtor's own date), not
        marked broken, still owing, with their debtor."""
        ...

    def mark_promise_broken(self, account_id: int, now: datetime) -> None:
        """Records that the promise was not kept."""
        ...

    def instalments_due(self, until: date, limit: int) -> list[InstalmentDue]:
        """Unpaid instalments of current plans due on or before `until`, never reminded."""
        ...

    def replace_current_plans(self, account_id: int, now: datetime) -> int:
        """Marks the account's current plans replaced (a new plan was agreed); returns how many."""
        ...

    def mark_instalment_reminded(self, instalment_id: int, day: date) -> None:
        """Records the day the instalment's reminder was planned."""
        ...

    def break_missed_plans(self, due_before: date, now: datetime) -> list[tuple[int, int, int]]:
        """Marks instalments due before `due_before` and unpaid as missed, their current plans broken and the
        accounts' plan status broken; returns (plan id, account id, creditor id) of each plan broken."""
        ...
