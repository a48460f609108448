"""The coach listens: a question is answered first, "already said" is taken as said, "I don't know"
gets an example, an unsure element is checked, a correction is taken — on real storage and the
bundled corpus, with a scripted assessor and lexical-only search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dxcoach.coaching import programs
from dxcoach.coaching.coach import Coach
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.errors import UserError
from dxcoach.storage.db import Store
from tests.conftest import ROOT
from tests.fakes import LexicalSearcher, ScriptedAssessor, fake_embed

PROFILE = {"company": "有限会社みなと食堂", "industry": "飲食業", "employees": 12, "region": "三重県"}
SEARCHER = LexicalSearcher()
STORY = "港の近くで40年、朝獲れの魚で定食を出してきました。"


def make_coach(
    tmp_path: Path,
    covered: dict[str, set[str]] | None = None,
    unsure: dict[str, dict[str, str]] | None = None,
    lang: str = "ja",
) -> Coach:
    store = Store(tmp_path / "sessions.sqlite3")
    assessor = ScriptedAssessor(covered, unsure)
    grounder = Grounder(SEARCHER, lang, fake_embed, programs.load_programs(ROOT / "corpus"))  # type: ignore[arg-type]
    return Coach(store, load_rubric(lang), assessor, grounder)


def ends_with_question(coach: Coach, text: str) -> bool:
    """The turn's last line is a question the coach asks: the stage's, an element's, or a check."""
    last = [line for line in text.splitlines() if line.strip()][-1].strip()
    asks = {s.question.strip() for s in coach.rubric.stages}
    asks |= {e.probe.strip() for s in coach.rubric.stages for e in s.elements}
    return last in asks or last.endswith(("受け取ってよいでしょうか。", "?"))


