"""Recording a payment the provider reported: the payments row, the invoices it pays, its reference and plan.

Everything happens in the caller's transaction. The payments table is unique on (creditor, source, provider's
payment id), so a notice delivered twice (or two deliveries racing) records one payment: the second finds the
row there and changes nothing. A notice for no reference Cobro issued, or in another currency than its
reference, records no payment but a payment.unmatched event: the provider holds the debtor's money, so a
person must see it and match or refund it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cobro.app.payment_ports import Instalment, InvoiceChange, NewPayment, OpenInvoice, StoredReference
from cobro.app.payment_references import is_valid_reference, normalize_reference
from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.errors import InvalidInput
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.money import Currency, Money
from cobro.domain.payments import PaymentNotice
from cobro.i18n.currencies import find_currency


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """A payment just recorded: who paid what against which reference, and what the account still owes.

    `payment_id` is Cobro's payments row; `external_id` the provider's id. `unapplied` is what was paid beyond
    everything the account owed (an overpayment a person refunds or keeps as credit)."""

    payment_id: int
    creditor_id: int
    account_id: int
    debtor_id: int
    amount: Money
    paid_at: datetime
    reference: str
    plan_id: int | None
    remaining: Money
    provider: str = ""
    external_id: str = ""
    method: str = "card"
    unapplied: Money | None = None
    reference_paid: bool = False
    plan_completed: bool = False
    invoice_references: tuple[str, ...] = ()  # the invoices the payment went to, oldest first


# Called after a payment is recorded, in the same transaction (uow, payment, now); what it returns is ignored.
# The bot's receipt hooks in here. It must only write through the unit of work (an outbox row, say), never
# call out: if it raises, the payment is rolled back with it and the provider delivers the notice again.
AfterRecord = Callable[[UnitOfWork, RecordedPayment, datetime], object]


def allocate(amount_minor: int, owed: Sequence[int]) -> list[int]:
    """How much of `amount_minor` goes to each debt in `owed`, in order, each at most what it owes."""
    left = amount_minor
    taken: list[int] = []
    for debt in owed:
        take = min(left, max(debt, 0))
        taken.append(take)
        left -= take
    return taken


def record_payment(uow: UnitOfWork, notice: PaymentNotice, now: datetime) -> RecordedPayment | None:
    """Records a provider's payment notice in the caller's transaction; None when nothing was recorded (the
    notice was recorded before, or it matches no reference of this currency: then a payment.unmatched event)."""
    reference_text = normalize_reference(notice.reference)
    found = uow.payments.lock_reference(reference_text) if is_valid_reference(reference_text) else None
    currency = find_currency(notice.amount.currency)
    if found is None:
        _unmatched(uow, notice, now, "unknown_reference", None)
        return None
    if currency is None or currency.code != found.currency:
        _unmatched(uow, notice, now, "currency", found)
        return None
    amount_minor = notice.amount.to_minor(currency)
    if amount_minor <= 0:
        raise InvalidInput("a payment is for an amount above zero")
    invoices = uow.payments.open_invoices(found.creditor_id, found.account_id, currency.code)
    taken = allocate(amount_minor, [invoice.outstanding_minor for invoice in invoices])
    touched = [(invoice, take) for invoice, take in zip(invoices, taken, strict=True) if take > 0]
    payment_id = uow.payments.add_payment(
        NewPayment(
            creditor_id=found.creditor_id,
            account_id=found.account_id,
            invoice_id=touched[0][0].id if touched else None,
            amount_minor=amount_minor,
            currency=currency.code,
            paid_at=notice.paid_at,
            source=notice.provider,
            external_id=notice.payment_id,
            created_at=now,
        )
    )
    if payment_id is None:
        return None  # a redelivery: recorded already, nothing changes
    changes = [
        InvoiceChange(invoice.id, invoice.outstanding_minor - take, invoice.outstanding_minor == take)
        for invoice, take in touched
    ]
    uow.payments.update_invoices(changes, notice.paid_at, now)
    applied = sum(taken)
    remaining_minor = sum(invoice.outstanding_minor for invoice in invoices) - applied
    paid_minor = found.paid_minor + amount_minor
    reference_paid = paid_minor >= found.amount_minor
    uow.payments.update_reference_payment(
        found.id,
        paid_minor,
        "paid" if reference_paid else found.status,
        notice.paid_at if reference_paid and found.status != "paid" else None,
        now,
    )
    plan_completed = False
    if found.plan_id is not None:
        plan_completed = _pay_plan(uow, found.plan_id, amount_minor, now)
    recorded = RecordedPayment(
        payment_id=payment_id,
        creditor_id=found.creditor_id,
        account_id=found.account_id,
        debtor_id=found.debtor_id,
        amount=Money.from_minor(amount_minor, currency),
        paid_at=notice.paid_at,
        reference=found.reference,
        plan_id=found.plan_id,
        remaining=Money.from_minor(remaining_minor, currency),
        provider=notice.provider,
        external_id=notice.payment_id,
        method=notice.method,
        unapplied=Money.from_minor(amount_minor - applied, currency),
        reference_paid=reference_paid,
        plan_completed=plan_completed,
        invoice_references=tuple(invoice.reference for invoice, _ in touched),
    )
    uow.events.append(_received_event(recorded, notice, currency, changes, touched, now))
    return recorded


def apply_payment_notice(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    notice: PaymentNotice,
    after_record: AfterRecord | None = None,
) -> RecordedPayment | None:
    """Records a notice in one transaction, with `after_record(uow, recorded, now)` (when given and something
    was recorded) inside it, and commits."""
    with uow_factory() as uow:
        now = clock.now()
        recorded = record_payment(uow, notice, now)
        if recorded is not None and after_record is not None:
            after_record(uow, recorded, now)
        uow.commit()
    return recorded


def _pay_plan(uow: UnitOfWork, plan_id: int, amount_minor: int, now: datetime) -> bool:
    """Applies the amount to the plan's unpaid instalments in number order; completes the plan when every
    instalment is paid. True when this payment completed it."""
    instalments = uow.payments.instalments(plan_id)
    unpaid = [i for i in instalments if i.status != "paid"]
    taken = allocate(amount_minor, [i.amount_minor - i.paid_minor for i in unpaid])
    changed: list[Instalment] = []
    for instalment, take in zip(unpaid, taken, strict=True):
        if take == 0:
            continue
        paid = instalment.paid_minor + take
        status = "paid" if paid >= instalment.amount_minor else instalment.status
        changed.append(Instalment(instalment.id, instalment.number, instalment.amount_minor, paid, status))
    uow.payments.update_instalments(changed)
    now_paid = {i.id for i in changed if i.status == "paid"}
    if instalments and all(i.status == "paid" or i.id in now_paid for i in instalments):
        return uow.payments.complete_plan(plan_id, now)
    return False


def _received_event(
    recorded: RecordedPayment,
    notice: PaymentNotice,
    currency: Currency,
    changes: Sequence[InvoiceChange],
    touched: Sequence[tuple[OpenInvoice, int]],
    now: datetime,
) -> AuditEvent:
    unapplied = recorded.unapplied or Money.from_minor(0, currency)
    return AuditEvent(
        kind=EventKind.PAYMENT_RECEIVED,
        occurred_at=now,
        actor=f"provider:{notice.provider}",
        creditor_id=recorded.creditor_id,
        account_id=recorded.account_id,
        debtor_id=recorded.debtor_id,
        data={
            "payment_id": recorded.payment_id,
            "reference": recorded.reference,
            "amount_minor": recorded.amount.to_minor(currency),
            "currency": currency.code,
            "provider": notice.provider,
            "provider_payment_id": notice.payment_id,
            "checkout_id": notice.checkout_id,
            "method": notice.method,
            "paid_at": notice.paid_at.isoformat(),
            "remaining_minor": recorded.remaining.to_minor(currency),
            "unapplied_minor": unapplied.to_minor(currency),
            "invoices": [
                {"invoice_id": invoice.id, "applied_minor": take, "paid": change.paid}
                for change, (invoice, take) in zip(changes, touched, strict=True)
            ],
            "reference_paid": recorded.reference_paid,
            "plan_id": recorded.plan_id,
            "plan_completed": recorded.plan_completed,
        },
    )


def _unmatched(
    uow: UnitOfWork, notice: PaymentNotice, now: datetime, reason: str, found: StoredReference | None
) -> None:
    """A payment.unmatched event for a person to match by hand, once per provider payment."""
    if uow.payments.unmatched_notice_seen(notice.provider, notice.payment_id):
        return
    uow.events.append(
        AuditEvent(
            kind=EventKind.PAYMENT_UNMATCHED,
            occurred_at=now,
            actor=f"provider:{notice.provider}",
            creditor_id=found.creditor_id if found else None,
            account_id=found.account_id if found else None,
            debtor_id=found.debtor_id if found else None,
            data={
                "reason": reason,
                "reference": notice.reference,
                "reference_currency": found.currency if found else None,
                "amount": str(notice.amount.amount),
                "currency": notice.amount.currency,
                "provider": notice.provider,
                "payment_id": notice.payment_id,
                "checkout_id": notice.checkout_id,
                "method": notice.method,
                "paid_at": notice.paid_at.isoformat(),
            },
        )
    )
