import json
from datetime import UTC, datetime

import pytest

from cobro.adapters.whatsapp.signature import sign, verify_signature
from cobro.adapters.whatsapp.webhook_payloads import MalformedWebhook, parse_webhook
from cobro.domain.messaging import MessageStatus
from tests.webhook_payloads import (
    PHONE_NUMBER_ID,
    body,
    contact,
    delivery,
    messages_change,
    status,
    statuses_change,
    template_delivery,
    text_message,
)

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_signature_made_with_the_app_secret_is_accepted():
    raw = b'{"object":"whatsapp_business_account"}'
    assert verify_signature(raw, sign(raw, "s3cret"), "s3cret")


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "sha256=zz", "sha256=ñ"],
)
def test_a_missing_or_wrong_signature_is_refused(header):
    assert not verify_signature(b"{}", header, "s3cret")


def test_a_body_changed_after_signing_is_refused():
    header = sign(b'{"a":1}', "s3cret")
    assert not verify_signature(b'{"a":2}', header, "s3cret")
    assert not verify_signature(b'{"a":1}', header, "other")


def test_a_text_message_is_read_with_its_contact():
    contents = parse_webhook(body(delivery(messages_change(text_message()))))
    [message] = contents.messages
    assert message.wamid == "wamid.IN1"
    assert message.phone_number_id == PHONE_NUMBER_ID
    assert message.wa_id == "5215512345678"
    assert message.user_id == "MX.1234567890"
    assert message.profile_name == "María López"
    assert message.text == "¿Cuánto debo?"
    assert message.timestamp == NOON


def test_interactive_button_and_list_replies_and_template_buttons_carry_their_ids():
    button = text_message("wamid.B", type="interactive")
    button["interactive"] = {
        "type": "button_reply",
        "button_reply": {"id": "PAY_NOW", "title": "Pagar ahora"},
    }
    listed = text_message("wamid.L", type="interactive")
    listed["interactive"] = {
        "type": "list_reply",
        "list_reply": {"id": "PLAN_3", "title": "3 cuotas", "description": "x"},
    }
    quick = text_message("wamid.Q", type="button", context={"from": "15550783881", "id": "wamid.OUT1"})
    quick["button"] = {"payload": "PAY_NOW", "text": "Pagar"}
    contents = parse_webhook(body(delivery(messages_change(button, listed, quick))))
    b, li, q = contents.messages
    assert (b.type, b.reply_id, b.reply_title) == ("interactive", "PAY_NOW", "Pagar ahora")
    assert (li.reply_id, li.reply_title) == ("PLAN_3", "3 cuotas")
    assert (q.type, q.payload, q.reply_title, q.context_wamid) == ("button", "PAY_NOW", "Pagar", "wamid.OUT1")


def test_reactions_and_images_are_read():
    reaction = text_message("wamid.R", type="reaction")
    reaction["reaction"] = {"message_id": "wamid.OUT1", "emoji": "👍"}
    image = text_message("wamid.I", type="image")
    image["image"] = {"caption": "comprobante", "mime_type": "image/jpeg", "sha256": "x", "id": "MEDIA1"}
    r, i = parse_webhook(body(delivery(messages_change(reaction, image)))).messages
    assert (r.reaction_emoji, r.reacted_wamid) == ("👍", "wamid.OUT1")
    assert (i.media_id, i.caption) == ("MEDIA1", "comprobante")
    assert i.content() == {"media_id": "MEDIA1", "caption": "comprobante", "profile_name": "María López"}


def test_a_user_with_a_username_arrives_with_a_user_id_and_no_wa_id():
    change = messages_change(
        text_message(sender=None, from_user_id="MX.999"),
        contacts=[
            contact(
                wa_id=None,
                user_id="MX.999",
                parent_user_id="MX.ENT.1",
                profile={"name": "M", "username": "@maria"},
            )
        ],
    )
    [message] = parse_webhook(body(delivery(change))).messages
    assert message.wa_id is None
    assert (message.user_id, message.parent_user_id, message.username) == ("MX.999", "MX.ENT.1", "@maria")