def test_a_question_is_stored_as_such_and_answered_first_with_a_source(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    turns = coach.answer(sid, "DX認定って、取ると何かいいことがあるんですか？")
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"][-1]
    assert owner.kind == "question" and owner.data["question"].startswith("DX認定")
    (reply,) = turns
    assert reply.kind == "reply"
    assert reply.data["citations"] and "[1]" in reply.text
    assert "DX認定" in reply.text  # a fact from the source, not a reflection of the question
    assert "というお話" not in reply.text and "という価値" not in reply.text
    assert reply.text.rstrip().endswith(coach.rubric.stage("purpose").question.strip())  # then the stage goes on
    assert coach.replay(sid).state.stage("purpose").probes == ()  # asking cost the owner nothing


def test_a_question_inside_an_answer_is_answered_then_the_follow_up_comes(tmp_path: Path) -> None:
    words = "地元の漁師さんと観光客に、朝獲れの魚を食べてもらう店です。"
    text = f"{words}ネットで干物を売る仕組みを作りたいのですが、補助金は使えますか？"
    coach = make_coach(tmp_path, {words: {"customers", "value"}})
    sid = coach.new_session(PROFILE)
    turns = coach.answer(sid, text)
    assert [t.kind for t in turns] == ["reply", "probe"]
    assert turns[1].data["element"] == "principles"
    assert words.rstrip("。") in turns[1].text or "漁師さん" in turns[1].text  # the answer part is reflected
    assert "補助金は使えますか" not in turns[1].text  # the question is never reflected as an answer
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"][-1]
    assert owner.data["covered"] == ["customers", "value"]


def test_already_said_takes_the_earlier_words_and_moves_on(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, {STORY: {"value"}}, {STORY: {"customers": "朝獲れの魚で定食を出してきました"}})
    sid = coach.new_session(PROFILE)
    coach.answer(sid, STORY)  # customers is unsure: a check comes first
    coach.command(sid, "skip")  # the owner does not answer the check…
    turns = coach.answer(sid, "それはさっき言いましたよ。")  # …and says the next one was said already
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"][-1]
    assert owner.data["intent"] == "already_said"
    stored = coach.store.turns(sid)
    asked = [t for t in stored[: stored.index(owner)] if t.role == "coach" and t.kind in ("probe", "confirm")][-1]
    assert owner.data["covered"] == [asked.data["element"]]
    assert turns and "先ほどの" in turns[0].text
    assert asked.data["element"] not in [t.data.get("element") for t in turns]  # not asked again


def test_an_unsure_element_is_checked_with_the_owners_words_and_a_yes_counts(tmp_path: Path) -> None:
    clause = "朝獲れの魚で定食を出してきました"
    coach = make_coach(tmp_path, {STORY: {"value"}}, {STORY: {"customers": clause}})
    sid = coach.new_session(PROFILE)
    (check,) = coach.answer(sid, STORY)
    assert check.kind == "confirm" and check.data["element"] == "customers" and check.data["clause"] == clause
    assert "受け取ってよいでしょうか" in check.text and clause in check.text and ends_with_question(coach, check.text)
    data = transcript(coach.store, sid)
    confirm = [t for t in data["stages"][0]["turns"] if t["role"] == "coach" and t["kind"] == "confirm"]
    assert confirm and confirm[0]["probe_element"] == "customers"
    turns = coach.answer(sid, "はい、そうです。")
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"][-1]
    assert owner.data["intent"] == "yes" and owner.data["covered"] == ["customers"]
    assert coach.replay(sid).state.stage("purpose").covered == {"customers", "value"}
    assert "として受け止めます" in turns[0].text


def test_a_no_to_a_check_counts_nothing_and_the_element_is_not_asked_again(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, {STORY: {"value"}}, {STORY: {"customers": "朝獲れの魚で定食を出してきました"}})
    sid = coach.new_session(PROFILE)
    coach.answer(sid, STORY)
    turns = coach.answer(sid, "いいえ、違います。")
    assert "customers" not in coach.replay(sid).state.stage("purpose").covered
    assert all(t.data.get("element") != "customers" for t in turns)


def test_dont_know_gets_one_example_and_an_offer_to_move_on(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, {STORY: {"customers", "value"}})
    sid = coach.new_session(PROFILE)
    coach.answer(sid, STORY)  # probe: principles
    (example,) = coach.answer(sid, "うーん、ちょっと分かりません。")
    assert example.kind == "probe" and example.data["element"] == "principles" and example.data["example"]
    cites = example.data["citations"]
    assert len(cites) == 1 and cites[0]["kind"] == "case" and "[1]" in example.text
    assert "Ctrl+N" in example.text and ends_with_question(coach, example.text)
    (after,) = coach.answer(sid, "やっぱり分かりません。")  # a second time: moves on
    assert after.data.get("element") != "principles"


def test_a_correction_is_thanked_and_assessed_on_what_follows(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, {"お客様は近所のお年寄りです。": {"customers"}})
    sid = coach.new_session(PROFILE)
    coach.answer(sid, STORY)
    coach.answer(sid, "いや、そうじゃなくて、お客様は近所のお年寄りです。")
    owner = [t for t in coach.store.turns(sid) if t.role == "owner"][-1]
    assert owner.data["intent"] == "correction" and owner.data["covered"] == ["customers"]
    reply = [t for t in coach.store.turns(sid) if t.role == "coach"][-1]
    assert reply.text.startswith("失礼しました")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_coach_turn_ends_with_its_question(tmp_path: Path, lang: str) -> None:
    coach = make_coach(tmp_path, {STORY: {"customers"}}, lang=lang)
    sid = coach.new_session(PROFILE)
    coach.answer(sid, STORY)
    coach.answer(
        sid, "Do other companies struggle with this too?" if lang == "en" else "他の会社はどこで苦労していますか？"
    )
    for turn in (t for t in coach.store.turns(sid) if t.role == "coach" and t.kind in ("open", "probe", "reply")):
        assert ends_with_question(coach, turn.text), turn.text


def test_a_reply_of_several_turns_is_stored_whole_or_not_at_all(tmp_path: Path, monkeypatch: Any) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    before = coach.store.turns(sid)
    real = coach.store.add_turns

    def fail_after_first(session_id: str, turns: list[Any]) -> list[Any]:
        if len(turns) == 1:  # the owner's "next"
            return real(session_id, turns)
        assert len(turns) == 2  # the close of purpose and the opening of vision, together
        with coach.store.transaction() as c:
            c.execute("INSERT INTO turns VALUES (?, 99, 'purpose', 'coach', 'close', 'x', '{}', '')", (sid,))
            raise UserError("save_failed", path="x", reason="disk full")

    monkeypatch.setattr(coach.store, "add_turns", fail_after_first)
    with pytest.raises(UserError):
        coach.command(sid, "next")
    stored = coach.store.turns(sid)
    assert [t.kind for t in stored] == [*(t.kind for t in before), "next"]  # no half reply
    monkeypatch.setattr(coach.store, "add_turns", real)
    turns = coach.respond(sid)  # resuming says the whole reply
    assert [t.kind for t in turns] == ["close", "open"]
