"""The index lock (filelock): readers share it, a writer holds it alone, a killed holder frees it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dxcoach.errors import IndexBusyError
from dxcoach.locking import file_lock
from tests.conftest import ROOT

HOLD = """
import os, signal, sys, time
from pathlib import Path
from dxcoach.locking import file_lock
with file_lock(Path(sys.argv[1]), exclusive=True):
    print("held", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(sys.argv[2]))
"""


def hold(path: Path, how: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(path), how], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_reader_waits_for_the_writer_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "index.lock"
    child = hold(path, "1.5")
    told: list[str] = []
    start = time.monotonic()
    with file_lock(path, exclusive=False, on_wait=lambda: told.append("waiting")):
        waited = time.monotonic() - start
    child.wait()
    assert told == ["waiting"] and waited > 0.5
    with file_lock(path, exclusive=False), file_lock(path, exclusive=False):  # readers share
        pass


def test_a_killed_writer_leaves_nothing_locked(tmp_path: Path) -> None:
    path = tmp_path / "index.lock"
    hold(path, "kill").wait()
    with file_lock(path, exclusive=True, timeout=2):
        pass


def test_a_lock_held_too_long_is_a_clear_refusal(tmp_path: Path) -> None:
    path = tmp_path / "index.lock"
    child = hold(path, "5")
    try:
        with pytest.raises(IndexBusyError, match="使用中"), file_lock(path, exclusive=True, timeout=0.3):
            pass
    finally:
        child.kill()
        child.wait()
