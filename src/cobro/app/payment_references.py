"""Payment references: a number a debtor can pay against (at a shop counter, or behind a link), and its link.

A reference is 12 random digits (the first never 0) and two ISO 7064 mod 97-10 check digits (python-stdnum),
14 digits shown in groups of four: "4821 0937 5512 36". The check digits catch every single mistyped digit and
every swap of two neighbours (decision 0037). Each reference belongs to one account, one amount and a
validity date; issuing one only stores it. The provider's checkout is created when the debtor opens the link
(`open_payment_link`), so issuing never calls the provider.
"""

from __future__ import annotations

import enum
import random
import re
from dataclasses import dataclass
from datetime import datetime

from stdnum.iso7064 import mod_97_10

from cobro.app.payment_ports import NewReference, PaymentProvider
from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.errors import CobroError, InvalidInput, NotFound
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.money import Money
from cobro.domain.payments import CheckoutRequest
from cobro.i18n.currencies import find_currency
from cobro.i18n.formatting import debtor_locale

BODY_DIGITS = 12
REFERENCE_DIGITS = BODY_DIGITS + 2
PURPOSES = frozenset({"balance", "instalment", "down_payment"})
ACTOR = "payments"
_ISSUE_ATTEMPTS = 8  # 9·10^11 possible bodies: a second collision in a row means something else is wrong
_SEPARATORS = re.compile(r"[\s\-]+")
_DIGITS = re.compile(rf"[1-9][0-9]{{{REFERENCE_DIGITS - 1}}}", re.ASCII)
_SYSTEM_RANDOM = random.SystemRandom()


def normalize_reference(text: str) -> str:
    """The reference without the spaces and dashes people type or copy with it."""
    return _SEPARATORS.sub("", text)


def is_valid_reference(text: str) -> bool:
    """Whether `text` (spaces and dashes allowed anywhere) is a reference Cobro could have issued: 14 ASCII
    digits, not starting with 0, with matching check digits."""
    number = normalize_reference(text)
    return _DIGITS.fullmatch(number) is not None and mod_97_10.is_valid(number)


def format_reference(reference: str) -> str:
    """The reference in groups of four digits, as printed for a shop counter: '4821 0937 5512 36'."""
    number = normalize_reference(reference)
    if not is_valid_reference(number):
        raise InvalidInput("not a payment reference")  # never echo the text: it may be anything
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def new_reference(rng: random.Random = _SYSTEM_RANDOM) -> str:
    """A fresh reference from `rng` (the system's CSPRNG by default, so references cannot be guessed from
    one another); unique only once stored, which `issue_reference` retries for."""
    body = str(rng.randrange(10 ** (BODY_DIGITS - 1), 10**BODY_DIGITS))
    return body + mod_97_10.calc_check_digits(body)


@dataclass(frozen=True, slots=True)
class IssuedReference:
    """A reference just stored: its row id, the 14 digits, the amount it is for and until when it is valid."""

    id: int
    reference: str
    amount: Money
    valid_until: datetime
    creditor_id: int
    account_id: int
    purpose: str
    plan_id: int | None = None
    allow_partial: bool = True

    @property
    def formatted(self) -> str:
        """The reference in groups of four digits."""
        return format_reference(self.reference)

    def link(self, public_url: str) -> str:
        """The payment link the debtor opens: <public_url>/pay/<reference>."""
        return f"{public_url.rstrip('/')}/pay/{self.reference}"


