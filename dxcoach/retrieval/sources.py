"""Which documents make up the index: the bundled corpus plus the user's own documents."""

from __future__ import annotations

from dxcoach import paths
from dxcoach.config import Settings
from dxcoach.retrieval.corpus import Document, Passage, load_documents, passages_from


def all_documents(settings: Settings) -> list[Document]:
    bundled = load_documents(settings.corpus_dir, "corpus", default_kind="guidance")
    users = load_documents(paths.user_documents_dir(settings.home), "documents", default_kind="user")
    return bundled + users


def all_passages(settings: Settings) -> list[Passage]:
    return passages_from(all_documents(settings))
