"""The sandbox's payment provider behind the PaymentProvider port: checkouts over HTTP (httpx).

`POST {base_url}/sandbox/payments/v1/checkouts` with {reference, amount_minor, currency, description,
allow_partial, expires_at, locale} answers {id, url}; the same reference twice answers the same checkout,
so a retry after a lost answer creates nothing new. A real provider would be another class with the same
method; its webhooks would get their own verifier beside webhook.py.
"""

from __future__ import annotations

from datetime import UTC

import httpx

from cobro.app.payment_ports import PaymentProviderError
from cobro.domain.payments import Checkout, CheckoutRequest
from cobro.i18n.currencies import find_currency

CHECKOUTS_PATH = "/sandbox/payments/v1/checkouts"
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=3.0)


class SandboxPaymentProvider:
    """Creates checkouts on the sandbox at `base_url` through `http` (a client the caller owns and closes)."""

    def __init__(self, base_url: str, http: httpx.Client, name: str = "sandbox") -> None:
        self.name = name
        self._url = base_url.rstrip("/") + CHECKOUTS_PATH
        self._http = http

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """The checkout for `request.reference`; PaymentProviderError when the sandbox cannot give one."""
        currency = find_currency(request.amount.currency)
        if currency is None:
            raise PaymentProviderError("the amount's currency is not an ISO 4217 code")
        payload = {
            "reference": request.reference,
            "amount_minor": request.amount.to_minor(currency),
            "currency": currency.code,
            "description": request.description,
            "allow_partial": request.allow_partial,
            "expires_at": request.expires_at.astimezone(UTC).isoformat(),
            "locale": request.locale,
        }
        try:
            response = self._http.post(self._url, json=payload)
        except httpx.HTTPError as exc:
            raise PaymentProviderError(f"payment provider unreachable: {type(exc).__name__}") from exc
        if response.status_code not in (200, 201):
            raise PaymentProviderError(f"payment provider answered {response.status_code}")
        try:
            answer = response.json()
            checkout_id, url = answer["id"], answer["url"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentProviderError("payment provider answered something unreadable") from exc
        if (
            not isinstance(checkout_id, str)
            or not isinstance(url, str)
            or not url.startswith(("http://", "https://"))
        ):
            raise PaymentProviderError("payment provider answered something unreadable")
        return Checkout(provider=self.name, checkout_id=checkout_id, url=url)
