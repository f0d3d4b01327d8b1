"""The Graph API routes, in Meta's wire format: messages, message templates, subscriptions, subscribed apps.

The send route is the hot path (thousands a second): it reads the raw body, decodes with msgspec, answers
encoded bytes, and touches only dicts. Errors are Meta's envelope (errors.py) with Meta's HTTP status: a
route raises GraphError and the app's exception handler (handle_graph_error) answers it; only the send route
catches its own, to count rejections without the detour through Litestar's exception middleware.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler

from cobro.sandbox.errors import GraphError, invalid_parameter, token_invalid
from cobro.sandbox.outbound import MarkRead, parse_send
from cobro.sandbox.runtime import Sandbox, graph_error_body

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_VERSION = re.compile(r"v\d+\.\d+")
_JSON = "application/json"
_SUCCESS = _encode({"success": True})


def json_response(content: Any, status_code: int = 200) -> Response[bytes]:
    """A JSON response from already-encoded bytes or from a value."""
    body = content if isinstance(content, bytes) else _encode(content)
    return Response(body, status_code=status_code, media_type=_JSON)


def error_response(exc: GraphError) -> Response[bytes]:
    """Meta's error envelope with Meta's HTTP status (and the OAuth header Graph sends with a 401)."""
    headers = None
    if exc.http_status == 401:
        headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'}
    return Response(graph_error_body(exc), status_code=exc.http_status, media_type=_JSON, headers=headers)


def handle_graph_error(_: Request[Any, Any, Any], exc: GraphError) -> Response[bytes]:
    """The app's exception handler for GraphError: a route raises, the client gets error_response(exc)."""
    return error_response(exc)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object, or (#100) Invalid parameter saying what is wrong with it."""
    try:
        decoded = _decode(body)
    except msgspec.DecodeError as exc:
        raise invalid_parameter("The request body is not valid JSON") from exc
    if not isinstance(decoded, dict):
        raise invalid_parameter("The request body must be a JSON object")
    return decoded


def unsupported(method: str, object_id: str) -> GraphError:
    """(#100) What Graph answers for an id it does not know, or that does not have this edge."""
    return GraphError(
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )


def _token(request: Request[Any, Any, Any]) -> str | None:
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() in ("bearer", "oauth") else None
    # Graph also takes the token as a query parameter.
    query = request.scope.get("query_string", b"")
    if b"access_token=" in query:
        return dict(parse_qsl(query.decode())).get("access_token")
    return None


def _path(request: Request[Any, Any, Any]) -> tuple[str, str]:
    params = request.path_params
    return params["version"], params["object_id"]


def _check_version(version: str) -> None:
    if _VERSION.fullmatch(version) is None:
        raise GraphError(2500, f"Unknown path components: /{version}", error_type="OAuthException")


async def graph_params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Query string, then the body as JSON or form fields: Graph reads parameters from all three."""
    params: dict[str, Any] = dict(parse_qsl(request.scope.get("query_string", b"").decode()))
    body = await request.body()
    if body:
        if body.lstrip()[:1] in (b"{", b"["):
            params.update(json_object(body))
        else:
            params.update(parse_qsl(body.decode()))
    params.pop("access_token", None)
    return params


def graph_routes(sandbox: Sandbox) -> list[HTTPRouteHandler]:
    """The Graph API route handlers bound to one sandbox."""

    def authorize(request: Request[Any, Any, Any], version: str) -> None:
        _check_version(version)
        if _token(request) not in sandbox.settings.access_tokens:
            raise token_invalid()

    def authorize_app(request: Request[Any, Any, Any], version: str) -> None:
        _check_version(version)
        token = _token(request)
        s = sandbox.settings
        if token == f"{s.app_id}|{s.app_secret}":
            return
        if token in s.access_tokens:
            raise GraphError(15, "(#15) This method must be called with an app access_token.")
        raise token_invalid()

    def checked(
        request: Request[Any, Any, Any], *, object_id: str | None = None, app_token: bool = False
    ) -> tuple[str, str]:
        """The path's version and object id, once the version, the token and the object id (if given) pass."""
        version, path_id = _path(request)
        if app_token:
            authorize_app(request, version)
        else:
            authorize(request, version)
        if object_id is not None and path_id != object_id:
            raise unsupported(request.method.lower(), path_id)
        return version, path_id

    @post("/{version:str}/{object_id:str}/messages", status_code=200)
    async def send_message(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Sends a message, or marks a received one as read."""
        version, object_id = _path(request)
        try:
            authorize(request, version)
            number = sandbox.settings.number(object_id)
            if number is None:
                raise unsupported("post", object_id)
            payload = json_object(await request.body())
            injected = _injected_failure(sandbox)
            if injected == "5xx" and not _accepts_anyway(sandbox):
                return error_response(_server_error())
            parsed = parse_send(payload, sandbox.templates)
            if isinstance(parsed, MarkRead):
                sandbox.mark_read(parsed.message_id, parsed.typing_indicator)
                return json_response(_SUCCESS)
            if injected == "timeout" and not _accepts_anyway(sandbox):
                await asyncio.sleep(sandbox.settings.timeout_delay)
                return error_response(_server_error())
            phone, message = sandbox.accept(number, parsed)
        except GraphError as exc:
            sandbox.state.stats.rejected[exc.code] += 1
            return error_response(exc)
        if injected is not None:
            sandbox.state.stats.accepted_despite_failure += 1
        contact: dict[str, str] = {"input": parsed.to}
        if parsed.recipient_kind == "phone":
            contact["wa_id"] = phone.digits
        else:
            contact["user_id"] = parsed.recipient
        sent: dict[str, str] = {"id": message.id}
        if message.type == "template":
            # Meta adds message_status to template sends ("accepted", or "held_for_quality_assessment").
            sent["message_status"] = "accepted"
        answer = _encode({"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]})
        if injected == "5xx":
            return error_response(_server_error())
        if injected == "timeout":
            await asyncio.sleep(sandbox.settings.timeout_delay)
        return json_response(answer)

    @get("/{version:str}/{object_id:str}/message_templates")
    async def list_templates(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Lists the WABA's templates (name, status, limit, after)."""
        version, object_id = checked(request, object_id=sandbox.settings.waba_id)
        params = await graph_params(request)
        try:
            limit = int(params.get("limit", 25))
        except ValueError as exc:
            raise invalid_parameter("limit must be a number") from exc
        listed = sandbox.templates.list(
            name=params.get("name"),
            status=params.get("status"),
            limit=limit,
            after=params.get("after"),
            url=f"{sandbox.settings.base_url()}/{version}/{object_id}/message_templates",
        )
        return json_response(listed)

    @post("/{version:str}/{object_id:str}/message_templates", status_code=200)
    async def create_template(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Submits a template for review: PENDING now, APPROVED or REJECTED after review_delay."""
        checked(request, object_id=sandbox.settings.waba_id)
        template = sandbox.templates.create(await graph_params(request), time.time())
        return json_response(template.creation_answer())

    @delete("/{version:str}/{object_id:str}/message_templates", status_code=200)
    async def delete_template(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Deletes a template by name (every language), or one language by hsm_id."""
        checked(request, object_id=sandbox.settings.waba_id)
        params = await graph_params(request)
        if not params.get("name"):
            raise invalid_parameter("The parameter name is required")
        sandbox.templates.delete(params["name"], params.get("hsm_id"))
        return json_response(_SUCCESS)

    @post("/{version:str}/{object_id:str}/subscriptions", status_code=200)
    async def subscribe_app(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Sets the app's webhook callback after the verification handshake succeeds."""
        checked(request, object_id=sandbox.settings.app_id, app_token=True)
        params = await graph_params(request)
        if params.get("object") != "whatsapp_business_account":
            raise invalid_parameter("object must be whatsapp_business_account")
        url = params.get("callback_url")
        if not url:
            raise invalid_parameter("callback_url is required")
        await sandbox.dispatcher.verify(url, str(params.get("verify_token", "")))
        fields = params.get("fields", "messages")
        sandbox.dispatcher.app_callback = url
        sandbox.dispatcher.app_fields = fields if isinstance(fields, list) else str(fields).split(",")
        return json_response(_SUCCESS)

    @get("/{version:str}/{object_id:str}/subscriptions")
    async def list_subscriptions(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The app's subscriptions."""
        version, _ = checked(request, object_id=sandbox.settings.app_id, app_token=True)
        dispatcher = sandbox.dispatcher
        data = []
        if dispatcher.app_callback:
            data.append(
                {
                    "object": "whatsapp_business_account",
                    "callback_url": dispatcher.app_callback,
                    "active": True,
                    "fields": [{"name": f, "version": version} for f in dispatcher.app_fields],
                }
            )
        return json_response({"data": data})

    @post("/{version:str}/{object_id:str}/subscribed_apps", status_code=200)
    async def subscribe_waba(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Subscribes the app to the WABA; override_callback_uri + verify_token set a callback for this WABA."""
        checked(request, object_id=sandbox.settings.waba_id)
        params = await graph_params(request)
        override = params.get("override_callback_uri")
        if override:
            if not params.get("verify_token"):
                raise invalid_parameter("verify_token is required with override_callback_uri")
            await sandbox.dispatcher.verify(override, str(params["verify_token"]))
        sandbox.dispatcher.waba_subscribed = True
        if override:
            sandbox.dispatcher.waba_override = override
        return json_response(_SUCCESS)

    @get("/{version:str}/{object_id:str}/subscribed_apps")
    async def list_subscribed_apps(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The apps subscribed to the WABA."""
        checked(request, object_id=sandbox.settings.waba_id)
        dispatcher = sandbox.dispatcher
        data: list[dict[str, Any]] = []
        if dispatcher.waba_subscribed:
            app = {
                "id": sandbox.settings.app_id,
                "link": sandbox.settings.base_url(),
                "name": "Cobro Sandbox",
            }
            item: dict[str, Any] = {"whatsapp_business_api_data": app}
            if dispatcher.waba_override:
                item["override_callback_uri"] = dispatcher.waba_override
            data.append(item)
        return json_response({"data": data})

    @delete("/{version:str}/{object_id:str}/subscribed_apps", status_code=200)
    async def unsubscribe_waba(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Unsubscribes the app from the WABA: no more webhooks."""
        checked(request, object_id=sandbox.settings.waba_id)
        sandbox.dispatcher.waba_subscribed = False
        sandbox.dispatcher.waba_override = None
        return json_response(_SUCCESS)

    @get("/{version:str}/{object_id:str}")
    async def read_object(request: Request[Any, Any, Any]) -> Response[bytes]:
        """A business phone number or the WABA, as Graph describes them."""
        _, object_id = checked(request)
        s = sandbox.settings
        number = s.number(object_id)
        if number is not None:
            tier = "HIGH" if number.tier >= 1000 else "STANDARD"
            return json_response(
                {
                    "verified_name": number.verified_name,
                    "display_phone_number": number.display_phone_number,
                    "id": number.id,
                    "quality_rating": "GREEN",
                    "throughput": {"level": tier},
                }
            )
        if object_id == s.waba_id:
            return json_response({"id": s.waba_id, "name": "Cobro Sandbox", "currency": "USD"})
        raise unsupported("get", object_id)

    return [
        send_message,
        list_templates,
        create_template,
        delete_template,
        subscribe_app,
        list_subscriptions,
        subscribe_waba,
        list_subscribed_apps,
        unsubscribe_waba,
        read_object,
    ]


def _injected_failure(sandbox: Sandbox) -> str | None:
    s = sandbox.settings
    if not (s.http_5xx_rate or s.timeout_rate):
        return None
    roll = sandbox.rng.random()
    if roll < s.http_5xx_rate:
        sandbox.state.stats.injected_5xx += 1
        return "5xx"
    if roll < s.http_5xx_rate + s.timeout_rate:
        sandbox.state.stats.injected_timeouts += 1
        return "timeout"
    return None


def _accepts_anyway(sandbox: Sandbox) -> bool:
    return sandbox.rng.random() < sandbox.settings.failure_accepts_probability


def _server_error() -> GraphError:
    return GraphError(
        131000,
        "(#131000) Something went wrong",
        http_status=500,
        details="Message failed to send because of an unknown error. Please try again later.",
    )
