"""The agent inbox: what the bot handed to a person, and the person's side of it (list, show, claim, reply,
resolve) until a web console exists.

One item per hand-off (the bot opens it, app/conversation/turn.py). A person claims it, answers through the
outbox (free text inside WhatsApp's 24-hour window, the approved `cobro_agent_followup` template outside it;
the send pipeline checks the compliance gate again at send time), and resolves it, which gives the
conversation back to the bot. Every change is one transaction with its audit event; the events hold ids,
lengths and the template name, never the words or personal data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cobro.app.inbox_ports import AgentReply, InboxEntry, InboxItem, ItemStatus, TranscriptMessage
from cobro.app.template_parameters import TemplateValues, render_parameters
from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.ledger import AccountCard, DebtorCard
from cobro.domain.conversation.state import Conversation, Flow
from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.outbox import PreparedMessage
from cobro.domain.template_catalogue import TemplateEntry, find_entry, template_language
from cobro.domain.wording import LINT_LANGUAGES, blocking, lint_language, lint_text

FOLLOWUP_TEMPLATE = "cobro_agent_followup"
SERVICE_WINDOW = timedelta(hours=24)
# Free text only while this much of the window is left, so the send (claim-time check included) lands
# inside it; closer to the end the follow-up template goes instead.
WINDOW_MARGIN = timedelta(minutes=5)
MAX_TEXT = 4096  # WhatsApp's limit for a text message body
MAX_AGENT = 64  # inbox_items.claimed_by
MAX_KEY = 160
STATUS_CHOICES = ("active", "open", "claimed", "resolved", "all")
_KEY = re.compile(r"^[A-Za-z0-9._:-]+$")


class InboxConflict(InvalidInput):
    """The item is not in a state that allows the command (resolved, or claimed by another agent)."""


# --- what the commands return ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemView:
    """Everything a person needs to work one item."""

    entry: InboxEntry
    conversation: Conversation
    debtor: DebtorCard | None
    account: AccountCard | None
    verified: bool
    window_until: datetime | None  # 24 h after the contact's last message; None: never wrote
    transcript: list[TranscriptMessage]
    replies: list[AgentReply]
    now: datetime

    @property
    def item(self) -> InboxItem:
        """The item itself."""
        return self.entry.item

    @property
    def window_open(self) -> bool:
        """True while free text may still be sent."""
        return self.window_until is not None and self.now + WINDOW_MARGIN < self.window_until


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A claim: the item after it, whose claim it replaced (a take-over), and whether anything changed."""

    item: InboxItem
    changed: bool
    taken_from: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyResult:
    """An answer queued in the outbox (or found already queued under the same key)."""

    item_id: int
    outbox_id: int
    idempotency_key: str
    mode: str  # "text" or "template"
    template: str | None = None
    language: str | None = None
    window_until: datetime | None = None
    repeated: bool = False  # the key was already stored: nothing new was queued
    state: str = "planned"  # of the outbox row (the existing one when repeated)
    reason: str | None = None  # the existing row's reason (cancelled, failed, deferred)
    claimed: bool = False  # the item was open and this reply claimed it
    warnings: tuple[str, ...] = field(default_factory=tuple)  # the wording linter's warnings on the text


@dataclass(frozen=True, slots=True)
class ResolveResult:
    """A resolved item, and what became of its conversation."""

    item: InboxItem
    conversation_returned: bool  # handed back to the bot
    conversation_flow: Flow  # the flow it is in now


# --- the use cases ---------------------------------------------------------------------------------------


def list_items(
    uow_factory: UnitOfWorkFactory, status: str = "active", creditor_slug: str | None = None, limit: int = 200
) -> list[InboxEntry]:
    """Items by status ("active": open and claimed; "all": every item), of one creditor when given, oldest
    first."""
    statuses = _statuses(status)
    with uow_factory() as uow:
        creditor_id = None
        if creditor_slug is not None:
            creditor = uow.creditors.get(creditor_slug)
            if creditor is None or creditor.id is None:
                known = ", ".join(c.slug for c in uow.creditors.list()) or "none yet"
                raise NotFound(f"no creditor {creditor_slug!r} (known: {known})")
            creditor_id = creditor.id
        return uow.inbox.entries(statuses, creditor_id, limit)


