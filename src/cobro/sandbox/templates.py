"""The WABA's message templates: creation checked like Meta's, listing with cursors, deletion and review.

Reference: developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview (create,
list with `name`/`status`/`limit`/`after`, delete by `name` and optional `hsm_id`) and the Graph API paging
object (`data` + `paging.cursors.before/after`, `paging.next` only when another page exists).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from cobro.sandbox.errors import invalid_parameter, template_invalid
from cobro.sandbox.review import REJECTED_REASONS, review
from cobro.sandbox.template_rules import (
    LANGUAGES,
    STATUSES,
    SUBCODE_DUPLICATE_LANGUAGE,
    TemplateShape,
    parse_template,
    shape_of,
)

# Statuses an operator may set by hand through the sandbox's admin route.
ADMIN_STATUSES = ("APPROVED", "REJECTED", "PAUSED", "DISABLED")
_CURSOR_PREFIX = "tpl:"


@dataclass(slots=True)
class Template:
    """One template in one language, as Meta keeps it."""

    id: str
    name: str
    language: str
    category: str
    status: str
    components: list[dict[str, Any]]
    rejected_reason: str = "NONE"
    created_at: float = 0.0
    parameter_format: str = "POSITIONAL"
    allow_category_change: bool = False
    previous_category: str | None = None
    # Why review decided as it did, in words: the sandbox's addition for people reading /sandbox pages.
    review_detail: str = ""
    shape: TemplateShape = field(default=None)  # type: ignore[assignment]  # filled in __post_init__

    def __post_init__(self) -> None:
        if self.shape is None:
            self.shape = shape_of(self.components, self.parameter_format)

    def to_graph(self) -> dict[str, Any]:
        """The object GET message_templates returns for this template."""
        data: dict[str, Any] = {
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
            "rejected_reason": self.rejected_reason,
        }
        if self.previous_category is not None:
            data["previous_category"] = self.previous_category
        return data

    def creation_answer(self) -> dict[str, Any]:
        """What POST message_templates answers: `{"id", "status", "category"}`."""
        return {"id": self.id, "status": self.status, "category": self.category}


def _epoch(now: float | datetime) -> float:
    # The contract is epoch seconds; an aware datetime is taken too, so a caller's clock choice cannot break review.
    return now.timestamp() if isinstance(now, datetime) else float(now)


def _cursor(template: Template) -> str:
    raw = (_CURSOR_PREFIX + template.id).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_id(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise invalid_parameter(f"The cursor {cursor!r} is not valid.") from error
    if not raw.startswith(_CURSOR_PREFIX):
        raise invalid_parameter(f"The cursor {cursor!r} is not valid.")
    return raw[len(_CURSOR_PREFIX) :]


class TemplateStore:
    """Every template of the sandbox's WABA, by id and by (name, language)."""

    def __init__(self, first_id: int = 1_280_000_000_000_001) -> None:
        self._ids = itertools.count(first_id)
        self._by_id: dict[str, Template] = {}
        self._by_key: dict[tuple[str, str], Template] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Template]:
        return iter(list(self._by_id.values()))

    def create(self, payload: Any, now: float | datetime) -> Template:
        """Checks and stores a submitted template as PENDING; raises GraphError as Meta answers."""
        draft = parse_template(payload)
        if (draft.name, draft.language) in self._by_key:
            language = LANGUAGES[draft.language]
            raise template_invalid(
                SUBCODE_DUPLICATE_LANGUAGE,
                "Content in this language already exists",
                f"Content for {language} already exists for this template. Try editing the existing "
                "content or choose a different language.",
            )
        template = Template(
            id=str(next(self._ids)),
            name=draft.name,
            language=draft.language,
            category=draft.category,
            status="PENDING",
            components=draft.components,
            created_at=_epoch(now),
            parameter_format=draft.parameter_format,
            allow_category_change=draft.allow_category_change,
            shape=draft.shape,
        )
        self._by_id[template.id] = template
        self._by_key[(template.name, template.language)] = template
        return template

    def find(self, name: str, language: str) -> Template | None:
        """The template of that name in that language, if any."""
        return self._by_key.get((name, language))

    def get(self, template_id: str) -> Template | None:
        """The template with that id (Meta's hsm_id), if any."""
        return self._by_id.get(template_id)

    def list(
        self,
        *,
        name: str | None = None,
        status: str | None = None,
        limit: int = 25,
        after: str | None = None,
        url: str = "",
    ) -> dict[str, Any]:
        """One page of GET message_templates; `url` is the route's own URL, used to build `paging.next`."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise invalid_parameter(f"limit must be a positive integer; got {limit!r}.")
        wanted_status = status.upper() if status else None
        if wanted_status is not None and wanted_status not in STATUSES:
            raise invalid_parameter(f"status must be one of {', '.join(STATUSES)}; got {status!r}.")
        # Meta's `name` filter matches any template whose name contains the text.
        matching = [
            t
            for t in self._by_id.values()
            if (name is None or name in t.name) and (wanted_status is None or t.status == wanted_status)
        ]
        start = 0
        if after is not None:
            after_id = _cursor_id(after)
            positions = [i for i, t in enumerate(matching) if t.id == after_id]
            if not positions:
                raise invalid_parameter(f"The cursor {after!r} does not point into this list.")
            start = positions[0] + 1
        page = matching[start : start + limit]
        if not page:
            return {"data": []}
        paging: dict[str, Any] = {"cursors": {"before": _cursor(page[0]), "after": _cursor(page[-1])}}
        if start + limit < len(matching):
            query = {"limit": limit, "after": _cursor(page[-1])}
            if name is not None:
                query["name"] = name
            if wanted_status is not None:
                query["status"] = wanted_status
            paging["next"] = f"{url}?{urlencode(query)}"
        return {"data": [t.to_graph() for t in page], "paging": paging}

    def delete(self, name: str, hsm_id: str | None = None) -> int:
        """Deletes every language of `name`, or only the template `hsm_id`; how many went."""
        if hsm_id is not None:
            template = self._by_id.get(hsm_id)
            doomed = [template] if template is not None and template.name == name else []
        else:
            doomed = [t for t in self._by_id.values() if t.name == name]
        if not doomed:
            which = f"{name!r} with hsm_id {hsm_id!r}" if hsm_id is not None else repr(name)
            raise template_invalid(None, "Message template not found", f"No message template {which}.")
        for template in doomed:
            del self._by_id[template.id]
            del self._by_key[(template.name, template.language)]
        return len(doomed)

    def review_due(self, now: float | datetime, delay: float) -> builtins.list[Template]:
        """Reviews every PENDING template older than `delay` seconds; the ones that changed status."""
        now = _epoch(now)
        changed: builtins.list[Template] = []
        for template in self._by_id.values():
            if template.status != "PENDING" or now - template.created_at < delay:
                continue
            result = review(template)
            template.status = result.status
            template.rejected_reason = result.reason
            template.review_detail = result.detail
            if result.category is not None and result.category != template.category:
                template.previous_category = template.category
                template.category = result.category
            changed.append(template)
        return changed

    def set_status(self, name: str, language: str, status: str, reason: str = "NONE") -> Template:
        """Admin: moves a template to APPROVED, REJECTED (with a Meta reason), PAUSED or DISABLED."""
        template = self._by_key.get((name, language))
        if template is None:
            raise invalid_parameter(f"No template {name!r} in {language!r}.")
        status = status.upper()
        if status not in ADMIN_STATUSES:
            raise invalid_parameter(f"status must be one of {', '.join(ADMIN_STATUSES)}; got {status!r}.")
        if status == "REJECTED" and reason not in REJECTED_REASONS:
            raise invalid_parameter(f"reason must be one of {', '.join(REJECTED_REASONS)}; got {reason!r}.")
        template.status = status
        template.rejected_reason = reason if status == "REJECTED" else "NONE"
        return template
