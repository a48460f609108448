"""What a session's first question needs before the embedding model has loaded.

Opening chromadb and the model takes a couple of seconds; the first question should not wait for
them. Beside the index lies a snapshot of its passages (JSON, keyed by the index manifest, so a
changed index is never read stale). From it the opening is grounded by BM25 alone, and its
sentences are quoted by shared character bigrams instead of embeddings. Every later turn, which
must assess the owner's answer, waits for the full hybrid coach.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dxcoach import paths
from dxcoach.config import Settings
from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.lexical import LexicalIndex, bigram_tokens
from dxcoach.retrieval.search import Filters, Hit, fuse

SNAPSHOT_PREFIX = "passages-"
FORMAT = 1
DIMENSIONS = 4096  # hashed bigram space for quoting: collisions are rare at the length of a passage


def snapshot_path(home: Path) -> Path | None:
    """The snapshot for the index as it is now: its name carries the manifest's hash, so that telling
    whether it is current costs a stat, not parsing every passage (each search opens it)."""
    index_dir = paths.index_dir(home)
    try:
        key = hashlib.sha256((index_dir / "manifest.json").read_bytes()).hexdigest()[:16]
    except OSError:
        return None
    return index_dir / f"{SNAPSHOT_PREFIX}{key}.json"


def load_snapshot(settings: Settings) -> list[Passage] | None:
    """The index's passages as last opened, or None when there is none for the current index."""
    path = snapshot_path(settings.home)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return [Passage(**row) for row in data["passages"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # missing or damaged: the opening simply waits for the full coach


def save_snapshot(settings: Settings, passages: Sequence[Passage]) -> None:
    """Written after an index update, or by a full open that finds none; a read-only home goes without."""
    target = snapshot_path(settings.home)
    if target is None or target.is_file():
        return
    rows = [dataclasses.asdict(p) for p in passages]
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"format": FORMAT, "passages": rows}, ensure_ascii=False), "utf-8")
        os.replace(tmp, target)
        for old in target.parent.glob(f"{SNAPSHOT_PREFIX}*.json"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        tmp.unlink(missing_ok=True)


class LexicalSearcher:
    """The searcher's interface over BM25 alone (``SearchLike`` for the grounder)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self._lexical = LexicalIndex([p.lexical_text() for p in self.passages])

    @classmethod
    def open(cls, settings: Settings) -> LexicalSearcher | None:
        passages = load_snapshot(settings)
        return cls(passages) if passages else None

    def search(self, query: str, k: int = 5, *, method: str = "lexical", filters: Filters | None = None) -> list[Hit]:
        filters = filters or Filters()
        ranked = (self.passages[i] for i, _ in self._lexical.ranked(query))
        return fuse([], [p for p in ranked if filters.accepts(p)], k)


def bigram_vectors(texts: Sequence[str]) -> np.ndarray:
    """Rows of L2-normalised hashed bigram counts: the excerpt picker's similarity without a model."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for row, text in enumerate(texts):
        for token in bigram_tokens(text):
            out[row, zlib.crc32(token.encode("utf-8")) % DIMENSIONS] += 1.0
    out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
    return out
