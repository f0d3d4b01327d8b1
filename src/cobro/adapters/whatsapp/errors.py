"""Typed Cloud API failures, split by what the caller must do and by whether Meta may have taken the message.

The envelope is the Graph API's (https://developers.facebook.com/docs/graph-api/guides/error-handling):
`{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg", "error_data":
{"details"}, "fbtrace_id"}}`. Meta advises acting on `code` and `error_data.details`, never on titles
(https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).

Which failures prove the message was not sent (`definitely_not_sent`):
- any 4xx answer: Meta read the request and refused it;
- a connection that was never opened or never obtained (ConnectError, ConnectTimeout, PoolTimeout), or a
  request httpx refused to write (LocalProtocolError, UnsupportedProtocol, ProxyError).
Which leave the outcome unknown (`OutcomeUnknown` on a send):
- a timeout or broken connection once writing began (WriteTimeout, WriteError, ReadTimeout, ReadError,
  RemoteProtocolError, any other transport error);
- every 5xx. A 500 may come after Meta queued the message, 502 and 504 come from a proxy that lost the
  answer of a backend that may have acted, and Meta does not document 503 as "not processed"; since the
  send call has no idempotency key, treating any of them as "not sent" risks a second reminder.
- a 200 whose body has no wamid.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from cobro.domain.send_failures import FailureAdvice, advice_for, meaning_of


class WhatsAppError(Exception):
    """A Cloud API call that did not succeed, with Meta's code and the advice for the sender."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        title: str | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        advice: FailureAdvice | None = None,
        definitely_not_sent: bool = True,
    ) -> None:
        self.message = message
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.title = title
        self.details = details
        self.fbtrace_id = fbtrace_id
        if advice is None:
            advice = advice_for(code, http_status) if code is not None else FailureAdvice.NEVER
        self.advice = advice
        self.definitely_not_sent = definitely_not_sent
        super().__init__(self._describe())

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling; a worker may pass errors between processes.
        fields = {
            "code": self.code,
            "subcode": self.subcode,
            "http_status": self.http_status,
            "title": self.title,
            "details": self.details,
            "fbtrace_id": self.fbtrace_id,
            "advice": self.advice,
            "definitely_not_sent": self.definitely_not_sent,
        }
        return (_rebuild, (type(self), self.message, fields))

    def _describe(self) -> str:
        head = f"WhatsApp error {self.code}" if self.code is not None else "WhatsApp call failed"
        if self.subcode is not None:
            head += f"/{self.subcode}"
        parts = [f"{head}: {self.message}"]
        if self.details and self.details != self.message:
            parts.append(f"({self.details})")
        context = [f"HTTP {self.http_status}" if self.http_status is not None else None]
        context.append(f"fbtrace_id {self.fbtrace_id}" if self.fbtrace_id else None)
        if any(context):
            parts.append("[" + ", ".join(c for c in context if c) + "]")
        parts.append(f"-> {self.advice.value}")
        return " ".join(parts)


def _rebuild(cls: type[WhatsAppError], message: str, fields: dict[str, Any]) -> WhatsAppError:
    return cls(message, **fields)


class TokenInvalid(WhatsAppError):
    """The access token is invalid or expired (190): alert and stop the sender."""


class AccountRestricted(WhatsAppError):
    """The account, number or app may not send (368, 131031, permissions, payment): stop and alert."""


class InvalidRequest(WhatsAppError):
    """Meta refused the request as malformed or unsupported (100, 131051, ...): a bug, never retried."""


class ThroughputLimited(WhatsAppError):
    """A number, app or account rate limit (130429, 4, 80007, 131048): slow the whole sender."""


class PairRateLimited(WhatsAppError):
    """Too much to one recipient (131056, or 131049 per-user limit): defer that debtor only."""


class NeedsTemplate(WhatsAppError):
    """The 24 h customer service window is closed (131047): send an approved template instead."""


class Unreachable(WhatsAppError):
    """The number cannot receive this message (131026): mark it unreachable."""


class TemplateRejected(WhatsAppError):
    """The template or its parameters are wrong (132xxx), or it is paused (132015, 132016)."""


class Transient(WhatsAppError):
    """A temporary failure (131000, 1, 2, a 5xx on a call safe to repeat): retry with backoff."""


