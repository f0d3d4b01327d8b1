"""What a message template may hold: Meta's limits as data, and a submitted template parsed into its shape.

References (Meta's WhatsApp Business Platform docs):
- templates/overview: name up to 512 lowercase letters, digits and underscores; one name may exist in many
  languages; `parameter_format` POSITIONAL (default) or NAMED.
- templates/components: text header up to 60 characters with at most 1 parameter, body up to 1,024, footer
  up to 60 with no parameters, at most 10 buttons of which 2 URL and 1 PHONE_NUMBER, button text up to 25;
  a component with parameters needs `example` values (checked at review, see review.py).
- Creation errors are code 100 with a subcode (2388040 character limit, 2388047 header format, 2388024 the
  same name already exists in that language) and `error_user_title` / `error_user_msg` for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cobro.sandbox.errors import GraphError, template_invalid

LIMITS = {
    "name": 512,
    "header_text": 60,
    "header_variables": 1,
    "body_text": 1024,
    "footer_text": 60,
    "buttons": 10,
    "button_text": 25,
    "url": 2000,
    "phone_number": 20,
}
BUTTON_TYPE_LIMITS = {"QUICK_REPLY": 10, "URL": 2, "PHONE_NUMBER": 1}
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
PARAMETER_FORMATS = ("POSITIONAL", "NAMED")
STATUSES = ("PENDING", "APPROVED", "REJECTED", "PAUSED", "DISABLED")
SUBCODE_CHARACTER_LIMIT = 2388040
SUBCODE_HEADER_FORMAT = 2388047
SUBCODE_DUPLICATE_LANGUAGE = 2388024

# Meta's supported template languages (code -> the name WhatsApp Manager shows), the ones a collection
# business in Latin America, Iberia, Italy or the US would use.
LANGUAGES = {
    "en": "English",
    "en_GB": "English (UK)",
    "en_US": "English (US)",
    "es": "Spanish",
    "es_AR": "Spanish (ARG)",
    "es_CL": "Spanish (CHL)",
    "es_CO": "Spanish (COL)",
    "es_CR": "Spanish (CRI)",
    "es_DO": "Spanish (DOM)",
    "es_EC": "Spanish (ECU)",
    "es_ES": "Spanish (SPA)",
    "es_MX": "Spanish (MEX)",
    "es_PA": "Spanish (PAN)",
    "es_PE": "Spanish (PER)",
    "es_UY": "Spanish (URY)",
    "pt_BR": "Portuguese (BR)",
    "pt_PT": "Portuguese (POR)",
    "it": "Italian",
    "fr": "French",
    "de": "German",
}

NAME = re.compile(r"[a-z0-9_]+")
# Anything between double braces is a variable; what it may be named depends on the parameter format.
VARIABLE = re.compile(r"\{\{([^{}]*)\}\}")
POSITIONAL_VARIABLE = re.compile(r"[1-9][0-9]*")
NAMED_VARIABLE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class ButtonShape:
    """One template button: its type, label and, for URL buttons, the variable at the end of the URL."""

    type: str
    text: str
    url: str | None = None
    phone_number: str | None = None
    url_variable: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """A template's texts and variables, computed once at creation so a send only compares counts."""

    header_text: str | None
    header_variables: tuple[str, ...]
    body_text: str
    body_variables: tuple[str, ...]
    footer_text: str | None
    buttons: tuple[ButtonShape, ...]
    # Each occurrence of a variable, and the length of the text around them: a send measures the filled-in
    # text without building it.
    header_slots: tuple[str, ...] = ()
    header_fixed_length: int = 0
    body_slots: tuple[str, ...] = ()
    body_fixed_length: int = 0

    def filled_length(self, where: str, values: dict[str, str]) -> int:
        """Length of the header or body once `values` replace its variables."""
        if where == "header":
            return self.header_fixed_length + sum(len(values[v]) for v in self.header_slots)
        return self.body_fixed_length + sum(len(values[v]) for v in self.body_slots)


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """A submitted template that passed creation checks: its fields and its shape."""

    name: str
    language: str
    category: str
    parameter_format: str
    components: list[dict[str, Any]]
    allow_category_change: bool
    shape: TemplateShape


