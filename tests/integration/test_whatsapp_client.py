"""The Cloud API client against httpx.MockTransport: the wire request, typed answers and typed failures.

Expected payloads are written by hand from Meta's reference pages, not produced by the code under test.
"""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import httpx
import pytest

import cobro.adapters.whatsapp as whatsapp
from cobro.adapters.whatsapp import (
    AccountRestricted,
    CurrencyParam,
    DateTimeParam,
    InvalidRequest,
    NeedsTemplate,
    NotSent,
    OutcomeUnknown,
    PairRateLimited,
    QuickReplyButton,
    SendAccepted,
    TemplateMessage,
    TemplateRejected,
    TextMessage,
    TextParam,
    ThroughputLimited,
    TokenInvalid,
    Transient,
    Unreachable,
    UrlButton,
    WhatsAppClient,
    WhatsAppError,
    error_from_response,
)
from cobro.config import Settings
from cobro.domain.send_failures import FailureAdvice
from tests.integration.whatsapp_mock import (
    ACCEPTED,
    MESSAGES_PATH,
    TOKEN,
    Recorder,
    client_for,
    meta_error,
    send_one,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- requests ------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_send_posts_to_the_numbers_messages_path_with_the_bearer_token() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    await send_one(recorder, TextMessage(to="+5215512345678", body="Hola"))
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url == f"https://graph.example.test{MESSAGES_PATH}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"


@pytest.mark.anyio
async def test_an_api_version_without_its_v_gets_one() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    async with client_for(recorder, api_version="23.0") as client:
        await client.send(TextMessage(to="+5215512345678", body="Hola"))
    assert recorder.requests[0].url.path == MESSAGES_PATH


@pytest.mark.anyio
async def test_a_text_message_body_is_exactly_metas_shape() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    message = TextMessage(
        to="+5215512345678", body="Hola María", reply_to="wamid.IN1", biz_opaque_callback_data="outbox:42"
    )
    await send_one(recorder, message)
    assert recorder.body() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5215512345678",
        "type": "text",
        "text": {"body": "Hola María", "preview_url": False},
        "context": {"message_id": "wamid.IN1"},
        "biz_opaque_callback_data": "outbox:42",
    }


@pytest.mark.anyio
async def test_a_template_with_currency_date_and_buttons_is_exactly_metas_shape() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    message = TemplateMessage(
        to="+5215512345678",
        name="recordatorio_pago",
        language="es_MX",
        header=(TextParam("Banco Ejemplo"),),
        body=(
            TextParam("María"),
            CurrencyParam(Decimal("1250.50"), "MXN", "$1,250.50"),
            DateTimeParam("15 de noviembre"),
        ),
        buttons=(QuickReplyButton(0, "PAY_NOW"), UrlButton(1, "tok123")),
        biz_opaque_callback_data="outbox:42",
    )
    await send_one(recorder, message)
    assert recorder.body() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5215512345678",
        "type": "template",
        "template": {
            "name": "recordatorio_pago",
            "language": {"code": "es_MX"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "Banco Ejemplo"}]},
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "María"},
                        {
                            "type": "currency",
                            "currency": {
                                "fallback_value": "$1,250.50",
                                "code": "MXN",
                                "amount_1000": 1250500,
                            },
                        },
                        {"type": "date_time", "date_time": {"fallback_value": "15 de noviembre"}},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "PAY_NOW"}],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "1",
                    "parameters": [{"type": "text", "text": "tok123"}],
                },
            ],
        },
        "biz_opaque_callback_data": "outbox:42",
    }


