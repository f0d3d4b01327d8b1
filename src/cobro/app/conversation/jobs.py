"""The conversation's scheduled follow-ups (run by the server's scheduler after each planning run):

- the day after a promised date passes unpaid, the promise is marked broken and the debtor gets the
  `cobro_promise_followup` template (the ladder resumes on its own: a broken promise no longer pauses it);
- two days before each instalment of an agreed plan, the `cobro_plan_instalment_reminder` template with a
  payment link for exactly that instalment;
- an instalment unpaid three days after its date is missed: the plan is broken and the ladder takes the
  account back (strategy state `plan_current` pauses it, `plan_broken` resumes it at its stage window).

Every message is a prepared outbox row with a key per account and date, so running twice sends once; the
send pipeline's claim-time gate applies contact hours, caps and pauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cobro.app.conversation.bot import ACTOR, Bot
from cobro.app.conversation.templates import template_content, template_language
from cobro.app.payment_references import issue_reference
from cobro.app.template_parameters import TemplateValues
from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.ledger import AccountCard, DebtorCard, InstalmentDue
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.money import Money
from cobro.domain.outbox import PreparedMessage
from cobro.domain.template_catalogue import TemplateEntry
from cobro.i18n.currencies import find_currency

REMIND_DAYS_BEFORE = 2
MISSED_AFTER_DAYS = 3


@dataclass(frozen=True, slots=True)
class JobsResult:
    """What one run did; `failed` counts rows that raised (rolled back alone, tried again next run)."""

    promises_broken: int = 0
    instalments_reminded: int = 0
    instalments_missed: int = 0
    failed: int = 0


def run_conversation_jobs(
    uow_factory: UnitOfWorkFactory, clock: Clock, bot: Bot, limit: int = 500
) -> JobsResult:
    """Broken promises, instalment reminders and missed instalments: one transaction for each kind, one
    savepoint for each row, so a row that cannot be handled never holds the others back."""
    now = clock.now()
    today = now.date()  # the debtor's zone decides below; this bounds the query (a day either side)
    broken = reminded = failed = 0
    with uow_factory() as uow:
        for account, debtor in uow.conversations.promises_past(today, limit):
            if account.promise_until is None or account.promise_until >= _local_today(now, debtor.time_zone):
                continue
            try:
                with uow.savepoint():
                    _follow_up_promise(uow, bot, account, debtor, now)
                broken += 1
            except Exception:  # kept for the next run; the others go on
                failed += 1
        uow.commit()
    with uow_factory() as uow:
        for due in uow.conversations.instalments_due(today + timedelta(days=REMIND_DAYS_BEFORE + 1), limit):
            local_today = _local_today(now, due.debtor.time_zone)
            if due.due_date > local_today + timedelta(days=REMIND_DAYS_BEFORE) or due.due_date < local_today:
                continue
            try:
                with uow.savepoint():
                    reminded += _remind_instalment(uow, bot, due, local_today, now)
            except Exception:  # kept for the next run; the others go on
                failed += 1
        uow.commit()
    with uow_factory() as uow:
        missed = uow.conversations.break_missed_plans(today - timedelta(days=MISSED_AFTER_DAYS), now)
        events = [
            _event(EventKind.PLAN_BROKEN, now, creditor_id, account_id, None, plan_id=plan_id)
            for plan_id, account_id, creditor_id in missed
        ]
        if events:
            uow.events.append_many(events)
        uow.commit()
    return JobsResult(broken, reminded, len(missed), failed)


def _follow_up_promise(
    uow: UnitOfWork, bot: Bot, account: AccountCard, debtor: DebtorCard, now: datetime
) -> None:
    """Marks the promise broken and sends the follow-up with a link for the balance."""
    assert account.promise_until is not None
    uow.conversations.mark_promise_broken(account.id, now)
    uow.events.append_many(
        [
            _event(
                EventKind.PROMISE_BROKEN, now, account.creditor_id, account.id, debtor.id,
                promise_until=account.promise_until.isoformat(),
            )
        ]
    )  # fmt: skip
    entry = bot.catalogue.get(("cobro_promise_followup", template_language(debtor.language)))
    currency = find_currency(account.currency)
    if entry is None or currency is None or account.outstanding_minor <= 0:
        return
    amount = Money.from_minor(account.outstanding_minor, currency)
    valid = timedelta(days=bot.policy_of(uow, account.creditor_id).reference_valid_days)
    issued = issue_reference(
        uow, creditor_id=account.creditor_id, account_id=account.id, amount=amount, purpose="balance",
        valid_until=now + valid, now=now,
    )  # fmt: skip
    values = TemplateValues(
        debtor_name=debtor.name, creditor_name=debtor.creditor_name, language=debtor.language,
        country=debtor.country, amount=amount, promise_date=account.promise_until,
        due_date=account.oldest_due_date, payment_link=issued.link(bot.public_url),
        invoice_reference=account.invoice_reference or account.reference,
    )  # fmt: skip
    key = f"promise-followup:{account.id}:{account.promise_until.isoformat()}"
    uow.outbox.add_prepared(
        [_template(key, entry, values, account.creditor_id, debtor.id, account.id, now)], now
    )


def _remind_instalment(
    uow: UnitOfWork, bot: Bot, due: InstalmentDue, local_today: date, now: datetime
) -> int:
    """The instalment's reminder with a link for what is left of it; none when the account owes nothing."""
    uow.conversations.mark_instalment_reminded(due.instalment_id, local_today)
    entry = bot.catalogue.get(("cobro_plan_instalment_reminder", template_language(due.debtor.language)))
    currency = find_currency(due.account.currency)
    left = min(due.amount_minor - due.paid_minor, due.account.outstanding_minor)
    if entry is None or currency is None or left <= 0:
        return 0
    amount = Money.from_minor(left, currency)
    issued = issue_reference(
        uow, creditor_id=due.account.creditor_id, account_id=due.account.id, amount=amount,
        purpose="instalment", valid_until=now + timedelta(days=REMIND_DAYS_BEFORE + MISSED_AFTER_DAYS + 1),
        now=now, plan_id=due.plan_id,
    )  # fmt: skip
    values = TemplateValues(
        debtor_name=due.debtor.name, creditor_name=due.debtor.creditor_name, language=due.debtor.language,
        country=due.debtor.country, amount=amount, due_date=due.due_date,
        payment_link=issued.link(bot.public_url),
        invoice_reference=due.account.invoice_reference or due.account.reference,
    )  # fmt: skip
    key = f"instalment:{due.instalment_id}"
    message = _template(key, entry, values, due.account.creditor_id, due.debtor.id, due.account.id, now)
    uow.outbox.add_prepared([message], now)
    return 1


def _local_today(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def _template(
    key: str,
    entry: TemplateEntry,
    values: TemplateValues,
    creditor_id: int,
    debtor_id: int,
    account_id: int,
    now: datetime,
) -> PreparedMessage:
    return PreparedMessage(
        idempotency_key=key,
        kind=MessageKind.COLLECTION,
        content=template_content(entry, values),
        due_at=now,
        window_until=None,
        mentions_debt=True,
        creditor_id=creditor_id,
        debtor_id=debtor_id,
        account_id=account_id,
    )


def _event(
    kind: EventKind, now: datetime, creditor_id: int, account_id: int, debtor_id: int | None, **data: object
) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        occurred_at=now,
        actor=ACTOR,
        creditor_id=creditor_id,
        account_id=account_id,
        debtor_id=debtor_id,
        data=dict(data),
    )
