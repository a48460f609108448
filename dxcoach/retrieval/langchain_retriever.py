"""LangChain's retriever interface over the hybrid search, so that an LLM chain can plug in as is."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from dxcoach.retrieval.search import Filters, Hit


def to_document(hit: Hit) -> Document:
    p = hit.passage
    return Document(
        page_content=p.text,
        id=p.id,
        metadata={
            "id": p.id,
            "title": p.title,
            "kind": p.kind,
            "source": p.source,
            "score": hit.score,
            "rank": hit.rank,
            **p.meta,
        },
    )


class HybridRetriever(BaseRetriever):
    """``invoke(query)`` returns the top passages as Documents, best first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any  # dxcoach.retrieval.search.Searcher (or anything with the same search())
    k: int = 3
    filters: Filters = Filters()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(hit) for hit in self.searcher.search(query, self.k, filters=self.filters)]
