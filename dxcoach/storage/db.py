"""Sessions on disk: SQLite under the home, WAL with synchronous=FULL, migrations keyed on user_version.

Every owner turn is committed before any retrieval or model work starts, so a crash or a kill
after the owner pressed Enter loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dxcoach.errors import UserError


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Statement by statement: executescript() would commit behind the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE sessions (
            id          TEXT PRIMARY KEY,
            company     TEXT NOT NULL,
            profile     TEXT NOT NULL,          -- JSON
            language    TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX sessions_company ON sessions(company, updated_at);
        CREATE TABLE turns (
            session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq         INTEGER NOT NULL,
            stage       TEXT NOT NULL,
            role        TEXT NOT NULL CHECK (role IN ('coach', 'owner')),
            kind        TEXT NOT NULL,          -- coach: open, probe, close, summary. owner: answer, skip, next, back
            text        TEXT NOT NULL,
            data        TEXT NOT NULL,          -- JSON: citations, assessment, probe element
            created_at  TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Facilitator notes per stage, and the session a new one started from (the same company's last)."""
    _run(
        conn,
        """
        CREATE TABLE notes (
            session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            stage       TEXT NOT NULL,
            text        TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (session_id, stage)
        );
        ALTER TABLE sessions ADD COLUMN based_on TEXT NOT NULL DEFAULT '';
        """,
    )


