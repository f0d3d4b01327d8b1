"""Meta's error envelope: every refusal the sandbox answers, with the code and HTTP status Meta uses.

Reference: developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes and
developers.facebook.com/docs/graph-api/guides/error-handling (the `error` object).
"""

from __future__ import annotations

import secrets
from typing import Any


class GraphError(Exception):
    """One Graph API error, rendered as Meta's `{"error": {...}}` envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int = 400,
        details: str | None = None,
        subcode: int | None = None,
        error_type: str = "OAuthException",
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details
        self.subcode = subcode
        self.error_type = error_type

    def envelope(self) -> dict[str, Any]:
        """The JSON body Meta answers with."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(16),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return {"error": error}


def invalid_parameter(details: str) -> GraphError:
    """(#100) Invalid parameter: a request Meta refuses as malformed."""
    return GraphError(100, "(#100) Invalid parameter", details=details)


def token_invalid() -> GraphError:
    """(#190) The access token is missing, malformed or not one this sandbox was configured with."""
    return GraphError(
        190, "Invalid OAuth access token - Cannot parse access token", http_status=401, subcode=None
    )
