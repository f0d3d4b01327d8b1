"""A person plays the debtor on the sandbox's phone page while the business writes through the Graph API."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Graph, Stack, wait_for

REMINDER = {
    "name": "payment_reminder_e2e",
    "language": "es_MX",
    "category": "UTILITY",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Recordatorio de pago"},
        {
            "type": "BODY",
            "text": "Hola {{1}}, tu factura {{2}} por {{3}} venció hace 15 días.\nPuedes pagarla hoy mismo.",
            "example": {"body_text": [["Ana", "INV-1001", "$1,250.00 MXN"]]},
        },
        {"type": "FOOTER", "text": "Cobro sandbox · responde BAJA para no recibir más"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Pay now"},
                {"type": "QUICK_REPLY", "text": "Talk to someone"},
            ],
        },
    ],
}


def incoming(page: Page) -> Locator:
    """Bubbles the business sent to the phone (left)."""
    return page.locator('[data-testid="message"][data-direction="to_phone"]')


def outgoing(page: Page) -> Locator:
    """Bubbles the person sent (right)."""
    return page.locator('[data-testid="message"][data-direction="from_phone"]')


def open_chat(page: Page, phone: str) -> None:
    """Opens the phone's chat and waits for its live stream, marking the window to prove no reload later."""
    page.goto(f"/phone/{phone}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    page.evaluate("window.openedOnce = true")


def assert_not_reloaded(page: Page) -> None:
    """The page is the one opened at the start: updates came live, not through a reload."""
    assert page.evaluate("window.openedOnce === true")


def inbound_reply(database_url: str, payload: str) -> dict[str, Any] | None:
    """The inbound message row Cobro stored for a button reply carrying `payload`, if there is one yet."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT wamid, type, content, context_wamid FROM whatsapp_messages WHERE direction = 'in'"
                )
            ).mappings()
            for row in rows:
                content = row["content"] if isinstance(row["content"], dict) else json.loads(row["content"])
                if payload in json.dumps(content):
                    return dict(row, content=content)
    finally:
        engine.dispose()
    return None


def stored_message(database_url: str, wamid: str) -> dict[str, Any] | None:
    """The row Cobro stored for the message `wamid`, if there is one yet."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = (
                connection.execute(
                    text(
                        "SELECT wamid, direction, type, content, context_wamid FROM whatsapp_messages"
                        " WHERE wamid = :wamid"
                    ),
                    {"wamid": wamid},
                )
                .mappings()
                .first()
            )
    finally:
        engine.dispose()
    if row is None:
        return None
    content = row["content"] if isinstance(row["content"], dict) else json.loads(row["content"])
    return dict(row, content=content)


def from_phone(graph: Graph, phone: str, kind: str) -> list[dict[str, Any]]:
    """What the person sent of one type, as the sandbox keeps it."""
    return [m for m in graph.phone_messages(phone) if m["direction"] == "from_phone" and m["type"] == kind]


def test_a_person_taps_pay_now_on_a_template_and_cobro_records_the_reply(
    page: Page, graph: Graph, stack: Stack
) -> None:
    phone = "+5215512345678"
    open_chat(page, phone)

    graph.create_template(REMINDER)
    graph.wait_until_approved(REMINDER["name"])
    wamid = graph.send(
        {
            "to": phone.lstrip("+"),
            "type": "template",
            "template": {
                "name": REMINDER["name"],
                "language": {"code": "es_MX"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ana"},
                            {"type": "text", "text": "INV-1001"},
                            {"type": "text", "text": "$1,250.00 MXN"},
                        ],
                    },
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "PAY_NOW:INV-1001"}],
                    },
                ],
            },
        }
    )

    reminder = incoming(page).filter(has_text="INV-1001")
    expect(reminder.get_by_test_id("message-header")).to_have_text("Recordatorio de pago")
    expect(reminder.get_by_test_id("message-body")).to_contain_text("Hola Ana, tu factura INV-1001")
    expect(reminder.get_by_test_id("message-button")).to_have_text(["Pay now", "Talk to someone"])
    # The page is in view, so the person has read it: the business gets its blue ticks.
    expect(reminder.get_by_test_id("ticks")).to_have_attribute("data-status", "read")

    reminder.get_by_test_id("message-button").filter(has_text="Pay now").click()

    expect(outgoing(page).filter(has_text="Pay now")).to_have_count(1)
    reply = wait_for(
        lambda: inbound_reply(stack.database_url, "PAY_NOW:INV-1001"),
        timeout=5,
        what="Cobro to store the Pay now reply",
    )
    assert reply["context_wamid"] == wamid
    assert_not_reloaded(page)
    page.screenshot(path="/tmp/phone.png", animations="disabled")


