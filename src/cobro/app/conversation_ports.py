"""The port of debtor conversations: one row per business number and contact, its flow and verification."""

from __future__ import annotations

from typing import Protocol


class ConversationRepository(Protocol):
    """Conversations and what the bot reads of the ledger to answer in them (adapters/db/conversations.py)."""
