from __future__ import annotations

from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.lexical import LexicalIndex, bigram_tokens
from dxcoach.retrieval.search import Filters, fuse


def passage(pid: str, kind: str = "case", **meta: object) -> Passage:
    return Passage(pid, pid, pid, kind, f"corpus/{pid}.md", f"text {pid}", dict(meta))


def test_bigrams_cover_japanese_and_words_cover_latin() -> None:
    tokens = bigram_tokens("⼈材 AIで来客数")
    assert "人材" in tokens  # normalised before tokenising
    assert "ai" in tokens and "来客" in tokens and "客数" in tokens


def test_bm25_prefers_the_passage_sharing_the_query_words() -> None:
    texts = [
        "天気や売上のデータを入力して来客数を予測",
        "IT導入補助金の補助率は2分の1以内",
        "人材育成のプラットフォーム",
    ]
    scores = LexicalIndex(texts).scores("来客数の予測")
    assert scores.index(max(scores)) == 0
    assert LexicalIndex(texts).scores("") == []
    assert LexicalIndex(texts).scores("zzz") == [0.0, 0.0, 0.0]  # words no passage has


def test_the_sparse_bm25_scores_exactly_as_rank_bm25_does() -> None:
    """The matrix form changes the cost, never the ranking: checked against the library it replaced."""
    import json

    from rank_bm25 import BM25Okapi

    from tests.conftest import ROOT
    from tests.fakes import LexicalSearcher

    texts = [p.lexical_text() for p in LexicalSearcher().passages]
    reference = BM25Okapi([bigram_tokens(t) or ["∅"] for t in texts])
    index = LexicalIndex(texts)
    lines = (ROOT / "tests" / "data" / "dev_eval.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["q"] for line in lines] + ["DX DX DX 認定認定", "の"]
    for query in queries:
        expected = [float(x) for x in reference.get_scores(bigram_tokens(query))]
        assert max(abs(a - b) for a, b in zip(index.scores(query), expected, strict=True)) < 1e-9, query
        # The ranking (numpy's stable sort) is the Python sort of the positive scores, ties in document order.
        scores = index.scores(query)
        by_python = [(i, scores[i]) for i in sorted(range(len(scores)), key=lambda i: -scores[i]) if scores[i] > 0]
        assert index.ranked(query) == by_python, query


def test_rrf_rewards_agreement_between_rankings() -> None:
    a, b, c = passage("a"), passage("b"), passage("c")
    hits = fuse([a, b, c], [b, c, a], k=3, dense_weight=1.0, lexical_weight=1.0)
    assert hits[0].passage.id == "b"  # ranks 2 and 1 beat ranks 1 and 3
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].dense_rank == 2 and hits[0].lexical_rank == 1


def test_dense_weight_breaks_disagreements_towards_dense() -> None:
    a, b = passage("a"), passage("b")
    assert fuse([a, b], [b, a], k=1, dense_weight=2.0)[0].passage.id == "a"
    assert fuse([a, b], [b, a], k=1, dense_weight=0.5)[0].passage.id == "b"


def test_single_ranking_passes_through_and_k_truncates() -> None:
    ps = [passage(x) for x in "abcd"]
    assert [h.passage.id for h in fuse(ps, [], k=2)] == ["a", "b"]
    assert [h.passage.id for h in fuse([], ps, k=4)] == ["a", "b", "c", "d"]


def test_filters_on_kind_industry_and_stage() -> None:
    p = passage("x", kind="case", industry="飲食業", stages=["data", "purpose"])
    assert Filters(kinds=("case",), industry="飲食", stage="data").accepts(p)
    assert not Filters(kinds=("support",)).accepts(p)
    assert not Filters(industry="運輸").accepts(p)
    assert not Filters(stage="gap").accepts(p)
