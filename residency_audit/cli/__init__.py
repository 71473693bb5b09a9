"""Command-line interface: options in, `pipeline.run`, print, exit code. Nothing else.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, jinja2, rich on non-terminals) are imported inside the commands
that need them, so `check` starts fast in CI and pre-commit. Each command lives in the module
named for what it does; they are assembled here, explicitly.
"""

import os
import signal
import sys
import threading
import traceback
from types import FrameType
from typing import Annotated

import typer

from residency_audit.cli import audit, discover, kb, reference, rules
from residency_audit.cli.base import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    ClosedStdout,
    _Group,
    _state,
    _version,
    closed_stdout,
    say_stdout_cut,
    stdout_closed,
)

app = typer.Typer(
    cls=_Group,
    name="residency-audit",
    help="Audit where health data really live and which foreign laws can compel access to them.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(audit.check)
app.command()(audit.report)
app.command()(reference.schema)
app.command("risk-model")(reference.risk_model_command)
app.command()(reference.explain)
app.add_typer(rules.app, name="rules")
app.add_typer(discover.app, name="discover")
app.add_typer(kb.app, name="kb")


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


def main() -> None:
    """Console-script entry point."""
    # A TERM (CI cancelling a job) unwinds like Ctrl-C instead of killing the process where it
    # stands: the batch's temporary directory and half-written outputs are removed on the way
    # out. Workers restore the default (residency_audit.batch._watch_parent).
    signal.signal(signal.SIGTERM, _terminated)
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        sys.stdout = ClosedStdout()
        _hold_descriptor(1)
    try:
        app()
    except SystemExit:
        _flush_stdout()
        raise
    except BaseException as exc:  # last resort, crashes must not exit 1
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(130)
        if isinstance(exc, BrokenPipeError) and stdout_closed():  # not `handled`
            say_stdout_cut()
            sys.exit(EXIT_ERROR)
        if isinstance(exc, OSError) and closed_stdout():  # --version, --help: not `handled`
            print(f"error: cannot write stdout: {exc.strerror}", file=sys.stderr)
            sys.exit(EXIT_ERROR)
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)


def _flush_stdout() -> None:
    """Write what stdout still buffers (`risk-model`, `discover` to a pipe write it whole at
    the end) before exiting, where a broken pipe is still exit 2 with one line: Python's own
    flush at exit would print 'Exception ignored ... BrokenPipeError' and exit 120."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        say_stdout_cut()
        sys.exit(EXIT_ERROR)


def _hold_descriptor(fd: int) -> None:
    """Put /dev/null on the closed descriptor `fd`, so that the next file opened (a report,
    an input) does not get it and is not inherited by worker processes as their stdout."""
    null = os.open(os.devnull, os.O_WRONLY)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def _terminated(signum: int, frame: FrameType | None) -> None:
    # The threads of a worker pool abandoned on the way out (batch._abandon) may trip over
    # what they were doing: the run is ending, not failing.
    threading.excepthook = lambda args: None
    sys.exit(128 + signum)
