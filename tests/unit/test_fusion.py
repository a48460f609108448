"""The fusion of dense and lexical scores (dxcoach/retrieval/fusion.py), on small made-up lists."""

from __future__ import annotations

import pytest

from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.fusion import E5_COSINE_FLOOR, convex, normalise, rrf
from dxcoach.retrieval.search import fuse_scores


def ids(fused: list[tuple[str, float]]) -> list[str]:
    return [pid for pid, _ in fused]


def test_normalise_maps_the_best_to_one_and_the_floor_to_zero() -> None:
    assert normalise([0.9, 0.8, 0.7, 0.6], floor=0.7) == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert normalise([12.0, 3.0], floor=0.0) == pytest.approx([1.0, 0.25])
    assert normalise([0.65, 0.6], floor=0.7) == [0.0, 0.0]  # nothing above the floor
    assert normalise([], floor=0.0) == []


def test_a_clear_lexical_lead_beats_a_near_tie_in_dense() -> None:
    """The case rank fusion cannot see: 'b' shares the question's rare words far better than 'a'."""
    dense = [("a", 0.90), ("b", 0.89)]
    lexical = [("b", 40.0), ("a", 5.0)]
    fused = convex(dense, lexical, alpha=0.85, dense_floor=E5_COSINE_FLOOR)
    assert fused == [("b", pytest.approx(0.85 * 0.95 + 0.15)), ("a", pytest.approx(0.85 + 0.15 * 0.125))]
    # weighted RRF (2:1, k=20) keeps the dense order: both rankings are just 1-2 and 2-1
    assert ids(rrf(["a", "b"], ["b", "a"], k=20, dense_weight=2.0, lexical_weight=1.0)) == ["a", "b"]


def test_a_weak_lexical_lead_does_not_overturn_a_clear_dense_lead() -> None:
    dense = [("a", 0.90), ("b", 0.80)]
    lexical = [("b", 10.0), ("a", 9.0)]
    assert ids(convex(dense, lexical, alpha=0.85, dense_floor=E5_COSINE_FLOOR)) == ["a", "b"]


def test_a_passage_found_by_one_retriever_only_scores_zero_on_the_other() -> None:
    fused = dict(convex([("a", 0.9), ("b", 0.8)], [("c", 6.0), ("a", 3.0)], alpha=0.5, dense_floor=0.7))
    assert fused == pytest.approx({"a": 0.5 + 0.25, "b": 0.25, "c": 0.5})


def test_a_single_list_keeps_its_own_order_even_with_ties() -> None:
    dense = [("x", 0.9), ("y", 0.8), ("z", 0.8), ("w", 0.6)]
    assert ids(convex(dense, [], alpha=0.85, dense_floor=0.7)) == ["x", "y", "z", "w"]
    lexical = [("q", 5.0), ("p", 5.0), ("r", 1.0)]
    assert ids(convex([], lexical, alpha=0.85, dense_floor=0.7)) == ["q", "p", "r"]


def test_rrf_adds_weighted_reciprocal_ranks_and_breaks_ties_by_id() -> None:
    fused = dict(rrf(["a", "b"], ["b", "c"], k=10, dense_weight=1.0, lexical_weight=1.0))
    assert fused == pytest.approx({"a": 1 / 11, "b": 1 / 12 + 1 / 11, "c": 1 / 12})
    assert ids(rrf(["b"], ["a"], k=10, dense_weight=1.0, lexical_weight=1.0)) == ["a", "b"]


def test_fuse_scores_returns_hits_with_each_retrievers_rank() -> None:
    a, b, c = (Passage(x, x, x, "user", f"documents/{x}.md", f"text {x}") for x in "abc")
    hits = fuse_scores([(a, 0.90), (b, 0.89)], [(b, 40.0), (c, 2.0)], k=2)
    assert [h.passage.id for h in hits] == ["b", "a"]
    assert [h.rank for h in hits] == [1, 2]
    assert (hits[0].dense_rank, hits[0].lexical_rank) == (2, 1)
    assert (hits[1].dense_rank, hits[1].lexical_rank) == (1, None)
    assert hits[0].score > hits[1].score