def show_item(uow_factory: UnitOfWorkFactory, clock: Clock, item_id: int, limit: int = 50) -> ItemView:
    """The item, its conversation's state, debtor and account, the latest `limit` messages, and the answers
    already queued on it."""
    now = clock.now()
    with uow_factory() as uow:
        entry = uow.inbox.entry(item_id)
        if entry is None:
            raise NotFound(f"no inbox item {item_id}")
        conversation = _conversation(uow, entry.item)
        debtor_id = _debtor_id(entry.item, conversation)
        account_id = entry.item.account_id or conversation.verified_account_id
        return ItemView(
            entry=entry,
            conversation=conversation,
            debtor=uow.conversations.debtor(debtor_id) if debtor_id is not None else None,
            account=uow.conversations.account(account_id) if account_id is not None else None,
            verified=conversation.is_verified(now),
            window_until=_window_until(uow, conversation),
            transcript=uow.inbox.transcript(conversation.id, limit),
            replies=uow.inbox.replies(item_id),
            now=now,
        )


def claim_item(
    uow_factory: UnitOfWorkFactory, clock: Clock, item_id: int, agent: str, force: bool = False
) -> ClaimResult:
    """The agent takes the item: open -> claimed; a claim by someone else is taken over only with `force`;
    claiming one's own item again changes nothing."""
    agent = check_agent(agent)
    now = clock.now()
    with uow_factory() as uow:
        item = _hold(uow, item_id, now)
        if item.status is ItemStatus.RESOLVED:
            raise InboxConflict(
                f"inbox item {item_id} was resolved at {_when(item.resolved_at)}; nothing to claim"
            )
        if item.status is ItemStatus.CLAIMED and item.claimed_by == agent:
            return ClaimResult(item, changed=False)  # rolled back: not even updated_at moves
        taken_from = None
        if item.status is ItemStatus.CLAIMED:
            if not force:
                raise InboxConflict(
                    f"inbox item {item_id} is claimed by {item.claimed_by} since {_when(item.claimed_at)}; "
                    "take it over with --force"
                )
            taken_from = item.claimed_by
        claimed = _claim(uow, item, agent, now, taken_from)
        uow.commit()
        return ClaimResult(claimed, changed=True, taken_from=taken_from)


