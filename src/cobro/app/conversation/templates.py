"""An approved template as a prepared message's content: rendered from ledger values, kept as sent."""

from __future__ import annotations

from typing import Any

from cobro.app.template_parameters import TemplateValues, render_parameters
from cobro.domain.template_catalogue import TemplateEntry

_TEMPLATE_LANGUAGES = {"pt": "pt_BR"}


def template_language(language: str) -> str:
    """The catalogue's language code for a conversation language (pt -> pt_BR)."""
    return _TEMPLATE_LANGUAGES.get(language, language)


def template_content(entry: TemplateEntry, values: TemplateValues) -> dict[str, Any]:
    """{"type": "template", "template", "language", "parameters"} with each parameter rendered for the
    debtor's locale (amounts keep their currency and exact value for the Cloud API's currency parameter)."""
    return {
        "type": "template",
        "template": entry.name,
        "language": entry.language,
        "parameters": [
            {
                "kind": p.kind.value,
                "text": p.text,
                "currency_code": p.currency_code,
                "amount_1000": p.amount_1000,
            }
            for p in render_parameters(entry, values)
        ],
    }