def test_a_person_picks_a_row_of_an_interactive_list(page: Page, graph: Graph) -> None:
    phone = "+5215511110002"
    open_chat(page, phone)
    # Interactive messages need an open service window: the person writes first.
    page.get_by_test_id("composer").fill("Hola, ¿cuánto debo?")
    page.get_by_test_id("send").click()
    expect(outgoing(page)).to_have_count(1)

    wamid = graph.send(
        {
            "to": phone.lstrip("+"),
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Debes $1,250.00 MXN. ¿Cuándo puedes pagar?"},
                "footer": {"text": "Elige una fecha"},
                "action": {
                    "button": "Elegir fecha",
                    "sections": [
                        {
                            "title": "Esta semana",
                            "rows": [
                                {"id": "pay_friday", "title": "Viernes", "description": "28 de noviembre"},
                                {"id": "pay_saturday", "title": "Sábado"},
                            ],
                        },
                        {"title": "Más adelante", "rows": [{"id": "pay_later", "title": "El próximo mes"}]},
                    ],
                },
            },
        }
    )

    question = incoming(page).filter(has_text="¿Cuándo puedes pagar?")
    question.get_by_test_id("list-open").click()
    sheet = page.get_by_test_id("list-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.get_by_test_id("list-row")).to_have_count(3)
    sheet.get_by_test_id("list-row").filter(has_text="Viernes").click()
    expect(sheet).to_be_hidden()

    expect(outgoing(page).filter(has_text="Viernes")).to_have_count(1)
    answered = wait_for(
        lambda: [
            m
            for m in graph.phone_messages(phone)
            if m["direction"] == "from_phone" and m["context_id"] == wamid
        ],
        what="the sandbox to hold the list reply",
    )
    assert answered[0]["type"] == "interactive"
    assert answered[0]["render"]["body"] == "Viernes"
    assert_not_reloaded(page)


def test_a_person_types_a_message_and_enter_sends_it(page: Page, graph: Graph) -> None:
    phone = "+5215511110003"
    open_chat(page, phone)
    composer = page.get_by_test_id("composer")

    composer.fill("Puedo pagar el viernes.")
    composer.press("Shift+Enter")  # a line break, not a send
    composer.press_sequentially("Gracias")
    expect(outgoing(page)).to_have_count(0)
    composer.press("Enter")

    sent = outgoing(page)
    expect(sent).to_have_count(1)
    expect(sent.get_by_test_id("message-body")).to_have_text("Puedo pagar el viernes.\nGracias")
    expect(sent).not_to_have_attribute("data-local", "true")  # the sandbox accepted it
    expect(composer).to_have_value("")
    texts = wait_for(
        lambda: [m for m in graph.phone_messages(phone) if m["direction"] == "from_phone"],
        what="the sandbox to hold the typed message",
    )
    assert [(m["type"], m["render"]["body"]) for m in texts] == [("text", "Puedo pagar el viernes.\nGracias")]


def test_what_the_business_writes_is_shown_as_text_never_run_as_markup(page: Page, graph: Graph) -> None:
    phone = "+5215511110005"
    open_chat(page, phone)
    page.get_by_test_id("composer").fill("Hola")
    page.get_by_test_id("composer").press("Enter")
    expect(outgoing(page)).to_have_count(1)

    hostile = 'Pago <img src=x onerror="window.injected=1"> <b>recibido</b>'
    graph.send({"to": phone.lstrip("+"), "type": "text", "text": {"body": hostile}})

    expect(incoming(page).get_by_test_id("message-body")).to_have_text(hostile)
    assert page.locator('[data-testid="message-body"] img, [data-testid="message-body"] b').count() == 0
    assert page.evaluate("window.injected === undefined")


def test_the_phone_list_shows_a_username_for_a_phone_without_wa_id(page: Page) -> None:
    page.goto("/phone")
    beto = page.get_by_test_id("phone").filter(has_text="@beto.r")
    expect(beto).to_have_count(1)
    expect(beto).not_to_contain_text("5215587654321")

    page.get_by_test_id("open-input").fill("+52 1 55 1111 0004")
    page.get_by_test_id("open-submit").click()
    expect(page).to_have_url(re.compile(r"/phone/\+5215511110004$"))
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")


def test_a_number_that_is_not_e164_gets_the_list_with_an_explanation(page: Page) -> None:
    response = page.goto("/phone/not-a-number")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_test_id("open-error")).to_contain_text("not a phone number in E.164 form")


