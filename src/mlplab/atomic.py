"""Files written whole or not at all: to a temporary name in the same folder, then renamed, so a
reader (or a process killed mid-write) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def write_npz_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write an ``.npz`` to a temporary name in the same folder, then rename: never half a file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mlplab-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError):           # disk full, no permission: say which file, and that nothing broke
            raise OSError(err.errno, f"could not write {path!r}: {err.strerror or err}; "
                                     f"the previous file there, if any, is unchanged") from err
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
