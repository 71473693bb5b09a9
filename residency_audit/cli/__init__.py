"""Command-line interface: options in, `pipeline.run`, print, exit code. Nothing else.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, jinja2, rich on non-terminals) are imported inside the commands
that need them, so `check` starts fast in CI and pre-commit. Each command lives in the module
named for what it does; they are assembled here, explicitly.
"""

import contextlib
import gc
import os
import signal
import sys
import threading
import traceback
from types import FrameType
from typing import Annotated, NoReturn

import typer

from residency_audit.cli import audit, discover, kb, reference, rules
from residency_audit.cli.base import EXIT_INTERNAL, _Group, _state, _version

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
    try:
        app()
    except Terminated as exc:
        _leave(exc.code)
    except SystemExit:
        raise
    except BaseException as exc:  # pragma: no cover - last resort, crashes must not exit 1
        if isinstance(exc, KeyboardInterrupt):
            _leave(130)
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)


class Terminated(SystemExit):
    """A TERM, raised where the main thread stands so that the run unwinds."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    # The pool's manager thread may trip over futures cancelled on the way out (CPython's
    # terminate_broken raises InvalidStateError on them): the run is ending, not failing.
    threading.excepthook = lambda args: None
    raise Terminated(128 + signum)


def _leave(code: object) -> NoReturn:
    """End an interrupted run now. Its own clean-up ran as it unwound (temporary files,
    half-written outputs; a generator still holding a worker pool is collected here, which runs
    its). What normal interpreter exit would add is CPython joining the threads and processes of
    the pools it abandoned (`batch._pool`), which can wait forever on a worker stopped
    mid-result: a cancelled CI job must not hang until its timeout."""
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or full pipe: nothing more to say
            stream.flush()
    os._exit(code if isinstance(code, int) else EXIT_INTERNAL)