def _refuse(message: str, subcode: int | None = None, title: str = "Invalid parameter") -> GraphError:
    return template_invalid(subcode, title, message)


def _too_long(what: str, text: str, limit: int) -> GraphError:
    return _refuse(
        f"The {what} has {len(text)} characters; the limit is {limit}.",
        SUBCODE_CHARACTER_LIMIT,
        "Character limit exceeded",
    )


def variables_of(text: str, parameter_format: str, where: str) -> tuple[str, ...]:
    """The distinct variables of `text` in order of appearance, refused unless they fit the format."""
    found: list[str] = []
    for match in VARIABLE.finditer(text):
        name = match.group(1)
        if name not in found:
            found.append(name)
    if parameter_format == "POSITIONAL":
        for name in found:
            if not POSITIONAL_VARIABLE.fullmatch(name):
                raise _refuse(
                    f"The {where} has the variable {{{{{name}}}}}: positional templates use {{{{1}}}}, "
                    "{{2}}... (set parameter_format to NAMED for named variables)."
                )
        if sorted(int(n) for n in found) != list(range(1, len(found) + 1)):
            listed = ", ".join(f"{{{{{n}}}}}" for n in found)
            raise _refuse(f"The {where} variables ({listed}) must be numbered in sequence from {{{{1}}}}.")
    else:
        for name in found:
            if not NAMED_VARIABLE.fullmatch(name):
                raise _refuse(
                    f"The {where} has the variable {{{{{name}}}}}: named variables use lowercase letters, "
                    "digits and underscores and start with a letter."
                )
    return tuple(found)


def _text(component: dict[str, Any], what: str) -> str:
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _refuse(f"The {what} component needs a non-empty text.")
    return text


def _parse_buttons(component: dict[str, Any]) -> tuple[ButtonShape, ...]:
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise _refuse("The BUTTONS component needs a non-empty list of buttons.")
    if len(buttons) > LIMITS["buttons"]:
        raise _refuse(f"A template has at most {LIMITS['buttons']} buttons; this one has {len(buttons)}.")
    counts: dict[str, int] = {}
    shapes: list[ButtonShape] = []
    for index, button in enumerate(buttons):
        if not isinstance(button, dict):
            raise _refuse(f"Button {index} must be an object.")
        kind = str(button.get("type", "")).upper()
        if kind not in BUTTON_TYPE_LIMITS:
            raise _refuse(
                f"Button {index} has type {button.get('type')!r}; the sandbox knows "
                + ", ".join(BUTTON_TYPE_LIMITS)
                + "."
            )
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] > BUTTON_TYPE_LIMITS[kind]:
            raise _refuse(f"A template has at most {BUTTON_TYPE_LIMITS[kind]} {kind} buttons.")
        text = _text(button, f"button {index}")
        if len(text) > LIMITS["button_text"]:
            raise _too_long(f"text of button {index}", text, LIMITS["button_text"])
        if VARIABLE.search(text):
            raise _refuse(f"The text of button {index} cannot have variables.")
        shapes.append(_button_shape(index, kind, text, button))
    return tuple(shapes)


def _button_shape(index: int, kind: str, text: str, button: dict[str, Any]) -> ButtonShape:
    if kind == "URL":
        url = button.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _refuse(f"URL button {index} needs a url starting with http:// or https://.")
        if len(url) > LIMITS["url"]:
            raise _too_long(f"url of button {index}", url, LIMITS["url"])
        # URL buttons number their one variable {{1}} whatever the template's parameter format.
        names = variables_of(url, "POSITIONAL", f"url of button {index}")
        if len(names) > 1 or (names and not url.endswith("}}")):
            raise _refuse(f"The url of button {index} may have one variable, at its end.")
        return ButtonShape(kind, text, url=url, url_variable=names[0] if names else None)
    if kind == "PHONE_NUMBER":
        phone = button.get("phone_number")
        if not isinstance(phone, str) or not phone.strip():
            raise _refuse(f"PHONE_NUMBER button {index} needs a phone_number.")
        if len(phone) > LIMITS["phone_number"]:
            raise _too_long(f"phone_number of button {index}", phone, LIMITS["phone_number"])
        return ButtonShape(kind, text, phone_number=phone)
    return ButtonShape(kind, text)


