"""Locks so that two dxcoach processes never write the same files at once (filelock).

Searches share the index (read lock); an index build, or a document being added, holds it alone
(write lock). The locks are kernel-backed (SQLite's file locks under filelock's ReadWriteLock, flock
under FileLock), so a process that dies — even by SIGKILL — releases them: nothing stays wedged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, ReadWriteLock, Timeout

from dxcoach.errors import IndexBusyError


@contextmanager
def file_lock(
    path: Path,
    *,
    exclusive: bool,
    timeout: float = 300.0,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold ``path`` shared or alone; wait up to ``timeout`` seconds (telling ``on_wait`` once), then refuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = ReadWriteLock(path, is_singleton=False)  # separate instances: threads of one process may wait too
    acquire = lock.acquire_write if exclusive else lock.acquire_read
    try:
        try:
            acquire(blocking=False)
        except Timeout:
            if on_wait is not None:
                on_wait()
            try:
                acquire(timeout=timeout)
            except Timeout:
                raise IndexBusyError("index_busy", path=path.parent) from None
        try:
            yield
        finally:
            lock.release()
    finally:
        lock.close()


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """One builder at a time (the embedding model's conversion); waits as long as it takes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path):
        yield


def hold_session(path: Path) -> FileLock | None:
    """Hold one session for this process's coaching screen, or None if another process holds it.

    Two screens answering one session would interleave their turns; two screens on different
    sessions of one home are fine (SQLite's WAL serialises their writes).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, is_singleton=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        return None
    return lock
