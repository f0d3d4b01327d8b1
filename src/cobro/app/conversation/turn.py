"""One turn: an inbound message read, answered by its flow, and the answer handed to the outbox, all in the
transaction that records the message (so a message is answered once, and never lost unanswered).

A turn collects what it says as fixed texts (domain/conversation/replies.toml) whose values come from the
ledger, and sends them as ONE prepared message (text, reply buttons or a list) through the outbox, which
re-checks the compliance gate at send time. Before the person proved who they are, only texts that mention
no debt may be said: `say` refuses any other (the property tests lean on this).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cobro.app.conversation.bot import ACTOR, Bot
from cobro.app.uow import UnitOfWork
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.intents import Reading
from cobro.domain.conversation.ledger import AccountCard, DebtorCard
from cobro.domain.conversation.policy import ConversationPolicy
from cobro.domain.conversation.replies import PRE_VERIFICATION_KEYS
from cobro.domain.conversation.state import Conversation, Flow, Step
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import InboundMessage
from cobro.domain.money import Money
from cobro.domain.outbox import PreparedMessage
from cobro.i18n.currencies import find_currency
from cobro.i18n.formatting import debtor_locale, format_amount, format_long_date

SERVICE_WINDOW = timedelta(hours=24)
TEMPLATE_LANGUAGES = {"es": "es", "en": "en", "pt": "pt_BR", "it": "it"}


class DisclosureRefused(RuntimeError):
    """A text about a debt was about to go to someone who has not proved who they are (a bug: never sent)."""


@dataclass
class Turn:
    """The state of one turn while its flow runs."""

    uow: UnitOfWork
    bot: Bot
    message: InboundMessage
    conversation: Conversation
    at_contact: list[DebtorCard]  # debtors at this phone or linked user id
    now: datetime
    reading: Reading | None = None
    language: str = "es"
    texts: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    rows: list[dict[str, str]] = field(default_factory=list)
    list_button: str | None = None
    discloses: bool = False
    extra: list[PreparedMessage] = field(default_factory=list)  # templates besides the reply (opt-out)
    events: list[AuditEvent] = field(default_factory=list)
    intent: str | None = None
    policies: dict[int | None, ConversationPolicy] = field(default_factory=dict)

    # --- who and what -------------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """What the person wrote (a caption for media), or an empty string."""
        return (self.message.text or self.message.caption or "").strip()

    @property
    def payload(self) -> str | None:
        """The button payload or interactive reply id tapped, if any."""
        return self.message.payload or self.message.reply_id

    @property
    def verified(self) -> bool:
        """True while the person's proof of identity holds."""
        return self.conversation.is_verified(self.now)

    def account(self) -> AccountCard:
        """The verified account, read fresh from the ledger."""
        account_id = self.conversation.verified_account_id
        card = self.uow.conversations.account(account_id) if account_id is not None else None
        if card is None:
            raise LookupError("the verified account no longer exists")
        return card

    def debtor(self) -> DebtorCard | None:
        """The verified debtor while the proof holds, or else the only debtor at this contact."""
        if self.conversation.verified_debtor_id is not None and self.verified:
            return self.uow.conversations.debtor(self.conversation.verified_debtor_id)
        return self.at_contact[0] if len(self.at_contact) == 1 else None

    def policy(self) -> ConversationPolicy:
        """The conversation policy of the creditor the person is dealing with (the default until known)."""
        creditor = self.conversation.creditor_id
        if creditor is None and len({d.creditor_id for d in self.at_contact}) == 1:
            creditor = self.at_contact[0].creditor_id
        return self.policy_of(creditor)

    def policy_of(self, creditor_id: int | None) -> ConversationPolicy:
        """A creditor's conversation policy, read once per turn."""
        if creditor_id not in self.policies:
            self.policies[creditor_id] = self.bot.policy_of(self.uow, creditor_id)
        return self.policies[creditor_id]

    def zone(self) -> str:
        """The time zone dates are read and written in: the debtor's, or the creditor country's guess."""
        debtor = self.debtor()
        return debtor.time_zone if debtor is not None else "UTC"

    def today(self) -> date:
        """The person's local date."""
        return self.now.astimezone(ZoneInfo(self.zone())).date()

    def locale(self) -> str:
        """The babel locale amounts and dates are written in."""
        debtor = self.debtor()
        return debtor_locale(self.language, debtor.country if debtor is not None else None)

    def money(self, minor: int, currency: str) -> str:
        """An amount as the person reads it."""
        found = find_currency(currency)
        if found is None:
            raise LookupError(f"unknown currency {currency}")
        return format_amount(Money.from_minor(minor, found), self.locale())

    def day(self, value: date) -> str:
        """A date as the person reads it."""
        return format_long_date(value, self.locale())

    def move(self, flow: Flow, step: Step = Step.NONE, **slots: Any) -> None:
        """Moves the conversation to a flow step that times out after the policy's step timeout."""
        expires = self.now + self.policy().step_timeout
        self.conversation = replace(self.conversation.at(flow, step, expires, **slots), tries=0)

    def idle(self) -> None:
        """Back to waiting for the next request."""
        self.conversation = self.conversation.idle()

    def update(self, **changes: Any) -> None:
        """Changes fields of the conversation."""
        self.conversation = replace(self.conversation, **changes)

    # --- what the bot says --------------------------------------------------------------------------------

    def say(self, key: str, **values: Any) -> None:
        """Adds a fixed text, its values filled in; a text about a debt only once the person is verified."""
        if key not in PRE_VERIFICATION_KEYS:
            if not self.verified:
                raise DisclosureRefused(f"{key!r} mentions a debt and the person is not verified")
            self.discloses = True
        self.texts.append(self.bot.replies.text(self.language, key, **values))

    def label(self, key: str, **values: Any) -> str:
        """A button or row title in the conversation's language."""
        return self.bot.replies.text(self.language, key, **values)

    def offer_buttons(self, *choices: tuple[str, str]) -> None:
        """Reply buttons under the text: (id, label key); at most three."""
        self.buttons = [(choice_id, self.label(key)) for choice_id, key in choices][:3]

    def offer_menu(self) -> None:
        """The main menu as a list: balance, pay, plan, more time, already paid, a person."""
        self.rows = [
            {"id": f"MENU:{intent}", "title": self.label(f"menu.{intent.lower()}")}
            for intent in (
                "CHECK_BALANCE",
                "PAY_NOW",
                "PAYMENT_PLAN",
                "MORE_TIME",
                "ALREADY_PAID",
                "TALK_TO_AGENT",
            )
        ]
        self.list_button = self.label("menu_button")

    def offer_rows(self, rows: list[dict[str, str]], button_key: str, *, discloses: bool = True) -> None:
        """A list of choices (at most ten); rows about the debt (plan options) only once verified."""
        if discloses:
            if not self.verified:
                raise DisclosureRefused("list rows about a debt and the person is not verified")
            self.discloses = True
        self.rows = rows[:10]
        self.list_button = self.label(button_key)

    def record(self, kind: EventKind, **data: Any) -> None:
        """Appends an audit event about this conversation."""
        debtor = self.debtor()
        self.events.append(
            AuditEvent(
                kind=kind,
                occurred_at=self.now,
                actor=ACTOR,
                creditor_id=debtor.creditor_id if debtor else self.conversation.creditor_id,
                account_id=self.conversation.verified_account_id if self.verified else None,
                debtor_id=debtor.id if debtor else None,
                data={"conversation_id": self.conversation.id, "wamid": self.message.wamid, **data},
            )
        )

    def handoff(self, reason: str, detail: str | None = None, *, key: str | None = "handoff") -> None:
        """Hands the conversation to a person (the agent inbox) and tells the person so (with `key`, unless
        the turn already said it)."""
        debtor = self.debtor()
        item_id, new = self.uow.inbox.open(
            conversation_id=self.conversation.id,
            creditor_id=debtor.creditor_id if debtor else self.conversation.creditor_id,
            debtor_id=debtor.id if debtor else None,
            account_id=self.conversation.verified_account_id if self.verified else None,
            reason=reason,
            detail=detail,
            now=self.now,
        )
        if new:
            self.record(EventKind.HANDOFF_OPENED, inbox_item=item_id, reason=reason)
        if key is not None:
            self.say(key)
        self.update(flow=Flow.HANDED_OVER, step=Step.NONE, slots={"reason": reason}, expires_at=None, tries=0)

    def prepared(self) -> list[PreparedMessage]:
        """The turn's answer as prepared messages for the outbox (none when it said nothing)."""
        found = list(self.extra)
        if not self.texts:
            return found
        body = "\n\n".join(self.texts)
        content: dict[str, Any]
        if self.rows:
            content = {"type": "list", "text": body, "button": self.list_button or "", "rows": self.rows}
        elif self.buttons:
            content = {
                "type": "buttons",
                "text": body,
                "buttons": [{"id": i, "title": t} for i, t in self.buttons],
            }
        else:
            content = {"type": "text", "text": body}
        debtor = self.debtor()
        found.append(
            PreparedMessage(
                idempotency_key=f"reply:{self.message.wamid}",
                kind=MessageKind.SERVICE_REPLY,
                content=content,
                due_at=self.now,
                window_until=self.message.timestamp + SERVICE_WINDOW,
                mentions_debt=self.discloses,
                creditor_id=debtor.creditor_id if debtor else None,
                debtor_id=debtor.id if debtor else None,
                account_id=self.conversation.verified_account_id if self.discloses else None,
                conversation_id=self.conversation.id,
                phone_number_id=self.message.phone_number_id,
                to_address=self.conversation.address,
            )
        )
        return found