def test_a_person_sends_a_photo_of_the_transfer_receipt_with_a_caption(
    page: Page, graph: Graph, stack: Stack
) -> None:
    phone = "+5215511110006"
    caption = "Ya pagué, aquí está el comprobante 🧾"
    open_chat(page, phone)
    composer = page.get_by_test_id("composer")
    composer.fill(caption)

    page.get_by_test_id("attach").click()
    menu = page.get_by_test_id("attach-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_test_id("attach-caption")).to_have_text(f"Caption: {caption}")
    expect(menu.get_by_test_id("attach-option")).to_have_text(["Transfer receipt", "ID card", "Other photo"])
    menu.get_by_test_id("attach-option").filter(has_text="Transfer receipt").click()
    expect(menu).to_be_hidden()

    photo = outgoing(page)
    expect(photo).to_have_count(1)
    expect(photo).to_have_attribute("data-type", "image")
    expect(photo).not_to_have_attribute("data-local", "true")  # the sandbox accepted it
    expect(photo.get_by_test_id("image-placeholder")).to_have_attribute("data-sample", "receipt")
    expect(photo.get_by_test_id("message-body")).to_have_text(caption)
    expect(composer).to_have_value("")

    images = wait_for(lambda: from_phone(graph, phone, "image"), what="the sandbox to hold the photo")
    assert [m["render"]["body"] for m in images] == [caption]
    stored = wait_for(
        lambda: stored_message(stack.database_url, images[0]["id"]),
        what="Cobro to store the photo",
    )
    assert (stored["direction"], stored["type"]) == ("in", "image")
    assert stored["content"]["caption"] == caption
    assert stored["content"]["media_id"].isdigit()
    assert_not_reloaded(page)


def test_a_person_reacts_with_a_thumbs_up_to_what_the_business_wrote(
    page: Page, graph: Graph, stack: Stack
) -> None:
    phone = "+5215511110007"
    open_chat(page, phone)
    # The receipt without a caption opens the service window for the business's answer.
    page.get_by_test_id("attach").click()
    page.get_by_test_id("attach-option").filter(has_text="Transfer receipt").click()
    expect(outgoing(page).get_by_test_id("image-placeholder")).to_have_count(1)
    expect(outgoing(page)).not_to_have_attribute("data-local", "true")

    wamid = graph.send(
        {
            "to": phone.lstrip("+"),
            "type": "text",
            "text": {"body": "¡Gracias! Recibimos tu pago de $1,250.00 MXN; tu cuenta está al corriente."},
        }
    )
    thanks = incoming(page).filter(has_text="Recibimos tu pago")
    thanks.hover()
    thanks.get_by_test_id("react").click()
    picker = page.get_by_test_id("reaction-picker")
    expect(picker.get_by_test_id("reaction-option")).to_have_text(["👍", "❤️", "🙏", "😮", "😢"])
    picker.locator('[data-emoji="👍"]').click()
    expect(picker).to_be_hidden()

    expect(thanks.get_by_test_id("reaction-badge")).to_have_text("👍")
    expect(outgoing(page)).to_have_count(1)  # a reaction is a badge, not a bubble of its own
    reactions = wait_for(
        lambda: from_phone(graph, phone, "reaction"), what="the sandbox to hold the reaction"
    )
    assert [(m["context_id"], m["render"]["body"]) for m in reactions] == [(wamid, "👍")]
    stored = wait_for(
        lambda: stored_message(stack.database_url, reactions[0]["id"]),
        what="Cobro to store the reaction",
    )
    assert (stored["direction"], stored["type"]) == ("in", "reaction")
    assert stored["content"]["reacted_wamid"] == wamid
    assert stored["content"]["reaction_emoji"] == "👍"
    # Meta's reaction webhook names the message only in reaction.message_id, never in a context.
    assert stored["context_wamid"] is None

    page.mouse.move(0, 0)
    page.screenshot(path="/tmp/phone_media.png", animations="disabled")
    page.reload()
    expect(incoming(page).filter(has_text="Recibimos tu pago").get_by_test_id("reaction-badge")).to_have_text(
        "👍"
    )
    expect(outgoing(page).get_by_test_id("image-placeholder")).to_have_attribute("data-sample", "receipt")