def reply_to_item(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    item_id: int,
    agent: str,
    text: str,
    catalogue: Sequence[TemplateEntry],
    *,
    key: str | None = None,
    mentions_debt: bool = True,
) -> ReplyResult:
    """Queues the agent's answer in the outbox: the text inside the contact's 24-hour window, the
    `cobro_agent_followup` template outside it (the text itself then is not sent). Only the agent holding the
    claim may answer; an open item is claimed by the answer.

    The outbox key is `agent:<item>:<n>:<digest of the text>`, n counting the item's answers; the same text
    again right after (a retried command) gives the key of that answer, so nothing is queued twice. `key`
    replaces the computed one (`agent:<item>:key:<key>`), e.g. to send the same words again on purpose.
    `mentions_debt` False says the text speaks of no debt: needed for a contact no debtor is known at.

    Refused before anything is queued: an empty text or one over 4,096 characters, a text the wording linter
    blocks (warnings are returned), a silenced conversation, a debtor who opted out or said it is a wrong
    number; outside the window, a contact with no known debtor (the template needs the debtor's name)."""
    agent = check_agent(agent)
    text = check_text(text)
    if key is not None:
        key = key.strip()
        if not key or len(key) > MAX_KEY or not _KEY.match(key):
            raise InvalidInput(f"--key must be 1-{MAX_KEY} letters, digits or . _ : -")
    now = clock.now()
    with uow_factory() as uow:
        item = _hold(uow, item_id, now)
        if item.status is ItemStatus.RESOLVED:
            raise InboxConflict(
                f"inbox item {item_id} was resolved at {_when(item.resolved_at)}; it takes no reply"
            )
        if item.status is ItemStatus.CLAIMED and item.claimed_by != agent:
            raise InboxConflict(
                f"inbox item {item_id} is claimed by {item.claimed_by}; only they may reply "
                "(take it over with 'cobro inbox claim --force' first)"
            )
        replies = uow.inbox.replies(item_id)
        idempotency_key = reply_key(item_id, text, replies, key)
        existing = next((r for r in replies if r.idempotency_key == idempotency_key), None)
        if existing is not None:
            return ReplyResult(
                item_id=item_id,
                outbox_id=existing.outbox_id,
                idempotency_key=idempotency_key,
                mode="template" if existing.template else "text",
                template=existing.template,
                repeated=True,
                state=existing.state,
                reason=existing.reason,
            )  # rolled back: nothing changes
        conversation = _conversation(uow, item)
        if conversation.flow is Flow.SILENCED:
            raise InboxConflict(
                f"the conversation of inbox item {item_id} is silenced (someone said it is a wrong number): "
                "Cobro never writes to it again"
            )
        debtor_id = _debtor_id(item, conversation)
        debtor = uow.conversations.debtor(debtor_id) if debtor_id is not None else None
        stopped = (debtor.opted_out_at or debtor.wrong_number_at) if debtor is not None else None
        if debtor is not None and stopped is not None:
            what = "opted out" if debtor.opted_out_at else "said this is a wrong number"
            raise InboxConflict(
                f"the contact of inbox item {item_id} {what} at {_when(stopped)}: Cobro sends nothing more "
                "(resolve the item instead)"
            )
        if debtor is None and mentions_debt:
            raise InvalidInput(
                f"no debtor is known at the contact of inbox item {item_id}, so a reply must say nothing "
                "about a debt: check the text does not, then pass --no-debt"
            )
        window_until = _window_until(uow, conversation)
        warnings: tuple[str, ...] = ()
        if window_until is not None and now + WINDOW_MARGIN < window_until:
            warnings = _check_wording(text, conversation, debtor)
            content: dict[str, Any] = {"type": "text", "text": text}
            mode, window = "text", window_until
        else:
            if debtor is None:
                closed = (
                    f"closed at {_when(window_until)}" if window_until else "never opened (no message in)"
                )
                raise InvalidInput(
                    f"the 24-hour window {closed} and no debtor is known at this contact, so not even the "
                    f"{FOLLOWUP_TEMPLATE} template can go; wait for the person to write"
                )
            content = followup_content(catalogue, conversation, debtor)
            mode, window = "template", None
            mentions_debt = True  # it names the creditor to the debtor
        claimed = False
        if item.status is ItemStatus.OPEN:
            item = _claim(uow, item, agent, now, None)
            claimed = True
        message = PreparedMessage(
            idempotency_key=idempotency_key,
            kind=MessageKind.SERVICE_REPLY,
            content=content,
            due_at=now,
            window_until=window,
            mentions_debt=mentions_debt,
            creditor_id=debtor.creditor_id if debtor is not None else None,
            debtor_id=debtor.id if debtor is not None else None,
            account_id=(item.account_id or conversation.verified_account_id) if debtor is not None else None,
            conversation_id=conversation.id,
            phone_number_id=conversation.phone_number_id,
            to_address=conversation.address,
        )
        outbox_id = uow.outbox.add_prepared([message], now)[idempotency_key]
        data: dict[str, Any] = {
            "inbox_item": item_id,
            "conversation_id": conversation.id,
            "outbox_id": outbox_id,
            "mode": mode,
            "length": len(text),
        }
        if mode == "template":
            data["template"] = FOLLOWUP_TEMPLATE
        uow.events.append(_event(EventKind.HANDOFF_REPLIED, item, agent, now, data))
        uow.commit()
    return ReplyResult(
        item_id=item_id,
        outbox_id=outbox_id,
        idempotency_key=idempotency_key,
        mode=mode,
        template=message.template,
        language=message.language,
        window_until=window_until,
        claimed=claimed,
        warnings=warnings,
    )


