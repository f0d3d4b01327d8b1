"""A template send checked against the approved template: which template, and the values it fills in.

References: Meta's Cloud API messages reference (template object: `name`, `language.code`, `components` of
type header/body/button, parameters of type text, currency {fallback_value, code, amount_1000}, date_time
{fallback_value}, payload for quick replies, text for URL buttons; `parameter_name` for NAMED templates) and
the error codes page (support/error-codes): 132000 parameter count mismatch, 132001 template does not exist
in that language or is not approved (HTTP 404), 132005 hydrated text too long, 132012 parameter format
mismatch, 132015 paused, 132016 disabled, 131008 required parameter missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cobro.sandbox.errors import (
    GraphError,
    invalid_parameter,
    parameter_required,
    parameter_value_invalid,
)
from cobro.sandbox.template_rules import LIMITS
from cobro.sandbox.templates import Template, TemplateStore

# Meta refuses text parameters with a newline or tab, or more than 4 spaces in a row.
_FORBIDDEN_WHITESPACE = re.compile(r"[\n\t]| {5,}")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_STATUS_ERRORS = {
    "PENDING": (132001, "the template has not been approved yet (status PENDING)"),
    "REJECTED": (132001, "the template was rejected and cannot be sent (status REJECTED)"),
    "PAUSED": (132015, "Template is paused due to low quality so it cannot be sent in a template message."),
    "DISABLED": (132016, "Template has been paused too many times due to low quality and is now disabled."),
}
_STATUS_MESSAGES = {
    132001: "(#132001) Template name does not exist in the translation",
    132015: "(#132015) Template is Paused",
    132016: "(#132016) Template is Disabled",
}


@dataclass(slots=True)
class TemplateValues:
    """What a template send fills in: header and body values by variable, URL suffixes and payloads by index."""

    header: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    url_suffixes: dict[int, str] = field(default_factory=dict)
    payloads: dict[int, str] = field(default_factory=dict)


def _count_mismatch(where: str, given: int, expected: int) -> GraphError:
    return GraphError(
        132000,
        "(#132000) Number of parameters does not match the expected number of params",
        details=f"{where}: number of localizable_params ({given}) does not match the expected number of "
        f"params ({expected})",
    )


def _format_mismatch(details: str) -> GraphError:
    return GraphError(
        132012, "(#132012) Parameter format does not match format in the created template", details=details
    )


def _parameter_issue(details: str) -> GraphError:
    return GraphError(
        132018, "(#132018) There was an issue with the parameters in your template.", details=details
    )


def _too_long(where: str, length: int, limit: int) -> GraphError:
    return GraphError(
        132005,
        "(#132005) Translated text too long",
        details=f"{where}: the text with its parameters is {length} characters long; the limit is {limit}",
    )


def find_template(content: dict[str, Any], templates: TemplateStore) -> Template:
    """The approved template a send names, or the GraphError Meta answers for its name, language or status."""
    name = content.get("name")
    if not isinstance(name, str) or not name:
        raise parameter_required("template['name']")
    language = content.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str) or not code:
        raise parameter_required("template['language']['code']")
    template = templates.find(name, code)
    if template is None:
        raise GraphError(
            132001,
            _STATUS_MESSAGES[132001],
            http_status=404,
            details=f"template name ({name}) does not exist in {code}",
        )
    if template.status != "APPROVED":
        error_code, why = _STATUS_ERRORS[template.status]
        raise GraphError(
            error_code,
            _STATUS_MESSAGES[error_code],
            http_status=404 if error_code == 132001 else 400,
            details=f"template name ({name}) in {code}: {why}",
        )
    return template


def _value(parameter: Any, path: str) -> str:
    """The text a parameter puts in the message: the text itself, or a currency or date's fallback_value."""
    if not isinstance(parameter, dict):
        raise invalid_parameter(f"{path} must be an object.")
    kind = parameter.get("type")
    if kind == "text":
        text = parameter.get("text")
        if text is None:
            raise invalid_parameter("Parameter 'text' is mandatory for component parameter type 'text'")
        if not isinstance(text, str):
            raise invalid_parameter(f"{path}['text'] must be a string.")
        if not text:
            raise GraphError(
                131008,
                "(#131008) Required parameter is missing",
                details=f"Parameter of type text is missing text value at {path}",
            )
        if _FORBIDDEN_WHITESPACE.search(text):
            raise _parameter_issue(
                f"{path}: Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
            )
        return text
    if kind == "currency":
        currency = parameter.get("currency")
        if not isinstance(currency, dict):
            raise invalid_parameter(
                "Parameter 'currency' is mandatory for component parameter type 'currency'"
            )
        fallback, code, amount = (
            currency.get("fallback_value"),
            currency.get("code"),
            currency.get("amount_1000"),
        )
        if not isinstance(fallback, str) or not fallback:
            raise parameter_required(f"{path}['currency']['fallback_value']")
        if not isinstance(code, str) or not _CURRENCY_CODE.fullmatch(code):
            raise invalid_parameter(
                f"{path}['currency']['code'] must be an ISO 4217 code such as MXN; got {code!r}."
            )
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise invalid_parameter(f"{path}['currency']['amount_1000'] must be an integer; got {amount!r}.")
        return fallback
    if kind == "date_time":
        date_time = parameter.get("date_time")
        fallback = date_time.get("fallback_value") if isinstance(date_time, dict) else None
        if not isinstance(fallback, str) or not fallback:
            raise parameter_required(f"{path}['date_time']['fallback_value']")
        return fallback
    if kind in ("image", "video", "document", "location", "payload"):
        raise _format_mismatch(f"{path}: a parameter of type {kind} does not fit a text variable")
    raise invalid_parameter(f"{path}['type'] {kind!r} is not a parameter type (text, currency, date_time).")


