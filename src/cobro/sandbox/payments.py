"""The sandbox's payment provider: checkouts for a reference, a page to pay all or part, signed payment webhooks.

A stand-in for a card/cash payment provider, in the shape of Stripe's Checkout and webhooks:

- `POST /sandbox/payments/v1/checkouts` {reference, amount_minor, currency, description, allow_partial,
  expires_at, locale} answers {id, url} (201; the same reference again answers its existing checkout, 200).
- `GET /sandbox/payments/v1/checkouts/{id}`: the checkout as JSON; `GET /sandbox/payments/v1/payments`
  (`?reference=`, `?checkout_id=`): every payment made, with its webhook's delivery state.
- `GET /sandbox/pay/{id}`: the checkout page (the description, the amount due, "pay everything", "pay part"
  when allowed, card or cash); `POST /sandbox/pay/{id}` pays, shows a confirmation and sends the webhook.

Each payment posts `{"id": "evt_…", "type": "payment.succeeded", "created": unix, "data": {"payment_id",
"checkout_id", "reference", "amount_minor", "currency", "paid_at", "method"}}` to `payments_webhook_url`,
signed `Cobro-Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A POST without a 2xx
is sent again after each of `payments_webhook_retry_delays`, same body, signed afresh (the receiver refuses
timestamps older than five minutes). No API key is asked for: the sandbox runs on a developer's machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import msgspec
from babel.core import UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies
from jinja2 import Environment, PackageLoader
from litestar import MediaType, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter

from cobro.sandbox.phone_page import STATIC_PATH
from cobro.sandbox.settings import SandboxSettings

SIGNATURE_HEADER = "Cobro-Sandbox-Signature"
CHECKOUTS_PATH = "/sandbox/payments/v1/checkouts"
PAYMENTS_PATH = "/sandbox/payments/v1/payments"
PAGE_PATH = "/sandbox/pay"
METHODS = {"card": "Card", "cash": "Cash at a shop"}

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
_templates = Environment(loader=PackageLoader("cobro.sandbox", "web/templates"), autoescape=True)
_CSS = Path(__file__).parent / "web" / "static" / "checkout.css"
_CSS_VERSION = hashlib.sha256(_CSS.read_bytes()).hexdigest()[:10]
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_CURRENCY = re.compile(r"[A-Z]{3}")


class CheckoutInvalid(Exception):
    """A checkout request the sandbox refuses (400): what is wrong, and with which field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class PaymentRefused(Exception):
    """A payment the checkout page refuses, with the HTTP status and the sentence the page shows."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class SandboxCheckout:
    """One checkout: what is due against a reference, until when, and what has been paid."""

    id: str
    reference: str
    amount_minor: int
    currency: str
    description: str
    allow_partial: bool
    expires_at: datetime
    locale: str
    created: int
    paid_minor: int = 0

    def due(self) -> int:
        """What is still to pay."""
        return max(self.amount_minor - self.paid_minor, 0)

    def expired(self, now: datetime) -> bool:
        """Whether the checkout no longer takes payments."""
        return now >= self.expires_at

    def to_json(self, base_url: str) -> dict[str, Any]:
        """The checkout as the API shows it."""
        return {
            "id": self.id,
            "url": f"{base_url}{PAGE_PATH}/{self.id}",
            "reference": self.reference,
            "amount_minor": self.amount_minor,
            "paid_minor": self.paid_minor,
            "currency": self.currency,
            "description": self.description,
            "allow_partial": self.allow_partial,
            "expires_at": _iso(self.expires_at),
            "locale": self.locale,
            "created": self.created,
        }


@dataclass(slots=True)
class SandboxPayment:
    """One payment made on a checkout page, and how its webhook fared."""

    id: str
    event_id: str
    checkout_id: str
    reference: str
    amount_minor: int
    currency: str
    paid_at: datetime
    method: str
    created: int
    webhook: str = "pending"  # pending, delivered, failed, no_url
    attempts: int = 0

    def event(self) -> dict[str, Any]:
        """The webhook body."""
        return {
            "id": self.event_id,
            "type": "payment.succeeded",
            "created": self.created,
            "data": {
                "payment_id": self.id,
                "checkout_id": self.checkout_id,
                "reference": self.reference,
                "amount_minor": self.amount_minor,
                "currency": self.currency,
                "paid_at": _iso(self.paid_at),
                "method": self.method,
            },
        }

    def to_json(self) -> dict[str, Any]:
        """The payment as GET /sandbox/payments/v1/payments lists it."""
        return {
            **self.event()["data"],
            "event_id": self.event_id,
            "webhook": self.webhook,
            "attempts": self.attempts,
        }


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Cobro-Sandbox-Signature header for this body at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass
class PaymentsDesk:
    """The sandbox's payment provider state: checkouts by id and by reference, payments, webhooks in flight."""

    settings: Callable[[], SandboxSettings]
    transport: httpx.AsyncBaseTransport | None = None
    checkouts: dict[str, SandboxCheckout] = field(default_factory=dict)
    by_reference: dict[str, str] = field(default_factory=dict)
    payments: list[SandboxPayment] = field(default_factory=list)
    by_token: dict[str, str] = field(default_factory=dict)  # a page's form token -> the payment it made
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    def create(self, payload: dict[str, Any], now: datetime) -> tuple[SandboxCheckout, bool]:
        """The checkout for the payload's reference: the existing one, or a new one (True)."""
        reference = _text(payload, "reference", 64)
        existing = self.by_reference.get(reference)
        if existing is not None:
            return self.checkouts[existing], False
        amount = payload.get("amount_minor")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise CheckoutInvalid("amount_minor must be a whole number above zero", "amount_minor")
        currency = payload.get("currency")
        if (
            not isinstance(currency, str)
            or not _CURRENCY.fullmatch(currency)
            or currency not in _currencies()
        ):
            raise CheckoutInvalid("currency must be an ISO 4217 code", "currency")
        allow_partial = payload.get("allow_partial", False)
        if not isinstance(allow_partial, bool):
            raise CheckoutInvalid("allow_partial must be true or false", "allow_partial")
        expires_at = _aware(_text(payload, "expires_at", 64))
        if expires_at <= now:
            raise CheckoutInvalid("expires_at must be in the future", "expires_at")
        checkout = SandboxCheckout(
            id="chk_" + secrets.token_hex(12),
            reference=reference,
            amount_minor=amount,
            currency=currency,
            description=_text(payload, "description", 200),
            allow_partial=allow_partial,
            expires_at=expires_at,
            locale=_text(payload, "locale", 16) if "locale" in payload else "es",
            created=int(now.timestamp()),
        )
        self.checkouts[checkout.id] = checkout
        self.by_reference[reference] = checkout.id
        return checkout, True

    def pay(
        self, checkout: SandboxCheckout, form: dict[str, str], now: datetime
    ) -> tuple[SandboxPayment, bool]:
        """Takes the page's form: pays everything due or the part typed, by card or cash; the payment and
        whether it is new (a form sent twice pays once). Raises PaymentRefused."""
        token = form.get("token", "")
        if token and token in self.by_token:
            made = next(p for p in self.payments if p.id == self.by_token[token])
            if made.checkout_id == checkout.id:
                return made, False
        if checkout.expired(now):
            raise PaymentRefused(410, "This checkout has expired; ask for a new payment link.")
        due = checkout.due()
        if due == 0:
            raise PaymentRefused(409, "Nothing is left to pay on this checkout.")
        method = form.get("method", "")
        if method not in METHODS:
            raise PaymentRefused(400, "Choose card or cash.")
        choice = form.get("choice", "all")
        if choice == "all":
            amount = due
        elif choice == "part":
            if not checkout.allow_partial:
                raise PaymentRefused(400, "This checkout must be paid in full.")
            parsed = parse_amount(form.get("amount", ""), _precision(checkout.currency))
            if parsed is None or parsed <= 0:
                raise PaymentRefused(400, "Type the amount to pay, for example 50 or 50.25.")
            if parsed > due:
                raise PaymentRefused(400, "That is more than is due.")
            amount = parsed
        else:
            raise PaymentRefused(400, "Choose to pay everything or a part.")
        checkout.paid_minor += amount
        payment = SandboxPayment(
            id="pay_" + secrets.token_hex(12),
            event_id="evt_" + secrets.token_hex(12),
            checkout_id=checkout.id,
            reference=checkout.reference,
            amount_minor=amount,
            currency=checkout.currency,
            paid_at=now.replace(microsecond=0),
            method=method,
            created=int(now.timestamp()),
        )
        self.payments.append(payment)
        if token:
            self.by_token[token] = payment.id
        self._send(payment)
        return payment, True

    # webhooks

    def _send(self, payment: SandboxPayment) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(payment))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=self.settings().webhook_timeout,
                headers={"User-Agent": "cobro-sandbox-payments"},
            )
        return self._client

    async def _deliver(self, payment: SandboxPayment) -> None:
        """POSTs the event until a 2xx, once per retry delay; each attempt signed with its own timestamp."""
        body = _encode(payment.event())
        attempt = 0
        while True:
            settings = self.settings()
            url = settings.payments_webhook_url
            if not url:
                payment.webhook = "no_url"
                return
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(settings.payments_webhook_secret, body, int(time.time())),
            }
            payment.attempts += 1
            try:
                response = await self._http().post(url, content=body, headers=headers)
                ok = 200 <= response.status_code < 300
            except httpx.HTTPError:
                ok = False
            if ok:
                payment.webhook = "delivered"
                return
            delays = settings.payments_webhook_retry_delays
            if attempt >= len(delays):
                payment.webhook = "failed"
                return
            await asyncio.sleep(delays[attempt])
            attempt += 1

    async def aclose(self) -> None:
        """Cancels webhooks in flight and closes the client."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def parse_amount(text: str, precision: int) -> int | None:
    """'150', '150.5', '150,50' -> minor units for a currency with `precision` decimals; None if unreadable."""
    typed = text.strip().replace(" ", "")
    decimals = rf"(?:[.,][0-9]{{1,{precision}}})?" if precision else ""
    if not re.fullmatch(rf"[0-9]{{1,12}}{decimals}", typed):
        return None
    return int(Decimal(typed.replace(",", ".")).scaleb(precision))


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _precision(currency: str) -> int:
    return int(get_currency_precision(currency))


def _money(minor: int, currency: str, locale: str) -> str:
    amount = Decimal(minor).scaleb(-_precision(currency))
    try:
        return str(format_currency(amount, currency, locale=locale.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return str(format_currency(amount, currency, locale="en"))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(payload: dict[str, Any], key: str, longest: int) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > longest or "\x00" in value:
        raise CheckoutInvalid(f"{key} must be a string of 1 to {longest} characters", key)
    return value.strip()


def _aware(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise CheckoutInvalid("expires_at must be an ISO-8601 time", "expires_at") from None
    if at.tzinfo is None:
        raise CheckoutInvalid("expires_at must carry a time zone", "expires_at")
    return at.astimezone(UTC)


def _json(content: Any, status_code: int = 200) -> Response[bytes]:
    return Response(_encode(content), status_code=status_code, media_type=MediaType.JSON)


def _page(template: str, status_code: int = 200, **context: Any) -> Response[str]:
    body = _templates.get_template(template).render(
        css=f"{STATIC_PATH}/checkout.css?v={_CSS_VERSION}", methods=METHODS, **context
    )
    return Response(body, media_type=MediaType.HTML, status_code=status_code, headers=_HEADERS)


def _checkout_page(
    checkout: SandboxCheckout, now: datetime, status_code: int = 200, error: str | None = None
) -> Response[str]:
    """The page for a checkout as it stands: the form, or why it takes no payment."""
    money = _money(checkout.due(), checkout.currency, checkout.locale)
    if checkout.due() == 0:
        return _page("checkout_message.html", status_code, title="Paid", message="Nothing is left to pay.")
    if checkout.expired(now):
        return _page(
            "checkout_message.html",
            410 if status_code == 200 else status_code,
            title="Expired",
            message="This checkout has expired; ask for a new payment link.",
        )
    precision = _precision(checkout.currency)
    return _page(
        "checkout.html",
        status_code,
        checkout=checkout,
        due=money,
        total=_money(checkout.amount_minor, checkout.currency, checkout.locale),
        partly_paid=checkout.paid_minor > 0,
        example="50" if precision == 0 else "50." + "0" * precision,
        token=secrets.token_urlsafe(16),
        error=error,
    )


def payment_routes(desk: PaymentsDesk) -> list[HTTPRouteHandler]:
    """The payment provider's API and checkout page, bound to one desk."""

    def base_url() -> str:
        return desk.settings().base_url()

    @post(CHECKOUTS_PATH, status_code=201)
    async def create_checkout(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Creates the checkout for a reference, or answers the existing one (200)."""
        try:
            payload = _decode(await request.body())
        except msgspec.DecodeError:
            return _json({"error": {"message": "the body is not JSON", "param": None}}, 400)
        if not isinstance(payload, dict):
            return _json({"error": {"message": "the body must be a JSON object", "param": None}}, 400)
        try:
            checkout, created = desk.create(payload, datetime.now(UTC))
        except CheckoutInvalid as exc:
            return _json({"error": {"message": exc.message, "param": exc.param}}, 400)
        return _json(
            {"id": checkout.id, "url": f"{base_url()}{PAGE_PATH}/{checkout.id}"}, 201 if created else 200
        )

    @get(CHECKOUTS_PATH + "/{checkout_id:str}")
    async def show_checkout(checkout_id: str = PathParameter()) -> Response[bytes]:
        """One checkout as JSON."""
        checkout = desk.checkouts.get(checkout_id)
        if checkout is None:
            return _json({"error": {"message": "no such checkout", "param": "id"}}, 404)
        return _json(checkout.to_json(base_url()))

    @get(PAYMENTS_PATH)
    async def list_payments(
        reference: str | None = QueryParameter(default=None),
        checkout_id: str | None = QueryParameter(default=None),
    ) -> Response[bytes]:
        """Every payment made, oldest first, optionally for one reference or checkout."""
        found = [
            p.to_json()
            for p in desk.payments
            if (reference is None or p.reference == reference)
            and (checkout_id is None or p.checkout_id == checkout_id)
        ]
        return _json({"payments": found})

    @get(PAGE_PATH + "/{checkout_id:str}", include_in_schema=False)
    async def checkout_page(checkout_id: str = PathParameter()) -> Response[str]:
        """The checkout page."""
        checkout = desk.checkouts.get(checkout_id)
        if checkout is None:
            return _page(
                "checkout_message.html", 404, title="Not found", message="There is no such checkout."
            )
        return _checkout_page(checkout, datetime.now(UTC))

    @post(PAGE_PATH + "/{checkout_id:str}", include_in_schema=False, status_code=200)
    async def pay(request: Request[Any, Any, Any], checkout_id: str = PathParameter()) -> Response[str]:
        """Pays from the page's form and shows the confirmation; the webhook goes out meanwhile."""
        checkout = desk.checkouts.get(checkout_id)
        if checkout is None:
            return _page(
                "checkout_message.html", 404, title="Not found", message="There is no such checkout."
            )
        form = {key: str(value) for key, value in (await request.form()).items()}
        now = datetime.now(UTC)
        try:
            payment, _ = desk.pay(checkout, form, now)
        except PaymentRefused as exc:
            return _checkout_page(checkout, now, exc.status, exc.message)
        return _page(
            "checkout_done.html",
            checkout=checkout,
            payment=payment,
            paid=_money(payment.amount_minor, payment.currency, checkout.locale),
            due=_money(checkout.due(), checkout.currency, checkout.locale),
            method=METHODS[payment.method],
        )

    return [create_checkout, show_checkout, list_payments, checkout_page, pay]
