"""Sessions that travel: one JSON file carries a whole session (profile, turns with their citations and
assessments, facilitator notes), and importing it into another home restores it exactly.

The file names its format and version and carries a SHA-256 of its content: a file edited by hand or
damaged on the way is refused, whole. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from dxcoach.coaching.machine import STAGES, SUMMARY
from dxcoach.errors import UserError
from dxcoach.storage.db import Store

FORMAT = "dxcoach-session"
VERSION = 1
MAX_BYTES = 50 * 1024 * 1024


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def export_session(store: Store, session_id: str) -> dict[str, Any]:
    content = store.dump(session_id)
    return {"format": FORMAT, "version": VERSION, **content, "sha256": _digest(content)}


def _check(data: Any, where: str) -> dict[str, Any]:
    """The content of a session file, or a UserError naming what is wrong with it."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError("import_not_session", path=where)
    if data.get("version") != VERSION:
        raise UserError("import_version", version=data.get("version"), path=where)
    content: dict[str, Any] = {k: data.get(k) for k in ("session", "turns", "notes")}
    if data.get("sha256") != _digest(content):
        raise UserError("import_checksum", path=where)
    session: Any = content["session"]
    turns: Any = content["turns"]
    notes: Any = content["notes"]
    try:
        ok = isinstance(session, dict) and isinstance(turns, list) and isinstance(notes, list)
        ok = ok and all(isinstance(session[k], str) for k in ("id", "company", "language", "created_at", "updated_at"))
        ok = ok and isinstance(session["profile"], dict) and isinstance(session["based_on"], str) and session["id"]
        ok = ok and [t["seq"] for t in turns] == list(range(1, len(turns) + 1))
        ok = ok and all(
            t["stage"] in (*STAGES, SUMMARY)
            and t["role"] in ("coach", "owner")
            and isinstance(t["kind"], str)
            and isinstance(t["text"], str)
            and isinstance(t["data"], dict)
            for t in turns
        )
        ok = ok and all(n["stage"] in STAGES and isinstance(n["text"], str) for n in notes)
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise UserError("import_bad_content", path=where)
    return content


def read_session_file(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserError("import_too_big", path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("file_not_found", path=path) from None
    except IsADirectoryError:
        raise UserError("file_is_directory", path=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError("import_unreadable", path=path, reason=exc) from exc
    return data if isinstance(data, dict) else {}


def import_session(store: Store, data: dict[str, Any], where: str = "") -> tuple[str, bool]:
    """Restore the session; returns (id, imported). The same session already here is left as it is."""
    content = _check(data, where)
    session_id = content["session"]["id"]
    try:
        existing = store.dump(session_id)
    except UserError:
        existing = None
    if existing is not None and existing["session"]["id"] == session_id:
        if _digest(existing) == _digest(content):
            return session_id, False
        raise UserError("import_conflict", id=session_id, path=where)
    store.restore(content)
    return session_id, True
