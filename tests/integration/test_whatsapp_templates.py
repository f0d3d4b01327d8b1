"""Template management through the client: listing across pages, creating, deleting, waiting for review."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cobro.adapters.whatsapp import TemplateDefinition, TemplateInfo, TemplateReviewTimedOut, TokenInvalid
from tests.integration.whatsapp_mock import TEMPLATES_PATH, Recorder, client_for


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def template(name: str, status: str = "APPROVED", language: str = "es_MX", **extra: Any) -> dict[str, Any]:
    return {"id": f"id-{name}-{language}", "name": name, "language": language, "status": status, **extra}


@pytest.mark.anyio
async def test_listing_templates_follows_the_after_cursor_until_there_is_no_next_page() -> None:
    recorder = Recorder(
        httpx.Response(
            200, json={"data": [template("a")], "paging": {"cursors": {"after": "C1"}, "next": "x"}}
        ),
        httpx.Response(
            200, json={"data": [template("b")], "paging": {"cursors": {"after": "C2"}, "next": "x"}}
        ),
        httpx.Response(200, json={"data": [template("c", "REJECTED", rejected_reason="ABUSIVE_CONTENT")]}),
    )
    async with client_for(recorder) as client:
        templates = await client.list_templates(status="APPROVED")
    assert [t.name for t in templates] == ["a", "b", "c"]
    assert templates[2].rejected_reason == "ABUSIVE_CONTENT"
    assert [r.url.params.get("after") for r in recorder.requests] == [None, "C1", "C2"]
    assert all(r.url.path == TEMPLATES_PATH for r in recorder.requests)
    assert recorder.requests[0].url.params["status"] == "APPROVED"
    assert "rejected_reason" in recorder.requests[0].url.params["fields"]


@pytest.mark.anyio
async def test_a_next_link_to_another_host_is_never_followed_with_the_token() -> None:
    elsewhere = "https://evil.example/v23.0/x/message_templates?after=C9"
    recorder = Recorder(
        httpx.Response(200, json={"data": [template("a")], "paging": {"next": elsewhere}}),
        httpx.Response(200, json={"data": [template("b")]}),
    )
    async with client_for(recorder) as client:
        await client.list_templates()
    assert {r.url.host for r in recorder.requests} == {"graph.example.test"}
    assert recorder.requests[1].url.params["after"] == "C9"


@pytest.mark.anyio
async def test_creating_a_template_posts_the_definition_and_returns_it_pending() -> None:
    recorder = Recorder(
        httpx.Response(200, json={"id": "594425479261596", "status": "PENDING", "category": "UTILITY"})
    )
    components = [
        {
            "type": "BODY",
            "text": "Hola {{1}}, tu saldo es {{2}}.",
            "example": {"body_text": [["María", "$1,250.50"]]},
        },
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Pagar ahora"}]},
    ]
    definition = TemplateDefinition(
        name="recordatorio_pago", language="es_MX", category="UTILITY", components=components
    )
    async with client_for(recorder) as client:
        info = await client.create_template(definition)
    assert recorder.requests[0].method == "POST"
    assert recorder.requests[0].url.path == TEMPLATES_PATH
    assert recorder.body() == {
        "name": "recordatorio_pago",
        "language": "es_MX",
        "category": "UTILITY",
        "components": components,
    }
    assert info == TemplateInfo("594425479261596", "recordatorio_pago", "es_MX", "PENDING", "UTILITY")


@pytest.mark.anyio
async def test_deleting_a_template_sends_its_name() -> None:
    recorder = Recorder(httpx.Response(200, json={"success": True}))
    async with client_for(recorder) as client:
        await client.delete_template("recordatorio_pago")
    assert recorder.requests[0].method == "DELETE"
    assert recorder.requests[0].url.params["name"] == "recordatorio_pago"


@pytest.mark.anyio
async def test_waiting_for_review_polls_until_meta_decides_on_that_language() -> None:
    recorder = Recorder(
        httpx.Response(200, json={"data": [template("r", "PENDING")]}),
        httpx.Response(200, json={"data": [template("r", "APPROVED", "en_US"), template("r", "PENDING")]}),
        httpx.Response(200, json={"data": [template("r", "APPROVED")]}),
    )
    async with client_for(recorder) as client:
        info = await client.wait_for_template_review("r", "es_MX", timeout=5, poll_every=0)
    assert (info.status, info.language, len(recorder.requests)) == ("APPROVED", "es_MX", 3)


@pytest.mark.anyio
async def test_waiting_for_review_gives_up_after_the_timeout() -> None:
    recorder = Recorder(httpx.Response(200, json={"data": [template("r", "PENDING")]}))
    async with client_for(recorder) as client:
        with pytest.raises(TemplateReviewTimedOut, match="still PENDING"):
            await client.wait_for_template_review("r", "es_MX", timeout=0.05, poll_every=0.01)


@pytest.mark.anyio
async def test_subscribing_the_app_posts_form_fields_with_the_app_access_token() -> None:
    recorder = Recorder(httpx.Response(200, json={"success": True}))
    async with client_for(recorder) as client:
        await client.subscribe_app(
            app_id="1210000000000001",
            app_secret="app-s3cret",
            callback_url="https://cobro.example.com/webhooks/whatsapp",
            verify_token="v-token",
        )
    [request] = recorder.requests
    assert request.url.path == "/v23.0/1210000000000001/subscriptions"
    assert request.url.query == b""  # the verify token stays out of URLs and access logs
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == "Bearer 1210000000000001|app-s3cret"
    fields = dict(httpx.QueryParams(request.content.decode()))
    assert fields["object"] == "whatsapp_business_account"
    assert fields["callback_url"] == "https://cobro.example.com/webhooks/whatsapp"
    assert fields["verify_token"] == "v-token"
    assert fields["fields"] == "messages,message_template_status_update"


@pytest.mark.anyio
async def test_a_refused_subscription_never_shows_the_app_secret() -> None:
    recorder = Recorder(
        httpx.Response(
            400,
            json={
                "error": {
                    "message": "bad app token 1210000000000001|app-s3cret",
                    "type": "OAuthException",
                    "code": 190,
                }
            },
        )
    )
    async with client_for(recorder) as client:
        with pytest.raises(TokenInvalid) as refused:
            await client.subscribe_app(
                app_id="1210000000000001",
                app_secret="app-s3cret",
                callback_url="https://cobro.example.com/webhooks/whatsapp",
                verify_token="v-token",
            )
    assert "app-s3cret" not in str(refused.value) + repr(refused.value)