def resolve_item(
    uow_factory: UnitOfWorkFactory, clock: Clock, item_id: int, agent: str, note: str
) -> ResolveResult:
    """Closes the item with the agent's note and gives the conversation back to the bot (unless it is
    silenced: a wrong number stays silent). Only the agent holding the claim may resolve it; an open item may
    be resolved by any agent."""
    agent = check_agent(agent)
    note = note.strip()
    if not note:
        raise InvalidInput("--note must say how the item was resolved")
    if len(note) > MAX_TEXT:
        raise InvalidInput(f"--note has {len(note)} characters; at most {MAX_TEXT}")
    now = clock.now()
    with uow_factory() as uow:
        item = _hold(uow, item_id, now)
        if item.status is ItemStatus.RESOLVED:
            raise InboxConflict(f"inbox item {item_id} was already resolved at {_when(item.resolved_at)}")
        if item.status is ItemStatus.CLAIMED and item.claimed_by != agent:
            raise InboxConflict(
                f"inbox item {item_id} is claimed by {item.claimed_by}; only they may resolve it "
                "(take it over with 'cobro inbox claim --force' first)"
            )
        uow.inbox.set_resolved(item_id, agent, note, now)
        uow.inbox.hold_conversation(item.conversation_id)
        conversation = _conversation(uow, item)
        returned = conversation.flow is Flow.HANDED_OVER
        if returned:
            conversation = conversation.idle()
            uow.conversations.save(conversation, now)
        data = {
            "inbox_item": item_id,
            "conversation_id": conversation.id,
            "note_length": len(note),
            "conversation_returned": returned,
        }
        uow.events.append(_event(EventKind.HANDOFF_RESOLVED, item, agent, now, data))
        resolved = uow.inbox.entry(item_id)
        assert resolved is not None
        uow.commit()
    return ResolveResult(resolved.item, conversation_returned=returned, conversation_flow=conversation.flow)


# --- pieces the entrypoints share ------------------------------------------------------------------------


def check_agent(agent: str) -> str:
    """The agent's name as stored: trimmed, 1-64 printable characters."""
    name = agent.strip()
    if not name or len(name) > MAX_AGENT or not name.isprintable():
        raise InvalidInput(f"--agent must be 1-{MAX_AGENT} printable characters")
    return name


def check_text(text: str) -> str:
    """The reply as sent: trimmed, not empty, at most 4,096 characters."""
    body = text.strip()
    if not body:
        raise InvalidInput("the reply text is empty")
    if len(body) > MAX_TEXT:
        raise InvalidInput(f"the reply text has {len(body)} characters; WhatsApp allows at most {MAX_TEXT}")
    return body


def reply_key(item_id: int, text: str, replies: Sequence[AgentReply], key: str | None = None) -> str:
    """The outbox key of an answer: `agent:<item>:key:<key>` when a key is given; else
    `agent:<item>:<n>:<digest>` with n the answer's place among the item's answers, where the same text as
    the latest answer is that answer (a retried command), so it gets the same key."""
    if key is not None:
        return f"agent:{item_id}:key:{key}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    again = f"agent:{item_id}:{len(replies)}:{digest}"
    if replies and replies[-1].idempotency_key == again:
        return again
    return f"agent:{item_id}:{len(replies) + 1}:{digest}"


def followup_content(
    catalogue: Sequence[TemplateEntry], conversation: Conversation, debtor: DebtorCard
) -> dict[str, Any]:
    """The `cobro_agent_followup` template as prepared content, in the conversation's language (else the
    debtor's), its parameters filled from the ledger."""
    languages = [template_language(x) for x in (conversation.language, debtor.language) if x]
    entry = next(
        (e for e in (find_entry(tuple(catalogue), FOLLOWUP_TEMPLATE, lang) for lang in languages) if e), None
    )
    if entry is None:
        raise InvalidInput(
            f"the template catalogue has no {FOLLOWUP_TEMPLATE} in {' or '.join(dict.fromkeys(languages))}, "
            "so nothing can be sent outside the 24-hour window"
        )
    values = TemplateValues(
        debtor_name=debtor.name,
        creditor_name=debtor.creditor_name,
        language=debtor.language,
        country=debtor.country,
    )
    parameters = [
        {"kind": p.kind.value, "text": p.text, "currency_code": p.currency_code, "amount_1000": p.amount_1000}
        for p in render_parameters(entry, values)
    ]
    return {"type": "template", "template": entry.name, "language": entry.language, "parameters": parameters}


