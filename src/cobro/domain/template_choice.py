"""Template choice: which approved template and language a stage's message goes out in, or why none can.

`resolve_template` tries the stage's template in the debtor's language, then the strategy's fallback
languages and templates, and says what it tried when none is approved. Standard library only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from cobro.domain.strategy import CREDITOR_LANGUAGE, Fallback, FallbackEnd
from cobro.domain.template_catalogue import template_language


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """The approved template and language to send, and which fallback (if any) led to it."""

    template: str
    language: str
    note: str = ""  # empty when the stage's own template in the debtor's language is approved
    fallback_used: bool = False


@dataclass(frozen=True, slots=True)
class TemplateUnavailable:
    """No template or language the stage allows is approved: what was tried and what the strategy says."""

    template: str
    language: str
    then: FallbackEnd
    tried: tuple[tuple[str, str], ...]
    reason: str


def resolve_template(
    stage_template: str,
    fallback: Fallback | None,
    debtor_language: str,
    approved: Collection[tuple[str, str]],
    *,
    creditor_language: str | None = None,
    statuses: Mapping[tuple[str, str], str] | None = None,
) -> TemplateChoice | TemplateUnavailable:
    """The first approved (template, language) the stage allows, or what was tried and what to do instead."""
    if fallback is None:  # no fallback: the template in the debtor's language, or skip
        fallback = Fallback(languages=())
    primary = template_language(debtor_language)
    languages = [primary]
    for language in fallback.languages:
        if language == CREDITOR_LANGUAGE:
            if creditor_language is None:
                continue
            language = template_language(creditor_language)
        if language not in languages:
            languages.append(language)
    tried: list[tuple[str, str]] = []
    for name in (stage_template, *fallback.templates):
        for language in languages:
            if (name, language) in approved:
                if name == stage_template and language == primary:
                    return TemplateChoice(name, language)
                what = "fallback language" if name == stage_template else "fallback template"
                note = f"{_status_phrase(stage_template, primary, statuses)}; using {name} in {language} ({what})"
                return TemplateChoice(name, language, note, fallback_used=True)
            tried.append((name, language))
    others = ", ".join(f"{n}/{lang}" for n, lang in tried[1:]) or "none"
    reason = (
        f"template {_status_phrase(stage_template, primary, statuses)} and no fallback is approved "
        f"(tried {others}); the strategy says {fallback.then.value.replace('_', ' ')}"
    )
    return TemplateUnavailable(stage_template, primary, fallback.then, tuple(tried), reason)


def choose_template(
    stage_template: str,
    fallback: Fallback | None,
    debtor_language: str,
    approved: Collection[tuple[str, str]],
    *,
    creditor_language: str | None = None,
) -> TemplateChoice | None:
    """The approved template and language to send, or None (resolve_template says why)."""
    found = resolve_template(
        stage_template, fallback, debtor_language, approved, creditor_language=creditor_language
    )
    return found if isinstance(found, TemplateChoice) else None


def _status_phrase(template: str, language: str, statuses: Mapping[tuple[str, str], str] | None) -> str:
    status = (statuses or {}).get((template, language))
    return f"{template} is {status} in {language}" if status else f"{template} is not approved in {language}"
