from __future__ import annotations

from dxcoach.retrieval.langchain_retriever import HybridRetriever
from dxcoach.retrieval.search import Filters
from tests.fakes import LexicalSearcher


def test_retriever_returns_documents_with_citation_metadata() -> None:
    retriever = HybridRetriever(searcher=LexicalSearcher(), k=2)
    docs = retriever.invoke("来客数予測 ゑびや")
    assert len(docs) == 2
    assert docs[0].metadata["id"] == "case-ebiya" and docs[0].metadata["kind"] == "case"
    assert docs[0].metadata["source"] == "corpus/case-ebiya.md" and docs[0].metadata["rank"] == 1
    assert "来客数予測" in docs[0].page_content


def test_retriever_applies_filters() -> None:
    retriever = HybridRetriever(searcher=LexicalSearcher(), k=3, filters=Filters(kinds=("support",)))
    docs = retriever.invoke("補助金 ITツール")
    assert docs and all(d.metadata["kind"] == "support" for d in docs)
