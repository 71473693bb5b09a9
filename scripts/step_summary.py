"""Print a Markdown report for `$GITHUB_STEP_SUMMARY`, cut so that it stays small.

    python scripts/step_summary.py REPORT.md >> "$GITHUB_STEP_SUMMARY"

The GitHub Action (action.yml) writes the full Markdown report to a file and passes it through
this script: a large audit's report (75,000 characters for the backup sample, megabytes for a
batch) would not fit. A report of at most LIMIT characters is printed whole; a longer one is cut
at the last line break that fits, and a note says how much is shown and where the full report is.
The report opens with its scope, CI gate and summary table, so the cut keeps those.

NOTE: the limits are not from GitHub's documentation but from third-party reports: a pull-request
comment takes at most 65,536 characters ("Body is too long (maximum is 65536 characters)",
machine-learning-apps/pr-comment#2, telia-oss/github-pr-resource#259), and a step summary past
1 MiB is dropped whole ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of
1024k", seen in public Actions runs). LIMIT stays below the first, so the summary can also be
posted as a comment, and far below the second (at most 4 bytes a character in UTF-8).
Standard library only: it runs before, and apart from, the installed tool.
"""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 60_000
"""Characters of the printed summary, note included."""


def summary(text: str, shown_as: str, *, limit: int = LIMIT) -> str:
    """The report whole if it fits in `limit` characters, else its first lines and a note."""
    if len(text) <= limit:
        return text
    lines = text.count("\n") + (not text.endswith("\n"))

    def note(kept: str) -> str:
        return (
            "\n---\n\n"
            f"**Report cut for the step summary:** {kept.count(chr(10)):,} of {lines:,} lines "
            f"({len(kept):,} of {len(text):,} characters) shown. The full report is "
            f"`{shown_as}`: upload it as an artifact to read it all.\n"
        )

    # The note's length depends on the numbers it prints, which cannot grow past the full
    # report's; measuring it with the full report's numbers leaves room for any cut.
    room = limit - len(note(text))
    cut = text.rfind("\n", 0, room + 1) + 1  # 0 when no line break fits: nothing but the note
    kept = text[:cut]
    return kept + note(kept)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: step_summary.py REPORT.md", file=sys.stderr)
        return 2
    report = argv[1]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stdout.write(summary(Path(report).read_text(encoding="utf-8"), report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
