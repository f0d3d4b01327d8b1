"""Payment webhooks from the provider: the signature check and the body read into a PaymentNotice.

The signature is Stripe's scheme under the sandbox's name: header `Cobro-Sandbox-Signature: t=<unix>,v1=<hex>`
where the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Signing the timestamp with the body lets Cobro refuse
a signed body replayed later: a timestamp more than five minutes from Cobro's clock is refused, so the
provider signs each delivery attempt afresh. Several `v1` entries are allowed (a secret being rotated).

Body: {"id": "evt_…", "type": "payment.succeeded", "created": unix, "data": {"payment_id": "pay_…",
"checkout_id", "reference", "amount_minor", "currency", "paid_at" (ISO-8601 with a zone), "method"}}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any, TypeGuard

from cobro.domain.errors import InvalidInput
from cobro.domain.money import Money
from cobro.domain.payments import PaymentNotice
from cobro.i18n.currencies import find_currency

SIGNATURE_HEADER = "Cobro-Sandbox-Signature"
TOLERANCE_SECONDS = 300
SUCCEEDED = "payment.succeeded"
_MAX_AMOUNT_MINOR = 10**15  # BIGINT holds far more; no single payment is larger


class MalformedPaymentWebhook(InvalidInput):
    """A signed body that is not a payment event Cobro can read; answered with 400."""


def sign(raw_body: bytes, secret: str, timestamp: int) -> str:
    """The header value for this body signed at `timestamp` (the sandbox and tests sign this way)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, raw_body)}"


def verify_signature(
    raw_body: bytes, header: str | None, secret: str, now: datetime, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when `header` carries a `v1` HMAC of "<t>.<raw body>" under `secret` (compared in constant time)
    and its `t` is within `tolerance` seconds of `now` (either way: a stale replay or a forged future)."""
    if not header or not secret:
        return False
    timestamp: int | None = None
    given: list[bytes] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            given.append(value.strip().lower().encode("ascii", "replace"))
    if timestamp is None or not given or abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, raw_body).encode("ascii")
    matches = [hmac.compare_digest(expected, candidate) for candidate in given]  # every one, constant time
    return any(matches)


def _mac(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def parse_payment_webhook(raw_body: bytes, provider: str = "sandbox") -> PaymentNotice | None:
    """The payment a `payment.succeeded` event reports; None for a well-formed event of another type (Cobro
    acts on none yet); raises MalformedPaymentWebhook for anything else."""
    try:
        event = json.loads(raw_body)
    except RecursionError as exc:
        raise MalformedPaymentWebhook("body is nested too deeply") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPaymentWebhook("body is not JSON") from exc
    if not isinstance(event, dict):
        raise MalformedPaymentWebhook("body is not a JSON object")
    _text(event, "id", 200)
    kind = _text(event, "type", 100)
    created = event.get("created")
    if not _is_int(created):
        raise MalformedPaymentWebhook("created must be a unix timestamp")
    if kind != SUCCEEDED:
        return None
    data = event.get("data")
    if not isinstance(data, dict):
        raise MalformedPaymentWebhook("data must be an object")
    amount_minor = data.get("amount_minor")
    if not _is_int(amount_minor) or not 0 < amount_minor <= _MAX_AMOUNT_MINOR:
        raise MalformedPaymentWebhook("amount_minor must be a whole number above zero")
    currency = find_currency(_text(data, "currency", 3))
    if currency is None:
        raise MalformedPaymentWebhook("currency is not an ISO 4217 code")
    checkout_id = data.get("checkout_id")
    if checkout_id is not None:
        checkout_id = _text(data, "checkout_id", 128)
    return PaymentNotice(
        provider=provider,
        payment_id=_text(data, "payment_id", 200),
        reference=_text(data, "reference", 64),
        amount=Money.from_minor(amount_minor, currency),
        paid_at=_utc(_text(data, "paid_at", 64)),
        method=_text(data, "method", 32),
        checkout_id=checkout_id,
    )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(data: dict[str, Any], key: str, longest: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedPaymentWebhook(f"{key} must be a non-empty string")
    if len(value) > longest or "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise MalformedPaymentWebhook(f"{key} is too long or has a NUL")
    return value.strip()


def _utc(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedPaymentWebhook("paid_at is not an ISO-8601 time") from None
    if at.tzinfo is None:
        raise MalformedPaymentWebhook("paid_at must carry a time zone")
    return at.astimezone(UTC)
