"""The debtor's phone in the browser: the phone list and a WhatsApp-like chat page.

The handlers only render a shell holding the phone number; the page's script reads and writes everything
through the JSON and server-sent-event phone API in docs/sandbox.md, so the page works against any sandbox
that keeps that contract and needs nothing from the app's state.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader
from litestar import MediaType, Response, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from cobro.sandbox.state import normalize_phone

STATIC_DIR = Path(__file__).parent / "web" / "static"
STATIC_PATH = "/phone-static"
BUSINESS_NAME = "Cobro sandbox"

# Our own environment, so the page needs nothing from the app's template configuration.
_templates = Environment(loader=PackageLoader("cobro.sandbox", "web/templates"), autoescape=True)

# E.164 as the phone API accepts it: a plus, a country code that does not start with 0, 8 to 15 digits.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# What people type: digits, a leading plus or 00, and spaces, dashes, dots, brackets or slashes between.
_TYPED = re.compile(r"\+?[0-9\s\-.()/]+")

# The page runs no inline script or style and loads nothing from elsewhere; the policy makes that a check.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _asset_version() -> str:
    """A short digest of the static files, appended to their URLs so browsers never run a stale script."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


_ASSET_VERSION = _asset_version()


def normalize_e164(raw: str) -> str | None:
    """Turns what a person typed ('52 1 55 1234-5678', '0052…', '+5215512345678') into E.164, or None."""
    typed = raw.strip()
    if typed.startswith("00"):
        typed = "+" + typed[2:]
    if not _TYPED.fullmatch(typed):
        return None  # letters and the like: say so rather than drop them as the API's normalizer would
    e164 = normalize_phone(typed)
    return e164 if _E164.fullmatch(e164) else None


def _html(template: str, status_code: int = 200, **context: Any) -> Response[str]:
    """Renders one of the phone templates as an HTML response with the page's security headers."""
    body = _templates.get_template(template).render(
        static=STATIC_PATH, version=_ASSET_VERSION, business_name=BUSINESS_NAME, **context
    )
    return Response(body, media_type=MediaType.HTML, status_code=status_code, headers=_SECURITY_HEADERS)


def _not_e164(typed: str, status_code: int) -> Response[str]:
    """The phone list again, saying why what was typed (or put in the address) is not a number to open."""
    return _html(
        "phone_list.html",
        status_code=status_code,
        error=f"“{typed}” is not a phone number in E.164 form (a + and 8 to 15 digits).",
        typed=typed,
    )


@get("/phone", sync_to_thread=False, include_in_schema=False)
def phone_list(
    open_number: str | None = QueryParameter(name="open", default=None),
) -> Response[str] | Redirect:
    """Lists the sandbox's phones; `?open=<number>` (the page's form) goes to that number's chat."""
    if open_number is None or not open_number.strip():
        return _html("phone_list.html")
    number = normalize_e164(open_number)
    if number is None:
        return _not_e164(open_number, status_code=400)
    return Redirect(path=f"/phone/{number}")


@get("/phone/{phone:str}", sync_to_thread=False, include_in_schema=False)
def phone_chat(phone: str = PathParameter()) -> Response[str] | Redirect:
    """The chat page of one phone; a number written another way redirects to its E.164 form."""
    number = normalize_e164(phone)
    if number is None:
        return _not_e164(phone, status_code=404)
    if number != phone:
        return Redirect(path=f"/phone/{number}")
    return _html("phone.html", phone=number)


# Litestar route handlers the sandbox app mounts: the two pages and their static files.
phone_page_routes: list[Any] = [
    phone_list,
    phone_chat,
    create_static_files_router(path=STATIC_PATH, directories=[STATIC_DIR], name="phone-static"),
]
