"""The `conversation` section of a strategy document: how debtors prove who they are, how long things last,
and the plans, promises and extensions the bot may agree to on its own (domain/conversation/policy.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cobro.domain.conversation.identity import SecondFactor
from cobro.domain.conversation.policy import ConversationPolicy, PlanPolicy


class PlanDocument(BaseModel):
    """The payment plans the bot may offer and accept."""

    model_config = ConfigDict(extra="forbid", strict=True)

    max_instalments: int = Field(6, ge=1, le=60)
    min_instalment_minor: int = Field(0, ge=0, description="smallest instalment, in minor units")
    down_payment_percent: int = Field(0, ge=0, le=90)
    interval_days: int = Field(30, ge=7, le=92)
    first_due_days: int = Field(7, ge=0, le=60)
    offers: list[int] = Field(default_factory=lambda: [2, 3, 6], min_length=1, max_length=10)


class ConversationDocument(BaseModel):
    """A creditor's conversation rules."""

    model_config = ConfigDict(extra="forbid", strict=True)

    second_factor: Literal["name", "birth_date", "national_id"] = "name"
    national_id_digits: int = Field(4, ge=2, le=8)
    account_pattern: str = Field(
        r"[A-Z0-9]{5,30}", max_length=200, description="regular expression on the normalised account number"
    )
    account_example: str = Field("A0000000-1", max_length=40)
    max_failures: int = Field(3, ge=1, le=10)
    lock_minutes: int = Field(1440, ge=1)
    verified_minutes: int = Field(30, ge=1, le=1440)
    step_timeout_minutes: int = Field(30, ge=1, le=10080)
    confidence_threshold: float = Field(0.7, ge=0, le=1)
    promise_max_days: int = Field(30, ge=1, le=365)
    extension_max_days: int = Field(15, ge=1, le=365)
    reference_valid_days: int = Field(7, ge=1, le=90)
    plan: PlanDocument = Field(default_factory=PlanDocument)

    @field_validator("account_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


def conversation_policy(doc: ConversationDocument) -> ConversationPolicy:
    """The domain policy for a document section."""
    p = doc.plan
    return ConversationPolicy(
        second_factor=SecondFactor(doc.second_factor),
        national_id_digits=doc.national_id_digits,
        account_pattern=doc.account_pattern,
        account_example=doc.account_example,
        max_failures=doc.max_failures,
        lock=timedelta(minutes=doc.lock_minutes),
        verified_for=timedelta(minutes=doc.verified_minutes),
        step_timeout=timedelta(minutes=doc.step_timeout_minutes),
        confidence_threshold=doc.confidence_threshold,
        promise_max_days=doc.promise_max_days,
        extension_max_days=doc.extension_max_days,
        reference_valid_days=doc.reference_valid_days,
        plan=PlanPolicy(
            p.max_instalments,
            p.min_instalment_minor,
            p.down_payment_percent,
            p.interval_days,
            p.first_due_days,
            tuple(p.offers),
        ),
    )


def dump_conversation(policy: ConversationPolicy) -> dict[str, Any]:
    """The document section for a policy; parsing it gives the same policy."""
    p = policy.plan
    return {
        "second_factor": policy.second_factor.value,
        "national_id_digits": policy.national_id_digits,
        "account_pattern": policy.account_pattern,
        "account_example": policy.account_example,
        "max_failures": policy.max_failures,
        "lock_minutes": int(policy.lock.total_seconds() // 60),
        "verified_minutes": int(policy.verified_for.total_seconds() // 60),
        "step_timeout_minutes": int(policy.step_timeout.total_seconds() // 60),
        "confidence_threshold": policy.confidence_threshold,
        "promise_max_days": policy.promise_max_days,
        "extension_max_days": policy.extension_max_days,
        "reference_valid_days": policy.reference_valid_days,
        "plan": {
            "max_instalments": p.max_instalments,
            "min_instalment_minor": p.min_instalment_minor,
            "down_payment_percent": p.down_payment_percent,
            "interval_days": p.interval_days,
            "first_due_days": p.first_due_days,
            "offers": list(p.offers),
        },
    }
