"""Natural-language understanding of debtors' messages: intent, language and entities, offline.

`default_reader()` is the process's `NluReader` (the `MessageReader` of app/ports.py); its models train on
first use from the packaged corpus in data/.
"""

from __future__ import annotations

from functools import cache

from cobro.adapters.nlu.reader import NluReader

__all__ = ["NluReader", "default_reader"]


@cache
def default_reader() -> NluReader:
    """The process's reader (one classifier and one language detector per process)."""
    return NluReader()