def _required_choice(payload: dict[str, Any], field: str, choices: tuple[str, ...]) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or value.upper() not in choices:
        raise _refuse(f"{field} must be one of {', '.join(choices)}; got {value!r}.")
    return value.upper()


def parse_template(payload: Any) -> TemplateDraft:
    """Checks a POST message_templates body the way Meta does at creation, before any review."""
    if not isinstance(payload, dict):
        raise _refuse("The request body must be a JSON object.")
    name = payload.get("name")
    if not isinstance(name, str) or not name:
        raise _refuse("name is required.")
    if len(name) > LIMITS["name"]:
        raise _too_long("name", name, LIMITS["name"])
    if not NAME.fullmatch(name):
        raise _refuse(f"The name {name!r} may only have lowercase letters, digits and underscores.")
    language = payload.get("language")
    if language not in LANGUAGES:
        raise _refuse(f"language {language!r} is not a supported template language code.")
    category = _required_choice(payload, "category", CATEGORIES)
    parameter_format = str(payload.get("parameter_format") or "POSITIONAL").upper()
    if parameter_format not in PARAMETER_FORMATS:
        raise _refuse(f"parameter_format must be POSITIONAL or NAMED; got {payload['parameter_format']!r}.")
    components = payload.get("components")
    if not isinstance(components, list) or not components:
        raise _refuse("components must be a non-empty list.")
    shape = shape_of(components, parameter_format)
    return TemplateDraft(
        name=name,
        language=language,
        category=category,
        parameter_format=parameter_format,
        components=components,
        allow_category_change=bool(payload.get("allow_category_change", False)),
        shape=shape,
    )


def shape_of(components: list[Any], parameter_format: str) -> TemplateShape:
    """The texts and variables of a template's components, refused (GraphError 100) where Meta refuses."""
    seen: dict[str, dict[str, Any]] = {}
    for component in components:
        kind = str(component.get("type", "")).upper() if isinstance(component, dict) else ""
        if kind not in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            raise _refuse(f"Component type {kind or component!r} is not HEADER, BODY, FOOTER or BUTTONS.")
        if kind in seen:
            raise _refuse(f"A template has at most one {kind} component.")
        seen[kind] = component
    if "BODY" not in seen:
        raise _refuse("A template needs exactly one BODY component.")
    header_text: str | None = None
    header_variables: tuple[str, ...] = ()
    if "HEADER" in seen:
        header = seen["HEADER"]
        if str(header.get("format", "")).upper() != "TEXT":
            raise _refuse(
                f"Header format {header.get('format')!r} is not supported here; use TEXT.",
                SUBCODE_HEADER_FORMAT,
                "Message header format is incorrect",
            )
        header_text = _text(header, "HEADER")
        if len(header_text) > LIMITS["header_text"]:
            raise _too_long("header text", header_text, LIMITS["header_text"])
        header_variables = variables_of(header_text, parameter_format, "header")
        if len(header_variables) > LIMITS["header_variables"]:
            raise _refuse(f"The header may have one variable; it has {len(header_variables)}.")
    body_text = _text(seen["BODY"], "BODY")
    if len(body_text) > LIMITS["body_text"]:
        raise _too_long("body text", body_text, LIMITS["body_text"])
    body_variables = variables_of(body_text, parameter_format, "body")
    footer_text = None
    if "FOOTER" in seen:
        footer_text = _text(seen["FOOTER"], "FOOTER")
        if len(footer_text) > LIMITS["footer_text"]:
            raise _too_long("footer text", footer_text, LIMITS["footer_text"])
        if VARIABLE.search(footer_text):
            raise _refuse("The footer cannot have variables.")
    buttons = _parse_buttons(seen["BUTTONS"]) if "BUTTONS" in seen else ()
    return TemplateShape(
        header_text,
        header_variables,
        body_text,
        body_variables,
        footer_text,
        buttons,
        header_slots=tuple(VARIABLE.findall(header_text or "")),
        header_fixed_length=len(VARIABLE.sub("", header_text or "")),
        body_slots=tuple(VARIABLE.findall(body_text)),
        body_fixed_length=len(VARIABLE.sub("", body_text)),
    )
