"""Test doubles for unit tests only: a tiny hashing embedder, a scripted assessor, and the bundled corpus
behind the product's BM25-only searcher.

The product never uses these; they keep core tests fast and free of the real model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from dxcoach.coaching.assess import Assessment
from dxcoach.retrieval import opening
from dxcoach.retrieval.corpus import Passage, load_documents, passages_from
from dxcoach.retrieval.lexical import bigram_tokens
from tests.conftest import ROOT

DIM = 256


def fake_embed(texts: Sequence[str]) -> np.ndarray:
    """Hashed character-bigram counts, L2-normalised: similar wording, similar vector."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for token in bigram_tokens(text):
            out[row, int(hashlib.md5(token.encode()).hexdigest(), 16) % DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


class LexicalSearcher(opening.LexicalSearcher):
    """The opening coach's BM25-only searcher, over the bundled corpus by default (no embedding model)."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        super().__init__(passages or passages_from(load_documents(ROOT / "corpus", "corpus", "guidance")))


class ScriptedAssessor:
    """Covers exactly what the test says each answer covers; ``unsure``: per answer, the elements a
    clause may show (element -> clause)."""

    def __init__(
        self, covered: dict[str, set[str]] | None = None, unsure: dict[str, dict[str, str]] | None = None
    ) -> None:
        self.covered = covered or {}
        self.unsure = unsure or {}
        self.calls: list[tuple[str, str]] = []

    def assess(self, stage_id: str, answer: str) -> Assessment:
        self.calls.append((stage_id, answer))
        found = frozenset(self.covered.get(answer, set()))
        return Assessment(
            found, {e: answer for e in found}, {e: 1.0 for e in found}, self.unsure.get(answer, {}), answer
        )

    def best_clause(self, stage_id: str, answers: Sequence[str], element_id: str) -> str:
        """The earlier answer scripted as possibly showing the element, else the first earlier answer."""
        return next((self.unsure[a][element_id] for a in answers if element_id in self.unsure.get(a, {})), answers[0])
