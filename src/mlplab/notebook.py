"""Whether mlplab runs inside a Jupyter kernel (progress display, inline figures)."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (an IPython shell with a kernel behind it), where
    stderr is not a terminal yet a progress display is wanted, and figures show inline."""
    ipython = sys.modules.get("IPython")          # never imported here: a kernel has already done so
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and getattr(shell, "kernel", None) is not None
