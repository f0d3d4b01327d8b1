from cobro.domain.masking import mask_name, mask_phone, mask_value
from cobro.logs import mask_personal_data


def test_a_phone_keeps_only_its_prefix_and_last_two_digits():
    assert mask_phone("+34612345678") == "+34•••••••78"
    assert "612345" not in mask_phone("+34612345678")


def test_a_name_keeps_only_initials():
    assert mask_name("María  López") == "M•••• L••••"


def test_a_value_keeps_its_first_character():
    assert mask_value("1234.56") == "1••••••"
    assert mask_value("") == "''"


def test_log_events_never_carry_phones_names_amounts_or_secrets_in_clear():
    event = mask_personal_data(
        None,
        "info",
        {
            "event": "reply from +52 55 1234 5678 received",
            "debtor_name": "Juan Pérez",
            "amount": "1500.00",
            "access_token": "EAAG-secret",
        },
    )
    assert "1234 5678" not in event["event"]
    assert event["debtor_name"] == "J••• P••••"
    assert "1500" not in event["amount"]
    assert event["access_token"] == "[secret]"


def test_the_timestamp_structlog_adds_is_not_mistaken_for_a_phone():
    event = mask_personal_data(None, "info", {"event": "ok", "timestamp": "2026-11-23T15:03:16.115768Z"})
    assert event["timestamp"] == "2026-11-23T15:03:16.115768Z"
