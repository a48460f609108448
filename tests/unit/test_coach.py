"""The coach on real storage and the real corpus, with a scripted assessor and lexical-only search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dxcoach.coaching.coach import Coach, stage_reached
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.script import Script
from dxcoach.coaching.transcript import run_script, transcript
from dxcoach.errors import UserError
from dxcoach.storage.db import Store
from tests.fakes import LexicalSearcher, ScriptedAssessor, fake_embed

PROFILE = {"company": "有限会社みなと食堂", "industry": "飲食業", "employees": 12, "region": "三重県"}
SEARCHER = LexicalSearcher()


def make_coach(tmp_path: Path, covered: dict[str, set[str]] | None = None, lang: str = "ja") -> Coach:
    store = Store(tmp_path / "sessions.sqlite3")
    return Coach(store, load_rubric(lang), ScriptedAssessor(covered), Grounder(SEARCHER, lang, fake_embed))  # type: ignore[arg-type]


def coach_turns(coach: Coach, sid: str) -> list[Any]:
    return [t for t in coach.store.turns(sid) if t.role == "coach"]


def test_new_session_opens_purpose_with_citations(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    (opening,) = coach_turns(coach, sid)
    assert opening.stage == "purpose" and opening.kind == "open"
    assert "1/4" in opening.text and "何のために会社があるか" in opening.text
    cites = opening.data["citations"]
    assert 1 <= len(cites) <= 3
    assert "ゑびや" in cites[0]["title"]  # the owner's industry case comes first
    assert "[1]" in opening.text


def test_probe_asks_the_missing_element_and_cites(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, {"家族連れに安心なパンを届けます。": {"customers", "value"}})
    sid = coach.new_session(PROFILE)
    (reply,) = coach.answer(sid, "家族連れに安心なパンを届けます。")
    assert reply.kind == "probe" and reply.data["element"] == "principles"
    assert "大切にしている考え方" in reply.text
    assert "ありがとうございます。「家族連れに安心なパンを届けます」" in reply.text
    assert reply.data["citations"] and "[1]" in reply.text
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"]
    assert owner[0].data["covered"] == ["customers", "value"]


def test_owner_turn_is_committed_before_assessment(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)

    class Boom(Exception):
        pass

    def explode(stage_id: str, answer: str) -> Any:
        raise Boom

    sid = coach.new_session(PROFILE)
    coach.assessor.assess = explode  # type: ignore[method-assign]
    with pytest.raises(Boom):
        coach.answer(sid, "保存されるべき答え")
    fresh = make_coach(tmp_path)  # a new process: same file
    last = fresh.store.turns(sid)[-1]
    assert (last.role, last.text) == ("owner", "保存されるべき答え")
    assert fresh.replay(sid).pending
    replies = fresh.respond(sid)  # resuming answers the pending turn
    assert replies and replies[0].kind == "probe"
    assert not fresh.replay(sid).pending


def test_skip_next_back_and_summary(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    coach.answer(sid, "まあ、普通の食堂ですよ。")  # covers nothing: probe customers
    (probe,) = coach.command(sid, "skip")
    assert probe.data["element"] == "value"
    turns = coach.command(sid, "next")
    assert [t.kind for t in turns] == ["close", "open"] and turns[1].stage == "vision"
    back = coach.command(sid, "back")
    assert back[-1].stage == "purpose" and "これまでのお答え" in back[-1].text
    with pytest.raises(UserError):
        coach.command(sid, "back", "data")
    for _ in range(4):
        coach.command(sid, "next")
    assert stage_reached(coach.store, sid) == "summary"
    summary = transcript(coach.store, sid)["summary"]
    assert set(summary["stages"]) == {"purpose", "vision", "gap", "data"}
    assert summary["stages"]["purpose"]["missing"] == ["customers", "value", "principles", "society"]
    assert 1 <= len(summary["actions"]) <= 5
    with pytest.raises(UserError):
        coach.answer(sid, "まとめの後の答え")


def test_empty_and_overlong_answers_are_refused_and_not_stored(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    before = len(coach.store.turns(sid))
    with pytest.raises(UserError):
        coach.answer(sid, "  \n ")
    with pytest.raises(UserError):
        coach.answer(sid, "あ" * 5000)
    assert len(coach.store.turns(sid)) == before


def test_scripted_run_covers_all_stages_and_supplements(tmp_path: Path) -> None:
    full = {"purpose": {"customers", "value", "principles", "society"}}
    coach = make_coach(tmp_path, {"全部入り": full["purpose"]})
    script = Script(PROFILE, {"purpose": ["全部入り", "追加の一言"], "gap": ["紙の伝票で資金も足りません"]})
    sid = run_script(coach, script)
    data = transcript(coach.store, sid)
    purpose = data["stages"][0]["turns"]
    assert [t["text"] for t in purpose if t["role"] == "owner"] == ["全部入り", "追加の一言"]
    assert any(t["kind"] == "supplement" for t in purpose)
    gap = data["stages"][2]["turns"]
    kinds = {c["kind"] for t in gap if t["role"] == "coach" for c in t["citations"]}
    assert "support" in kinds  # money and paper in the gap answer bring support programmes
    assert data["summary"]["support_programs"]


def test_english_sessions_speak_english(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, lang="en")
    sid = coach.new_session({"company": "Minato", "industry": "restaurant"})
    opening = coach.store.turns(sid)[0]
    assert "1/4" in opening.text and "[1]" in opening.text
    assert "ゑびや" in opening.data["citations"][0]["title"]


def test_sessions_are_found_by_a_unique_prefix_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    first = store.create_session({"company": "A"}, "ja")
    assert store.session(first[:5]).id == first
    with pytest.raises(UserError):
        store.session("%")  # not a wildcard
    with pytest.raises(UserError):
        store.session("")  # no id at all
