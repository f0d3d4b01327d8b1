"""SqlPayments: payment references and payments (app/payment_ports.PaymentRepository)."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlPayments:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