@pytest.mark.anyio
async def test_mark_read_with_typing_indicator_posts_metas_status_body() -> None:
    recorder = Recorder(httpx.Response(200, json={"success": True}))
    async with client_for(recorder) as client:
        await client.mark_read("wamid.IN1", typing_indicator=True)
        await client.mark_read("wamid.IN2")
    assert recorder.requests[0].url.path == MESSAGES_PATH
    assert recorder.body(0) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.IN1",
        "typing_indicator": {"type": "text"},
    }
    assert recorder.body(1) == {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN2"}


# --- answers -------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_successful_send_returns_the_wamid_and_the_resolved_recipient() -> None:
    accepted = await send_one(
        Recorder(httpx.Response(200, json=ACCEPTED)), TextMessage(to="+5215512345678", body="x")
    )
    assert accepted == SendAccepted(
        wamid="wamid.HBgMNTIxNTUxMjM0NTY3OBUCABEYEjQ=",
        wa_id="5215512345678",
        input="+5215512345678",
        message_status="accepted",
    )


@pytest.mark.anyio
async def test_a_recipient_known_only_by_business_scoped_id_is_accepted_without_a_wa_id() -> None:
    answer = {"contacts": [{"input": "+5215512345678", "user_id": "MX.123"}], "messages": [{"id": "wamid.X"}]}
    accepted = await send_one(
        Recorder(httpx.Response(200, json=answer)), TextMessage(to="+5215512345678", body="x")
    )
    assert (accepted.wamid, accepted.wa_id, accepted.user_id) == ("wamid.X", None, "MX.123")


@pytest.mark.anyio
async def test_a_success_without_a_wamid_leaves_the_outcome_unknown() -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        await send_one(
            Recorder(httpx.Response(200, content=b"<html>ok</html>")), TextMessage(to="1", body="x")
        )
    assert caught.value.definitely_not_sent is False
    assert caught.value.advice is FailureAdvice.RECONCILE


@pytest.mark.parametrize(
    ("status", "code", "kind", "advice"),
    [
        (401, 190, TokenInvalid, FailureAdvice.STOP_SENDER),
        (400, 100, InvalidRequest, FailureAdvice.NEVER),
        (400, 131051, InvalidRequest, FailureAdvice.NEVER),
        (400, 130429, ThroughputLimited, FailureAdvice.BACK_OFF),
        (400, 4, ThroughputLimited, FailureAdvice.BACK_OFF),
        (400, 80007, ThroughputLimited, FailureAdvice.BACK_OFF),
        (400, 131056, PairRateLimited, FailureAdvice.DEFER_RECIPIENT),
        (400, 131047, NeedsTemplate, FailureAdvice.NEEDS_TEMPLATE),
        (400, 131026, Unreachable, FailureAdvice.UNREACHABLE),
        (400, 132000, TemplateRejected, FailureAdvice.FIX_TEMPLATE),
        (400, 132001, TemplateRejected, FailureAdvice.FIX_TEMPLATE),
        (400, 132015, TemplateRejected, FailureAdvice.PAUSED_TEMPLATE),
        (400, 131000, Transient, FailureAdvice.RETRY),
        (403, 368, AccountRestricted, FailureAdvice.STOP_SENDER),
        (400, 131031, AccountRestricted, FailureAdvice.STOP_SENDER),
    ],
)
@pytest.mark.anyio
async def test_each_refusal_raises_its_type_with_its_advice_and_proves_nothing_was_sent(
    status: int, code: int, kind: type[WhatsAppError], advice: FailureAdvice
) -> None:
    answer = meta_error(
        status, code, f"(#{code}) refused", error_data={"details": "why"}, error_subcode=2494010
    )
    with pytest.raises(kind) as caught:
        await send_one(Recorder(answer), TextMessage(to="1", body="x"))
    error = caught.value
    assert (error.code, error.subcode, error.http_status) == (code, 2494010, status)
    assert (error.details, error.fbtrace_id) == ("why", "AbCdEf123")
    assert error.advice is advice
    assert error.definitely_not_sent is True


@pytest.mark.anyio
async def test_a_server_error_on_a_send_leaves_the_outcome_unknown_but_keeps_metas_code() -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        await send_one(
            Recorder(meta_error(500, 131000, "Something went wrong")), TextMessage(to="1", body="x")
        )
    assert caught.value.code == 131000
    assert caught.value.definitely_not_sent is False
    assert caught.value.advice is FailureAdvice.RECONCILE


@pytest.mark.anyio
async def test_a_proxys_html_error_page_on_a_send_is_read_as_unknown_outcome() -> None:
    with pytest.raises(OutcomeUnknown, match="Bad Gateway"):
        await send_one(
            Recorder(httpx.Response(502, text="<h1>Bad Gateway</h1>")), TextMessage(to="1", body="x")
        )


@pytest.mark.anyio
async def test_a_server_error_on_a_read_is_transient() -> None:
    async with client_for(Recorder(httpx.Response(503, text=""))) as client:
        with pytest.raises(Transient) as caught:
            await client.list_templates()
    assert caught.value.advice is FailureAdvice.RETRY


def test_a_401_without_a_body_is_an_invalid_token() -> None:
    assert isinstance(error_from_response(401, b""), TokenInvalid)


def test_a_code_sent_as_a_string_is_still_understood() -> None:
    body = json.dumps({"error": {"message": "pair rate limit", "code": "131056"}})
    assert isinstance(error_from_response(400, body), PairRateLimited)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.ReadError("connection reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
@pytest.mark.anyio
async def test_a_send_cut_off_after_writing_began_leaves_the_outcome_unknown(failure: Exception) -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        await send_one(Recorder(failure), TextMessage(to="1", body="x"))
    assert caught.value.definitely_not_sent is False
    assert caught.value.advice is FailureAdvice.RECONCILE
    assert type(failure).__name__ in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("pool full")],
)
@pytest.mark.anyio
async def test_a_send_that_never_reached_the_server_is_not_sent_and_safe_to_retry(failure: Exception) -> None:
    with pytest.raises(NotSent) as caught:
        await send_one(Recorder(failure), TextMessage(to="1", body="x"))
    assert caught.value.definitely_not_sent is True
    assert caught.value.advice is FailureAdvice.RETRY


