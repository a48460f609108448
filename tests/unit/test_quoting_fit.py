"""Quote only what fits this owner: a stage's own passage before the owner has spoken of it, a help for a
difficulty told in passing, and a programme the owner said they want."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dxcoach.coaching.grounding import opens_well
from tests.fakes import LexicalSearcher
from tests.unit.test_listening_coach import PROFILE, make_coach

PASSAGES = {p.id: p for p in LexicalSearcher().passages}


def test_a_stage_opens_quoting_only_what_most_judged_owners_found_fitting() -> None:
    assert opens_well("purpose", PASSAGES["guidance-dx-promotion"])  # fitted 27 of 32 dev owners
    assert not opens_well("vision", PASSAGES["guidance-dx-definition"])  # 15 of 32: not before the owner speaks
    assert not opens_well("gap", PASSAGES["stat-tdb-obstacles"])


def test_a_document_that_was_never_judged_is_left_to_the_relevance_floor() -> None:
    mine = replace(PASSAGES["guidance-dx-definition"], id="user-plan-1", doc_id="user-plan", kind="user")
    other = replace(PASSAGES["guidance-dx-definition"], id="policy-a-1", doc_id="policy-a")
    assert opens_well("vision", mine) and opens_well("vision", other)


def gap_follow_up(tmp_path: Path, answer: str) -> list[dict[str, object]]:
    coach = make_coach(tmp_path)
    sid = coach.new_session(PROFILE)
    coach.command(sid, "next")
    coach.command(sid, "next")
    assert coach.replay(sid).state.phase == "gap"
    turns = coach.answer(sid, answer)
    return [c for t in turns if t.stage == "gap" for c in t.data.get("citations", [])]


def test_a_difficulty_told_in_passing_lists_its_help_without_quoting_it(tmp_path: Path) -> None:
    said = "いちばんの差は人手です。ベテランが来年辞めるので、その人の段取りを覚えている者がいません。"
    cited = gap_follow_up(tmp_path, said)
    helps = [c for c in cited if c["kind"] in ("support", "talent")]
    assert helps, cited  # the panel still shows where help may be found
    assert all(not c["excerpt"] for c in helps)


def test_a_programme_the_owner_says_they_want_is_quoted_by_its_row(tmp_path: Path) -> None:
    cited = gap_follow_up(
        tmp_path,
        "差は受発注が電話とFAXなことです。社員12人で、補助金を使って受発注のシステムを入れたいと考えています。",
    )
    quoted = [c for c in cited if c["kind"] == "support" and c["excerpt"]]
    assert quoted, cited
    assert any("IT導入補助金" in str(c["title"]) for c in quoted)
