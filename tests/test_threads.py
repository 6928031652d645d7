"""``mlplab train --threads`` and the default that shares the cores with the other mlplab runs."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time

import pytest
from threadpoolctl import threadpool_info

from mlplab.cli import main
from mlplab.threads import CoreShare, Registration, choose_threads, parse_threads, pinned_by_environment


def blas_threads() -> int:
    return next(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


# -- the chooser, with faked inputs ---------------------------------------------------------------------
@pytest.mark.parametrize("requested, cores, others, pinned, expected", [
    (None, 2, 0, False, 2),      # alone: every core
    (None, 2, 1, False, 1),      # the case: two runs on two cores, one thread each
    (None, 16, 3, False, 4),     # four runs share sixteen cores evenly
    (None, 16, 2, False, 5),     # three runs: the remainder stays free rather than oversubscribed
    (None, 2, 5, False, 1),      # more runs than cores: never below one
    (None, 2, 1, True, None),    # OPENBLAS_NUM_THREADS set: the environment's choice stands
    (3, 2, 1, False, 3),         # --threads wins over the count ...
    (3, 2, 0, True, 3),          # ... and over the environment
])
def test_choose_threads(requested, cores, others, pinned, expected):
    assert choose_threads(requested, cores, others, pinned) == expected


def test_pinned_by_environment_reads_the_thread_variables():
    assert pinned_by_environment({"OPENBLAS_NUM_THREADS": "1"})
    assert pinned_by_environment({"OMP_NUM_THREADS": "4"})
    assert not pinned_by_environment({"OPENBLAS_CORETYPE": "Haswell", "OMP_NUM_THREADS": ""})


def test_parse_threads():
    assert parse_threads("3") == 3
    for bad in ("0", "-1", "two", "1.5", ""):
        with pytest.raises(ValueError, match=repr(bad)):
            parse_threads(bad)


# -- the registry: live runs counted, dead ones forgotten -----------------------------------------------
def test_registration_counts_live_runs_and_removes_dead_ones(tmp_path):
    me, other = Registration(tmp_path), Registration(tmp_path)
    me.register()
    assert me.others() == 0
    other.register()
    assert me.others() == 1 and other.others() == 1
    dead = tmp_path / "12345-deadbeef"          # a killed run's file: no process holds its lock
    dead.write_text("12345 mlplab train\n")
    assert me.others() == 1
    assert not dead.exists()
    other.unregister()
    assert me.others() == 0
    me.unregister()
    assert list(tmp_path.iterdir()) == []


def test_a_run_in_another_process_is_counted_while_it_lives(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom mlplab.threads import Registration\n"
                              f"r = Registration({str(tmp_path)!r}); r.register(); print('up', flush=True)\n"
                              "sys.stdin.readline()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "up"
        me = Registration(tmp_path)
        assert me.others() == 1
        child.kill()                             # SIGKILL: no clean-up ran, the kernel dropped the lock
        child.wait()
        assert me.others() == 0
    finally:
        if child.poll() is None:
            child.kill()


# -- CoreShare applies the choice, rebalances between batches, restores on exit ------------------------
def test_core_share_gives_up_threads_when_another_run_starts(tmp_path):
    before = blas_threads()
    with CoreShare(None, folder=tmp_path, cores=4, environ={}, recount_seconds=0.0) as share:
        assert share.threads == 4 and blas_threads() == 4        # alone on four cores
        other = Registration(tmp_path)
        other.register()
        share.on_batch_begin(None, 0)
        assert share.threads == 2 and blas_threads() == 2        # another run: half each
        other.unregister()
        share.on_batch_begin(None, 1)
        assert blas_threads() == 4                               # it ended: all four again
    assert blas_threads() == before
    assert list(tmp_path.iterdir()) == []                        # unregistered


def test_core_share_recounts_at_most_once_per_interval(tmp_path):
    with CoreShare(None, folder=tmp_path, cores=2, environ={}, recount_seconds=3600.0) as share:
        other = Registration(tmp_path)
        other.register()
        share.on_batch_begin(None, 0)
        assert share.threads == 2                 # not recounted yet: a batch costs no directory listing
        share._last_count = time.monotonic() - 3601
        share.on_batch_begin(None, 1)
        assert share.threads == 1
        other.unregister()


def test_core_share_leaves_a_pinned_environment_and_obeys_threads(tmp_path):
    before = blas_threads()
    with CoreShare(None, folder=tmp_path, cores=4, environ={"OPENBLAS_NUM_THREADS": "1"}) as share:
        assert share.threads is None and blas_threads() == before
        assert len(os.listdir(tmp_path)) == 1    # still registered: other runs count it
    with CoreShare(3, folder=tmp_path, cores=4, environ={"OPENBLAS_NUM_THREADS": "1"}) as share:
        assert blas_threads() == 3
    assert blas_threads() == before
    with pytest.raises(ValueError, match="threads must be a whole number >= 1, got 0"):
        CoreShare(0, folder=tmp_path)


def test_registered_file_is_locked_from_the_moment_it_is_visible(tmp_path):
    me = Registration(tmp_path)
    me.register()
    fd = os.open(me.path, os.O_RDONLY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    finally:
        os.close(fd)
        me.unregister()


# -- the command line ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_train_refuses_bad_threads(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--threads", value, "--data", "moons", "--epochs", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"mlplab train: error: argument --threads: must be a whole number of threads >= 1, got {value!r}"


def test_train_runs_with_threads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLPLAB_RUNNING", str(tmp_path / "running"))
    seen = []
    original = CoreShare.on_train_begin

    def spy(self, trainer):
        original(self, trainer)
        seen.append(blas_threads())
    monkeypatch.setattr(CoreShare, "on_train_begin", spy)
    before = blas_threads()
    assert main(["train", "--threads", "2", "--data", "moons", "--hidden", "8", "--epochs", "1", "--quiet",
                 "--no-report", "--diagnostics", "off", "--out", str(tmp_path / "run")]) == 0
    assert seen == [2] and blas_threads() == before
    assert list((tmp_path / "running").iterdir()) == []
