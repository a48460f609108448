"""How the dense and the lexical rankings become one.

``convex`` is what search uses: each retriever's scores are scaled against that retriever's own floor
(the lowest score it can give, so 0 means "no match", and its best candidate gets 1), then added with
weights alpha and 1 - alpha (Bruch, Gai & Ingber 2023, "An Analysis of Fusion Functions for Hybrid
Retrieval": their TM2C2). BM25's floor is 0. multilingual-e5's cosine similarities lie between about
0.7 and 1.0 (its model card explains this as an effect of training), so its floor is 0.7.

Unlike reciprocal-rank fusion (``rrf``), scores keep the size of a lead: a passage that shares a
question's rare words (names, figures, in-house terms) far better than every other passage stays
first even when the dense model ranks it lower. That is what a company's own documents need, and
it costs nothing on the bundled corpus. bench/retrieval.py measures this on both dev sets.
"""

from __future__ import annotations

from collections.abc import Sequence

E5_COSINE_FLOOR = 0.7  # the embedded model (multilingual-e5)
COSINE_FLOOR = 0.0  # any other sentence-transformers model: unrelated texts score about 0
BM25_FLOOR = 0.0

Scores = Sequence[tuple[str, float]]  # (id, raw score), best first


def normalise(scores: Sequence[float], floor: float) -> list[float]:
    """Map scores to [0, 1] with (s - floor) / (best - floor): the best scores 1, the floor and below 0."""
    if not scores:
        return []
    span = max(scores) - floor
    if span <= 0:  # nothing above the floor: no evidence either way
        return [0.0] * len(scores)
    return [max(0.0, (s - floor) / span) for s in scores]


def convex(dense: Scores, lexical: Scores, alpha: float, dense_floor: float) -> list[tuple[str, float]]:
    """alpha * dense + (1 - alpha) * lexical over both candidate lists, best first.

    A passage missing from one list scores 0 there. A single list keeps its own order: the sort is
    stable, so equal scores keep the order they came in (dense first).
    """
    fused: dict[str, float] = {}
    for (pid, _), s in zip(dense, normalise([s for _, s in dense], dense_floor), strict=True):
        fused[pid] = alpha * s
    for (pid, _), s in zip(lexical, normalise([s for _, s in lexical], BM25_FLOOR), strict=True):
        fused[pid] = fused.get(pid, 0.0) + (1 - alpha) * s
    return sorted(fused.items(), key=lambda item: -item[1])


def rrf(
    dense: Sequence[str], lexical: Sequence[str], k: int, dense_weight: float, lexical_weight: float
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion, for rankings that come without scores; ties go to the smaller id."""
    fused: dict[str, float] = {}
    for ranking, weight in ((dense, dense_weight), (lexical, lexical_weight)):
        for rank, pid in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
