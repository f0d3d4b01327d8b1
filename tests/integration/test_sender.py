"""The send pipeline's GraphSender against httpx.MockTransport: the wire body of a catalogue template, and each
Cloud API answer or transport failure mapped to Accepted, Refused (proved not sent) or Unknown (may have
left). Expected bodies are written by hand from Meta's reference pages, not produced by the code under test.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import anyio
import httpx
import pytest

from cobro.adapters.whatsapp.sender import GraphSender, request_body
from cobro.app.ports import OutgoingTemplate
from cobro.app.template_parameters import TemplateValues, render_parameters
from cobro.config import Settings
from cobro.domain.money import Money
from cobro.domain.outbox import Accepted, Refused, Unknown, callback_data_for
from cobro.domain.send_failures import FailureAdvice
from cobro.domain.template_catalogue import find_entry, load_catalogue
from tests.integration.whatsapp_mock import ACCEPTED, PHONE_ID, TOKEN, WABA_ID, Recorder, meta_error

OTHER_PHONE_ID = "1090000000000002"
CALLBACK = callback_data_for("acct:77:stage:first_notice:2026-11-23")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def overdue_notice(
    to: str = "+5215512345678", phone_number_id: str = PHONE_ID, callback_data: str = CALLBACK
) -> OutgoingTemplate:
    """The Spanish overdue notice from the packaged catalogue, filled in from ledger values."""
    entry = find_entry(load_catalogue(), "cobro_overdue_notice", "es")
    assert entry is not None
    values = TemplateValues(
        debtor_name="Ana  Pérez",
        creditor_name="Tienda Sol",
        language="es",
        country="MX",
        amount=Money(Decimal("1250.50"), "MXN"),
        invoice_reference="F-1001",
        due_date=date(2026, 11, 30),
        payment_link="https://pay.example.com/F-1001",
    )
    return OutgoingTemplate(
        to=to,
        phone_number_id=phone_number_id,
        entry=entry,
        parameters=tuple(render_parameters(entry, values)),
        callback_data=callback_data,
    )


def sender_for(recorder: Recorder) -> GraphSender:
    return GraphSender(
        base_url="https://graph.example.test/",
        api_version="v23.0",
        access_token=TOKEN,
        waba_id=WABA_ID,
        phone_number_id=PHONE_ID,
        transport=httpx.MockTransport(recorder),
    )


async def send(recorder: Recorder, message: OutgoingTemplate | None = None):
    sender = sender_for(recorder)
    try:
        return await sender.send_template(message or overdue_notice())
    finally:
        await sender.aclose()


def quick_reply(index: int, payload: str) -> dict[str, object]:
    return {
        "type": "button",
        "sub_type": "quick_reply",
        "index": str(index),
        "parameters": [{"type": "payload", "payload": payload}],
    }


EXPECTED_BODY = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+5215512345678",
    "type": "template",
    "template": {
        "name": "cobro_overdue_notice",
        "language": {"code": "es"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ana Pérez"},
                    {"type": "text", "text": "Tienda Sol"},
                    {"type": "text", "text": "F-1001"},
                    {
                        "type": "currency",
                        "currency": {"fallback_value": "$1,250.50", "code": "MXN", "amount_1000": 1250500},
                    },
                    {"type": "text", "text": "30 de noviembre de 2026"},
                    {"type": "text", "text": "https://pay.example.com/F-1001"},
                ],
            },
            quick_reply(0, "PAY_NOW"),
            quick_reply(1, "PAYMENT_PLAN"),
            quick_reply(2, "MORE_TIME"),
            quick_reply(3, "TALK_TO_AGENT"),
            quick_reply(4, "OPT_OUT"),
        ],
    },
    "biz_opaque_callback_data": "cobro:acct:77:stage:first_notice:2026-11-23",
}


# --- the request ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_accepted_template_gives_its_wamid() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    assert await send(recorder) == Accepted("wamid.HBgMNTIxNTUxMjM0NTY3OBUCABEYEjQ=")
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url == f"https://graph.example.test/v23.0/{PHONE_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.anyio
async def test_the_body_is_metas_template_shape_with_the_rows_callback_data() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    await send(recorder)
    assert recorder.body() == EXPECTED_BODY


def test_payload_of_is_the_body_as_sent() -> None:
    assert request_body(overdue_notice()) == EXPECTED_BODY


@pytest.mark.anyio
async def test_each_sending_number_posts_to_its_own_path_through_one_pool() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    sender = sender_for(recorder)
    try:
        await sender.send_template(overdue_notice(phone_number_id=OTHER_PHONE_ID))
        await sender.send_template(overdue_notice())
        await sender.send_template(overdue_notice(phone_number_id=OTHER_PHONE_ID))
        assert sender.client_for(OTHER_PHONE_ID) is sender.client_for(OTHER_PHONE_ID)
        assert sender.client_for(None) is sender.client_for(PHONE_ID)  # None: the default number
    finally:
        await sender.aclose()
    assert [r.url.path for r in recorder.requests] == [
        f"/v23.0/{OTHER_PHONE_ID}/messages",
        f"/v23.0/{PHONE_ID}/messages",
        f"/v23.0/{OTHER_PHONE_ID}/messages",
    ]


@pytest.mark.anyio
async def test_every_number_shares_one_connection_pool_with_room_for_the_requests_in_flight() -> None:
    sender = GraphSender(
        base_url="https://graph.example.test",
        api_version="v23.0",
        access_token=TOKEN,
        waba_id=WABA_ID,
        phone_number_id=PHONE_ID,
    )
    try:
        one, two = sender.client_for(PHONE_ID), sender.client_for(OTHER_PHONE_ID)
        transport = one._http._transport
        assert two._http._transport is transport
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        assert transport._pool._max_connections >= sender.max_in_flight
    finally:
        await sender.aclose()


@pytest.mark.anyio
async def test_no_more_than_max_in_flight_requests_at_once() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=ACCEPTED)

    sender = GraphSender(
        base_url="https://graph.example.test",
        api_version="v23.0",
        access_token=TOKEN,
        waba_id=WABA_ID,
        phone_number_id=PHONE_ID,
        transport=httpx.MockTransport(handler),
        max_in_flight=3,
    )
    try:
        outcomes = await asyncio.gather(*(sender.send_template(overdue_notice()) for _ in range(12)))
    finally:
        await sender.aclose()
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert peak == 3


@pytest.mark.anyio
async def test_a_closed_sender_opens_new_clients_on_the_next_send() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    sender = sender_for(recorder)
    await sender.send_template(overdue_notice())
    first = sender.client_for(PHONE_ID)
    await sender.aclose()
    assert isinstance(await sender.send_template(overdue_notice()), Accepted)
    assert sender.client_for(PHONE_ID) is not first
    await sender.aclose()
    assert len(recorder.requests) == 2


def test_the_sender_is_built_from_settings_without_showing_the_token() -> None:
    settings = Settings(whatsapp_api_base="http://127.0.0.1:8900", whatsapp_api_version="v23.0")
    sender = GraphSender.from_settings(settings)
    client = sender.client_for(None)
    assert client.base_url == "http://127.0.0.1:8900"
    assert client.phone_number_id == settings.whatsapp_phone_number_id
    assert client.waba_id == settings.whatsapp_waba_id
    assert settings.whatsapp_access_token.get_secret_value() not in repr(sender)


# --- answers -------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (130429, FailureAdvice.BACK_OFF),
        (131056, FailureAdvice.DEFER_RECIPIENT),
        (131026, FailureAdvice.UNREACHABLE),
        (132001, FailureAdvice.FIX_TEMPLATE),
    ],
)
async def test_a_refusal_is_refused_with_metas_code_and_the_advice(code: int, advice: FailureAdvice) -> None:
    recorder = Recorder(meta_error(400, code, f"(#{code}) refused"))
    outcome = await send(recorder)
    assert outcome == Refused(advice, f"(#{code}) refused", code=code, http_status=400)


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_leaves_the_outcome_unknown(status: int) -> None:
    outcome = await send(Recorder(meta_error(status, 131000, "Something went wrong")))
    assert isinstance(outcome, Unknown)
    assert f"HTTP {status}" in outcome.reason


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.WriteTimeout("timed out"), httpx.RemoteProtocolError("reset")],
)
async def test_a_failure_after_the_request_left_leaves_the_outcome_unknown(failure: Exception) -> None:
    outcome = await send(Recorder(failure))
    assert isinstance(outcome, Unknown)
    assert type(failure).__name__ in outcome.reason


@pytest.mark.anyio
async def test_a_2xx_without_a_wamid_leaves_the_outcome_unknown() -> None:
    outcome = await send(Recorder(httpx.Response(200, json={"messaging_product": "whatsapp"})))
    assert isinstance(outcome, Unknown)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("full")]
)
async def test_a_connection_never_made_is_refused_and_retried(failure: Exception) -> None:
    outcome = await send(Recorder(failure))
    assert isinstance(outcome, Refused)
    assert outcome.advice is FailureAdvice.RETRY
    assert outcome.code is None
    assert outcome.http_status is None


@pytest.mark.anyio
async def test_a_message_meta_would_refuse_for_its_shape_is_refused_before_any_request() -> None:
    recorder = Recorder(httpx.Response(200, json=ACCEPTED))
    outcome = await send(recorder, overdue_notice(callback_data="x" * 513))
    assert isinstance(outcome, Refused)
    assert outcome.advice is FailureAdvice.FIX_TEMPLATE
    assert "biz_opaque_callback_data" in outcome.message
    assert recorder.requests == []
