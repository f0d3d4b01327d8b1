"""Cobro's settings: one object, read from the environment and .env (prefix COBRO_) by bootstrap only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Cobro reads; see the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix="COBRO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'var' / 'cobro.db'}",
        description="SQLAlchemy URL; SQLite file under ./var by default, postgresql+psycopg://... in production.",
    )
    env: Literal["development", "production"] = Field(
        default="development", description="production switches logs to JSON."
    )
    log_level: str = Field(default="INFO", description="Lowest level logged.")
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, description="Port the server listens on.")
    secret_key: SecretStr = Field(
        default=SecretStr("dev-only-change-me"), description="Signs console sessions; set it in production."
    )
    import_max_bytes: int = Field(default=1 << 30, description="Largest import file accepted, in bytes.")
    import_workers: int = Field(default=2, description="Processes that validate import rows in parallel.")
    plan_every_seconds: float = Field(
        default=300.0,
        description="How often the server plans every account (the scheduler); 0 turns the scheduler off.",
    )
    whatsapp_api_base: str = Field(
        default="http://127.0.0.1:8900",
        description="Graph API base URL: the sandbox, or https://graph.facebook.com.",
    )
    whatsapp_api_version: str = Field(default="v23.0", description="Graph API version in every path.")
    whatsapp_access_token: SecretStr = Field(
        default=SecretStr("sandbox-access-token"), description="System-user access token (Bearer)."
    )
    whatsapp_phone_number_id: str = Field(
        default="1090000000000001", description="The business phone number id that sends."
    )
    whatsapp_waba_id: str = Field(
        default="1020000000000001", description="The WhatsApp Business Account id (templates live there)."
    )
    whatsapp_app_id: str = Field(
        default="1210000000000001", description="The Meta app id (its webhook subscription lives there)."
    )
    whatsapp_app_secret: SecretStr = Field(
        default=SecretStr("sandbox-app-secret"),
        description="The Meta app secret; signs webhook deliveries (X-Hub-Signature-256).",
    )
    whatsapp_verify_token: SecretStr = Field(
        default=SecretStr("sandbox-verify-token"),
        description="Token Meta echoes in the webhook verification handshake.",
    )

    def public_defaults_in_production(self) -> list[str]:
        """The secrets still at their published defaults while env is production (each one would let anyone
        forge webhooks or sessions); empty in development, where the defaults match the sandbox."""
        if self.env != "production":
            return []
        secrets = ("secret_key", "whatsapp_app_secret", "whatsapp_verify_token", "whatsapp_access_token")
        defaults = type(self).model_fields
        return [
            f"COBRO_{name.upper()}"
            for name in secrets
            if getattr(self, name).get_secret_value() == defaults[name].get_default().get_secret_value()
        ]
