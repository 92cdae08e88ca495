"""Text for a person at a terminal (rich), or plain 80 columns when stdout is not one."""

import io
import shutil
import sys
from typing import Any

from rich.console import Console

WIDTH = 80


def to_text(renderable: Any) -> str:
    """The terminal's width and colours on a terminal; otherwise plain text in WIDTH
    columns, with no escape codes and no trailing blanks."""
    terminal = sys.stdout.isatty()
    console = Console(
        file=io.StringIO(),
        record=True,
        width=shutil.get_terminal_size().columns if terminal else WIDTH,
        force_terminal=terminal,
        color_system="auto" if terminal else None,
        highlight=False,
    )
    console.print(renderable)
    output = console.export_text(styles=terminal)
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"
