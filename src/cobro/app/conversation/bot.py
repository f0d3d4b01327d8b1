"""The bot's configuration: how it reads messages, each creditor's conversation policy, where payment links
point, and the fixed texts and templates it answers with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cobro.app.ports import MessageReader
from cobro.app.strategies import StrategyParser, default_strategy
from cobro.app.uow import UnitOfWork
from cobro.domain.conversation.policy import DEFAULT_POLICY, ConversationPolicy
from cobro.domain.conversation.replies import ReplyBook, load_replies
from cobro.domain.template_catalogue import TemplateEntry

ACTOR = "bot"


@dataclass(frozen=True)
class Bot:
    """Everything a turn needs besides the unit of work and the clock."""

    reader: MessageReader
    catalogue: Mapping[tuple[str, str], TemplateEntry]  # (name, language) -> entry
    public_url: str = "http://127.0.0.1:8000"
    parse_strategy: StrategyParser | None = None  # None: every creditor has the default policy
    replies: ReplyBook = field(default_factory=load_replies)
    _policies: dict[tuple[int, int], ConversationPolicy] = field(
        default_factory=dict, repr=False, compare=False
    )

    def policy_of(self, uow: UnitOfWork, creditor_id: int | None) -> ConversationPolicy:
        """The conversation section of the creditor's strategy in force (the default when none is known);
        each stored version is parsed once."""
        if creditor_id is None or self.parse_strategy is None:
            return DEFAULT_POLICY
        stored = uow.strategies.current(creditor_id)
        if stored is None:
            return default_strategy(self.parse_strategy).conversation
        version, document = stored
        policy = self._policies.get((creditor_id, version))
        if policy is None:
            policy = self.parse_strategy(json.dumps(document)).conversation
            self._policies[(creditor_id, version)] = policy
        return policy
