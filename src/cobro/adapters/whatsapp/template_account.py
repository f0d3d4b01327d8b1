"""The WhatsApp Business Account's template management as the template sync sees it (app's TemplateAccount)."""

from __future__ import annotations

from cobro.adapters.whatsapp.client import WhatsAppClient
from cobro.adapters.whatsapp.errors import InvalidRequest, TemplateReviewTimedOut
from cobro.adapters.whatsapp.template_payloads import definition_for
from cobro.adapters.whatsapp.templates import TemplateInfo
from cobro.app.sync_templates import RemoteTemplate, TemplateRefused
from cobro.domain.template_catalogue import TemplateEntry


class GraphTemplateAccount:
    """TemplateAccount over the Cloud API client: list, create from a catalogue entry, wait for review."""

    def __init__(self, client: WhatsAppClient) -> None:
        self._client = client

    async def list_templates(self) -> list[RemoteTemplate]:
        """Every template of the account, in every language."""
        return [_remote(info) for info in await self._client.list_templates()]

    async def submit(self, entry: TemplateEntry) -> RemoteTemplate:
        """Creates the template; a request Meta refuses as invalid (code 100, ...) becomes TemplateRefused.
        Other failures (token, transport) propagate: they stop the whole sync, not one template."""
        try:
            return _remote(await self._client.create_template(definition_for(entry)))
        except InvalidRequest as exc:
            raise TemplateRefused(str(exc)) from exc

    async def wait_for_review(
        self, name: str, language: str, timeout: float, poll_every: float
    ) -> RemoteTemplate | None:
        """The template once Meta decided on it, or None when still under review at the timeout."""
        try:
            info = await self._client.wait_for_template_review(name, language, timeout, poll_every)
        except TemplateReviewTimedOut:
            return None
        return _remote(info)


def _remote(info: TemplateInfo) -> RemoteTemplate:
    return RemoteTemplate(info.id, info.name, info.language, info.status, info.rejected_reason)
