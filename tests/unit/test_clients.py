"""For IT coordinators: notes, sessions that start from the company's last one, compare, and sessions
that travel (export → import), on real SQLite with the unit fakes for retrieval and assessment."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dxcoach.coaching.coach import Coach, last_answers
from dxcoach.coaching.compare import compare
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.script import Script
from dxcoach.coaching.transcript import run_script, transcript
from dxcoach.errors import UserError
from dxcoach.storage.db import SCHEMA_VERSION, Store
from dxcoach.storage.portable import export_session, import_session, read_session_file
from tests.fakes import LexicalSearcher, ScriptedAssessor, fake_embed

PROFILE = {"company": "有限会社みなと食堂", "industry": "飲食業", "employees": 12, "region": "三重県"}
SEARCHER = LexicalSearcher()
LAST_YEAR = Script(
    PROFILE,
    {
        "purpose": ["港町の定食屋です。"],
        "vision": ["5年後に通販を始めたいです。"],
        "gap": ["帳簿が手書きです。"],
        "data": ["レジを入れます。"],
    },
)
THIS_YEAR = Script(
    PROFILE,
    {
        "purpose": ["漁師さんに朝の魚を手頃な値段で出す店です。"],
        "vision": ["5年後に通販を始めたいです。"],
        "gap": ["帳簿はクラウド会計に移しました。"],
        "data": ["レジを入れます。"],
    },
)
COVERED = {
    "港町の定食屋です。": {"customers"},
    "漁師さんに朝の魚を手頃な値段で出す店です。": {"customers", "value"},
    "5年後に通販を始めたいです。": {"horizon", "change"},
    "帳簿が手書きです。": {"current", "gaps"},
    "帳簿はクラウド会計に移しました。": {"current"},
    "レジを入れます。": {"technology"},
}


def make_coach(path: Path) -> Coach:
    store = Store(path / "sessions.sqlite3")
    assessor = ScriptedAssessor({k: set(v) for k, v in COVERED.items()})
    return Coach(store, load_rubric("ja"), assessor, Grounder(SEARCHER, "ja", fake_embed))  # type: ignore[arg-type]


def test_a_version_1_database_gains_notes_and_lineage(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, company TEXT NOT NULL, profile TEXT NOT NULL, "
            "language TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        conn.execute("CREATE TABLE turns (session_id TEXT, seq INTEGER, stage TEXT, role TEXT, kind TEXT, text TEXT, "
                     "data TEXT, created_at TEXT, PRIMARY KEY (session_id, seq))")  # fmt: skip
        conn.execute(
            "INSERT INTO sessions VALUES ('abc', 'A社', '{\"company\": \"A社\"}', 'ja', '2025-01-01', '2025-01-01')"
        )
        conn.execute("PRAGMA user_version = 1")
    store = Store(db)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert store.session("abc").based_on == "" and store.notes("abc") == {}
    store.set_note("abc", "gap", "社長は息子さんへの承継を気にしている")
    assert store.notes("abc") == {"gap": "社長は息子さんへの承継を気にしている"}


def test_notes_are_kept_per_stage_replaced_and_removed_with_the_session(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    sid = store.create_session(PROFILE, "ja")
    store.set_note(sid, "purpose", "一つ目")
    store.set_note(sid, "purpose", "書き直し")
    store.set_note(sid, "vision", "二つ目")
    assert store.notes(sid) == {"purpose": "書き直し", "vision": "二つ目"}
    store.set_note(sid, "vision", "  ")
    assert store.notes(sid) == {"purpose": "書き直し"}
    assert transcript(store, sid)["notes"] == {"purpose": "書き直し"}
    store.delete_session(sid)
    assert store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0


def test_a_new_session_shows_last_times_answers_and_takes_none_of_them(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    first = run_script(coach, LAST_YEAR)
    sid = coach.new_session(PROFILE, from_last=True)
    assert coach.store.session(sid).based_on == first
    (opening,) = [t for t in coach.store.turns(sid) if t.role == "coach"]
    assert "前回（" in opening.text and "・港町の定食屋です。" in opening.text
    assert coach.replay(sid).state.stage("purpose").covered == set()  # nothing counts until the owner answers
    assert last_answers(coach.store, sid, "gap")[1] == ["帳簿が手書きです。"]
    plain = coach.new_session(PROFILE)  # without from_last: no look back
    assert "前回（" not in coach.store.turns(plain)[0].text
    other = coach.new_session({**PROFILE, "company": "別の会社"}, from_last=True)
    assert coach.store.session(other).based_on == "" and "前回（" not in coach.store.turns(other)[0].text


def test_compare_shows_the_elements_gained_and_lost_per_stage(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    earlier = transcript(coach.store, run_script(coach, LAST_YEAR))
    later = transcript(coach.store, run_script(coach, THIS_YEAR))
    changes = {c.stage: c for c in compare(coach.rubric, earlier, later)}
    assert changes["purpose"].gained == ["value"] and changes["purpose"].lost == []
    assert changes["gap"].gained == [] and changes["gap"].lost == ["gaps"]
    assert changes["vision"].gained == changes["vision"].lost == []
    assert changes["gap"].answers_before == ["帳簿が手書きです。"]
    assert changes["gap"].answers_after == ["帳簿はクラウド会計に移しました。"]
    with pytest.raises(UserError, match="同じ会社"):
        other = transcript(
            coach.store, run_script(coach, Script({**PROFILE, "company": "別の会社"}, LAST_YEAR.answers))
        )
        compare(coach.rubric, earlier, other)


def test_export_then_import_into_a_fresh_home_restores_the_session_exactly(tmp_path: Path) -> None:
    coach = make_coach(tmp_path / "a")
    sid = run_script(coach, LAST_YEAR)
    coach.store.set_note(sid, "purpose", "ファシリテーターのメモ")
    path = tmp_path / "session.json"
    path.write_text(json.dumps(export_session(coach.store, sid), ensure_ascii=False), encoding="utf-8")
    fresh = Store(tmp_path / "b" / "sessions.sqlite3")
    assert import_session(fresh, read_session_file(path)) == (sid, True)
    assert transcript(fresh, sid) == transcript(coach.store, sid)
    assert fresh.dump(sid) == coach.store.dump(sid)  # timestamps, data and notes too
    assert import_session(fresh, read_session_file(path)) == (sid, False)  # the same file twice: no duplicate
    assert len(fresh.sessions()) == 1


def tampered(data: dict[str, object]) -> dict[str, object]:
    turns = data["turns"]
    assert isinstance(turns, list)
    turns[1]["text"] = "書き換えた答え"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (tampered, "チェックサム"),
        (lambda d: {**d, "format": "something-else"}, "セッションファイルではありません"),
        (lambda d: {**d, "version": 99}, "対応していない版"),
        (lambda d: {k: v for k, v in d.items() if k != "sha256"}, "チェックサム"),
        (lambda d: [], "セッションファイルではありません"),
    ],
    ids=["tampered", "format", "version", "no-checksum", "not-a-mapping"],
)
def test_a_malformed_or_tampered_file_is_refused_whole(tmp_path: Path, change: object, message: str) -> None:
    coach = make_coach(tmp_path / "a")
    sid = run_script(coach, LAST_YEAR)
    data = change(export_session(coach.store, sid))  # type: ignore[operator]
    fresh = Store(tmp_path / "b.sqlite3")
    with pytest.raises(UserError, match=message):
        import_session(fresh, data if isinstance(data, dict) else {}, "x.json")
    assert fresh.sessions() == []


def test_a_file_with_a_valid_checksum_but_broken_rows_is_refused(tmp_path: Path) -> None:
    from dxcoach.storage.portable import _digest

    coach = make_coach(tmp_path / "a")
    data = export_session(coach.store, run_script(coach, LAST_YEAR))
    data["turns"][0]["stage"] = "nowhere"
    data["sha256"] = _digest({k: data[k] for k in ("session", "turns", "notes")})
    fresh = Store(tmp_path / "b.sqlite3")
    with pytest.raises(UserError, match="中身が正しくありません"):
        import_session(fresh, data)
    assert fresh.sessions() == []


def test_the_same_id_with_other_content_is_not_overwritten(tmp_path: Path) -> None:
    coach = make_coach(tmp_path / "a")
    sid = run_script(coach, LAST_YEAR)
    exported = export_session(coach.store, sid)
    coach.store.set_note(sid, "gap", "後から書いたメモ")
    with pytest.raises(UserError, match="内容の違うセッション"):
        import_session(coach.store, exported)
    assert coach.store.notes(sid) == {"gap": "後から書いたメモ"}


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe\x00garbage"])
def test_an_unreadable_file_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UserError, match="読めません"):
        read_session_file(path)
    with pytest.raises(UserError, match="見つかりません"):
        read_session_file(tmp_path / "missing.json")
