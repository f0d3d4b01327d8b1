"""SqlInbox: the agent inbox items (app/inbox_ports.InboxRepository)."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlInbox:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
