"""How every `tsattn` command ends on a failure: one red line and an exit code, no traceback.

Both the main CLI and `tsattn tune` (which must not import `tsattn.cli`, see its docstring) use
this one handler, so the messages and exit codes a scheduler alerts on cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from tsattn.errors import TsattnError

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "reports_errors"]

EXIT_ERROR = 2  # bad input or configuration: the code `tsattn forecast` documents for schedulers
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


@contextmanager
def reports_errors(console: Console, *, interrupted: str | None = None) -> Iterator[None]:
    """Print our own errors (`TsattnError`) on `console` and exit 2; anything else is a bug and
    keeps its traceback.

    With `interrupted`, Ctrl-C prints that hint and exits 130; without, it passes through to
    Typer's own handling. Works as a decorator too, `@reports_errors(console)`, fresh each call.
    """
    try:
        yield
    except TsattnError as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False)
        raise typer.Exit(code=EXIT_ERROR) from None
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        console.print(f"[yellow]{interrupted}[/]")
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
