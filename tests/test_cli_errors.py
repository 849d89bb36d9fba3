"""The one CLI error handler: our errors and Ctrl-C end a command with a line and a code."""

from __future__ import annotations

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from tsattn.cli_errors import EXIT_ERROR, EXIT_INTERRUPTED, reports_errors
from tsattn.errors import ConfigError

console = Console(soft_wrap=True)


def _app(error: BaseException, interrupted: str | None = None) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @reports_errors(console, interrupted=interrupted)
    def fail(times: int = 1) -> None:
        raise error

    return app


def test_our_errors_print_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(_app(ConfigError("unknown key 'x'; did you mean 'y'?")), [])
    assert result.exit_code == EXIT_ERROR == 2
    assert result.output == "error: unknown key 'x'; did you mean 'y'?\n"


def test_ctrl_c_prints_the_hint_and_exits_130_only_where_one_is_given() -> None:
    hinted = CliRunner().invoke(_app(KeyboardInterrupt(), interrupted="run it again"), [])
    assert hinted.exit_code == EXIT_INTERRUPTED == 130
    assert hinted.output == "run it again\n"
    with pytest.raises(KeyboardInterrupt), reports_errors(console):  # left to Typer
        raise KeyboardInterrupt


def test_other_errors_keep_their_traceback_and_options_survive_the_decorator() -> None:
    result = CliRunner().invoke(_app(RuntimeError("a bug")), ["--times", "3"])
    assert isinstance(result.exception, RuntimeError)
    with pytest.raises(RuntimeError, match="a bug"):
        raise result.exception
