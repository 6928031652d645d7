"""Deferred Ctrl-C: inside the block SIGINT is a request, outside it is KeyboardInterrupt again."""

import os
import signal
import threading

import pytest

from mlplab.interrupt import DeferredInterrupt


def test_sigint_inside_is_a_request_and_the_old_handler_returns():
    ctrl_c = DeferredInterrupt()
    with ctrl_c:
        assert not ctrl_c.requested
        os.kill(os.getpid(), signal.SIGINT)              # would raise KeyboardInterrupt outside
        assert ctrl_c.requested
    assert not ctrl_c.requested
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)


def test_outside_the_main_thread_nothing_is_installed():
    seen = []

    def worker():
        with DeferredInterrupt():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]
