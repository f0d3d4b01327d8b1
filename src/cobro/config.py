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
    # --- the send pipeline (docs/decisions/0032) -------------------------------------------------------
    queue_url: str = Field(
        default="",
        description=(
            "Task broker: empty runs the send tasks in-process (laptop mode), amqp://guest:guest@host:5672/ "
            "uses RabbitMQ, redis://host:6379/0 Redis."
        ),
    )
    queue_name: str = Field(
        default="cobro-send",
        description="The broker queue send tasks go through (one per environment sharing a broker).",
    )
    redis_url: str = Field(
        default="",
        description=(
            "Redis holding the per-number send rate limit shared by every worker; empty keeps it in the "
            "process (one worker only)."
        ),
    )
    send_rate: float = Field(
        default=80.0,
        gt=0,
        description="Messages/s per sending number: Meta's tier (80 by default, 1,000 once upgraded).",
    )
    send_rate_headroom: float = Field(
        default=0.98,
        gt=0,
        le=1,
        description="Share of send_rate used, leaving room for Meta's counting of other traffic.",
    )
    send_max_in_flight: int = Field(
        default=16,
        ge=1,
        description="Send requests one worker process keeps in flight (more processes carry more).",
    )
    send_batch_size: int = Field(default=100, ge=1, le=1000, description="Outbox ids per send task.")
    send_lease_seconds: float = Field(
        default=120.0, gt=0, description="How long a claim lasts before its row counts as unknown."
    )
    send_unknown_deadline_seconds: float = Field(
        default=900.0,
        gt=0,
        description="How long an unknown outcome waits for a status webhook before a person decides.",
    )
    send_requeue_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a queued row waits for its task before it is published again.",
    )
    send_in_server: bool = Field(
        default=True,
        description=(
            "Laptop mode (COBRO_QUEUE_URL empty): `cobro serve` also sends the outbox in its own process; "
            "false leaves sending to `cobro send`."
        ),
    )
    dispatch_every_seconds: float = Field(
        default=1.0, gt=0, description="How often a worker moves due outbox rows to the broker."
    )
    bot_enabled: bool = Field(
        default=True, description="The server answers debtors' messages (the conversation bot)."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Cobro's address as debtors reach it: payment links are <public_url>/pay/<reference>.",
    )
    payment_provider_url: str = Field(
        default="http://127.0.0.1:8900",
        description="The payment provider's API base (the sandbox's checkout lives beside its Graph API).",
    )
    payment_webhook_secret: SecretStr = Field(
        default=SecretStr("sandbox-payments-secret"),
        description="Shared secret the payment provider signs its webhooks with.",
    )

    def public_defaults_in_production(self) -> list[str]:
        """The secrets still at their published defaults while env is production (each one would let anyone
        forge webhooks or sessions); empty in development, where the defaults match the sandbox."""
        if self.env != "production":
            return []
        secrets = (
            "secret_key",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
            "whatsapp_access_token",
            "payment_webhook_secret",
        )
        defaults = type(self).model_fields
        return [
            f"COBRO_{name.upper()}"
            for name in secrets
            if getattr(self, name).get_secret_value() == defaults[name].get_default().get_secret_value()
        ]
