"""Masks personal data (phones, names, amounts) before it reaches a log line or an error message."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """Keeps the country prefix and the last two digits: '+34612345678' -> '+34•••••••78'."""
    digits = phone.strip()
    if len(digits) <= 5:
        return "•" * len(digits)
    head = 3 if digits.startswith("+") else 1
    return digits[:head] + "•" * (len(digits) - head - 2) + digits[-2:]


def mask_name(name: str) -> str:
    """Keeps the first letter of each word: 'María López' -> 'M•••• L••••'."""
    return " ".join(word[:1] + "•" * (len(word) - 1) for word in name.split())


def mask_value(value: str) -> str:
    """Masks any free value (an amount, an id): keeps its length and first character only."""
    value = value.strip()
    if not value:
        return "''"
    if len(value) <= 2:
        return "•" * len(value)
    return value[0] + "•" * (len(value) - 1)
