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
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details
        self.subcode = subcode
        self.error_type = error_type
        # Template management answers carry a title and message meant for people instead of `details`.
        self.user_title = user_title
        self.user_msg = user_msg

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
        if self.user_title is not None:
            error["is_transient"] = False
            error["error_user_title"] = self.user_title
            error["error_user_msg"] = self.user_msg or ""
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


def parameter_required(path: str) -> GraphError:
    """(#100) A required field is absent: Meta names it by its path, e.g. text['body']."""
    return GraphError(
        100, f"(#100) The parameter {path} is required.", details=f"The parameter {path} is required."
    )


def parameter_value_invalid(details: str) -> GraphError:
    """(#131009) A field is present but its value breaks a limit (length, count, uniqueness)."""
    return GraphError(131009, "(#131009) Parameter value is not valid", details=details)


def template_invalid(subcode: int | None, title: str, message: str) -> GraphError:
    """Invalid parameter on POST message_templates, with the subcode and the words Meta shows people."""
    return GraphError(100, "Invalid parameter", subcode=subcode, user_title=title, user_msg=message)
