"""Checks that a webhook delivery was signed by Meta with the app secret (header X-Hub-Signature-256)."""

from __future__ import annotations

import hashlib
import hmac

_PREFIX = "sha256="


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True when `header` is `sha256=<hex HMAC-SHA256(app_secret, raw_body)>`; compared in constant time.

    Runs on the bytes exactly as received, before anything parses them: re-serialised JSON would not match.
    """
    if not header or not app_secret or not header.startswith(_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    # Meta sends lowercase hex; compare as ASCII bytes so a non-ASCII header cannot raise.
    given = header[len(_PREFIX) :].strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(expected.encode("ascii"), given)


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta would send for this body (for the sandbox and tests)."""
    return _PREFIX + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