def summary(message: TranscriptMessage) -> str:
    """What a message said, in one line: its text, the button or list row tapped, or the template's name."""
    c = message.content
    if message.type == "template" or "template" in c:
        return f"[template {c.get('template', '?')} ({c.get('language', '?')})]"
    if message.type == "unknown":
        return "[sent; only its status is known]"
    text = c.get("text")
    if message.direction == "out" and c.get("type") in ("buttons", "list"):
        titles = [b.get("title", "") for b in c.get("buttons", c.get("rows", [])) if isinstance(b, dict)]
        return f"{text or ''} [{' | '.join(titles)}]".strip()
    if c.get("reply_title") is not None:
        return f"[tapped] {c['reply_title']}"
    if message.type == "button" and c.get("payload") is not None:
        return f"[tapped] {text or c['payload']}"
    if text:
        return str(text)
    if c.get("reaction_emoji") is not None:
        return f"[reaction] {c['reaction_emoji']}"
    if c.get("media_id") is not None:
        return f"[{message.type}] {c.get('caption') or ''}".strip()
    return f"[{message.type}]"


# --- helpers ---------------------------------------------------------------------------------------------


def _statuses(status: str) -> tuple[ItemStatus, ...]:
    if status == "active":
        return (ItemStatus.OPEN, ItemStatus.CLAIMED)
    if status == "all":
        return tuple(ItemStatus)
    try:
        return (ItemStatus(status),)
    except ValueError:
        raise InvalidInput(f"--status must be one of {', '.join(STATUS_CHOICES)}") from None


def _hold(uow: UnitOfWork, item_id: int, now: datetime) -> InboxItem:
    item = uow.inbox.hold(item_id, now)
    if item is None:
        raise NotFound(f"no inbox item {item_id}")
    return item


def _conversation(uow: UnitOfWork, item: InboxItem) -> Conversation:
    conversation = uow.conversations.get(item.conversation_id)
    if conversation is None:  # the foreign key makes this impossible short of a manual delete
        raise NotFound(f"inbox item {item.id}: conversation {item.conversation_id} no longer exists")
    return conversation


def _debtor_id(item: InboxItem, conversation: Conversation) -> int | None:
    return item.debtor_id if item.debtor_id is not None else conversation.verified_debtor_id


def _window_until(uow: UnitOfWork, conversation: Conversation) -> datetime | None:
    """24 h after the contact's last message in, by the conversation or the stored messages, whichever is
    later."""
    seen = [t for t in (conversation.last_inbound_at, uow.inbox.last_inbound_at(conversation.id)) if t]
    return max(seen) + SERVICE_WINDOW if seen else None


def _claim(uow: UnitOfWork, item: InboxItem, agent: str, now: datetime, taken_from: str | None) -> InboxItem:
    uow.inbox.set_claim(item.id, agent, now)
    data: dict[str, Any] = {"inbox_item": item.id, "conversation_id": item.conversation_id}
    if taken_from is not None:
        data["taken_over_from"] = taken_from
    uow.events.append(_event(EventKind.HANDOFF_CLAIMED, item, agent, now, data))
    found = uow.inbox.entry(item.id)
    assert found is not None
    return found.item


def _check_wording(text: str, conversation: Conversation, debtor: DebtorCard | None) -> tuple[str, ...]:
    """Refuses a text the wording linter blocks (threats, insults, false urgency, legal claims, disclosure to
    third parties) in the conversation's language (every language when it is unknown); returns its
    warnings."""
    language = conversation.language or (debtor.language if debtor is not None else None)
    try:
        languages: tuple[str, ...] = (lint_language(language),) if language else LINT_LANGUAGES
    except ValueError:
        languages = LINT_LANGUAGES
    findings = [f for lang in languages for f in lint_text(text, lang, "the reply")]
    refused = blocking(findings)
    if refused:
        raise InvalidInput(
            "the reply was not sent; the wording linter refuses it: "
            + "; ".join(f.describe() for f in refused)
        )
    return tuple(dict.fromkeys(f.describe() for f in findings))


def _event(kind: EventKind, item: InboxItem, agent: str, now: datetime, data: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        occurred_at=now,
        actor=agent,
        creditor_id=item.creditor_id,
        account_id=item.account_id,
        debtor_id=item.debtor_id,
        data=data,
    )


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "(unknown)"
