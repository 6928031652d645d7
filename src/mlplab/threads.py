"""How many BLAS threads a run uses, so that two runs on one machine do not spin against each other.

OpenBLAS starts one thread per core and, between the pieces of a matrix product, its threads
busy-wait for each other.  Two processes that each start two threads on two cores therefore do
not share the cores, they fight for them: each of two ``mlplab train`` started together took 7.8x
its time alone.  Given one thread each, they share the cores and take about twice their time.

The choice, in :func:`choose_threads`:

- ``--threads N`` (``CoreShare(N)``): N threads, whatever else runs;
- else, when the environment already pins the count (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
  ``MKL_NUM_THREADS``: the sweep's workers, a batch system, a user who chose), the libraries are left
  as they are;
- else the cores this process may run on, shared evenly with the other mlplab runs of this user that
  are running now: ``max(1, cores // (1 + others))``.

The other runs are counted in a per-user folder (:func:`registry_dir`) where each live run holds an
``flock`` on a file of its own; the kernel drops the lock however the process ends, so a killed run
is never counted.  The count is taken again about once a second between batches
(:meth:`CoreShare.on_batch_begin`), so a run started alone gives up its second thread when another
one starts beside it and takes it back when that one ends.  The load average is not used: it is an
average over a minute, so two runs started together would both see an idle machine for their first
tens of seconds, and OpenBLAS's spinning threads count as load, so a run alone on two threads looks
like two busy jobs.
"""

from __future__ import annotations

import errno
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from threadpoolctl import ThreadpoolController

from mlplab.train import Callback

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no registry, every run counts itself alone
    fcntl = None  # type: ignore[assignment]

PINNING_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
RECOUNT_SECONDS = 1.0


def parse_threads(text: str) -> int:
    """``--threads``' value: a whole number >= 1 (argparse names the flag in the message)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"must be a whole number of threads >= 1, got {text!r}")
    return value


def choose_threads(requested: int | None, cores: int, others: int, pinned: bool) -> int | None:
    """The BLAS thread count for a run; None leaves the libraries' own choice alone.

    ``requested`` is ``--threads`` (None: not given), ``cores`` the cores this process may use,
    ``others`` how many other mlplab runs are running now, ``pinned`` whether the environment
    already sets a thread count."""
    if requested is not None:
        return requested
    if pinned:
        return None
    return max(1, cores // (1 + max(0, others)))


def usable_cores() -> int:
    """The cores this process may run on (``taskset`` and cgroup cpusets respected)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def pinned_by_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    return any(environ.get(name, "").strip() for name in PINNING_VARIABLES)


def registry_dir() -> Path:
    """The per-user folder where running mlplab runs register (``$MLPLAB_RUNNING`` overrides it)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(os.environ.get("MLPLAB_RUNNING") or Path(tempfile.gettempdir()) / f"mlplab-{uid}" / "running")


class Registration:
    """This process's file in the registry, locked while the run lives; counts the others' files."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder) if folder is not None else registry_dir()
        self.path: Path | None = None
        self._fd: int | None = None

    def register(self) -> None:
        """Create this run's file already locked (locked under a temporary name, then renamed), so that
        no other run can ever see it unlocked and take it for a dead run's."""
        if fcntl is None:  # pragma: no cover
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(4)}"
        tmp = self.folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()} {' '.join(sys.argv[:3])}\n".encode())
        os.replace(tmp, self.folder / name)
        self._fd, self.path = fd, self.folder / name

    def others(self) -> int:
        """How many other registered runs are alive; the files of dead ones are removed on the way."""
        if fcntl is None or not self.folder.is_dir():
            return 0
        count = 0
        for entry in self.folder.iterdir():
            if entry.name.startswith(".") or entry == self.path:
                continue
            count += self._alive(entry)
        return count

    @staticmethod
    def _alive(entry: Path) -> bool:
        try:
            fd = os.open(entry, os.O_RDONLY)
        except OSError:                       # removed meanwhile: its run ended
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return True                   # its run holds the lock: alive
            raise
        finally:
            os.close(fd)
        try:                                  # we got the lock: nobody holds it, the run is gone
            entry.unlink()
        except FileNotFoundError:
            pass
        return False

    def unregister(self) -> None:
        if self._fd is None:
            return
        try:
            if self.path is not None:
                self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)                    # releases the lock
        self._fd = self.path = None


class CoreShare(Callback):
    """Around a run: registers it, sets the BLAS threads :func:`choose_threads` gives, and (as a trainer
    callback) recounts the other runs about once a second between batches; restores the libraries'
    thread counts on exit.

    ``with CoreShare(threads) as share: Trainer(..., callbacks=[share]).fit(...)``
    """

    def __init__(self, requested: int | None = None, *, folder: str | os.PathLike | None = None,
                 cores: int | None = None, environ: dict[str, str] | None = None,
                 recount_seconds: float = RECOUNT_SECONDS) -> None:
        if requested is not None and (isinstance(requested, bool) or not isinstance(requested, int)
                                      or requested < 1):
            raise ValueError(f"threads must be a whole number >= 1, got {requested!r}")
        self.requested = requested
        self.cores = cores if cores is not None else usable_cores()
        self.pinned = pinned_by_environment(os.environ if environ is None else environ)
        self.registration = Registration(folder)
        self.recount_seconds = recount_seconds
        self.threads: int | None = None       # what is applied now (None: the libraries' own choice)
        self._controller: ThreadpoolController | None = None
        self._original: Any = None
        self._torch_threads: int | None = None
        self._last_count = -float("inf")

    @property
    def rebalancing(self) -> bool:
        """Whether the count can change while the run lives (no --threads, nothing pinned)."""
        return self.requested is None and not self.pinned

    def __enter__(self) -> CoreShare:
        self.registration.register()
        self.recount()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.registration.unregister()
        if self._original is not None:
            self._original.restore_original_limits()
        if self._torch_threads is not None:
            sys.modules["torch"].set_num_threads(self._torch_threads)
        self._original = self._torch_threads = None
        self.threads = None

    def recount(self) -> int | None:
        """Count the other runs now and apply the resulting thread count if it changed."""
        self._last_count = time.monotonic()
        others = self.registration.others() if self.rebalancing else 0
        threads = choose_threads(self.requested, self.cores, others, self.pinned)
        if threads is not None and threads != self.threads:
            self._apply(threads)
        return self.threads

    def _apply(self, threads: int) -> None:
        if self._controller is None:
            self._controller = ThreadpoolController()
        limiter = self._controller.limit(limits=threads)
        if self._original is None:            # the first limiter remembers what the libraries had
            self._original = limiter
        torch = sys.modules.get("torch")      # torch's own pool, when a torch backend runs
        if torch is not None and hasattr(torch, "set_num_threads"):
            if self._torch_threads is None:
                self._torch_threads = torch.get_num_threads()
            torch.set_num_threads(threads)
        self.threads = threads

    # -- the trainer's hooks: recount between batches, at most once per recount_seconds ---------------
    def on_train_begin(self, trainer: Any) -> None:
        if self.rebalancing:
            self.recount()

    def on_batch_begin(self, trainer: Any, step: int) -> None:
        if self.rebalancing and time.monotonic() - self._last_count >= self.recount_seconds:
            self.recount()
