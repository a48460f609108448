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

SNAPSHOT = "passages.json"
FORMAT = 1
DIMENSIONS = 4096  # hashed bigram space for quoting: collisions are rare at the length of a passage


def _manifest_key(settings: Settings) -> str:
    try:
        data = (paths.index_dir(settings.home) / "manifest.json").read_bytes()
    except OSError:
        return ""
    return hashlib.sha256(data).hexdigest()


def load_snapshot(settings: Settings) -> list[Passage] | None:
    """The index's passages as last opened, or None when there is none for the current index."""
    key = _manifest_key(settings)
    try:
        data = json.loads((paths.index_dir(settings.home) / SNAPSHOT).read_text(encoding="utf-8"))
        if not key or data.get("format") != FORMAT or data.get("manifest") != key:
            return None
        return [Passage(**row) for row in data["passages"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # missing or damaged: the opening simply waits for the full coach


def save_snapshot(settings: Settings, passages: Sequence[Passage]) -> None:
    """Written by a full open when the index changed; a read-only home just goes without."""
    key = _manifest_key(settings)
    if not key:
        return
    target = paths.index_dir(settings.home) / SNAPSHOT
    try:
        current = json.loads(target.read_text(encoding="utf-8"))
        if current.get("manifest") == key and current.get("format") == FORMAT:
            return
    except (OSError, ValueError, AttributeError):
        pass
    rows = [dataclasses.asdict(p) for p in passages]
    tmp = target.with_name(f".{SNAPSHOT}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"format": FORMAT, "manifest": key, "passages": rows}, ensure_ascii=False), "utf-8")
        os.replace(tmp, target)
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


def snapshot_path(home: Path) -> Path:
    return paths.index_dir(home) / SNAPSHOT
