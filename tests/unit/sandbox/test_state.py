"""Phones, business-scoped ids, wamids, the service window and the callback-data counter."""

from __future__ import annotations

from cobro.sandbox.settings import SandboxSettings, SeedPhone
from cobro.sandbox.state import Message, SandboxState, business_scoped_user_id, country_of, normalize_phone


def _message(state: SandboxState, phone_e164: str, callback: str | None = None) -> Message:
    phone = state.phone(phone_e164)
    return Message(
        id=state.new_wamid(phone),
        phone=phone.phone,
        number_id="n1",
        direction="to_phone",
        timestamp=0,
        type="text",
        status="accepted",
        biz_opaque_callback_data=callback,
    )


def test_a_phone_is_created_on_first_use_with_its_wa_id_and_a_country_scoped_user_id() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[]))
    phone = state.phone("+5215511112222")
    assert phone.wa_id == "5215511112222"
    assert phone.user_id.startswith("MX.")
    assert phone.name
    assert state.phone("+5215511112222") is phone


def test_the_user_id_is_stable_per_business_and_differs_between_businesses() -> None:
    assert business_scoped_user_id("5215511112222", "w1") == business_scoped_user_id("5215511112222", "w1")
    assert business_scoped_user_id("5215511112222", "w1") != business_scoped_user_id("5215511112222", "w2")
    assert country_of("51987654321") == "PE"
    assert country_of("447700900000") == "GB"


def test_a_username_phone_that_hides_its_number_has_no_wa_id() -> None:
    seeded = SeedPhone(phone="+52 1 55 8765 4321", name="Beto", username="@beto", hide_phone=True)
    state = SandboxState(SandboxSettings(seed_phones=[seeded]))
    phone = state.phones["+5215587654321"]
    assert phone.wa_id is None
    assert state.find_recipient(phone.user_id, "user_id") is phone


def test_unreachable_phones_are_not_on_whatsapp() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[], unreachable_phones=["5215500000000"]))
    assert not state.phone("+5215500000000").on_whatsapp
    assert normalize_phone("+52 (155) 0000-0000") == "+5215500000000"


def test_wamids_are_unique_and_shaped_like_metas() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[]))
    phone = state.phone("+5215511112222")
    ids = {state.new_wamid(phone) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("wamid.HBgM") for i in ids)


def test_the_service_window_opens_with_the_persons_message_and_closes_after_24_hours() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[]))
    phone = state.phone("+5215511112222")
    assert not state.window_open(phone, "n1", 1000.0)
    phone.last_inbound["n1"] = 1000.0
    assert state.window_open(phone, "n1", 1000.0 + 23 * 3600)
    assert not state.window_open(phone, "n1", 1000.0 + 24 * 3600)
    assert not state.window_open(phone, "n2", 1001.0)


def test_stats_count_how_many_wamids_each_callback_key_got() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[]))
    for key in ("a", "b", "b", None):
        message = _message(state, "+5215511112222", key)
        state.add_message(state.phone(message.phone), message)
        state.record_accepted(message, 1.0)
    stats = state.stats.to_json()
    assert stats["accepted"] == 4
    assert stats["callback_data"]["keys"] == 2
    assert stats["callback_data"]["duplicates"] == [{"biz_opaque_callback_data": "b", "wamids": 2}]


def test_the_oldest_messages_are_forgotten_past_the_retention() -> None:
    state = SandboxState(SandboxSettings(seed_phones=[], message_retention=3))
    phone = state.phone("+5215511112222")
    made = []
    for _ in range(5):
        message = _message(state, phone.phone)
        state.add_message(phone, message)
        made.append(message.id)
    assert [m.id for m in state.chat(phone)] == made[-3:]
