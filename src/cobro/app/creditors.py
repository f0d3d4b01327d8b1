"""Use cases for creditors: add one, list them."""

from __future__ import annotations

import re

from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.accounts import Creditor
from cobro.domain.clock import Clock
from cobro.domain.errors import AlreadyExists, InvalidInput, NotFound
from cobro.domain.events import AuditEvent, EventKind
from cobro.i18n.currencies import find_currency
from cobro.i18n.phones import country_zones

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
LANGUAGES = ("es", "en", "pt", "it")


def add_creditor(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    slug: str,
    name: str,
    country: str,
    currency: str,
    language: str = "es",
    actor: str = "cli",
) -> Creditor:
    """Adds a creditor after checking its slug, country, currency and language."""
    if not _SLUG.match(slug):
        raise InvalidInput(f"slug {slug!r} must be 2-63 lowercase letters, digits or '-'")
    if not name.strip():
        raise InvalidInput("name must not be empty")
    country = country.upper()
    if country not in country_zones():
        raise InvalidInput(f"country {country!r} is not an ISO 3166 code")
    found = find_currency(currency)
    if found is None:
        raise InvalidInput(f"currency {currency!r} is not an ISO 4217 code")
    if language not in LANGUAGES:
        raise InvalidInput(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    with uow_factory() as uow:
        if uow.creditors.get(slug) is not None:
            raise AlreadyExists(f"creditor {slug!r} already exists")
        creditor = uow.creditors.add(
            Creditor(slug=slug, name=name.strip(), country=country, currency=found.code, language=language)
        )
        uow.events.append(
            AuditEvent(
                kind=EventKind.CREDITOR_CREATED,
                occurred_at=clock.now(),
                actor=actor,
                creditor_id=creditor.id,
                data={"slug": slug, "country": country, "currency": found.code},
            )
        )
        uow.commit()
        return creditor


def list_creditors(uow_factory: UnitOfWorkFactory) -> list[Creditor]:
    """Every creditor, by slug."""
    with uow_factory() as uow:
        return uow.creditors.list()


def get_creditor(uow_factory: UnitOfWorkFactory, slug: str) -> Creditor:
    """The creditor with this slug; raises NotFound with the known slugs otherwise."""
    with uow_factory() as uow:
        creditor = uow.creditors.get(slug)
        if creditor is None:
            known = ", ".join(c.slug for c in uow.creditors.list()) or "none yet"
            raise NotFound(f"no creditor {slug!r} (known: {known}); add it with 'cobro creditor add'")
        return creditor
