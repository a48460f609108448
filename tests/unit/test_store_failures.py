"""The session store under a full disk and a damaged file: a clear error, nothing lost, nothing reset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dxcoach.errors import UserError
from dxcoach.storage.db import Store
from tests.conftest import ROOT

# A child whose files may not grow past their present size: the next write fails as on a full disk.
FULL_DISK = r"""
import json, resource, signal, sys
from pathlib import Path
from dxcoach.errors import UserError
from dxcoach.storage.db import Store
store = Store(Path(sys.argv[1]))
sid = store.sessions()[0].id
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing us
size = max(p.stat().st_size for p in Path(sys.argv[1]).parent.glob("sessions.sqlite3*"))
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
try:
    store.add_turn(sid, "gap", "owner", "answer", "長い答え。" * 20000)
    print(json.dumps({"saved": True}))
except UserError as exc:
    print(json.dumps({"saved": False, "en": exc.render("en"), "ja": str(exc)}))
"""


def test_a_full_disk_is_one_clear_error_and_the_database_stays_intact(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    store = Store(db)
    sid = store.create_session({"company": "A社"}, "ja")
    store.add_turn(sid, "purpose", "owner", "answer", "港町の定食屋です。")
    store.close()
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(db)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["saved"] is False
    assert "Could not save" in outcome["en"] and "disk" in outcome["en"] and "\n" not in outcome["en"]
    again = Store(db)  # opens: quick_check passes
    assert [t.text for t in again.turns(sid)] == ["港町の定食屋です。"]  # what was saved before is all there


def test_a_damaged_database_is_kept_aside_and_never_reset(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    store = Store(db)
    sid = store.create_session({"company": "A社"}, "ja")
    for n in range(200):
        store.add_turn(sid, "purpose", "owner", "answer", f"答え{n}。" * 20)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(db.read_bytes())
    data[4096 * 2 : 4096 * 2 + 64] = b"\xff" * 64  # a page in the middle goes bad
    db.write_bytes(bytes(data))
    with pytest.raises(UserError) as caught:
        Store(db)
    assert caught.value.key == "store_damaged"
    assert "damaged" in caught.value.render("en") and "A copy was kept" in caught.value.render("en")
    copies = [p for p in tmp_path.glob("sessions.sqlite3.damaged-*") if not p.name.endswith("-wal")]
    assert len(copies) == 1 and copies[0].read_bytes() == bytes(data)
    assert db.read_bytes() == bytes(data)  # the original is left for the person to restore or move, not reset


def test_a_file_that_is_no_database_at_all_is_refused_the_same_way(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    db.write_bytes(b"this is not a database, but a user's mistake" * 100)
    with pytest.raises(UserError, match="壊れています"):
        Store(db)
    assert db.read_bytes().startswith(b"this is not a database")
