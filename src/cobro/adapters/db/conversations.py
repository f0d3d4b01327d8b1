"""SqlConversations: conversations and the ledger reads of the bot (app/conversation_ports)."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlConversations:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
