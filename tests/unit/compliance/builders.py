"""Builders for the compliance tests: a debtor, an account, an intent and a history in one line each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cobro.domain.accounts import Consent, ConsentMethod
from cobro.domain.contact import (
    AccountContext,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
    OutboundIntent,
)
from cobro.domain.money import Money

PHONE = "+573001234567"
CONSENT = Consent(given_at=datetime(2026, 1, 5, tzinfo=UTC), method=ConsentMethod.CONTRACT, source="file")
CONFIRMED = datetime(2026, 1, 6, tzinfo=UTC)


def debtor(country: str = "CO", *zones: str, region: str | None = None, **changes: Any) -> DebtorContext:
    """A consenting debtor who confirmed being the right person."""
    base = DebtorContext(
        id=1,
        phone=PHONE,
        country=country,
        language="es",
        time_zones=zones or ("America/Bogota",),
        region=region,
        consent=CONSENT,
        right_party_confirmed_at=CONFIRMED,
    )
    return replace(base, **changes)


def account(**changes: Any) -> AccountContext:
    """An account overdue since October 2026."""
    base = AccountContext(
        id=7,
        reference="ACC-7",
        creditor_id=1,
        outstanding=Money(Decimal("120.00"), "USD"),
        oldest_due_date=date(2026, 10, 1),
        open_invoices=1,
    )
    return replace(base, **changes)


def intent(kind: MessageKind = MessageKind.COLLECTION, **changes: Any) -> OutboundIntent:
    """An approved template to the debtor's own number."""
    return replace(
        OutboundIntent(kind=kind, to_phone=PHONE, stage="reminder", template="reminder"), **changes
    )


def history(*instants: datetime, read: bool = False, **changes: Any) -> ContactHistory:
    """Collection messages sent at the given instants (oldest first)."""
    records = tuple(
        ContactRecord(at=at, kind=MessageKind.COLLECTION, status="read" if read else "delivered")
        for at in sorted(instants)
    )
    return replace(ContactHistory(outbound=records), **changes)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in `zone`."""
    wall = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)
    return wall.astimezone(UTC)


def wall(instant: datetime, zone: str) -> str:
    """An instant as 'YYYY-MM-DD HH:MM' in `zone`, for readable assertions."""
    return f"{instant.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"