def issue_reference(
    uow: UnitOfWork,
    *,
    creditor_id: int,
    account_id: int,
    amount: Money,
    purpose: str,
    valid_until: datetime,
    now: datetime,
    plan_id: int | None = None,
    allow_partial: bool = True,
    rng: random.Random = _SYSTEM_RANDOM,
    actor: str = ACTOR,
) -> IssuedReference:
    """Stores a new open reference for `amount` on one account, valid until `valid_until`, and appends a
    payment_reference.issued event; in the caller's transaction (nothing is committed here)."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"purpose must be one of {', '.join(sorted(PURPOSES))}")
    if valid_until.tzinfo is None or now.tzinfo is None:
        raise InvalidInput("valid_until and now must be aware datetimes")
    if valid_until <= now:
        raise InvalidInput("a reference must be valid until a time after now")
    currency = find_currency(amount.currency)
    if currency is None:
        raise InvalidInput("the amount's currency is not an ISO 4217 currency")
    try:
        amount_minor = amount.to_minor(currency)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if amount_minor <= 0:
        raise InvalidInput("a reference is for an amount above zero")
    account = uow.payments.payable_account(creditor_id, account_id)
    if account is None:
        raise NotFound(f"account {account_id} of creditor {creditor_id}")
    if account.currency != currency.code:
        raise InvalidInput(f"the account is in {account.currency}, not {currency.code}")
    if plan_id is not None and not uow.payments.plan_of_account(plan_id, creditor_id, account_id):
        raise NotFound(f"payment plan {plan_id} of account {account_id}")
    for _ in range(_ISSUE_ATTEMPTS):
        reference = new_reference(rng)
        reference_id = uow.payments.add_reference(
            NewReference(
                reference=reference,
                creditor_id=creditor_id,
                account_id=account_id,
                amount_minor=amount_minor,
                currency=currency.code,
                allow_partial=allow_partial,
                purpose=purpose,
                plan_id=plan_id,
                valid_until=valid_until,
                created_at=now,
            )
        )
        if reference_id is not None:
            break
    else:
        raise CobroError(f"no free payment reference after {_ISSUE_ATTEMPTS} attempts")
    uow.events.append(
        AuditEvent(
            kind=EventKind.PAYMENT_REFERENCE_ISSUED,
            occurred_at=now,
            actor=actor,
            creditor_id=creditor_id,
            account_id=account_id,
            debtor_id=account.debtor_id,
            data={
                "reference_id": reference_id,
                "reference": reference,
                "amount_minor": amount_minor,
                "currency": currency.code,
                "valid_until": valid_until.isoformat(),
                "purpose": purpose,
                "plan_id": plan_id,
                "allow_partial": allow_partial,
            },
        )
    )
    return IssuedReference(
        id=reference_id,
        reference=reference,
        amount=Money.from_minor(amount_minor, currency),
        valid_until=valid_until,
        creditor_id=creditor_id,
        account_id=account_id,
        purpose=purpose,
        plan_id=plan_id,
        allow_partial=allow_partial,
    )


class LinkState(enum.StrEnum):
    """What opening a payment link leads to."""

    CHECKOUT = "checkout"  # the provider's checkout page, at `url`
    PAID = "paid"
    EXPIRED = "expired"  # past its validity date, or cancelled
    UNKNOWN = "unknown"  # no such reference (nothing about any debt may be shown)


@dataclass(frozen=True, slots=True)
class PaymentLink:
    """Where a payment link leads: the checkout URL, or why there is none."""

    state: LinkState
    url: str | None = None


def open_payment_link(
    uow_factory: UnitOfWorkFactory, clock: Clock, provider: PaymentProvider, text: str
) -> PaymentLink:
    """The debtor opened <public_url>/pay/<reference>: for an open, valid reference, the provider's checkout
    (created now on the first visit, for what is still due, and stored on the reference; later visits reuse
    it), else why not. The provider is called outside any transaction; PaymentProviderError passes through."""
    if not is_valid_reference(text):
        return PaymentLink(LinkState.UNKNOWN)
    reference = normalize_reference(text)
    now = clock.now()
    with uow_factory() as uow:
        found = uow.payments.find_reference(reference)
    if found is None:
        return PaymentLink(LinkState.UNKNOWN)
    if found.status == "paid" or found.paid_minor >= found.amount_minor:
        return PaymentLink(LinkState.PAID)
    if found.status != "open" or found.valid_until <= now:
        return PaymentLink(LinkState.EXPIRED)
    if found.checkout_url is not None:
        return PaymentLink(LinkState.CHECKOUT, found.checkout_url)
    currency = find_currency(found.currency)
    if currency is None:  # stored by issue_reference, which refuses unknown currencies
        raise CobroError("a stored reference has an unknown currency")
    checkout = provider.create_checkout(
        CheckoutRequest(
            reference=reference,
            amount=Money.from_minor(found.amount_minor - found.paid_minor, currency),
            description=f"{found.creditor_name} · {found.account_reference}",
            allow_partial=found.allow_partial,
            expires_at=found.valid_until,
            locale=debtor_locale(found.language, found.country),
        )
    )
    with uow_factory() as uow:
        url = uow.payments.attach_checkout(found.id, checkout, now)
        uow.commit()
    return PaymentLink(LinkState.CHECKOUT, url)
