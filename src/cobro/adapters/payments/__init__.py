"""Payment providers: the sandbox's checkout client and the payment webhook's signature and body."""

from cobro.adapters.payments.sandbox_provider import SandboxPaymentProvider
from cobro.adapters.payments.webhook import (
    SIGNATURE_HEADER,
    MalformedPaymentWebhook,
    parse_payment_webhook,
    sign,
    verify_signature,
)

__all__ = [
    "SIGNATURE_HEADER",
    "MalformedPaymentWebhook",
    "SandboxPaymentProvider",
    "parse_payment_webhook",
    "sign",
    "verify_signature",
]
