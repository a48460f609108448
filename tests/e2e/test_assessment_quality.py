"""The no-LLM assessment against the labelled answers, with the real model (numbers in bench/assessment.py)."""

from __future__ import annotations

from typing import Any

import yaml

from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.rubric import load_rubric
from tests.conftest import ROOT

LABELS = ROOT / "tests" / "data" / "assessment_labels.yaml"
SPOKEN = ROOT / "tests" / "data" / "assessment_labels_spoken.yaml"  # held out: never tuned on
# Measured P 0.875 / R 0.813 on the 148 answers of both sets (fit 0.922 / 0.844, held-out 0.813 / 0.770).
FLOOR_PRECISION = 0.86
FLOOR_RECALL = 0.80


def test_labelled_set_is_big_and_balanced() -> None:
    rows = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    assert len(rows) >= 60
    for stage in ("purpose", "vision", "gap", "data"):
        assert sum(1 for r in rows if r["stage"] == stage) >= 15
    assert sum(1 for r in rows if not r.get("covered")) >= 5  # answers that cover nothing


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    if SPOKEN.exists():
        rows += yaml.safe_load(SPOKEN.read_text(encoding="utf-8"))
    return rows


def test_precision_and_recall_meet_the_floor(real_embeddings: Any) -> None:
    rows = _rows()
    # As in dxcoach/coaching/factory.py: a session also knows the other language's examples.
    assessors = {
        lang: Assessor(load_rubric(lang), real_embeddings.encode_queries, also=(load_rubric(other),))
        for lang, other in (("ja", "en"), ("en", "ja"))
    }
    tp = fp = fn = 0
    for row in rows:
        assessor = assessors[row.get("lang", "ja")]
        got = assessor.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        for element in (e.id for e in assessor.rubric.stage(row["stage"]).elements):
            tp += element in got and element in gold
            fp += element in got and element not in gold
            fn += element not in got and element in gold
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= FLOOR_PRECISION, (precision, recall)
    assert recall >= FLOOR_RECALL, (precision, recall)


def test_an_english_session_understands_japanese_answers(real_embeddings: Any) -> None:
    rows = [r for r in yaml.safe_load(LABELS.read_text(encoding="utf-8")) if r.get("lang", "ja") == "ja"]
    assessor = Assessor(load_rubric("en"), real_embeddings.encode_queries, also=(load_rubric("ja"),))
    tp = fn = fp = 0
    for row in rows:
        got = assessor.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        tp, fn, fp = tp + len(got & gold), fn + len(gold - got), fp + len(got - gold)
    # Measured 0.922 / 0.855 on the fit set's Japanese answers; with English examples alone recall was 0.04.
    assert tp / (tp + fp) >= 0.90 and tp / (tp + fn) >= 0.83, (tp, fp, fn)


def test_vague_answers_cover_nothing(real_embeddings: Any) -> None:
    assessor = Assessor(load_rubric("ja"), real_embeddings.encode_queries)
    for stage in ("purpose", "vision", "gap", "data"):
        assert assessor.assess(stage, "特にないです。").covered == frozenset()
    assert assessor.assess("purpose", "").covered == frozenset()


def test_one_sentence_shows_several_elements_with_their_own_evidence(real_embeddings: Any) -> None:
    assessor = Assessor(load_rubric("ja"), real_embeddings.encode_queries, also=(load_rubric("en"),))
    got = assessor.assess(
        "purpose", "漁師さんや近くで働く人に、その朝揚がった魚を手頃な値段でお腹いっぱい食べてもらうことです。"
    )
    assert {"customers", "value"} <= got.covered, got
    assert "お腹いっぱい" in got.evidence["value"] and "漁師さん" not in got.evidence["value"]
    assert "漁師さん" in got.evidence["customers"]


def test_a_slogan_or_generic_goodwill_names_no_customers(real_embeddings: Any) -> None:
    assessor = Assessor(load_rubric("ja"), real_embeddings.encode_queries, also=(load_rubric("en"),))
    assert "customers" not in assessor.assess("purpose", "顧客第一です。").covered
    assert not {"customers", "value"} & assessor.assess("purpose", "お客様に喜んでもらうこと、ですかね。").covered
