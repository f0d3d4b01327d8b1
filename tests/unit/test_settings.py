import pytest

from cobro.bootstrap import load_settings
from cobro.domain.errors import InvalidInput

OWN_SECRETS = {
    "secret_key": "own-1",
    "whatsapp_app_secret": "own-2",
    "whatsapp_verify_token": "own-3",
    "whatsapp_access_token": "own-4",
    "payment_webhook_secret": "own-5",
}


def test_development_runs_on_the_sandbox_defaults():
    assert load_settings(env="development").whatsapp_app_secret.get_secret_value() == "sandbox-app-secret"


def test_production_refuses_every_secret_left_at_its_published_default():
    with pytest.raises(InvalidInput) as refused:
        load_settings(env="production", secret_key="own-1")
    message = str(refused.value)
    assert "COBRO_WHATSAPP_APP_SECRET" in message
    assert "COBRO_WHATSAPP_VERIFY_TOKEN" in message
    assert "COBRO_WHATSAPP_ACCESS_TOKEN" in message
    assert "COBRO_SECRET_KEY" not in message


def test_production_starts_with_its_own_secrets():
    assert load_settings(env="production", **OWN_SECRETS).env == "production"
