"""Hybrid retrieval: dense (chromadb, cosine) and lexical (BM25) scores fused as in ``fusion.py``.

One ``Searcher`` serves ``dxcoach search``, ``dxcoach eval`` and the coach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dxcoach.config import Settings
from dxcoach.locking import file_lock
from dxcoach.retrieval import fusion, index
from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.embedder import LocalEmbeddings, ModelInfo, resolve_model
from dxcoach.retrieval.normalize import normalize_query
from dxcoach.retrieval.sources import all_passages

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

METHODS = ("hybrid", "dense", "lexical")
# The dense share of the fused score, chosen with bench/retrieval.py on the tuning halves of two dev
# sets (the bundled corpus; a company's own documents) and checked on the other halves.
DENSE_ALPHA = 0.85
# Reciprocal-rank fusion, for rankings without scores (test doubles, the benchmark's old baseline).
RRF_K = 20
DENSE_WEIGHT = 2.0
LEXICAL_WEIGHT = 1.0
DENSE_CANDIDATES = 100
Scored = tuple[Passage, float]  # a passage and its retriever's raw score


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    industry: str = ""
    stage: str = ""

    def accepts(self, p: Passage) -> bool:
        if self.kinds and p.kind not in self.kinds:
            return False
        if self.industry and self.industry not in str(p.meta.get("industry", "")):
            return False
        return not (self.stage and self.stage not in p.meta.get("stages", []))


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    passage: Passage
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def as_json(self) -> dict[str, object]:
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "id": p.id,
            "source": p.source,
            "title": p.title,
            "kind": p.kind,
            "text": p.text,
        }


@dataclass
class Searcher:
    settings: Settings
    model: ModelInfo
    collection: Collection
    stored: dict[str, Passage]  # by chroma id (content hash)
    tokenizer: str = "bigram"
    _embeddings: LocalEmbeddings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.passages = list(self.stored.values())
        self._lexical = index.open_lexical(self.settings, self.passages, self.tokenizer)
        self._stamp = index.manifest_stamp(self.settings)

    @classmethod
    def open(
        cls, settings: Settings, *, tokenizer: str = "bigram", embeddings: LocalEmbeddings | None = None
    ) -> Searcher:
        """Open the index, building it first when there is none (or it belongs to another model)."""
        model = resolve_model(settings)
        holder: dict[str, LocalEmbeddings] = {"e": embeddings} if embeddings else {}

        def load_embeddings() -> LocalEmbeddings:  # only when something must be embedded
            if "e" not in holder:
                holder["e"] = LocalEmbeddings(model)
            return holder["e"]

        manifest = index.read_manifest(settings)
        if not manifest or manifest.get("collection") != index.collection_name(model.name):
            index.update_index(settings, all_passages(settings), model.name, load_embeddings)
        with file_lock(index.lock_path(settings), exclusive=False):
            try:
                client = index.open_client(settings)
                collection = index.get_collection(client, index.collection_name(model.name), create=False)
                stored = index.load_passages(collection)
            except Exception:  # the index is a cache: a damaged one is rebuilt, not reported as a crash
                collection = None
        if collection is None:
            with file_lock(index.lock_path(settings), exclusive=True):
                index.set_aside(settings, "索引が壊れています")
            index.update_index(settings, all_passages(settings), model.name, load_embeddings)
            client = index.open_client(settings)
            collection = index.get_collection(client, index.collection_name(model.name), create=False)
            stored = index.load_passages(collection)
        from dxcoach.retrieval.opening import save_snapshot  # (it imports this module)

        save_snapshot(settings, list(stored.values()))  # for the next session's first question
        return cls(settings, model, collection, stored, tokenizer, holder.get("e"))

    @property
    def embeddings(self) -> LocalEmbeddings:
        if self._embeddings is None:
            self._embeddings = LocalEmbeddings(self.model)
        return self._embeddings

    def refresh_if_changed(self) -> bool:
        """Another process (``corpus add``, ``index``) rewrote the index: reopen it. Cheap when it did not."""
        if index.manifest_stamp(self.settings) == self._stamp:
            return False
        index.forget_clients()
        fresh = Searcher.open(self.settings, tokenizer=self.tokenizer, embeddings=self._embeddings)
        self.collection, self.stored = fresh.collection, fresh.stored
        self.__post_init__()
        return True

    def dense_ranking(self, query: str, filters: Filters) -> list[Scored]:
        """The nearest passages with their cosine similarity, best first."""
        if not self.passages:
            return []
        vector = self.embeddings.embed_query(query)
        with file_lock(index.lock_path(self.settings), exclusive=False):
            result = self.collection.query(
                query_embeddings=[vector],  # type: ignore[arg-type]
                n_results=min(len(self.passages), DENSE_CANDIDATES),
                include=["distances"],
            )
        assert result["distances"] is not None  # asked for above
        found = zip(result["ids"][0], result["distances"][0], strict=True)
        ranked = [(self.stored[h], 1.0 - distance) for h, distance in found if h in self.stored]  # cosine distance
        return [(p, s) for p, s in ranked if filters.accepts(p)]

    def lexical_ranking(self, query: str, filters: Filters) -> list[Scored]:
        """The passages sharing words with the query, with their BM25 score, best first."""
        ranked = ((self.passages[i], score) for i, score in self._lexical.ranked(query))
        return [(p, score) for p, score in ranked if filters.accepts(p)]

    def search(self, query: str, k: int = 5, *, method: str = "hybrid", filters: Filters | None = None) -> list[Hit]:
        query = normalize_query(query)
        filters = filters or Filters()
        if not query:
            return []
        self.refresh_if_changed()
        dense = self.dense_ranking(query, filters) if method in ("hybrid", "dense") else []
        lexical = self.lexical_ranking(query, filters) if method in ("hybrid", "lexical") else []
        floor = fusion.E5_COSINE_FLOOR if self.settings.uses_default_model else fusion.COSINE_FLOOR
        return fuse_scores(dense, lexical, k, dense_floor=floor)


def _ranks(ranking: Iterable[Passage]) -> dict[str, int]:
    return {p.id: r for r, p in enumerate(ranking, start=1)}


def fuse(
    dense: list[Passage],
    lexical: list[Passage],
    k: int,
    *,
    rrf_k: int = RRF_K,
    dense_weight: float = DENSE_WEIGHT,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> list[Hit]:
    """Weighted reciprocal-rank fusion of rankings without scores; a single ranking passes through in its own order."""
    fused = fusion.rrf([p.id for p in dense], [p.id for p in lexical], rrf_k, dense_weight, lexical_weight)
    return _hits(fused, k, dense, lexical)


def fuse_scores(
    dense: list[Scored],
    lexical: list[Scored],
    k: int,
    *,
    alpha: float = DENSE_ALPHA,
    dense_floor: float = fusion.E5_COSINE_FLOOR,
) -> list[Hit]:
    """What search uses: a convex combination of normalised scores; a single list keeps its own order."""
    fused = fusion.convex([(p.id, s) for p, s in dense], [(p.id, s) for p, s in lexical], alpha, dense_floor)
    return _hits(fused, k, [p for p, _ in dense], [p for p, _ in lexical])


def _hits(fused: list[tuple[str, float]], k: int, dense: list[Passage], lexical: list[Passage]) -> list[Hit]:
    dense_ranks, lexical_ranks = _ranks(dense), _ranks(lexical)
    by_id = {p.id: p for p in [*dense, *lexical]}
    return [
        Hit(rank, score, by_id[pid], dense_ranks.get(pid), lexical_ranks.get(pid))
        for rank, (pid, score) in enumerate(fused[:k], start=1)
    ]
