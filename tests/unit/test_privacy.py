"""A client's plans stay private: files 0600, folders 0700, and a deleted session is gone from the disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dxcoach.config import ensure_home, load_settings
from dxcoach.storage.db import Store

SECRET = "来期に第二工場を閉鎖して人員を三割減らす計画です"


def modes(root: Path) -> dict[str, int]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(dirpath) / name
            if not path.is_symlink():
                out[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_a_deleted_session_leaves_no_trace_in_the_database_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "sessions.sqlite3")
    keep = store.create_session({"company": "残す会社"}, "ja")
    store.add_turn(keep, "purpose", "owner", "answer", "残しておく答えです。")
    gone = store.create_session({"company": "消す会社"}, "ja")
    for _ in range(20):
        store.add_turn(gone, "gap", "owner", "answer", SECRET)
    store.set_note(gone, "gap", SECRET)
    store.delete_session(gone)
    data = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.sqlite3*"))
    assert SECRET.encode("utf-8") not in data
    assert "残しておく答えです。".encode() in data  # the check would see the text if it were there
    assert [t.text for t in store.turns(keep)] == ["残しておく答えです。"]


def test_the_home_is_private_and_an_old_open_home_is_tightened(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        home = tmp_path / "home"
        (home / "index").mkdir(parents=True)
        (home / "index" / "old.bin").write_bytes(b"x")
        (home / "sessions.sqlite3").write_bytes(b"")
        os.chmod(home, 0o755)
        ensure_home(load_settings(home, env={}))
        Store(home / "new.sqlite3").create_session({"company": "A"}, "ja")
        (home / "cache").mkdir()
        (home / "cache" / "probe.npz").write_bytes(b"y")
        found = modes(home)
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert found and all(mode == (0o700 if (home / name).is_dir() else 0o600) for name, mode in found.items()), (
            found
        )
    finally:
        os.umask(old)
