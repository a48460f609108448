"""Wire the coach from settings: storage, rubric, the embedding model, retrieval and assessment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dxcoach import paths
from dxcoach.coaching import programs
from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.coach import Coach
from dxcoach.coaching.grounding import RELEVANCE_FLOOR, Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.config import LANGUAGES, Settings, ensure_home
from dxcoach.storage.db import Store

if TYPE_CHECKING:
    from dxcoach.llm.writer import LlmWriter


def open_store(settings: Settings) -> Store:
    ensure_home(settings)
    return Store(paths.sessions_db(settings.home))


def open_coach(settings: Settings, store: Store | None = None, writer: LlmWriter | None = None) -> Coach:
    """The real coach: loads the embedding model (seconds) and opens (or builds) the index."""
    from dxcoach.retrieval.search import Searcher

    store = store or open_store(settings)
    searcher = Searcher.open(settings)
    rubric = load_rubric(settings.lang)
    # Owners answer in Japanese whatever the interface language: assess with both rubrics' examples.
    others = tuple(load_rubric(lang) for lang in LANGUAGES if lang != settings.lang)
    model = f"{searcher.model.name} {searcher.model.path}"
    assessor = Assessor(
        rubric, searcher.embeddings.encode_queries, also=others, cache=(paths.cache_dir(settings.home), model)
    )
    return Coach(
        store,
        rubric,
        assessor,
        Grounder(
            searcher,
            settings.lang,
            searcher.embeddings.encode_queries,
            programs.load_programs(settings.corpus_dir),
            # The floor was fitted on the embedded model's cosines; another model's differ: quote all.
            RELEVANCE_FLOOR if settings.uses_default_model else None,
        ),
        settings.max_probes,
        writer or open_writer(settings),
    )


def open_opening_coach(settings: Settings, store: Store, writer: LlmWriter | None = None) -> Coach | None:
    """A coach that can say a new session's first question in milliseconds, before the model loads:
    BM25 over the index's passage snapshot, quotes by shared bigrams, no assessor. None without a snapshot."""
    from dxcoach.retrieval.opening import LexicalSearcher, bigram_vectors

    searcher = LexicalSearcher.open(settings)
    if searcher is None:
        return None
    grounder = Grounder(searcher, settings.lang, bigram_vectors, programs.load_programs(settings.corpus_dir))
    return Coach(store, load_rubric(settings.lang), None, grounder, settings.max_probes, writer)


def open_writer(settings: Settings) -> LlmWriter | None:
    """The language model that words the coach's turns, if one is configured (nothing connects yet)."""
    if settings.llm_provider == "none":
        return None
    from dxcoach.llm.writer import LlmWriter

    return LlmWriter(settings)
