"""Payments on the web: the provider's signed payment webhook, and the payment link a debtor opens.

`POST /webhooks/payments` checks the signature on the raw bytes (missing 401, wrong or stale 403), reads the
event (400 when malformed), then records the payment in one transaction and answers 200, also for a notice
recorded before. A notice for a reference Cobro never issued is answered 200 as well, and only a
payment.unmatched audit event is recorded: the provider holds the debtor's money, so a person must see it and
match or refund it, and an error answer would only make the provider retry and then give up. No CSRF token:
the HMAC is the check.

`GET /pay/{reference}` sends the debtor to the provider's checkout (303), created on the first visit and
reused after; a paid reference shows "already paid", an expired one "expired", an unknown one a 404 page that
says nothing about any debt. Log lines carry masked references and never amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpx
import structlog
from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import PathParameter
from litestar.response import Redirect, Response

from cobro.adapters.payments import (
    SIGNATURE_HEADER,
    MalformedPaymentWebhook,
    SandboxPaymentProvider,
    parse_payment_webhook,
    verify_signature,
)
from cobro.adapters.payments.sandbox_provider import DEFAULT_TIMEOUT
from cobro.app.payment_ports import PaymentProvider, PaymentProviderError
from cobro.app.payment_references import LinkState, open_payment_link
from cobro.app.record_payments import AfterRecord, apply_payment_notice
from cobro.bootstrap import Container
from cobro.domain.masking import mask_value

WEBHOOK_PATH = "/webhooks/payments"
_log = structlog.get_logger(__name__)
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_PAGES = {
    LinkState.PAID: (
        200,
        "Pagado · Paid",
        "Esta referencia ya está pagada. Gracias.",
        "This reference is already paid. Thank you.",
    ),
    LinkState.EXPIRED: (
        410,
        "Vencida · Expired",
        "Esta referencia de pago ya no es válida. Pida una nueva por WhatsApp.",
        "This payment reference is no longer valid. Ask for a new one on WhatsApp.",
    ),
    LinkState.UNKNOWN: (
        404,
        "No encontrada · Not found",
        "No existe ninguna referencia de pago con este número.",
        "There is no payment reference with this number.",
    ),
}
_UNAVAILABLE = (
    503,
    "No disponible · Unavailable",
    "El pago no está disponible en este momento. Inténtelo de nuevo en unos minutos.",
    "Payment is not available right now. Please try again in a few minutes.",
)


@dataclass
class Payments:
    """What the payment routes need: the provider behind /pay links, the hook run after a payment is
    recorded (in its transaction), and the HTTP client this object made and closes (None when given one)."""

    provider: PaymentProvider
    after_record: AfterRecord | None = None
    owned_http: httpx.Client | None = None

    @classmethod
    def for_container(cls, container: Container) -> Payments:
        """The container's provider, else the sandbox's at COBRO_PAYMENT_PROVIDER_URL; its after-payment hook."""
        if container.payment_provider is not None:
            return cls(container.payment_provider, container.after_payment)
        http = httpx.Client(timeout=DEFAULT_TIMEOUT)
        provider = SandboxPaymentProvider(container.settings.payment_provider_url, http)
        return cls(provider, container.after_payment, http)

    def close(self) -> None:
        """Closes the HTTP client made here."""
        if self.owned_http is not None:
            self.owned_http.close()


@post(WEBHOOK_PATH, media_type=MediaType.JSON, status_code=200, opt={"exclude_from_csrf": True})
async def receive_payment_webhook(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
    """Checks the signature on the raw body, reads the event, records the payment in one transaction.

    200 also for a duplicate and for an unknown reference (recorded as a payment.unmatched audit event only:
    the provider has the money, a person must see it)."""
    container: Container = state.container
    payments: Payments = state.payments
    body = await request.body()
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None:
        return Response({"error": f"missing {SIGNATURE_HEADER}"}, status_code=401)
    secret = container.settings.payment_webhook_secret.get_secret_value()
    if not verify_signature(body, header, secret, container.clock.now()):
        _log.warning("payment_webhook_signature_refused", bytes=len(body))
        return Response({"error": "signature does not match or is too old"}, status_code=403)
    try:
        notice = parse_payment_webhook(body, provider=payments.provider.name)
    except MalformedPaymentWebhook as exc:
        _log.warning("payment_webhook_malformed", reason=str(exc)[:200])
        return Response({"error": str(exc)[:200]}, status_code=400)
    if notice is None:
        return Response({"status": "ignored"})
    recorded = await anyio.to_thread.run_sync(
        apply_payment_notice, container.uow_factory, container.clock, notice, payments.after_record
    )
    if recorded is None:
        # A redelivery, or money for no reference of ours (a payment.unmatched event says which).
        _log.info("payment_notice_not_recorded", reference=mask_value(notice.reference))
        return Response({"status": "not_recorded"})
    _log.info("payment_recorded", payment=recorded.payment_id, reference=mask_value(recorded.reference))
    return Response({"status": "recorded", "payment": recorded.payment_id})


@get("/pay/{reference:str}", sync_to_thread=True)
def open_pay_link(state: State, reference: str = PathParameter()) -> Response[str] | Redirect:
    """The debtor's payment link: 303 to the provider's checkout, or a small page saying why not."""
    container: Container = state.container
    payments: Payments = state.payments
    try:
        link = open_payment_link(container.uow_factory, container.clock, payments.provider, reference)
    except PaymentProviderError as exc:
        _log.warning("payment_checkout_failed", reference=mask_value(reference), error=str(exc)[:200])
        return _page(*_UNAVAILABLE)
    if link.state is LinkState.CHECKOUT and link.url is not None:
        return Redirect(path=link.url, status_code=303)
    return _page(*_PAGES[link.state])


def _page(status: int, title: str, spanish: str, english: str) -> Response[str]:
    """A small page with nothing about the debt on it (Spanish first, then English; no script, no assets)."""
    html = (
        "<!doctype html><html lang='es'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><meta name='robots' content='noindex'>"
        f"<title>{title}</title></head><body><main><h1>{title}</h1><p>{spanish}</p>"
        f"<p lang='en'>{english}</p></main></body></html>"
    )
    return Response(html, status_code=status, media_type=MediaType.HTML, headers=_PAGE_HEADERS)
