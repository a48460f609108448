"""Advisory file locks so that two dxcoach processes never write the same files at once."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dxcoach.errors import IndexBusyError


@contextmanager
def file_lock(
    path: Path,
    *,
    exclusive: bool,
    timeout: float = 300.0,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold an flock on ``path``; wait up to ``timeout`` seconds (telling ``on_wait`` once), then refuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"別のdxcoachが {path.parent} を使用中です。終わってからもう一度実行してください。"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def say_waiting(message: str) -> Callable[[], None]:
    return lambda: print(message, file=sys.stderr, flush=True)
