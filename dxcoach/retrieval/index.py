"""The vector index: a chromadb collection under the home, treated as a rebuildable cache.

- Ids are content hashes, so re-indexing embeds only passages that changed.
- The collection name is a fingerprint of (embedding model, chunker, chromadb version): a change
  builds a new collection beside the old one, the manifest is swapped, then the old one is dropped,
  so vectors of two models never mix.
- A ``.writing`` marker is present while the index is being written; finding it (a crash or a kill
  mid-write), or failing to open the store, sets the store aside and rebuilds it.
- The BM25 matrix of the lexical side is saved beside the store after each update (``lexical-*.npz``),
  keyed by the passages it covers, so that opening a searcher loads it instead of rebuilding it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dxcoach import notices, paths
from dxcoach.config import Settings
from dxcoach.locking import file_lock
from dxcoach.retrieval.chunking import CHUNKER_VERSION
from dxcoach.retrieval.corpus import Passage

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from dxcoach.retrieval.embedder import LocalEmbeddings
    from dxcoach.retrieval.lexical import LexicalIndex

COLLECTION_PREFIX = "dx-"
MANIFEST = "manifest.json"
WRITING_MARKER = ".writing"
EMBED_BATCH = 64
Progress = Callable[[int, int], None]  # (passages embedded so far, passages to embed)


@dataclass
class IndexReport:
    added: int = 0
    removed: int = 0
    kept: int = 0
    rebuilt: str = ""  # why the store was rebuilt from nothing, if it was

    def describe(self, lang: str = "ja") -> str:
        if lang == "en":
            head = f"Index: {self.added} added, {self.removed} removed, {self.kept} unchanged."
            return head + (f" Rebuilt: {self.rebuilt}." if self.rebuilt else "")
        head = f"索引: 追加 {self.added} 件、削除 {self.removed} 件、変更なし {self.kept} 件。"
        return head + (f" 再構築しました（{self.rebuilt}）。" if self.rebuilt else "")


def store_dir(settings: Settings) -> Path:
    return paths.index_dir(settings.home) / "chroma"


def lock_path(settings: Settings) -> Path:
    return paths.index_dir(settings.home) / ".lock"


def lexical_path(settings: Settings, tokenizer: str = "bigram") -> Path:
    return paths.index_dir(settings.home) / f"lexical-{tokenizer}.npz"


def open_lexical(settings: Settings, passages: Sequence[Passage], tokenizer: str = "bigram") -> LexicalIndex:
    """The BM25 index over the stored passages (in the searcher's order): loaded from its file when
    that was built over exactly these, else built and saved (kept in memory only on a read-only home)."""
    from dxcoach.retrieval import lexical

    ids, texts = [p.id for p in passages], [p.lexical_text() for p in passages]
    return lexical.open_index(lexical_path(settings, tokenizer), ids, texts, tokenizer)


def _save_lexical(settings: Settings, passages: Iterable[Passage]) -> None:
    """After an update: the BM25 index and the passage snapshot, as a searcher will read them back."""
    from dxcoach.retrieval import lexical
    from dxcoach.retrieval.opening import save_snapshot

    stored = sorted((Passage.from_chroma(p.text, p.chroma_metadata()) for p in passages), key=lambda p: p.id)
    lexical.ensure_saved(lexical_path(settings), [p.id for p in stored], [p.lexical_text() for p in stored])
    save_snapshot(settings, stored)  # so that the next session's first question need not wait for the model


def read_manifest(settings: Settings) -> dict[str, Any] | None:
    path = paths.index_dir(settings.home) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_stamp(settings: Settings) -> int:
    """Changes whenever the index is rewritten (the manifest is replaced at the end of every update)."""
    try:
        return (paths.index_dir(settings.home) / MANIFEST).stat().st_mtime_ns
    except OSError:
        return 0


def _write_manifest(settings: Settings, data: dict[str, Any]) -> None:
    path = paths.index_dir(settings.home) / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def chromadb_version() -> str:
    from importlib.metadata import version

    return version("chromadb")


def collection_name(model_name: str) -> str:
    key = f"{model_name}|{CHUNKER_VERSION}|{chromadb_version()}"
    return COLLECTION_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:24]


def open_client(settings: Settings) -> ClientAPI:
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    store = store_dir(settings)
    store.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(store), settings=chroma_settings)


def forget_clients() -> None:
    """chromadb caches one system per path; drop it after setting a store aside."""
    from chromadb.api.client import SharedSystemClient  # type: ignore[attr-defined]

    SharedSystemClient.clear_system_cache()


def set_aside(settings: Settings, reason: str) -> None:
    """Move a broken store out of the way (kept for inspection) so that a fresh one can be built."""
    forget_clients()
    store = store_dir(settings)
    if store.exists():
        target = store.with_name(f"chroma.broken-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        os.replace(store, target)
        notices.say(settings.lang, "index_set_aside", reason=reason, path=target)
    (paths.index_dir(settings.home) / MANIFEST).unlink(missing_ok=True)
    (paths.index_dir(settings.home) / WRITING_MARKER).unlink(missing_ok=True)


def get_collection(client: ClientAPI, name: str, create: bool) -> Collection:
    if create:
        return client.get_or_create_collection(name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    return client.get_collection(name=name, embedding_function=None)


def drop_collections(client: ClientAPI, keep: str = "") -> None:
    """Delete dxcoach's collections (all, or all but ``keep``); other collections on a server stay."""
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(COLLECTION_PREFIX) and name != keep:
            client.delete_collection(name)


def _open_healthy(settings: Settings, name: str) -> tuple[ClientAPI, Collection, str]:
    """Open the store and the collection; set aside and recreate on any sign of damage."""
    marker = paths.index_dir(settings.home) / WRITING_MARKER
    reason = ""
    if marker.exists():
        reason = "前回の書き込みが途中で終わっていました"
        set_aside(settings, reason)
    try:
        client = open_client(settings)
        collection = get_collection(client, name, create=True)
        collection.count()
        collection.get(limit=1, include=["embeddings", "documents", "metadatas"])
        return client, collection, reason
    except Exception as exc:
        if settings.chroma_url:
            raise
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        set_aside(settings, reason)
        client = open_client(settings)
        return client, get_collection(client, name, create=True), reason


def update_index(
    settings: Settings,
    passages: list[Passage],
    model_name: str,
    embeddings_factory: Callable[[], LocalEmbeddings],
    *,
    lock_timeout: float = 300.0,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index in line with ``passages``; embed only what is new. Loads the model only if needed.

    ``progress`` hears ``(done, total)`` before the model loads and after each batch it embeds."""
    index_home = paths.index_dir(settings.home)
    index_home.mkdir(parents=True, exist_ok=True)
    waiting = lambda: notices.say(settings.lang, "index_waiting")  # noqa: E731
    with file_lock(lock_path(settings), exclusive=True, timeout=lock_timeout, on_wait=waiting):
        name = collection_name(model_name)
        client, collection, rebuilt = _open_healthy(settings, name)
        wanted = {p.content_hash: p for p in passages}
        existing = set(collection.get(include=[])["ids"])
        to_add = [h for h in wanted if h not in existing]
        to_remove = sorted(existing - set(wanted))
        manifest = read_manifest(settings) or {}
        dimension = manifest.get("dimension") if manifest.get("collection") == name else None
        if to_add or to_remove:
            marker = index_home / WRITING_MARKER
            marker.write_text(str(os.getpid()), encoding="utf-8")
            if to_add:
                if progress:
                    progress(0, len(to_add))
                embeddings = embeddings_factory()
                dimension = embeddings.dimension
                for start in range(0, len(to_add), EMBED_BATCH):
                    batch = [wanted[h] for h in to_add[start : start + EMBED_BATCH]]
                    collection.add(
                        ids=[p.content_hash for p in batch],
                        embeddings=embeddings.embed_documents([p.embedding_text() for p in batch]),  # type: ignore[arg-type]
                        documents=[p.text for p in batch],
                        metadatas=[p.chroma_metadata() for p in batch],  # type: ignore[misc]
                    )
                    if progress:
                        progress(min(start + EMBED_BATCH, len(to_add)), len(to_add))
            if to_remove:
                collection.delete(ids=to_remove)
            marker.unlink()
        if dimension is None and wanted:
            sample = collection.get(limit=1, include=["embeddings"])["embeddings"]
            dimension = len(sample[0]) if sample is not None and len(sample) else None
        _write_manifest(
            settings,
            {
                "collection": name,
                "embed_model": model_name,
                "dimension": dimension,
                "chunker_version": CHUNKER_VERSION,
                "chromadb_version": chromadb_version(),
                "passages": len(wanted),
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        drop_collections(client, keep=name)
        _save_lexical(settings, wanted.values())
        return IndexReport(added=len(to_add), removed=len(to_remove), kept=len(wanted) - len(to_add), rebuilt=rebuilt)


def load_passages(collection: Collection) -> dict[str, Passage]:
    """Every stored passage by its chroma id (the content hash), in passage-id order."""
    data = collection.get(include=["documents", "metadatas"])
    rows = zip(data["ids"], data["documents"] or [], data["metadatas"] or [], strict=True)
    passages = {cid: Passage.from_chroma(text, dict(meta)) for cid, text, meta in rows}
    return dict(sorted(passages.items(), key=lambda item: item[1].id))
