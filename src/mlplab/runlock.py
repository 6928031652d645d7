"""One writer per run folder: a lock held for the whole run, released by the kernel if the process dies.

Two ``mlplab train --overwrite`` into one folder would otherwise interleave their files.  The lock
is ``fcntl.flock`` on ``.mlplab.lock`` inside the folder: the kernel drops it when its process
ends, however it ends, so a run killed with SIGKILL leaves nothing that blocks ``--resume``.  The
holder writes its process id into the file, for the refusal to name it.  Where ``fcntl`` does not
exist (Windows), runs are not locked.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".mlplab.lock"


class RunInUse(ValueError):
    """Another live process holds the run folder's lock."""


class RunLock:
    """The lock of one run folder; ``acquire`` refuses (:class:`RunInUse`) rather than waits.

    >>> with RunLock() as lock:
    ...     lock.acquire(out)          # before the first file is written into out
    ...     ...                        # the run; the lock file goes when the block ends
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self._fd: int | None = None

    def acquire(self, folder: str | os.PathLike) -> None:
        """Take ``folder``'s lock (the folder must exist); an OSError means it cannot be written."""
        if self._fd is not None or fcntl is None:
            return
        path = Path(folder) / LOCK_FILE
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                raise RunInUse(f"out {str(folder)!r} is in use: {holder(path)} is writing a run there; wait for "
                               f"it to end, or choose another --out") from None
            if _same_file(fd, path):
                break
            os.close(fd)          # the holder removed the file as we opened it: lock the one there now
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.path, self._fd = path, fd

    def release(self) -> None:
        """Remove the lock file (while still holding it, so no one locks a file on its way out) and
        let go.  A folder removed meanwhile (a run that failed before its first update) is fine."""
        if self._fd is None:
            return
        try:
            if self.path is not None and _same_file(self._fd, self.path):
                self.path.unlink()
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def holder(path: Path) -> str:
    """"process 1234" from a lock file, or "another process" when it names none (yet)."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return "another process"
    return f"process {pid}"
