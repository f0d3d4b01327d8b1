"""The sandbox's memory: phones, their chats, messages by wamid, service windows and the counters of /sandbox/stats.

Every update is O(1): the send route runs thousands of times a second.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from cobro.sandbox.settings import SandboxSettings, SeedPhone

# Status order: a message's status only moves forward (read never goes back to delivered).
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(slots=True)
class Phone:
    """A person's WhatsApp: the identifiers Meta shows a business, and who is watching the chat."""

    phone: str  # E.164 with "+"
    digits: str
    wa_id: str | None
    user_id: str
    parent_user_id: str | None
    username: str | None
    name: str
    on_whatsapp: bool = True
    # Business number id -> wall time of the person's last message: opens the 24-hour service window.
    last_inbound: dict[str, float] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    # (business number id, pricing category) -> (conversation id, expiration epoch seconds)
    conversations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The Phone object of docs/sandbox.md."""
        return {
            "phone": self.phone,
            "wa_id": self.wa_id,
            "user_id": self.user_id,
            "parent_user_id": self.parent_user_id,
            "username": self.username,
            "name": self.name,
            "on_whatsapp": self.on_whatsapp,
        }


@dataclass(slots=True)
class Message:
    """One message in a chat, either way; `outbound` keeps the parsed send so its Render is made only when seen."""

    id: str
    phone: str
    number_id: str
    direction: str  # "to_phone" | "from_phone"
    timestamp: int
    type: str
    status: str
    context_id: str | None = None
    biz_opaque_callback_data: str | None = None
    category: str = "service"  # pricing category: utility, marketing, authentication, service
    free: bool = False  # inside an open service window and free under per-message pricing
    outbound: Any = None
    render: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The PhoneMessage object of docs/sandbox.md (renders on first use)."""
        if self.render is None and self.outbound is not None:
            from cobro.sandbox.render import render

            self.render = render(self.outbound)
        return {
            "id": self.id,
            "direction": self.direction,
            "timestamp": self.timestamp,
            "type": self.type,
            "status": self.status,
            "context_id": self.context_id,
            "render": self.render,
        }


@dataclass(slots=True)
class Stats:
    """Counters behind GET /sandbox/stats."""

    accepted: int = 0
    rejected: Counter[int] = field(default_factory=Counter)
    injected_5xx: int = 0
    injected_timeouts: int = 0
    accepted_despite_failure: int = 0
    inbound: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    first_accepted_at: float | None = None
    last_accepted_at: float | None = None
    # biz_opaque_callback_data -> how many wamids carried it: the send benchmark counts duplicates with this.
    wamids_by_callback: Counter[str] = field(default_factory=Counter)

    def to_json(self, duplicates_shown: int = 100) -> dict[str, Any]:
        """The stats as JSON: duplicated callback keys listed up to `duplicates_shown`."""
        duplicated = [(key, n) for key, n in self.wamids_by_callback.items() if n > 1]
        span = (
            (self.last_accepted_at - self.first_accepted_at)
            if self.first_accepted_at is not None and self.last_accepted_at is not None
            else 0.0
        )
        return {
            "accepted": self.accepted,
            "accepted_per_second": round(self.accepted / span, 1) if span > 0 else None,
            "rejected": {str(code): n for code, n in sorted(self.rejected.items())},
            "injected": {
                "http_5xx": self.injected_5xx,
                "timeouts": self.injected_timeouts,
                "accepted_despite_failure": self.accepted_despite_failure,
            },
            "inbound": self.inbound,
            "statuses": dict(self.statuses),
            "callback_data": {
                "keys": len(self.wamids_by_callback),
                "wamids": sum(self.wamids_by_callback.values()),
                "duplicated_keys": len(duplicated),
                "duplicates": [
                    {"biz_opaque_callback_data": k, "wamids": n} for k, n in duplicated[:duplicates_shown]
                ],
            },
        }