class NotSent(Transient):
    """The request never reached Meta (no connection, pool exhausted): safe to send again."""


class OutcomeUnknown(WhatsAppError):
    """The request may have reached Meta and no answer says whether it was taken: never resend it blindly."""


class TemplateReviewTimedOut(TimeoutError):
    """Meta had not decided on a template when the wait ran out."""


_BY_ADVICE: dict[FailureAdvice, type[WhatsAppError]] = {
    FailureAdvice.RETRY: Transient,
    FailureAdvice.BACK_OFF: ThroughputLimited,
    FailureAdvice.DEFER_RECIPIENT: PairRateLimited,
    FailureAdvice.NEEDS_TEMPLATE: NeedsTemplate,
    FailureAdvice.UNREACHABLE: Unreachable,
    FailureAdvice.FIX_TEMPLATE: TemplateRejected,
    FailureAdvice.PAUSED_TEMPLATE: TemplateRejected,
    FailureAdvice.STOP_SENDER: AccountRestricted,
    FailureAdvice.NEVER: InvalidRequest,
    FailureAdvice.RECONCILE: OutcomeUnknown,
}

# Transport failures that prove no byte of the request reached the server.
_NOT_SENT_TRANSPORT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


def _as_int(value: Any) -> int | None:
    # Some proxies in front of Meta send codes as strings ("131056"); a bool is not a code.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def error_from_response(status: int, body: bytes | str | None, *, sending: bool = False) -> WhatsAppError:
    """The typed error for a non-2xx answer; `sending=True` for a message send, where a 5xx is ambiguous."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    try:
        decoded: Any = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        decoded = None
    envelope = decoded.get("error") if isinstance(decoded, dict) else None
    if not isinstance(envelope, dict):
        envelope = {}
    error_data = envelope.get("error_data")
    code = _as_int(envelope.get("code"))
    message = _as_str(envelope.get("message"))
    if message is None:
        # Not Meta's envelope (a proxy's HTML page, an empty body): keep a short, printable excerpt.
        excerpt = raw[:200].decode("utf-8", "replace").strip()
        message = excerpt or (meaning_of(code) if code is not None else None) or f"HTTP {status}"
    fields: dict[str, Any] = {
        "code": code,
        "subcode": _as_int(envelope.get("error_subcode")),
        "http_status": status,
        "title": _as_str(envelope.get("error_user_title")),
        "details": _as_str(error_data.get("details")) if isinstance(error_data, dict) else None,
        "fbtrace_id": _as_str(envelope.get("fbtrace_id")),
    }
    if status >= 500 and sending:
        return OutcomeUnknown(message, advice=FailureAdvice.RECONCILE, definitely_not_sent=False, **fields)
    if code is None:
        if status == 401:
            return TokenInvalid(message, advice=FailureAdvice.STOP_SENDER, **fields)
        if status >= 500 or status == 429:
            advice = FailureAdvice.RETRY if status >= 500 else FailureAdvice.BACK_OFF
            return _BY_ADVICE[advice](message, advice=advice, definitely_not_sent=status < 500, **fields)
        return InvalidRequest(message, advice=FailureAdvice.NEVER, **fields)
    advice = advice_for(code, status)
    cls = TokenInvalid if code == 190 else _BY_ADVICE[advice]
    # A 5xx on a call that is safe to repeat (a read, mark-as-read) still may have acted on Meta's side.
    return cls(message, advice=advice, definitely_not_sent=status < 500, **fields)


def error_from_transport(exc: httpx.TransportError, what: str, *, sending: bool = False) -> WhatsAppError:
    """The typed error for a request that got no HTTP answer; `what` names the call, e.g. 'POST /messages'."""
    message = f"{type(exc).__name__} on {what}: {exc}".rstrip(": ")
    if isinstance(exc, _NOT_SENT_TRANSPORT):
        return NotSent(message, advice=FailureAdvice.RETRY, definitely_not_sent=True)
    if sending:
        return OutcomeUnknown(message, advice=FailureAdvice.RECONCILE, definitely_not_sent=False)
    # Reads and mark-as-read may be repeated whatever happened to the first attempt.
    return Transient(message, advice=FailureAdvice.RETRY, definitely_not_sent=False)
