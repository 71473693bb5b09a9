"""Texts a batch's workers write to files of their own, so that the gigabytes of a large
batch's results never pass through the parent: `Shelf`, a worker's file; `Stored`, where one
text is in it; `Shelves`, the directory of those files as the parent reads them.

The parent makes a private directory (`Shelves`); each worker opens a file in it on its first
text (`Shelf`) and writes every text once, unbuffered, since a worker process ends without
flushing. The parent opens a worker's file when the first result naming it arrives and removes
its name at once, and removes the directory when the batch ends: a killed run leaves at most a
directory with the files of workers it had heard nothing from. The open files are closed with
the `Shelves`, which the spools reading them keep (`residency_audit.spool`).
"""

from __future__ import annotations

import contextlib
import os

from residency_audit.errors import ResourceError
from residency_audit.records import Record, record

# tempfile, shutil and weakref are imported where used: every run imports this module (through
# the spool), and only a batch with workers needs them (start-up time of a one-file check).


@record
class Stored(Record):
    """A text in a worker's file: the file's name in the batch's directory, and where."""

    name: str
    offset: int
    length: int


class Shelf:
    """A worker's file of texts, opened on its first text."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._fd: int | None = None
        self._name = ""
        self._size = 0

    def put(self, data: bytes) -> Stored:
        try:
            if self._fd is None:
                import tempfile

                self._fd, path = tempfile.mkstemp(dir=self.directory, prefix="worker-")
                self._name = os.path.basename(path)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise _unwritable(self.directory, exc) from exc
        stored = Stored(self._name, self._size, len(data))
        self._size += len(data)
        return stored

    def abandon(self) -> None:
        """The parent is gone: remove this worker's file and, once empty, the directory (what
        the parent would have done); each may be gone already."""
        for remove, path in (
            (os.unlink, os.path.join(self.directory, self._name) if self._name else ""),
            (os.rmdir, self.directory),
        ):
            if path:
                with contextlib.suppress(OSError):
                    remove(path)


class Shelves:
    """The batch's directory of worker files, as the parent reads them."""

    def __init__(self) -> None:
        import tempfile
        import weakref

        try:
            self.directory = tempfile.mkdtemp(prefix="residency-audit-")
        except OSError as exc:
            raise _unwritable(tempfile.gettempdir(), exc) from exc
        self._files: dict[str, int] = {}
        self._close = weakref.finalize(self, _close, self._files, self.directory)

    def claim(self, stored: Stored) -> None:
        """Open the file `stored` is in, unless it is open already, and remove its name."""
        if stored.name in self._files:
            return
        path = os.path.join(self.directory, stored.name)
        self._files[stored.name] = os.open(path, os.O_RDONLY)
        with contextlib.suppress(OSError):  # then it goes with the directory
            os.unlink(path)

    def read(self, stored: Stored) -> bytes:
        fd = self._files[stored.name]
        parts: list[bytes] = []
        offset, left = stored.offset, stored.length
        while left:
            part = os.pread(fd, left, offset)
            if not part:
                raise OSError(f"{stored.name}: ends before the text (truncated?)")
            parts.append(part)
            offset, left = offset + len(part), left - len(part)
        return b"".join(parts)

    def seal(self) -> None:
        """The batch is over: remove the directory (the files already open stay readable)."""
        import shutil

        shutil.rmtree(self.directory, ignore_errors=True)

    def close(self) -> None:
        self._close()


def _close(files: dict[str, int], directory: str) -> None:
    import shutil

    for fd in files.values():
        os.close(fd)
    files.clear()
    shutil.rmtree(directory, ignore_errors=True)


def _unwritable(directory: str, exc: OSError) -> ResourceError:
    return ResourceError(
        f"{directory}: cannot write the batch's temporary files: {exc.strerror or exc}; set "
        "TMPDIR to a writable directory with space (up to 300 KB per deployment file for JSON)"
    )
