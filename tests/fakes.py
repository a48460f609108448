"""Test doubles for unit tests only: a tiny hashing embedder and a lexical-only searcher.

The product never uses these; they keep core tests fast and free of the real model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from dxcoach.coaching.assess import Assessment
from dxcoach.retrieval.corpus import Passage, load_documents, passages_from
from dxcoach.retrieval.lexical import LexicalIndex, bigram_tokens
from dxcoach.retrieval.search import Filters, Hit, fuse
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


class LexicalSearcher:
    """Searches the bundled corpus with BM25 only (no embedding model)."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        self.passages = passages or passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))
        self._index = LexicalIndex([p.lexical_text() for p in self.passages])

    def search(self, query: str, k: int = 5, *, method: str = "hybrid", filters: Filters | None = None) -> list[Hit]:
        filters = filters or Filters()
        scores = self._index.scores(query)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        ranked = [self.passages[i] for i in order if scores[i] > 0 and filters.accepts(self.passages[i])]
        return fuse([], ranked, k)


class ScriptedAssessor:
    """Covers exactly what the test says each answer covers."""

    def __init__(self, covered: dict[str, set[str]] | None = None) -> None:
        self.covered = covered or {}
        self.calls: list[tuple[str, str]] = []

    def assess(self, stage_id: str, answer: str) -> Assessment:
        self.calls.append((stage_id, answer))
        found = frozenset(self.covered.get(answer, set()))
        return Assessment(found, {e: answer for e in found}, {e: 1.0 for e in found})
