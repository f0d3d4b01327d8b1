"""A recording httpx.MockTransport and a client wired to it, shared by the WhatsApp client tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from cobro.adapters.whatsapp import SendAccepted, WhatsAppClient

TOKEN = "EAAG-very-secret-token"
PHONE_ID = "1090000000000001"
WABA_ID = "1020000000000001"
MESSAGES_PATH = f"/v23.0/{PHONE_ID}/messages"
TEMPLATES_PATH = f"/v23.0/{WABA_ID}/message_templates"
ACCEPTED = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "+5215512345678", "wa_id": "5215512345678"}],
    "messages": [{"id": "wamid.HBgMNTIxNTUxMjM0NTY3OBUCABEYEjQ=", "message_status": "accepted"}],
}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a queue (the last answer repeats)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def client_for(handler: Handler, api_version: str = "v23.0") -> WhatsAppClient:
    return WhatsAppClient(
        base_url="https://graph.example.test/",
        api_version=api_version,
        access_token=TOKEN,
        phone_number_id=PHONE_ID,
        waba_id=WABA_ID,
        transport=httpx.MockTransport(handler),
    )


def meta_error(status: int, code: int, message: str = "(#0) error", **extra: Any) -> httpx.Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123", **extra}
    return httpx.Response(status, json={"error": error})


async def send_one(recorder: Recorder, message: Any) -> SendAccepted:
    async with client_for(recorder) as client:
        return await client.send(message)