@pytest.mark.anyio
async def test_a_read_timeout_on_mark_read_is_merely_transient() -> None:
    async with client_for(Recorder(httpx.ReadTimeout("timed out"))) as client:
        with pytest.raises(Transient):
            await client.mark_read("wamid.IN1")


def test_an_error_survives_a_trip_between_processes() -> None:
    error = error_from_response(400, json.dumps({"error": {"message": "closed", "code": 131047}}))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.advice, str(copy)) == (
        NeedsTemplate,
        131047,
        error.advice,
        str(error),
    )


# --- secrets and surface -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_token_appears_in_no_repr_or_error_even_when_the_server_echoes_it() -> None:
    echoed = meta_error(400, 100, f"Invalid token {TOKEN}", error_data={"details": f"Bearer {TOKEN}"})
    async with client_for(Recorder(echoed)) as client:
        with pytest.raises(InvalidRequest) as caught:
            await client.send(TextMessage(to="1", body="x"))
        texts = [repr(client), repr(client._http.headers), str(caught.value), repr(caught.value)]
        texts += [str(caught.value.details), str(vars(client))]
    assert all(TOKEN not in text for text in texts)


def test_the_client_is_built_from_settings() -> None:
    settings = Settings(whatsapp_api_base="http://127.0.0.1:8900", whatsapp_api_version="v23.0")
    client = WhatsAppClient.from_settings(settings)
    assert client.base_url == "http://127.0.0.1:8900"
    assert client._messages_path == f"/v23.0/{settings.whatsapp_phone_number_id}/messages"
    assert settings.whatsapp_access_token.get_secret_value() not in repr(client)


def test_the_public_surface_is_pinned() -> None:
    assert sorted(whatsapp.__all__) == sorted(
        [
            "DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "AccountRestricted", "ButtonsMessage", "CurrencyParam",
            "DateTimeParam", "InvalidMessage", "InvalidRequest", "ListMessage", "ListRow", "ListSection",
            "NeedsTemplate", "NotSent", "OutboundMessage", "OutcomeUnknown", "PairRateLimited", "QuickReplyButton",
            "ReplyButton", "SendAccepted", "TemplateDefinition", "TemplateInfo", "TemplateMessage", "TemplateParam",
            "TemplateRejected", "TemplateReviewTimedOut", "TextMessage", "TextParam", "ThroughputLimited",
            "TokenInvalid", "Transient", "Unreachable", "UrlButton", "WhatsAppClient", "WhatsAppError",
            "error_from_response", "error_from_transport",
        ]
    )  # fmt: skip
    assert all(hasattr(whatsapp, name) for name in whatsapp.__all__)