# Numbered migrations: index i brings the schema from version i to i + 1. Never edit one that shipped.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Turn:
    seq: int
    stage: str
    role: str
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionRow:
    id: str
    company: str
    profile: dict[str, Any]
    language: str
    created_at: str
    updated_at: str
    based_on: str = ""  # the earlier session of the same company this one started from

    @classmethod
    def of(cls, row: Any) -> SessionRow:
        return cls(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6])


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # The TUI writes from its UI thread and its coach worker: one connection, serialised by a lock.
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left on disk
            self.conn.execute("PRAGMA foreign_keys=ON")
            status = self.conn.execute("PRAGMA quick_check").fetchone()[0]
            if status != "ok":
                raise sqlite3.DatabaseError(status)
            self._migrate()
        except sqlite3.OperationalError as exc:  # locked, unreadable, no space: the file itself is fine
            raise UserError("store_unopenable", path=path, reason=exc) from exc
        except sqlite3.DatabaseError as exc:  # damaged: keep a copy aside, and never start over silently
            raise UserError("store_damaged", path=path, copy=self._keep_copy(), reason=exc) from exc

    def _keep_copy(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        copy = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        for suffix in ("", "-wal"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                shutil.copy2(source, Path(f"{copy}{suffix}"))
        return copy

    def close(self) -> None:
        self.conn.close()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError("store_too_new", path=self.path, version=version)
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[number](self.conn)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All of it or nothing. A write that fails (a full disk, a lock held too long) is one clear
        error; the rollback leaves the database as it was."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise UserError("save_failed", path=self.path, reason=exc) from exc

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    # sessions ---------------------------------------------------------------------------------
    def create_session(self, profile: dict[str, Any], language: str, based_on: str = "") -> str:
        session_id = uuid.uuid4().hex[:12]
        stamp = now()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    str(profile.get("company", "")),
                    json.dumps(profile, ensure_ascii=False),
                    language,
                    stamp,
                    stamp,
                    based_on,
                ),
            )
        return session_id

    def session(self, session_id: str) -> SessionRow:
        if not session_id.strip():
            raise UserError("session_id_missing")
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (session_id,))
        row = rows[0] if rows else None
        if row is None:
            matches = self._read("SELECT * FROM sessions WHERE substr(id, 1, ?) = ?", (len(session_id), session_id))
            if len(matches) != 1:
                raise UserError("session_not_found", id=session_id)
            row = matches[0]
        return SessionRow.of(row)

    def sessions(self) -> list[SessionRow]:
        rows = self._read("SELECT * FROM sessions ORDER BY company, updated_at DESC")
        return [SessionRow.of(r) for r in rows]

    def last_session(self, company: str) -> SessionRow | None:
        """The company's most recently updated session (the starting point for the next one)."""
        rows = self._read("SELECT * FROM sessions WHERE company = ? ORDER BY updated_at DESC LIMIT 1", (company,))
        return SessionRow.of(rows[0]) if rows else None

    def previous_session(self, session_id: str) -> SessionRow | None:
        """The same company's session made just before this one (ties in time broken by insertion order)."""
        rows = self._read(
            "SELECT s.* FROM sessions s, sessions me WHERE me.id = ? AND s.company = me.company "
            "AND (s.created_at < me.created_at OR (s.created_at = me.created_at AND s.rowid < me.rowid)) "
            "ORDER BY s.created_at DESC, s.rowid DESC LIMIT 1",
            (session_id,),
        )
        return SessionRow.of(rows[0]) if rows else None

    def delete_session(self, session_id: str) -> None:
        full_id = self.session(session_id).id
        with self.transaction() as c:
            c.execute("DELETE FROM turns WHERE session_id = ?", (full_id,))
            c.execute("DELETE FROM notes WHERE session_id = ?", (full_id,))
            c.execute("DELETE FROM sessions WHERE id = ?", (full_id,))
        with self._lock:  # the WAL still holds the old pages: fold it in and empty it
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # turns ------------------------------------------------------------------------------------
    def add_turn(
        self, session_id: str, stage: str, role: str, kind: str, text: str, data: dict[str, Any] | None = None
    ) -> Turn:
        """Append one turn and commit it (durably: WAL + synchronous=FULL) before returning."""
        return self.add_turns(session_id, [Turn(0, stage, role, kind, text, data or {})])[0]

    def add_turns(self, session_id: str, turns: list[Turn]) -> list[Turn]:
        """Append turns in one transaction (their ``seq`` is assigned here): a reply of several turns
        (a stage's close, then the next opening) is stored whole or not at all."""
        out: list[Turn] = []
        with self.transaction() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
            for turn in turns:
                seq += 1
                payload = json.dumps(turn.data, ensure_ascii=False)
                c.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (session_id, seq, turn.stage, turn.role, turn.kind, turn.text, payload, now()),
                )
                out.append(Turn(seq, turn.stage, turn.role, turn.kind, turn.text, turn.data))
            c.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now(), session_id))
        return out

    def turns(self, session_id: str) -> list[Turn]:
        rows = self._read(
            "SELECT seq, stage, role, kind, text, data FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [Turn(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def update_turn_data(self, session_id: str, seq: int, data: dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE turns SET data = ? WHERE session_id = ? AND seq = ?",
                (json.dumps(data, ensure_ascii=False), session_id, seq),
            )

    # facilitator notes ------------------------------------------------------------------------
    def set_note(self, session_id: str, stage: str, text: str) -> None:
        """A coordinator's private note for one stage (an empty text removes it)."""
        with self.transaction() as c:
            if text.strip():
                c.execute(
                    "INSERT INTO notes VALUES (?, ?, ?, ?) ON CONFLICT(session_id, stage) "
                    "DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                    (session_id, stage, text.strip(), now()),
                )
            else:
                c.execute("DELETE FROM notes WHERE session_id = ? AND stage = ?", (session_id, stage))

    def notes(self, session_id: str) -> dict[str, str]:
        rows = self._read("SELECT stage, text FROM notes WHERE session_id = ? ORDER BY stage", (session_id,))
        return {r[0]: r[1] for r in rows}

    # whole sessions, as rows (export / import) ------------------------------------------------
    def dump(self, session_id: str) -> dict[str, Any]:
        """Every stored row of one session, timestamps included."""
        row = self.session(session_id)
        turns = self._read(
            "SELECT seq, stage, role, kind, text, data, created_at FROM turns WHERE session_id = ? ORDER BY seq",
            (row.id,),
        )
        notes = self._read("SELECT stage, text, updated_at FROM notes WHERE session_id = ? ORDER BY stage", (row.id,))
        keys = ("seq", "stage", "role", "kind", "text", "data", "created_at")
        return {
            "session": {
                "id": row.id,
                "company": row.company,
                "profile": row.profile,
                "language": row.language,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "based_on": row.based_on,
            },
            "turns": [dict(zip(keys, (*t[:5], json.loads(t[5]), t[6]), strict=True)) for t in turns],
            "notes": [{"stage": n[0], "text": n[1], "updated_at": n[2]} for n in notes],
        }

    def restore(self, dump: dict[str, Any]) -> None:
        """Write a session exactly as ``dump`` gave it, in one transaction (all of it or nothing)."""
        s = dump["session"]
        with self.transaction() as c:
            c.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    s["id"],
                    s["company"],
                    json.dumps(s["profile"], ensure_ascii=False),
                    s["language"],
                    s["created_at"],
                    s["updated_at"],
                    s["based_on"],
                ),
            )
            for t in dump["turns"]:
                c.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        s["id"],
                        t["seq"],
                        t["stage"],
                        t["role"],
                        t["kind"],
                        t["text"],
                        json.dumps(t["data"], ensure_ascii=False),
                        t["created_at"],
                    ),
                )
            for n in dump["notes"]:
                c.execute("INSERT INTO notes VALUES (?, ?, ?, ?)", (s["id"], n["stage"], n["text"], n["updated_at"]))
