"""Cutting an owner's answer into units, and the evidence rules, without the real model."""

from __future__ import annotations

from typing import Any

import numpy as np

from dxcoach.coaching.assess import Assessor, Labelled, Unit, _clause_for, clauses, grams, units
from dxcoach.coaching.rubric import load_rubric
from tests.fakes import fake_embed


def test_a_sentence_with_several_clauses_keeps_the_sentence_and_adds_its_clauses() -> None:
    got = units("漁師さんや近くで働く人に、その朝揚がった魚をお腹いっぱい食べてもらうことです。")
    assert got[0] == Unit("漁師さんや近くで働く人に、その朝揚がった魚をお腹いっぱい食べてもらうことです。", 0, False)
    assert [u.text for u in got[1:]] == [
        "漁師さんや近くで働く人に",
        "その朝揚がった魚をお腹いっぱい食べてもらうことです。",
    ]
    assert all(u.clause and u.sentence == 0 for u in got[1:])


def test_short_sentences_and_tiny_clauses_are_not_split() -> None:
    assert units("特にないです。") == [Unit("特にないです。", 0, False)]
    assert [u.text for u in units("はい、そうです。")] == ["そうです。"]  # a hesitation is dropped
    assert units("") == []


def test_spoken_run_on_sentences_are_cut_after_connectives_and_hesitations_dropped() -> None:
    sentence = "えーと、まあ、県外に売りたいのに営業は私一人なんですけど、まずは来月から始めます。"
    assert clauses(sentence) == ["県外に売りたいのに", "営業は私一人なんですけど", "まずは来月から始めます。"]
    # 〜なんですよ and 〜ものです are not connectives
    assert clauses("大事なものです。") == ["大事なものです。"]
    assert len(clauses("うちの強みはそこなんですよ。")) == 1


def test_three_clauses_also_give_neighbouring_pairs_verbatim() -> None:
    answer = "注文は電話で受けて、伝票は手書きで、夜にエクセルへ打ち直しています。"
    texts = [u.text for u in units(answer)]
    assert "注文は電話で受けて、伝票は手書きで" in texts
    assert "伝票は手書きで、夜にエクセルへ打ち直しています。" in texts
    assert all(t in answer for t in texts)  # evidence is always the owner's own words


def test_units_keep_their_sentence_index() -> None:
    got = units("社員は35人です。配車は私の頭の中にしかなくて、二人が休むと回りません。")
    assert {u.sentence for u in got} == {0, 1}
    assert [u.text for u in got if u.sentence == 1 and u.clause] == [
        "配車は私の頭の中にしかなくて",
        "二人が休むと回りません。",
    ]


def test_a_bare_pointer_is_replaced_by_the_sentence_it_points_back_to() -> None:
    parts = units("提案できる人がいません。そこが一番の差です。")
    column = np.array([0.5, 0.9])
    assert _clause_for(parts, column, 1) == "提案できる人がいません。"


def test_a_unit_that_is_not_a_pointer_stays_itself() -> None:
    parts = units("提案できる人がいません。一番の差は提案力です。")
    assert _clause_for(parts, np.array([0.5, 0.9]), 1) == "一番の差は提案力です。"


def test_evidence_is_the_clause_not_the_whole_sentence() -> None:
    parts = units("漁師さんや近くで働く人に、その朝揚がった魚をお腹いっぱい食べてもらうことです。")
    column = np.array([0.90, 0.80, 0.95])
    assert _clause_for(parts, column, 0) == "その朝揚がった魚をお腹いっぱい食べてもらうことです。"


def test_assessor_with_a_fake_model_keeps_its_contract() -> None:
    assessor = Assessor(load_rubric("ja"), fake_embed, also=(load_rubric("en"),))
    result = assessor.assess("purpose", "創業以来、「嘘をつかない、手を抜かない」を守ってきました。")
    assert set(result.scores) == {e.id for e in load_rubric("ja").stage("purpose").elements}
    assert result.covered <= set(result.scores)
    answer = "創業以来、「嘘をつかない、手を抜かない」を守ってきました。"
    assert all(evidence in answer for evidence in result.evidence.values())
    assert assessor.assess("purpose", "").covered == frozenset()


def test_a_clause_ending_in_a_particle_is_completed_by_the_next() -> None:
    parts = units("今は仕入れも仕込みの量も、全部私の勘です。レジのレシートは箱に入れたままです。")
    column = np.array([0.9 if u.text == "今は仕入れも仕込みの量も" else 0.1 for u in parts])
    assert _clause_for(parts, column, int(column.argmax())) == "今は仕入れも仕込みの量も、全部私の勘です。"


def test_fitted_probes_are_kept_and_a_damaged_cache_is_refitted(tmp_path: Any) -> None:
    calls: list[int] = []

    def counting(texts: Any) -> np.ndarray:
        calls.append(len(texts))
        return fake_embed(texts)

    rubric = load_rubric("ja")
    first = Assessor(rubric, counting, cache=(tmp_path, "fake-model"))
    assert calls and len(list(tmp_path.glob("assessor-*.npz"))) == 1
    calls.clear()
    again = Assessor(rubric, counting, cache=(tmp_path, "fake-model"))
    assert calls == [], "the fitted probes are read back, not fitted again"
    answer = "地元のご家族に焼きたてのパンを毎日届けます。"
    assert again.assess("purpose", answer) == first.assess("purpose", answer)
    Assessor(rubric, counting, cache=(tmp_path, "another-model"))
    assert calls, "another model fits its own probes"
    for stored in tmp_path.glob("assessor-*.npz"):
        stored.write_bytes(b"not an npz file")
    calls.clear()
    damaged = Assessor(rubric, counting, cache=(tmp_path, "fake-model"))
    assert calls and damaged.assess("purpose", answer) == first.assess("purpose", answer)


def test_character_grams_are_stable_normalised_and_width_folded() -> None:
    got = grams(["紙とFAXです。", "紙とＦＡＸです。", ""])
    assert np.allclose(np.linalg.norm(got[:2], axis=1), 1.0)
    assert np.allclose(got[0], got[1]), "NFKC: full-width letters count as the same n-grams"
    assert not got[2].any()
    assert np.array_equal(grams(["紙とFAXです。"])[0], got[0]), "the same buckets every call (probes are cached)"


def test_labelled_answers_change_the_probes_and_their_cache_key(tmp_path: Any) -> None:
    rubric = load_rubric("ja")
    answer = "注文は全部FAXで、手書きの伝票を打ち直しています。"
    without = Assessor(rubric, fake_embed, labelled=[], cache=(tmp_path, "fake-model"))
    learnt = Assessor(
        rubric, fake_embed, labelled=[Labelled("gap", answer, frozenset({"causes"}))], cache=(tmp_path, "fake-model")
    )
    assert len(list(tmp_path.glob("assessor-*.npz"))) == 2
    assert learnt.assess("gap", answer).scores["causes"] > without.assess("gap", answer).scores["causes"]
