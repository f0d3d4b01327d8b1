"""What Cobro does when WhatsApp refuses a message: one advice per Cloud API error code, kept as data.

The same table reads a send call's error response and a `failed` status webhook's `errors[]`, so a failure
is handled alike whichever way it arrives. Codes and meanings follow Meta's "Error codes" page
(https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes) and the
Graph API's "Handling Errors" guide (https://developers.facebook.com/docs/graph-api/guides/error-handling).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple


class FailureAdvice(StrEnum):
    """What the sender should do after a failure."""

    RETRY = "retry"  # transient: the same message may be sent again after a backoff
    BACK_OFF = "back_off"  # throughput or app rate limit: slow the whole sender down
    DEFER_RECIPIENT = "defer_recipient"  # this debtor only must wait; others go on
    NEEDS_TEMPLATE = "needs_template"  # the 24 h customer service window is closed
    UNREACHABLE = "unreachable"  # the number cannot receive WhatsApp messages: mark it
    FIX_TEMPLATE = "fix_template"  # the template or its parameters are wrong: never retry
    PAUSED_TEMPLATE = "paused_template"  # template paused or disabled for quality: fall back per strategy
    STOP_SENDER = "stop_sender"  # token, account or policy problem: every send will fail, alert
    NEVER = "never"  # permanent for this message (a bug or a recipient's choice): record, never retry
    # Not from a code: the request may have reached Meta and no answer proves either way. Never resend
    # automatically; a status webhook carrying the row id settles it (see design/sending.md).
    RECONCILE = "reconcile"


class FailureRule(NamedTuple):
    """One row of the table: the advice for a code and what the code means."""

    advice: FailureAdvice
    meaning: str


_A = FailureAdvice

FAILURE_RULES: Mapping[int, FailureRule] = MappingProxyType(
    {
        # Graph API platform codes.
        0: FailureRule(_A.STOP_SENDER, "AuthException: the app user could not be authenticated"),
        1: FailureRule(_A.RETRY, "API unknown: possibly a temporary outage"),
        2: FailureRule(_A.RETRY, "API service: temporary outage"),
        3: FailureRule(_A.STOP_SENDER, "API method: the app lacks a capability or permission"),
        4: FailureRule(_A.BACK_OFF, "Too many calls: the app's API rate limit"),
        10: FailureRule(_A.STOP_SENDER, "Permission denied or removed"),
        100: FailureRule(_A.NEVER, "Invalid parameter: the request is malformed"),
        190: FailureRule(_A.STOP_SENDER, "Access token invalid or expired"),
        200: FailureRule(_A.STOP_SENDER, "API permission missing"),
        368: FailureRule(_A.STOP_SENDER, "Temporarily blocked for policy violations"),
        80007: FailureRule(_A.BACK_OFF, "The WhatsApp Business Account's API rate limit was reached"),
        # Cloud API throughput and rate limits.
        130429: FailureRule(_A.BACK_OFF, "Throughput limit for this business number reached"),
        131048: FailureRule(
            _A.BACK_OFF, "Spam rate limit: this number is restricted in how much it may send"
        ),
        131056: FailureRule(_A.DEFER_RECIPIENT, "Pair rate limit: too many messages to the same user"),
        131049: FailureRule(
            _A.DEFER_RECIPIENT,
            "Not delivered to keep the ecosystem healthy (per-user limit): wait, do not retry soon",
        ),
        # Cloud API send errors.
        131000: FailureRule(_A.RETRY, "Something went wrong on Meta's side"),
        131016: FailureRule(_A.RETRY, "A service is temporarily unavailable"),
        131005: FailureRule(_A.STOP_SENDER, "Access denied: permission not granted or removed"),
        131008: FailureRule(_A.NEVER, "A required parameter is missing"),
        131009: FailureRule(_A.NEVER, "A parameter value is invalid"),
        131021: FailureRule(_A.NEVER, "Recipient is the sender's own number"),
        131026: FailureRule(
            _A.UNREACHABLE, "Undeliverable: not on WhatsApp, old app or blocked the business"
        ),
        131030: FailureRule(_A.NEVER, "Recipient is not in a test number's allowed list"),
        131031: FailureRule(_A.STOP_SENDER, "Business account locked or restricted"),
        131042: FailureRule(_A.STOP_SENDER, "Business payment method problem"),
        131045: FailureRule(_A.STOP_SENDER, "Phone number registration (certificate) problem"),
        131047: FailureRule(
            _A.NEEDS_TEMPLATE, "More than 24 h since the user last wrote: only templates allowed"
        ),
        131050: FailureRule(_A.NEVER, "The user stopped marketing messages from this business"),
        131051: FailureRule(_A.NEVER, "Unsupported message type"),
        131052: FailureRule(_A.NEVER, "Media download error"),
        131053: FailureRule(_A.NEVER, "Media upload error"),
        131057: FailureRule(_A.STOP_SENDER, "Business account in maintenance mode"),
        130497: FailureRule(_A.NEVER, "The account may not message users in this country"),
        133010: FailureRule(_A.STOP_SENDER, "The business phone number is not registered"),
        135000: FailureRule(_A.NEVER, "Generic user error"),
        # Template errors (any other 132xxx falls back to FIX_TEMPLATE, see advice_for).
        132000: FailureRule(_A.FIX_TEMPLATE, "Parameter count does not match the approved template"),
        132001: FailureRule(_A.FIX_TEMPLATE, "Template does not exist in that language, or is not approved"),
        132005: FailureRule(_A.FIX_TEMPLATE, "Translated text too long"),
        132007: FailureRule(_A.FIX_TEMPLATE, "Template content breaks a format policy"),
        132008: FailureRule(_A.FIX_TEMPLATE, "Parameter values formatted incorrectly"),
        132012: FailureRule(_A.FIX_TEMPLATE, "Parameter format does not match the template"),
        132015: FailureRule(_A.PAUSED_TEMPLATE, "Template paused for low quality"),
        132016: FailureRule(_A.PAUSED_TEMPLATE, "Template disabled for low quality"),
    }
)

_TEMPLATE_ERRORS = range(132000, 133000)


def advice_for(code: int, http_status: int | None = None) -> FailureAdvice:
    """The advice for a Cloud API error code; an unknown code is retried after a 5xx and never otherwise."""
    rule = FAILURE_RULES.get(code)
    if rule is not None:
        return rule.advice
    if code in _TEMPLATE_ERRORS:
        return FailureAdvice.FIX_TEMPLATE
    if http_status is not None and http_status >= 500:
        return FailureAdvice.RETRY
    # An unknown code from a 4xx or a webhook is permanent until a person looks: retrying it blindly could
    # send a debtor the same reminder twice or hammer a policy limit.
    return FailureAdvice.NEVER


def meaning_of(code: int) -> str | None:
    """The one-line meaning of a known code, for logs and the agent inbox."""
    rule = FAILURE_RULES.get(code)
    return rule.meaning if rule is not None else None
