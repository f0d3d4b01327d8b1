"""Typed errors that say what to fix; entrypoints turn them into exit codes or 4xx answers."""

from __future__ import annotations


class CobroError(Exception):
    """Base of every error Cobro raises on purpose."""


class NotFound(CobroError):
    """A thing that was named does not exist."""


class AlreadyExists(CobroError):
    """A thing with the same natural key already exists."""


class InvalidInput(CobroError):
    """Input that cannot be accepted, with the reason."""