def test_statuses_carry_errors_pricing_and_callback_data():
    change = statuses_change(
        status("wamid.OUT1", "delivered", biz_opaque_callback_data="outbox:42"),
        status("wamid.OUT2", "failed"),
        status("wamid.OUT3", "played"),
    )
    contents = parse_webhook(body(delivery(change)))
    delivered, failed = contents.statuses
    assert delivered.status is MessageStatus.DELIVERED
    assert (delivered.pricing_category, delivered.pricing_billable) == ("utility", True)
    assert delivered.biz_opaque_callback_data == "outbox:42"
    assert (failed.error_code, failed.error_title, failed.error_details) == (
        131026, "Message undeliverable", "Message Undeliverable.",
    )  # fmt: skip
    assert contents.ignored == ("status:played",)


def test_several_entries_and_changes_in_one_post_are_all_read():
    payload = delivery(
        messages_change(text_message("wamid.A")), statuses_change(status("wamid.O", "sent")), entries=2
    )
    contents = parse_webhook(body(payload))
    assert [m.wamid for m in contents.messages] == ["wamid.A", "wamid.A"]
    assert len(contents.statuses) == 2


def test_template_reviews_are_read():
    [review] = parse_webhook(
        body(template_delivery(event="REJECTED", reason="INCORRECT_CATEGORY"))
    ).template_updates
    assert (review.event, review.template_id, review.name, review.language) == (
        "REJECTED", "594425479261596", "recordatorio_pago", "es_MX",
    )  # fmt: skip
    assert review.reason == "INCORRECT_CATEGORY"
    assert review.timestamp == NOON


def test_fields_cobro_does_not_handle_are_ignored_not_refused():
    contents = parse_webhook(body(delivery({"field": "account_update", "value": {"event": "X"}})))
    assert contents.ignored == ("field:account_update",)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "object"),
        (json.dumps({"object": "page", "entry": []}).encode(), "whatsapp_business_account"),
        (json.dumps({"object": "whatsapp_business_account"}).encode(), "entry"),
        (body(delivery({"field": "messages", "value": []})), "expected an object"),
        (body(delivery(messages_change({"id": "wamid.X", "type": "text", "from": "1"}))), "timestamp"),
        (body(delivery(messages_change(text_message(wamid=""), contacts=[]))), "id"),
        (body(delivery(messages_change(text_message(sender=None), contacts=[]))), "no sender"),
        (body(delivery(statuses_change({"id": "wamid.X", "timestamp": "1"}))), "status"),
        (body(delivery(statuses_change(status("wamid.X", "sent", ts=-1)))), "Unix seconds"),
    ],
)
def test_a_malformed_delivery_says_what_is_wrong(raw, problem):
    with pytest.raises(MalformedWebhook, match=problem):
        parse_webhook(raw)


_HEAD = b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},'


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (
            b'{"object":"whatsapp_business_account","entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "nested",
        ),
        (
            _HEAD + '"messages":[{"from":"1","id":"w","type":"text","timestamp":"\u00b2"}]}}]}]}'.encode(),
            "Unix",
        ),
        (
            _HEAD + b'"messages":[{"from":"1","id":"w","type":"' + b"x" * 40 + b'","timestamp":"1"}]}}]}]}',
            "32",
        ),
        (_HEAD + b'"messages":[{"from":"1","id":"w\\u0000","type":"text","timestamp":"1"}]}}]}]}', "NUL"),
        (
            _HEAD
            + b'"statuses":[{"id":"w","status":"sent","timestamp":"1","recipient_id":"'
            + b"1" * 40
            + b'"}]}}]}]}',
            "32",
        ),
    ],
    ids=["deeply nested", "non-ASCII digit timestamp", "overlong type", "NUL in an id", "overlong recipient"],
)
def test_a_body_cobro_could_never_store_is_refused_as_malformed_not_crashed_on(raw, problem):
    with pytest.raises(MalformedWebhook, match=problem):
        parse_webhook(raw)


def test_an_interactive_reply_whose_type_is_not_a_string_is_read_without_crashing():
    raw = (
        _HEAD
        + b'"messages":[{"from":"1","id":"w","type":"interactive","timestamp":"1","interactive":{"type":[]}}]}}]}]}'
    )
    [message] = parse_webhook(raw).messages
    assert message.type == "interactive"
