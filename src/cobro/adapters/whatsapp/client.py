"""The outbound Cloud API client: sends messages, marks them read and manages templates over one pooled connection.

It speaks the Graph API wire format only, so Meta and Cobro's sandbox differ by `base_url` alone. Endpoints:
`POST /{version}/{phone-number-id}/messages` (sends, and mark-as-read with an optional typing indicator,
https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators/) and
`GET|POST|DELETE /{version}/{waba-id}/message_templates`
(https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import msgspec

from cobro.adapters.whatsapp.errors import (
    OutcomeUnknown,
    TemplateReviewTimedOut,
    WhatsAppError,
    error_from_response,
    error_from_transport,
)
from cobro.adapters.whatsapp.messages import OutboundMessage, SendAccepted, SendResponse
from cobro.adapters.whatsapp.templates import TemplateCreated, TemplateDefinition, TemplateInfo, TemplatePage
from cobro.domain.send_failures import FailureAdvice

if TYPE_CHECKING:
    from cobro.config import Settings

# ~200 requests in flight carry 1,000 msg/s at ~200 ms a call (design/sending.md); the rest is headroom
# for template calls, mark-as-read and slow answers.
DEFAULT_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=256, keepalive_expiry=30.0)
# Connect and pool waits are short because failing there proves nothing was sent, so the row simply goes
# back to the queue; the read wait is long because a read timeout leaves the outcome unknown.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
_MAX_TEMPLATE_PAGES = 2_500
_TEMPLATE_FIELDS = "id,name,language,status,category,rejected_reason"
_REDACTED = "[redacted]"
_T = TypeVar("_T")


class _Token:
    """The access token, kept out of reprs, tracebacks with locals and error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token itself, for the Authorization header only."""
        return self._value

    def scrub(self, text: bytes) -> bytes:
        """The text with the token replaced, in case a server or proxy echoes it."""
        secret = self._value.encode()
        return text.replace(secret, _REDACTED.encode()) if secret else text

    def __repr__(self) -> str:
        return "_Token('**********')"


class WhatsAppClient:
    """An async Cloud API client for one business number and its WhatsApp Business Account."""

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        access_token: str,
        phone_number_id: str,
        waba_id: str,
        limits: httpx.Limits = DEFAULT_LIMITS,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        version = api_version if api_version.startswith("v") else f"v{api_version}"
        self.base_url = base_url.rstrip("/")
        self.api_version = version
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self._token = _Token(access_token)
        self._messages_path = f"/{version}/{phone_number_id}/messages"
        self._templates_path = f"/{version}/{waba_id}/message_templates"
        # httpx masks the Authorization header in Headers' repr.
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"},
            limits=limits,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,  # a redirect would carry the bearer token somewhere we did not choose
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> WhatsAppClient:
        """A client for the configured number; `options` are the keyword arguments besides the settings."""
        return cls(
            base_url=settings.whatsapp_api_base,
            api_version=settings.whatsapp_api_version,
            access_token=settings.whatsapp_access_token.get_secret_value(),
            phone_number_id=settings.whatsapp_phone_number_id,
            waba_id=settings.whatsapp_waba_id,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"WhatsAppClient(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"phone_number_id={self.phone_number_id!r}, waba_id={self.waba_id!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the pooled connections."""
        await self._http.aclose()

    # --- messages --------------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendAccepted:
        """Sends one message; raises a WhatsAppError whose `definitely_not_sent` says if a resend is safe."""
        response = await self._request("POST", self._messages_path, content=message.to_json(), sending=True)
        try:
            return msgspec.json.decode(response.content, type=SendResponse).accepted()
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            # Meta answered 2xx, so it may well have taken the message: without the wamid only a status
            # webhook (matched by biz_opaque_callback_data) can tell.
            raise OutcomeUnknown(
                f"2xx answer without a message id: {exc}",
                http_status=response.status_code,
                advice=FailureAdvice.RECONCILE,
                definitely_not_sent=False,
            ) from exc

    async def mark_read(self, wamid: str, typing_indicator: bool = False) -> None:
        """Marks an inbound message (and the earlier ones) read; optionally shows 'typing…' for up to 25 s."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        if typing_indicator:
            body["typing_indicator"] = {"type": "text"}
        await self._request("POST", self._messages_path, content=msgspec.json.encode(body))

    # --- templates -------------------------------------------------------------------------------------

    async def list_templates(self, name: str | None = None, status: str | None = None) -> list[TemplateInfo]:
        """Every template of the account, optionally filtered by name and status, across all pages."""
        params: dict[str, str] = {"fields": _TEMPLATE_FIELDS, "limit": "100"}
        if name is not None:
            params["name"] = name
        if status is not None:
            params["status"] = status
        templates: list[TemplateInfo] = []
        seen_cursors: set[str] = set()
        while True:
            response = await self._request("GET", self._templates_path, params=params)
            page = self._decode(response, TemplatePage)
            templates.extend(page.data)
            after = _next_cursor(page)
            # Stop on a repeated cursor, or past _MAX_TEMPLATE_PAGES (250,000 templates; Meta allows a WABA
            # a few thousand): a server bug must not become an endless loop.
            if after is None or after in seen_cursors or len(seen_cursors) >= _MAX_TEMPLATE_PAGES:
                return templates
            seen_cursors.add(after)
            params["after"] = after

    async def create_template(self, definition: TemplateDefinition) -> TemplateInfo:
        """Submits a template for review; Meta answers at once, usually with status PENDING."""
        response = await self._request("POST", self._templates_path, content=definition.to_json())
        created = self._decode(response, TemplateCreated)
        return TemplateInfo(
            id=created.id,
            name=definition.name,
            language=definition.language,
            status=created.status,
            category=created.category or definition.category,
        )

    async def delete_template(self, name: str, template_id: str | None = None) -> None:
        """Deletes a template in every language, or only the one with `template_id`."""
        params = {"name": name}
        if template_id is not None:
            params["hsm_id"] = template_id
        await self._request("DELETE", self._templates_path, params=params)

    async def wait_for_template_review(
        self, name: str, language: str, timeout: float = 600.0, poll_every: float = 10.0
    ) -> TemplateInfo:
        """Polls until Meta decides on a template and returns it, whatever the decision (check `status`)."""
        deadline = time.monotonic() + timeout
        last_seen: TemplateInfo | None = None
        while True:
            for info in await self.list_templates(name=name):
                # Meta's name filter may match more than the exact name; the language picks one version.
                if info.name == name and info.language == language:
                    last_seen = info
            if last_seen is not None and not last_seen.under_review:
                return last_seen
            if time.monotonic() + poll_every > deadline:
                state = last_seen.status if last_seen is not None else "not found"
                raise TemplateReviewTimedOut(
                    f"template {name} ({language}) still {state} after {timeout:g} s"
                )
            await anyio.sleep(poll_every)

    # --- webhook subscription --------------------------------------------------------------------------

    async def subscribe_app(
        self,
        *,
        app_id: str,
        app_secret: str,
        callback_url: str,
        verify_token: str,
        fields: tuple[str, ...] = ("messages", "message_template_status_update"),
    ) -> None:
        """Points the app's WhatsApp webhooks at `callback_url`; Meta first runs the verification handshake.

        Uses the app access token `{app-id}|{app-secret}`, as Meta's app subscriptions endpoint requires
        (https://developers.facebook.com/docs/graph-api/reference/app/subscriptions/).
        """
        params = {
            "object": "whatsapp_business_account",
            "callback_url": callback_url,
            "verify_token": verify_token,
            "fields": ",".join(fields),
            "include_values": "true",
        }
        secret = _Token(f"{app_id}|{app_secret}")
        what = f"POST /{self.api_version}/{app_id}/subscriptions"
        try:
            # Form fields, not the query string: the verify token must not land in access logs.
            response = await self._http.post(
                f"/{self.api_version}/{app_id}/subscriptions",
                data=params,
                # The client's default Content-Type is JSON; this body is form fields.
                headers={
                    "Authorization": f"Bearer {secret.reveal()}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        except httpx.TransportError as exc:
            raise error_from_transport(exc, what) from exc
        if not response.is_success:
            raise error_from_response(response.status_code, secret.scrub(response.content))

    # --- plumbing --------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        sending: bool = False,
    ) -> httpx.Response:
        what = f"{method} {path}"
        try:
            response = await self._http.request(method, path, content=content, params=params)
        except httpx.TransportError as exc:
            # httpx's exceptions never print headers, and Headers' repr masks Authorization.
            raise error_from_transport(exc, what, sending=sending) from exc
        if response.is_success:
            return response
        raise error_from_response(response.status_code, self._token.scrub(response.content), sending=sending)

    def _decode(self, response: httpx.Response, kind: type[_T]) -> _T:
        try:
            return msgspec.json.decode(response.content, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise WhatsAppError(
                f"unexpected answer to {response.request.method} {response.request.url.path}: {exc}",
                http_status=response.status_code,
                advice=FailureAdvice.RETRY,
                definitely_not_sent=False,  # a 2xx to a create may mean the template exists now
            ) from exc


def _next_cursor(page: TemplatePage) -> str | None:
    """The `after` cursor of the next page, or None on the last page (Meta omits `paging.next` there)."""
    if page.paging is None or page.paging.next is None:
        return None
    if page.paging.cursors.after:
        return page.paging.cursors.after
    # Never follow `next` itself: it is an absolute URL, and the bearer token must go only to base_url.
    after = parse_qs(urlsplit(page.paging.next).query).get("after")
    return after[0] if after else None
