"""`python -m residency_audit` and the `residency-audit` command (`main`).

Importing the command-line interface (typer, click, the engine) takes a tenth of a second, in
which a Ctrl-C or a TERM (CI cancelling a job) must already end the run as they do once it runs:
exit 130 or 143, no traceback. So this module imports nothing heavy itself and handles both
until `cli.main` takes over.
"""

import signal
import sys
from types import FrameType


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminated)  # until cli.main installs its own
    try:
        from residency_audit.cli import main as run
    except KeyboardInterrupt:
        sys.exit(130)
    run()


def _terminated(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()