def normalize_phone(raw: str) -> str:
    """ "+52 1 55..." or "52155..." -> "+52155..." (digits only after the plus)."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return "+" + digits


def country_of(digits: str) -> str:
    """ISO country of a number from its calling code ("52..." -> "MX"); "ZZ" when unknown."""
    # Calling codes are prefix-free, so the first one to three digits name exactly one code.
    for size in (1, 2, 3):
        region = phonenumbers.region_code_for_country_code(int(digits[:size] or "0"))
        if region not in ("ZZ", "001"):
            return str(region)
    return "ZZ"


def business_scoped_user_id(digits: str, scope: str) -> str:
    """A stable BSUID like "MX.1234567890123456789": the country, then digits derived from the number and business.

    Meta's format is a country code, a dot and up to 128 alphanumerics; it differs per business portfolio.
    """
    h = hashlib.sha256(f"{scope}:{digits}".encode()).digest()
    return f"{country_of(digits)}.{int.from_bytes(h[:8], 'big')}"


class SandboxState:
    """Phones, messages and counters, all in memory."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.phones: dict[str, Phone] = {}
        self.by_user_id: dict[str, Phone] = {}
        self.messages: dict[str, Message] = {}
        self.stats = Stats()
        self._wamid_prefix = hashlib.sha256(f"{settings.seed}:{time.time_ns()}".encode()).digest()[:4]
        self._counter = 0
        self._media_counter = 0
        for seed in settings.seed_phones:
            self.add_phone(seed)

    # phones

    def add_phone(self, seed: SeedPhone) -> Phone:
        """Creates (or replaces) a phone from a seed."""
        e164 = normalize_phone(seed.phone)
        digits = e164[1:]
        phone = Phone(
            phone=e164,
            digits=digits,
            wa_id=None if seed.hide_phone else digits,
            user_id=business_scoped_user_id(digits, self.settings.waba_id),
            parent_user_id=seed.parent_user_id,
            username=seed.username,
            name=seed.name,
            on_whatsapp=e164 not in self.settings.unreachable_phones,
        )
        self.phones[e164] = phone
        self.by_user_id[phone.user_id] = phone
        return phone

    def phone(self, e164: str) -> Phone:
        """The phone with this number, created on first use (a person anyone can write to)."""
        found = self.phones.get(e164)
        if found is not None:
            return found
        digits = e164[1:]
        return self.add_phone(SeedPhone(phone=e164, name=_profile_name(digits)))

    def find_recipient(self, recipient: str, kind: str = "phone") -> Phone | None:
        """The phone a send names: by its digits (created on first send), its BSUID or its parent BSUID."""
        if kind == "phone":
            return self.phone("+" + recipient)
        if kind == "user_id":
            return self.by_user_id.get(recipient)
        # Parent BSUIDs are rare (managed businesses only): a scan is fine.
        return next((p for p in self.phones.values() if p.parent_user_id == recipient), None)

    def refresh_reachability(self) -> None:
        """Re-reads unreachable_phones after the knob changed."""
        unreachable = set(self.settings.unreachable_phones)
        for phone in self.phones.values():
            phone.on_whatsapp = phone.phone not in unreachable

    # service window and conversations

    def window_open(self, phone: Phone, number_id: str, now: float) -> bool:
        """Whether the person wrote to this business number within the service window."""
        last = phone.last_inbound.get(number_id)
        return last is not None and now - last < self.settings.service_window

    def conversation(self, phone: Phone, number_id: str, category: str, now: float) -> tuple[str, int]:
        """The open conversation for this category, or a new one lasting 24 hours."""
        key = (number_id, category)
        current = phone.conversations.get(key)
        if current is not None and current[1] > now:
            return current
        conv_id = hashlib.md5(f"{number_id}:{phone.digits}:{category}:{now}".encode()).hexdigest()
        created = (conv_id, int(now) + 24 * 3600)
        phone.conversations[key] = created
        return created

    # messages

    def new_wamid(self, phone: Phone) -> str:
        """A wamid shaped like Meta's: "wamid." and base64 of the recipient and a unique suffix."""
        self._counter += 1
        raw = (
            b"\x15\x02\x00\x11\x18\x12"
            + phone.digits.encode()
            + self._wamid_prefix
            + self._counter.to_bytes(8, "big")
        )
        return "wamid.HBgM" + base64.b64encode(raw).decode()

    def new_media_id(self) -> str:
        """A numeric media id, as Meta gives uploaded and received media."""
        self._media_counter += 1
        return str(1_300_000_000_000_000 + self._media_counter)

    def add_message(self, phone: Phone, message: Message) -> None:
        """Stores a message in its chat, forgetting the oldest past message_retention."""
        messages = self.messages
        messages[message.id] = message
        phone.message_ids.append(message.id)
        if len(messages) > self.settings.message_retention:
            oldest = next(iter(messages))
            del messages[oldest]

    def chat(self, phone: Phone, limit: int | None = None) -> list[Message]:
        """A phone's messages, oldest first (the last `limit` if given)."""
        ids = phone.message_ids if limit is None else phone.message_ids[-limit:]
        found = [self.messages.get(i) for i in ids]
        if len(found) != len(ids) or None in found:
            phone.message_ids = [i for i in phone.message_ids if i in self.messages]
        return [m for m in found if m is not None]

    def record_accepted(self, message: Message, now: float) -> None:
        """Counts an accepted send (and the wamid its callback data got)."""
        stats = self.stats
        stats.accepted += 1
        if stats.first_accepted_at is None:
            stats.first_accepted_at = now
        stats.last_accepted_at = now
        if message.biz_opaque_callback_data is not None:
            stats.wamids_by_callback[message.biz_opaque_callback_data] += 1

    def reset(self) -> None:
        """Forgets messages, counters and windows; keeps the seeded phones."""
        self.phones.clear()
        self.by_user_id.clear()
        self.messages.clear()
        self.stats = Stats()
        for seed in self.settings.seed_phones:
            self.add_phone(seed)
        self.refresh_reachability()


_FIRST = (
    "Ana",
    "Luis",
    "María",
    "José",
    "Lucía",
    "Carlos",
    "Sofía",
    "Jorge",
    "Valeria",
    "Miguel",
    "Paula",
    "Diego",
)
_LAST = (
    "García",
    "Hernández",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Flores",
)


def _profile_name(digits: str) -> str:
    """A deterministic profile name for an auto-created phone."""
    n = int(digits[-6:] or "0")
    return f"{_FIRST[n % len(_FIRST)]} {_LAST[(n // 7) % len(_LAST)]}"
