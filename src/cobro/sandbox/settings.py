"""The sandbox's settings: identity (ids, tokens, secret), realism knobs and failure injection (COBRO_SANDBOX_*).

Defaults follow docs/sandbox.md. The knobs in `RUNTIME_KNOBS` may be changed while the sandbox runs, through
`POST /sandbox/admin`; the identity may not (a client configured at start would stop matching).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BusinessNumber(BaseModel):
    """One business phone number of the WABA: its Graph id, the number people see, its throughput tier."""

    id: str
    display_phone_number: str
    verified_name: str = "Cobro Sandbox"
    # Messages per second before 130429: 80 by default, 1,000 for numbers Meta has upgraded.
    tier: int = Field(default=80, ge=1, le=1000)


class SeedPhone(BaseModel):
    """A person's phone present from the start, for the demo and the phone page."""

    phone: str
    name: str
    username: str | None = None
    # A username user who hides their number: webhooks carry `user_id` and no `wa_id` (Meta's 2026 change).
    hide_phone: bool = False
    parent_user_id: str | None = None


def _default_numbers() -> list[BusinessNumber]:
    return [BusinessNumber(id="1090000000000001", display_phone_number="15550100001")]


def _default_phones() -> list[SeedPhone]:
    return [
        SeedPhone(phone="+5215512345678", name="Ana López"),
        SeedPhone(phone="+5215587654321", name="Beto Ramírez", username="@beto.r", hide_phone=True),
        SeedPhone(phone="+51987654321", name="Carla Quispe", username="@carlaq"),
    ]


class SandboxSettings(BaseSettings):
    """Everything the sandbox reads from the environment (prefix COBRO_SANDBOX_)."""

    model_config = SettingsConfigDict(env_prefix="COBRO_SANDBOX_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8900
    public_url: str | None = Field(
        default=None, description="Base URL printed for people; default http://host:port."
    )

    # Identity
    app_id: str = "1210000000000001"
    app_secret: str = "sandbox-app-secret"
    waba_id: str = "1020000000000001"
    business_numbers: list[BusinessNumber] = Field(default_factory=_default_numbers)
    tier: int | None = Field(
        default=None,
        ge=1,
        description="Overrides every number's tier; above Meta's 1,000 only for benchmarks.",
    )
    access_tokens: list[str] = Field(default_factory=lambda: ["sandbox-access-token"])
    verify_token: str = "sandbox-verify-token"
    callback_url: str | None = Field(
        default=None, description="Where webhooks go before any subscription call."
    )

    # Templates
    review_delay: float = Field(default=2.0, ge=0, description="Seconds a new template stays PENDING.")

    # Message lifecycle: the `sent` status after sent_delay, then `delivered` and `read` with these odds.
    sent_delay: float = Field(default=0.2, ge=0)
    delivered_probability: float = Field(default=0.95, ge=0, le=1)
    delivered_delay: float = Field(default=1.0, ge=0)
    read_probability: float = Field(default=0.6, ge=0, le=1)
    read_delay: float = Field(default=5.0, ge=0)
    # Phones that are not on WhatsApp: sends to them are accepted, then fail with 131026.
    unreachable_phones: list[str] = Field(default_factory=lambda: ["+5215500000000"])
    seed_phones: list[SeedPhone] = Field(default_factory=_default_phones)
    # Pair rate limit per (business number, user): Meta allows bursts, then about one message every 6 s.
    pair_rate: float = Field(default=1 / 6, gt=0, description="Sustained messages/s to one user.")
    pair_burst: int = Field(default=45, ge=1, description="Messages to one user before pair_rate applies.")
    service_window: float = Field(
        default=24 * 3600, gt=0, description="Seconds a user's message opens free-form."
    )

    # Failure injection on the send route
    http_5xx_rate: float = Field(default=0.0, ge=0, le=1, description="Share of sends answered 500.")
    timeout_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of sends answered only after timeout_delay."
    )
    timeout_delay: float = Field(default=30.0, ge=0)
    # Of the injected 500s and timeouts, the share where the message was nevertheless accepted (statuses follow):
    # the ambiguous case a sender must reconcile from status webhooks, never by resending.
    failure_accepts_probability: float = Field(default=0.5, ge=0, le=1)

    # Failure injection on webhooks
    webhook_drop_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of statuses never delivered."
    )
    duplicate_status_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of statuses delivered twice."
    )
    out_of_order_rate: float = Field(default=0.0, ge=0, le=1, description="Share of statuses held back.")
    out_of_order_delay: float = Field(default=1.0, ge=0, description="How long a held-back status waits.")

    # Webhook delivery
    webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [1, 2, 5, 15, 30, 60, 120, 300, 600, 1800],
        description="Seconds before each retry of a POST that got no 2xx; then it is given up.",
    )
    webhook_flush_interval: float = Field(
        default=0.05, gt=0, description="Seconds statuses wait to be batched."
    )
    webhook_batch_size: int = Field(default=200, ge=1, description="Most statuses in one POST.")
    webhook_concurrency: int = Field(default=16, ge=1, description="Most POSTs in flight at once.")
    webhook_timeout: float = Field(default=10.0, gt=0)

    # Payments (sandbox/payments.py): where the signed payment webhooks go, the secret they are signed with
    # (Cobro's COBRO_PAYMENT_WEBHOOK_SECRET), and the seconds before each retry of one that got no 2xx.
    payments_webhook_url: str | None = Field(
        default="http://127.0.0.1:8000/webhooks/payments",
        description="Where payment webhooks go; empty: nowhere.",
    )
    payments_webhook_secret: str = "sandbox-payments-secret"
    payments_webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [1, 5, 30, 120],
        description="Seconds before each retry of a payment webhook that got no 2xx; then it is given up.",
    )

    seed: int = Field(default=0, description="Seed of the RNG behind every random choice.")
    message_retention: int = Field(
        default=500_000, ge=1, description="Messages kept; the oldest are forgotten."
    )
    state_file: Path | None = Field(default=None, description="JSON file the phones and chats are kept in.")

    @field_validator("unreachable_phones")
    @classmethod
    def _e164(cls, phones: list[str]) -> list[str]:
        return ["+" + p.lstrip("+").strip() for p in phones]

    def number(self, phone_number_id: str) -> BusinessNumber | None:
        """The business number with this Graph id, if the WABA has it."""
        for number in self.business_numbers:
            if number.id == phone_number_id:
                return number
        return None

    def base_url(self) -> str:
        """The address people and clients use."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def knobs(self) -> dict[str, Any]:
        """The runtime-changeable settings, as JSON."""
        return self.model_dump(mode="json", include=RUNTIME_KNOBS)


# What POST /sandbox/admin may change while running.
RUNTIME_KNOBS = frozenset(
    {
        "callback_url",
        "review_delay",
        "sent_delay",
        "delivered_probability",
        "delivered_delay",
        "read_probability",
        "read_delay",
        "unreachable_phones",
        "pair_rate",
        "pair_burst",
        "service_window",
        "http_5xx_rate",
        "timeout_rate",
        "timeout_delay",
        "failure_accepts_probability",
        "webhook_drop_rate",
        "duplicate_status_rate",
        "out_of_order_rate",
        "out_of_order_delay",
        "webhook_retry_delays",
        "webhook_flush_interval",
        "webhook_batch_size",
        "business_numbers",
        "tier",
        "payments_webhook_url",
        "payments_webhook_retry_delays",
    }
)
