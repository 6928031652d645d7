"""Ctrl-C that waits for a safe moment: the training loop asks, between updates, whether it came."""

from __future__ import annotations

import signal
import threading
from typing import Any


class DeferredInterrupt:
    """Inside ``with``, SIGINT only sets :attr:`requested` (in the main thread, where Python
    delivers signals; elsewhere nothing changes).  A KeyboardInterrupt raised between two layers'
    updates would leave a half-updated network; the loop instead finishes the update, saves and
    stops.  On leaving, the previous handler is back and the request is forgotten."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> "DeferredInterrupt":
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        self.requested = False
