"""The labelled sets that measure whether the coach listens: well-formed, large enough, split, and
never leaking into each other or into what the assessor learns from."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from dxcoach.coaching.rubric import load_rubric
from tests.conftest import ROOT

DEV = ROOT / "prompts" / "labelled_owners.yaml"  # learnt from, and the floors are fitted on it
HELDOUT = ROOT / "tests" / "data" / "listening" / "owners_heldout.yaml"  # never learnt from or tuned on
QUESTIONS = ROOT / "tests" / "data" / "listening" / "questions.yaml"
INTENTS = ROOT / "tests" / "data" / "listening" / "intents.yaml"
# Owner questions written later, each by someone who saw neither the code nor the sets before it.
FRESH = [ROOT / "tests" / "data" / "listening" / name for name in ("questions_fresh.yaml", "questions_fresh2.yaml")]
CORPUS_IDS = {p.stem for p in (ROOT / "corpus").glob("*.md")}
ELEMENTS = {s.id: {e.id for e in s.elements} for s in load_rubric("ja").stages}


def load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def clauses(text: str, shortest: int = 10) -> set[str]:
    return {squash(c) for c in re.split(r"[。、！？!?\n「」『』]", text) if len(squash(c)) >= shortest}


@pytest.mark.parametrize("path", [DEV, HELDOUT], ids=["dev", "heldout"])
def test_owner_sets_are_labelled_spans_of_long_spoken_answers(path: Path) -> None:
    owners = load(path)
    assert len(owners) >= 15
    industries = {o["profile"]["industry"] for o in owners}
    assert len(industries) >= 8
    for owner in owners:
        assert set(owner["stages"]) == set(ELEMENTS), owner["id"]
        for stage, part in owner["stages"].items():
            answer = part["answer"]
            assert len(answer) >= 120 and answer.count("。") >= 2, (owner["id"], stage)  # long, several sentences
            for element, span in (part.get("elements") or {}).items():
                assert element in ELEMENTS[stage], (owner["id"], stage, element)
                assert span in answer, (owner["id"], stage, span)
            relevance = part["relevance"]
            assert set(relevance["fits"] or []) <= CORPUS_IDS and set(relevance["must"] or []) <= CORPUS_IDS


def test_enough_answers_questions_and_judgments_in_both_halves() -> None:
    dev, held = load(DEV), load(HELDOUT)
    assert sum(len(o["stages"]) for o in dev + held) >= 80
    assert len(dev) + len(held) >= 30  # owners with relevance judgments at all four stages
    assert {o["id"] for o in dev}.isdisjoint({o["id"] for o in held})
    questions = load(QUESTIONS)
    assert len(questions) >= 30
    assert {q["split"] for q in questions} == {"dev", "heldout"}
    fresh = [q for path in FRESH for q in load(path)]
    assert len(fresh) >= 60 and {q["split"] for q in fresh} == {"heldout"}
    assert len({q["id"] for q in questions + fresh}) == len(questions + fresh)
    for q in questions + fresh:
        assert q["passages"] and set(q["passages"]) <= CORPUS_IDS, q["id"]
        texts = [(ROOT / "corpus" / f"{p}.md").read_text(encoding="utf-8") for p in q["passages"]]
        bodies = [squash(t.split("---", 2)[2]) for t in texts]
        assert any(squash(f) in b for f in q["facts"] for b in bodies), q["id"]  # a fact the source states


def test_nothing_learnt_from_reappears_in_a_set_that_measures() -> None:
    """A clause (10+ characters) of the training answers, the rubric's examples or near misses must
    not occur in any held-out answer, question or intent turn: the measure would flatter the coach."""
    learnt: set[str] = set()
    for owner in load(DEV):
        for part in owner["stages"].values():
            learnt |= clauses(part["answer"])
    for lang in ("ja", "en"):
        for stage in load_rubric(lang).stages:
            for element in stage.elements:
                for text in (*element.examples, *element.near_misses):
                    learnt |= clauses(text)
    for row in load(ROOT / "prompts" / "labelled_answers.yaml"):
        learnt |= clauses(row["answer"])
    measured = [p["answer"] for o in load(HELDOUT) for p in o["stages"].values()]
    measured += [q["text"] for q in load(QUESTIONS)] + [t["text"] for t in load(INTENTS)]
    measured += [q["text"] for path in FRESH for q in load(path)]
    corpus = [squash(text) for text in measured]
    collisions = sorted(x for x in learnt if any(x in text for text in corpus))
    assert not collisions, collisions[:10]
