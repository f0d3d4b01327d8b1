"""The send pipeline's MessageSender over the Cloud API: one template in, Accepted, Refused or Unknown out.

One `WhatsAppClient` per sending number (the number is in the request path), created on first use; all of
them share one connection pool sized for ~250 requests in flight, which carries 1,000 msg/s at ~200 ms a
call (design/sending.md). A WhatsApp or transport failure never raises: whether the message may have left
decides between Refused (proved not sent) and Unknown (never resent blindly, decision 0032).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from cobro.adapters.whatsapp.client import DEFAULT_TIMEOUT, WhatsAppClient
from cobro.adapters.whatsapp.errors import WhatsAppError
from cobro.adapters.whatsapp.messages import (
    ButtonsMessage,
    InvalidMessage,
    ListMessage,
    ListRow,
    ListSection,
    OutboundMessage,
    ReplyButton,
    TemplateMessage,
    TextMessage,
)
from cobro.adapters.whatsapp.template_payloads import template_message
from cobro.app.ports import OutgoingReply, OutgoingTemplate
from cobro.domain.outbox import Accepted, Refused, SendOutcome, Unknown
from cobro.domain.send_failures import FailureAdvice

if TYPE_CHECKING:
    from cobro.config import Settings


# Idle connections are dropped after 4 s, before a server that closes them after 5 s (uvicorn's default) can:
# reusing one it closed fails the request after it was written, and that send's outcome becomes unknown.
SEND_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=4.0)


def template_of(message: OutgoingTemplate) -> TemplateMessage:
    """The Cloud API template message for an outbox send; raises InvalidMessage for a shape Meta refuses."""
    return template_message(
        message.entry,
        list(message.parameters),
        to=message.to,
        biz_opaque_callback_data=message.callback_data,
    )


def reply_of(message: OutgoingReply) -> OutboundMessage:
    """The Cloud API message for a prepared reply (text, reply buttons or a list); raises InvalidMessage."""
    content = message.content
    kind = content.get("type")
    common: dict[str, Any] = {"to": message.to, "biz_opaque_callback_data": message.callback_data}
    if kind == "text":
        return TextMessage(body=str(content["text"]), **common)
    if kind == "buttons":
        buttons = tuple(ReplyButton(str(b["id"]), str(b["title"])) for b in content["buttons"])
        return ButtonsMessage(body=str(content["text"]), buttons=buttons, **common)
    if kind == "list":
        rows = tuple(ListRow(str(r["id"]), str(r["title"]), r.get("description")) for r in content["rows"])
        return ListMessage(
            body=str(content["text"]), button=str(content["button"]), sections=(ListSection(rows),), **common
        )
    raise InvalidMessage(f"a prepared reply of type {kind!r} cannot be sent as free-form content")


def request_body(message: OutgoingTemplate) -> dict[str, Any]:
    """The JSON body the send posts, exactly as sent (stored with the row, never logged: it holds the phone)."""
    return template_of(message).to_payload()


class GraphSender:
    """Sends outbox templates through the Cloud API (Meta or the sandbox: only the base URL differs)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        access_token: str,
        waba_id: str,
        phone_number_id: str,
        limits: httpx.Limits = SEND_LIMITS,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        max_in_flight: int = 16,
    ) -> None:
        self._base_url = base_url
        self._api_version = api_version
        self._access_token = access_token
        self._waba_id = waba_id
        self.default_phone_number_id = phone_number_id
        self._limits = limits
        self._timeout = timeout
        self._given_transport = transport
        self._transport: httpx.AsyncBaseTransport | None = None
        self._clients: dict[str, WhatsAppClient] = {}
        # httpcore scans its whole pool for every request (encode/httpx#3215): past a few dozen requests in
        # flight a process sends fewer per second, not more (bench/send.py: 989 req/s at 4 in flight, 153 at
        # 100). Each process keeps to `max_in_flight`; more throughput comes from more worker processes.
        self.max_in_flight = max_in_flight
        self._in_flight: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> GraphSender:
        """A sender for the configured account; `options` are the keyword arguments besides the settings."""
        return cls(
            base_url=settings.whatsapp_api_base,
            api_version=settings.whatsapp_api_version,
            access_token=settings.whatsapp_access_token.get_secret_value(),
            waba_id=settings.whatsapp_waba_id,
            phone_number_id=settings.whatsapp_phone_number_id,
            max_in_flight=settings.send_max_in_flight,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"GraphSender(base_url={self._base_url!r}, api_version={self._api_version!r}, "
            f"numbers={sorted(self._clients)!r})"
        )

    def client_for(self, phone_number_id: str | None) -> WhatsAppClient:
        """The client of that sending number (the default one for None), created on first use."""
        number = phone_number_id or self.default_phone_number_id
        client = self._clients.get(number)
        if client is None:
            if self._transport is None:
                # One pool for every number: the limits bound the requests in flight of the whole process.
                self._transport = self._given_transport or httpx.AsyncHTTPTransport(limits=self._limits)
            client = WhatsAppClient(
                base_url=self._base_url,
                api_version=self._api_version,
                access_token=self._access_token,
                phone_number_id=number,
                waba_id=self._waba_id,
                timeout=self._timeout,
                transport=self._transport,
            )
            self._clients[number] = client
        return client

    async def send_template(self, message: OutgoingTemplate) -> SendOutcome:
        """Accepted with the wamid; Refused when the answer proves nothing was sent; Unknown otherwise."""
        try:
            body: OutboundMessage = template_of(message)
        except InvalidMessage as exc:
            # Built before any request: nothing left, and the same parameters would fail the same way.
            return Refused(FailureAdvice.FIX_TEMPLATE, f"not sent, the message is malformed: {exc}")
        return await self._send(message.phone_number_id, body)

    async def send_reply(self, message: OutgoingReply) -> SendOutcome:
        """The same for a prepared free-form reply."""
        try:
            body = reply_of(message)
        except (InvalidMessage, KeyError, TypeError) as exc:
            return Refused(FailureAdvice.FIX_TEMPLATE, f"not sent, the message is malformed: {exc}")
        return await self._send(message.phone_number_id, body)

    async def _send(self, phone_number_id: str, body: OutboundMessage) -> SendOutcome:
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(self.max_in_flight)
        try:
            async with self._in_flight:
                accepted = await self.client_for(phone_number_id).send(body)
        except WhatsAppError as exc:
            if exc.definitely_not_sent:
                return Refused(exc.advice, exc.message, exc.code, exc.http_status)
            return Unknown(str(exc))
        except httpx.HTTPError as exc:
            # Not a transport error (the client types those): the answer could not be read, e.g. a broken
            # content encoding, so the request went out and may have been taken.
            return Unknown(f"{type(exc).__name__} reading the answer: {exc}")
        return Accepted(accepted.wamid)

    async def aclose(self) -> None:
        """Closes every client and their shared pool; the next send opens new ones (on the running loop)."""
        clients, self._clients = list(self._clients.values()), {}
        self._transport = None
        self._in_flight = None  # bound to this loop; the next send may run on another
        for client in clients:
            # Each client closes the shared transport; closing a closed pool again does nothing.
            await client.aclose()
