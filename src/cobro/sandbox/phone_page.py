"""The debtor's phone in the browser: the phone list and the chat page (stub until the page lands)."""

from __future__ import annotations

from typing import Any

# Litestar route handlers the sandbox app mounts: GET /phone and GET /phone/{E164}.
phone_page_routes: list[Any] = []
