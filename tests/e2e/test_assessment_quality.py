"""The no-LLM assessment against the labelled answers, with the real model (numbers in bench/assessment.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import yaml

from dxcoach.coaching.assess import Assessor, Labelled
from dxcoach.coaching.rubric import load_rubric
from tests.conftest import ROOT

LABELLED = ROOT / "prompts" / "labelled_answers.yaml"  # the probes learn from these
SPOKEN = ROOT / "tests" / "data" / "assessment_labels_spoken.yaml"  # held out: never learnt from or tuned on
FOLDS = 4


def _load(path: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return rows


def _memo(embed: Any) -> Any:
    """Embed each text once: cross-validation builds several assessors over the same sentences."""
    cache: dict[str, np.ndarray] = {}

    def run(texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            cache.update(zip(todo, embed(todo), strict=True))
        return np.stack([cache[t] for t in texts])

    return run


def _assessors(embed: Any, learn: list[dict[str, Any]] | None = None) -> dict[str, Assessor]:
    # As in dxcoach/coaching/factory.py: a session also knows the other language's examples.
    labelled = (
        None if learn is None else [Labelled(r["stage"], r["answer"], frozenset(r.get("covered") or ())) for r in learn]
    )
    return {
        lang: Assessor(load_rubric(lang), embed, also=(load_rubric(other),), labelled=labelled)
        for lang, other in (("ja", "en"), ("en", "ja"))
    }


def _counts(assessors: dict[str, Assessor], rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for row in rows:
        assessor = assessors[row.get("lang", "ja")]
        got = assessor.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    return tp, fp, fn


def test_labelled_sets_are_big_and_balanced() -> None:
    labelled, spoken = _load(LABELLED), _load(SPOKEN)
    assert len(labelled) + len(spoken) >= 150 and len(spoken) >= 40
    for rows in (labelled, spoken):
        for stage in ("purpose", "vision", "gap", "data"):
            assert sum(1 for r in rows if r["stage"] == stage) >= 10
        assert sum(1 for r in rows if not r.get("covered")) >= 5  # answers that cover nothing
        assert sum(1 for r in rows if r.get("lang") == "en") >= 5
    assert not {r["answer"] for r in labelled} & {r["answer"] for r in spoken}


def test_held_out_spoken_answers_meet_the_floor(real_embeddings: Any) -> None:
    """The shipped assessor on answers it never learnt from. Measured P 0.860 / R 0.852."""
    tp, fp, fn = _counts(_assessors(real_embeddings.encode_queries), _load(SPOKEN))
    assert tp / (tp + fp) >= 0.85 and tp / (tp + fn) >= 0.84, (tp, fp, fn)


def test_cross_validated_labelled_answers_meet_the_floor(real_embeddings: Any) -> None:
    """Each quarter of the labelled answers scored by probes fitted on the rest. Measured P 0.900 / R 0.859
    (186 answers; on the first 96 the older embedding-only probes measured 0.901 / 0.883)."""
    rows, embed = _load(LABELLED), _memo(real_embeddings.encode_queries)
    tp = fp = fn = 0
    for k in range(FOLDS):
        learn = [r for i, r in enumerate(rows) if i % FOLDS != k]
        a, b, c = _counts(_assessors(embed, learn), rows[k::FOLDS])
        tp, fp, fn = tp + a, fp + b, fn + c
    assert tp / (tp + fp) >= 0.88 and tp / (tp + fn) >= 0.85, (tp, fp, fn)


def test_an_english_session_understands_japanese_answers(real_embeddings: Any) -> None:
    rows = [r for r in _load(SPOKEN) if r.get("lang", "ja") == "ja"]
    assessor = Assessor(load_rubric("en"), real_embeddings.encode_queries, also=(load_rubric("ja"),))
    tp, fp, fn = _counts({"ja": assessor}, rows)
    # Measured 0.861 / 0.903 on the held-out Japanese answers (without the Japanese rubric: 0.865 / 0.806;
    # before the labelled answers were learnt from, English examples alone gave recall 0.04).
    assert tp / (tp + fp) >= 0.85 and tp / (tp + fn) >= 0.89, (tp, fp, fn)


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