def _fill(
    template: Template, where: str, component: dict[str, Any] | None, variables: tuple[str, ...], path: str
) -> dict[str, str]:
    """The values a header or body component gives its variables, checked in count, format and length."""
    parameters = component.get("parameters", []) if component is not None else []
    if not isinstance(parameters, list):
        raise invalid_parameter(f"{path}['parameters'] must be an array.")
    if len(parameters) != len(variables):
        raise _count_mismatch(where, len(parameters), len(variables))
    named = template.parameter_format == "NAMED"
    values: dict[str, str] = {}
    for index, parameter in enumerate(parameters):
        item = f"{path}['parameters'][{index}]"
        name = parameter.get("parameter_name") if isinstance(parameter, dict) else None
        if named:
            if name is None:
                raise _format_mismatch(
                    f"{where}: {item} has no parameter_name; the template uses NAMED parameters"
                )
            if name not in variables or name in values:
                expected = ", ".join(variables)
                raise _format_mismatch(
                    f"{where}: parameter_name {name!r} is not expected here (expected: {expected})"
                )
        else:
            if name is not None:
                raise _format_mismatch(
                    f"{where}: {item} has a parameter_name; the template uses POSITIONAL parameters"
                )
            name = str(index + 1)
        values[name] = _value(parameter, item)
    limit = LIMITS["header_text"] if where == "header" else LIMITS["body_text"]
    length = template.shape.filled_length(where, values)
    if length > limit:
        raise _too_long(where, length, limit)
    return values


def _button_value(template: Template, component: dict[str, Any], path: str, values: TemplateValues) -> None:
    try:
        index = int(component.get("index"))  # type: ignore[arg-type]  # Meta sends it as a string
    except (TypeError, ValueError) as error:
        raise parameter_required(f"{path}['index']") from error
    buttons = template.shape.buttons
    if not 0 <= index < len(buttons):
        raise parameter_value_invalid(f"buttons: the template has no button at index {index}")
    if index in values.url_suffixes or index in values.payloads:
        raise invalid_parameter(f"buttons: the button at index {index} is given twice")
    button, sub_type = buttons[index], str(component.get("sub_type", "")).lower()
    if sub_type != button.type.lower():
        raise _format_mismatch(f"buttons: button at index {index} is of type {button.type}, not {sub_type!r}")
    parameters = component.get("parameters", [])
    if not isinstance(parameters, list):
        raise invalid_parameter(f"{path}['parameters'] must be an array.")
    expected = 1 if button.type == "QUICK_REPLY" or button.url_variable else 0
    if len(parameters) != expected:
        raise _count_mismatch(f"buttons: button at index {index}", len(parameters), expected)
    if not parameters:
        return
    parameter, item = parameters[0], f"{path}['parameters'][0]"
    if button.type == "QUICK_REPLY":
        if not isinstance(parameter, dict) or parameter.get("type") != "payload":
            raise _format_mismatch(
                f"buttons: a quick reply button takes a parameter of type payload at {item}"
            )
        payload = parameter.get("payload")
        if not isinstance(payload, str) or not payload:
            raise parameter_required(f"{item}['payload']")
        values.payloads[index] = payload
        return
    if not isinstance(parameter, dict) or parameter.get("type") != "text":
        raise _format_mismatch(f"buttons: a URL button takes a parameter of type text at {item}")
    suffix = _value(parameter, item)
    if len(button.url or "") - 5 + len(suffix) > LIMITS["url"]:  # "{{1}}" is 5 characters
        raise _too_long(
            f"buttons: url of button {index}", len(button.url or "") - 5 + len(suffix), LIMITS["url"]
        )
    values.url_suffixes[index] = suffix


def check_template(content: Any, templates: TemplateStore) -> tuple[Template, TemplateValues]:
    """The template a send names and the values it fills in; raises GraphError as Meta answers."""
    if not isinstance(content, dict):
        raise invalid_parameter("Param template must be an object.")
    template = find_template(content, templates)
    components = content.get("components", [])
    if not isinstance(components, list):
        raise invalid_parameter("Param template['components'] must be an array.")
    by_type: dict[str, tuple[dict[str, Any], str]] = {}
    values = TemplateValues()
    for index, component in enumerate(components):
        path = f"template['components'][{index}]"
        kind = str(component.get("type", "")).lower() if isinstance(component, dict) else ""
        if kind == "button":
            _button_value(template, component, path, values)
        elif kind in ("header", "body"):
            if kind in by_type:
                raise invalid_parameter(f"{path}: the template message has two {kind} components")
            by_type[kind] = (component, path)
        else:
            raise invalid_parameter(
                f"{path}['type'] must be header, body or button; got {kind or component!r}."
            )
    shape = template.shape
    for kind, variables in (("header", shape.header_variables), ("body", shape.body_variables)):
        component, path = by_type.get(kind, (None, f"template['components'][{kind}]"))
        filled = _fill(template, kind, component, variables, path)
        if kind == "header":
            values.header = filled
        else:
            values.body = filled
    for index, button in enumerate(shape.buttons):
        if button.url_variable and index not in values.url_suffixes:
            raise GraphError(
                131008,
                "(#131008) Required parameter is missing",
                details=f"buttons: Button at index {index} of type Url requires a parameter",
            )
    return template, values
