"""What every command shares: error handling, exit codes, option parsing.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the audit could not
finish (usage, input, rule or knowledge-base error); 3 internal error (a bug: never "findings").
Heavy modules (boto3, dnspython, rich on non-terminals) are imported inside the commands that
need them, so `check` starts fast in CI and pre-commit.
"""

import datetime as dt
import errno
import functools
import io
import itertools
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from residency_audit import __version__
from residency_audit.clock import parse_day, utc_today
from residency_audit.errors import AuditError, InputError, UsageError
from residency_audit.model import Severity
from residency_audit.reporters import OutputFormat
from residency_audit.reporters.common import defused

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "never")
FORMATS = "|".join(f.value for f in OutputFormat)
ARGV_KEY = "residency_audit.argv"

FormatOption = Annotated[
    list[str] | None,
    typer.Option("--format", "-f", help=f"{FORMATS}; repeatable, each paired with an --output."),
]
"""`--format`, shared by `check` and `report`."""
OutputOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--output",
        "-o",
        help="File the matching --format is written to (default, or -: stdout); never an input "
        "of the run, nor another format's file.",
    ),
]
"""`--output`, paired by position with `--format`."""


class _Group(TyperGroup):
    """Keeps the arguments as given, so evidence reports can show the exact command line
    (`sys.argv` is wrong under typer's CliRunner and when embedded)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click or typer._click
        ctx.meta[ARGV_KEY] = list(args)
        with _stdout_reader_may_go():  # --help and --version print here
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _stdout_reader_may_go():  # a subcommand's --help, a command not `handled`
            return super().invoke(ctx)


@contextmanager
def _stdout_reader_may_go() -> Iterator[None]:
    """A broken stdout pipe is exit 2 with `STDOUT_CUT`, where typer (as click) would exit 1,
    the code of findings, and say nothing (`typer.core._main`, `except OSError` for EPIPE)."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EPIPE or not stdout_closed():
            raise
        say_stdout_cut()
        raise typer.Exit(EXIT_ERROR) from None


def _argv(ctx: typer.Context) -> list[str]:
    return list(ctx.meta.get(ARGV_KEY, sys.argv[1:]))


_state = {"debug": False}
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
"""A disk or quota full: the environment, reported as an error (exit 2), not a bug."""
F = TypeVar("F", bound=Callable[..., Any])


def shown(error: AuditError) -> str:
    """What stderr says of an error that stops a command. An input's errors are shown as a
    deployment's are in a report: at most `reporters.text.ERRORS_SHOWN_PER_FILE` per file, then
    how many more (a hostile rule or waiver file would otherwise print a thousand lines), and
    where reading stopped. Not through `reporters.text.error_lines`, whose note points at the
    JSON report: no report is written when such an input stops the command."""
    if not isinstance(error, InputError):
        # an option, the machine or a collector: `error: what, and what to do`, as a file's
        # errors say it after their position and the tool's other errors on stderr
        text = str(error)
        return text if text.startswith("error: ") else f"error: {text}"
    from residency_audit.reporters.text import ERRORS_SHOWN_PER_FILE, STOPPED

    lines: list[str] = []
    for path, group in itertools.groupby(error.diagnostics, key=lambda d: d.span.path):
        errors = list(group)
        stop = [str(e) for e in errors if e.message.endswith(STOPPED)]
        rest = [str(e) for e in errors if not e.message.endswith(STOPPED)]
        lines += rest[:ERRORS_SHOWN_PER_FILE]
        if len(rest) > ERRORS_SHOWN_PER_FILE:
            hidden = len(rest) - ERRORS_SHOWN_PER_FILE
            lines.append(f"{path}: ... and {hidden} more errors; fix these and run again")
        lines += stop
    return "\n".join(lines)


def handled(command: F) -> F:
    """Turn AuditError into exit 2 and anything unexpected into exit 3, on stderr."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except AuditError as exc:
            if _state["debug"]:
                traceback.print_exc()
            typer.echo(defused(shown(exc)), err=True)  # in a CI log: no workflow command
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            if isinstance(exc, BrokenPipeError) and stdout_closed():
                say_stdout_cut()  # an output cut short (| head): no result to claim
                raise typer.Exit(EXIT_ERROR) from None
            if isinstance(exc, OSError) and exc.errno in _FULL:
                if exc.filename is None:  # stdout itself: what is left of it cannot be written
                    drop_stdout()
                where = exc.filename or "stdout"
                typer.echo(f"error: cannot write {where}: {exc.strerror}; free space", err=True)
                raise typer.Exit(EXIT_ERROR) from None  # the machine, not a bug
            if isinstance(exc, OSError) and exc.errno == errno.EBADF and closed_stdout():
                typer.echo(
                    f"error: cannot write stdout: {exc.strerror}; give the format an "
                    "--output file, or leave stdout open",
                    err=True,
                )
                raise typer.Exit(EXIT_ERROR) from None
            if _state["debug"]:
                traceback.print_exc()
            typer.echo(
                f"residency-audit: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug; rerun with --debug for a traceback and report it.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


class ClosedStdout(io.TextIOBase):
    """`sys.stdout` for a process started with descriptor 1 closed (`check ... >&-`), where
    Python leaves it None and the first write is an AttributeError (an "internal error").
    Writing to it raises EBADF, reported like a full disk: exit 2, `cannot write stdout`; a
    run writing only to --output files never notices it."""

    @property
    def buffer(self) -> "ClosedStdout":  # what `reporters.put` and the CLI write bytes to
        return self

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        raise OSError(errno.EBADF, "stdout is closed (>&-)")


def closed_stdout() -> bool:
    return isinstance(sys.stdout, ClosedStdout)


STDOUT_CUT = (
    "error: cannot write stdout: its reader stopped early (broken pipe, as after `| head`); "
    "the output is incomplete"
)
"""What a command says, once, when stdout's reader goes before the output is all written."""


def say_stdout_cut() -> None:
    """Drop what is left for stdout and say why on stderr; the caller exits 2 (EXIT_ERROR):
    a CI gate reading a piped output (`set -o pipefail`) must not take a cut one for a pass."""
    drop_stdout()
    typer.echo(STDOUT_CUT, err=True)


def drop_stdout() -> None:
    """Send what is still to be written to stdout (its buffer included) nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def stdout_closed() -> bool:
    """True when nothing reads stdout any more (a pipe whose reader has gone)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or no descriptor
        return False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"residency-audit {__version__}")
        raise typer.Exit()


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return utc_today()  # residency_audit.clock: one calendar for as-of and observations
    try:
        return parse_day(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date; use YYYY-MM-DD") from None


def parse_fail_on(text: str) -> Severity | None:
    if text not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on: {text!r} is not one of {', '.join(FAIL_ON_CHOICES)}")
    return None if text == "never" else Severity.parse(text)


def dns_settings(nameservers: list[str], port: int, timeout: float = 2.0, workers: int = 32) -> Any:
    from residency_audit.discover import DnsSettings

    settings = DnsSettings(tuple(nameservers), port, timeout, workers)
    settings.check()
    return settings
