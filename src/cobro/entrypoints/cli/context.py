"""What CLI commands share: the --debug flag and a lazily built container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from cobro.bootstrap import Container

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    """Flags given to the root command."""

    debug: bool = False


state = CliState()


def container() -> Container:
    """Wires Cobro from the environment for one command (imported late so --help stays fast)."""
    from cobro.bootstrap import bootstrap

    return bootstrap()
