"""Template management models: what Cobro submits for review and what Meta reports back.

Shapes follow Meta's template management page
(https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management):
`GET /{waba-id}/message_templates` answers `{"data": [...], "paging": {"cursors": {"after"}, "next"}}`, and a
create answers `{"id", "status", "category"}`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec

from cobro.adapters.whatsapp.messages import InvalidMessage

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TemplateCategory = Literal["UTILITY", "MARKETING", "AUTHENTICATION"]


class TemplateDefinition(msgspec.Struct, frozen=True, omit_defaults=True):
    """A template to submit for review; `components` are Meta's HEADER/BODY/FOOTER/BUTTONS objects as data."""

    name: str
    language: str
    category: TemplateCategory
    components: list[dict[str, Any]]
    parameter_format: Literal["POSITIONAL", "NAMED"] | None = None

    def __post_init__(self) -> None:
        if not _TEMPLATE_NAME.match(self.name):
            raise InvalidMessage(
                f"template name {self.name!r} must be lowercase letters, digits and underscores"
            )
        if self.category not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
            raise InvalidMessage(
                f"template category {self.category!r} is not UTILITY, MARKETING or AUTHENTICATION"
            )

    def to_json(self) -> bytes:
        """The create request body."""
        return msgspec.json.encode(self)


class TemplateInfo(msgspec.Struct, frozen=True):
    """A template as Meta knows it; `status` is PENDING, APPROVED, REJECTED, PAUSED, DISABLED, ..."""

    id: str
    name: str
    language: str
    status: str
    category: str | None = None
    rejected_reason: str | None = None

    @property
    def under_review(self) -> bool:
        """True while Meta has not decided yet (PENDING or IN_APPEAL)."""
        return self.status in ("PENDING", "IN_APPEAL")


class _Cursors(msgspec.Struct):
    after: str | None = None


class _Paging(msgspec.Struct):
    cursors: _Cursors = msgspec.field(default_factory=_Cursors)
    next: str | None = None


class TemplatePage(msgspec.Struct):
    """One page of `GET /{waba-id}/message_templates`."""

    data: list[TemplateInfo]
    paging: _Paging | None = None


class TemplateCreated(msgspec.Struct):
    """The answer to a create: Meta's id, the first status and the category Meta settled on."""

    id: str
    status: str
    category: str | None = None
