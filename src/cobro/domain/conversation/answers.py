"""Yes and no in the four languages, for the bot's confirmation steps (buttons send CONFIRM / CHANGE)."""

from __future__ import annotations

import re
import unicodedata

_YES = {
    "si", "sip", "sii", "claro", "dale", "ok", "okay", "okey", "va", "vale", "confirmo", "confirmar", "correcto",
    "de acuerdo", "esta bien", "perfecto", "listo", "yes", "yep", "yeah", "sure", "confirm", "correct", "right",
    "sim", "certo", "isso", "pode ser", "confirmado", "beleza", "ta bom", "fechado", "claro que sim",
    "esatto", "va bene", "confermo", "perfetto", "d'accordo", "daccordo", "ok grazie", "si grazie",
}  # fmt: skip
_NO = {
    "no", "nop", "nel", "cambiar", "otra", "otro", "mejor no", "no gracias", "nope", "change", "other",
    "nao", "mudar", "outra", "outro", "alterar", "cambia", "altro", "altra", "no grazie", "modificar",
}  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w' ]+", " ", plain).split())


def yes_or_no(text: str | None, payload: str | None = None) -> bool | None:
    """True for a yes (or the CONFIRM button), False for a no (or CHANGE), None when it is neither."""
    if payload:
        key = payload.strip().upper()
        if key == "CONFIRM":
            return True
        if key in ("CHANGE", "CANCEL"):
            return False
    if not text:
        return None
    plain = _plain(text)
    if plain in _YES or plain.split(" ")[0] in {"si", "yes", "sim", "ok", "dale", "confermo", "confirmo"}:
        return True
    if plain in _NO or plain.split(" ")[0] in {"no", "nao", "nope"}:
        return False
    return None
