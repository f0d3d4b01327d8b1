"""The port of the agent inbox: what the bot hands to a person, claimed, answered and resolved."""

from __future__ import annotations

from typing import Protocol


class InboxRepository(Protocol):
    """The inbox items (adapters/db/inbox.py)."""
