"""The BM25 matrix saved beside the store: loaded only when built over the same passages, exact, never fatal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from dxcoach.retrieval import lexical
from dxcoach.retrieval.corpus import load_documents, passages_from
from dxcoach.retrieval.lexical import LexicalIndex, open_index
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    passages = passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))
    return [p.id for p in passages], [p.lexical_text() for p in passages]


def queries() -> list[str]:
    lines = (ROOT / "tests" / "data" / "dev_eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines] + ["DX DX DX 認定認定", "の", "zzz", "Which restaurant used AI?"]


def test_a_loaded_index_scores_exactly_as_a_fresh_one(tmp_path: Path, corpus: tuple[list[str], list[str]]) -> None:
    ids, texts = corpus
    path = tmp_path / "lexical-bigram.npz"
    built = open_index(path, ids, texts)
    assert path.is_file()
    key = lexical.fingerprint(ids, texts, "bigram")
    loaded = LexicalIndex.load(path, key=key, tokenizer="bigram")
    assert loaded is not None and loaded is not built
    fresh = LexicalIndex(texts)
    assert loaded.vocabulary == fresh.vocabulary
    for query in queries():
        assert loaded.scores(query) == fresh.scores(query) == built.scores(query), query  # equal, not close


def test_open_index_loads_instead_of_building(
    tmp_path: Path, corpus: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, texts = corpus
    path = tmp_path / "lexical-bigram.npz"
    open_index(path, ids, texts)
    builds: list[int] = []
    original = LexicalIndex.__init__

    def counting(self: LexicalIndex, *args: object, **kwargs: object) -> None:
        builds.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LexicalIndex, "__init__", counting)
    open_index(path, ids, texts)
    assert builds == []


def test_changed_passages_or_another_tokenizer_never_use_a_stale_file(
    tmp_path: Path, corpus: tuple[list[str], list[str]]
) -> None:
    ids, texts = corpus
    path = tmp_path / "lexical.npz"
    open_index(path, ids, texts)
    changed = [*texts[:-1], texts[-1] + " 追記した一文"]
    assert LexicalIndex.load(path, key=lexical.fingerprint(ids, changed, "bigram"), tokenizer="bigram") is None
    fewer = lexical.fingerprint(ids[1:], texts[1:], "bigram")
    assert LexicalIndex.load(path, key=fewer, tokenizer="bigram") is None
    renamed = lexical.fingerprint([*ids[:-1], "other-id"], texts, "bigram")
    assert LexicalIndex.load(path, key=renamed, tokenizer="bigram") is None
    assert lexical.fingerprint(ids, texts, "janome") != lexical.fingerprint(ids, texts, "bigram")
    # the stale file is replaced by one over the new passages
    reopened = open_index(path, ids, changed)
    assert reopened.scores("追記した一文") == LexicalIndex(changed).scores("追記した一文")
    assert lexical.saved_key(path) == lexical.fingerprint(ids, changed, "bigram")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_arrays"])
def test_a_damaged_file_is_rebuilt_not_a_crash(
    tmp_path: Path, corpus: tuple[list[str], list[str]], damage: str
) -> None:
    ids, texts = corpus
    path = tmp_path / "lexical.npz"
    open_index(path, ids, texts)
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a zip at all" * 100)
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a well-formed archive with the right key but a matrix that does not fit the vocabulary
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        arrays["indices"] = arrays["indices"] + 10**6
        with path.open("wb") as fh:
            np.savez(fh, **arrays)
    key = lexical.fingerprint(ids, texts, "bigram")
    assert LexicalIndex.load(path, key=key, tokenizer="bigram") is None
    index = open_index(path, ids, texts)
    assert index.scores("来客数の予測") == LexicalIndex(texts).scores("来客数の予測")
    assert LexicalIndex.load(path, key=key, tokenizer="bigram") is not None  # written anew


def test_an_unwritable_home_keeps_the_index_in_memory(tmp_path: Path, corpus: tuple[list[str], list[str]]) -> None:
    ids, texts = corpus
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    index = open_index(blocker / "lexical.npz", ids, texts)  # works as root too, unlike a chmod
    assert index.scores("来客数の予測") == LexicalIndex(texts).scores("来客数の予測")
    assert list(tmp_path.iterdir()) == [blocker]  # no temporary file left behind


def test_the_file_is_private_and_written_whole(tmp_path: Path, corpus: tuple[list[str], list[str]]) -> None:
    ids, texts = corpus
    path = tmp_path / "lexical.npz"
    open_index(path, ids, texts)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["lexical.npz"]
    with np.load(path, allow_pickle=False) as saved:
        assert str(saved["tokenizer"]) == "bigram"
        assert lexical._unpack(saved["ids"]) == ids


def test_no_passages_no_file(tmp_path: Path) -> None:
    path = tmp_path / "lexical.npz"
    assert open_index(path, [], []).scores("DX") == []
    assert not path.exists()


class HashEmbeddings:
    """Deterministic 8-dimensional vectors: enough for chromadb, no model."""

    dimension = 8

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float((hash(t) >> (4 * i)) % 7 + 1) for i in range(self.dimension)] for t in texts]


def test_an_index_update_saves_what_the_searcher_will_load(tmp_path: Path) -> None:
    """``update_index`` writes the file over the passages as read back from the store: opening loads it."""
    from dxcoach.config import load_settings
    from dxcoach.retrieval import index

    settings = load_settings(tmp_path / "home", env={})
    passages = passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))[:12]
    index.update_index(settings, passages, "test-model", HashEmbeddings)  # type: ignore[arg-type]
    path = index.lexical_path(settings)
    client = index.open_client(settings)
    stored = list(
        index.load_passages(index.get_collection(client, index.collection_name("test-model"), False)).values()
    )
    key = lexical.fingerprint([p.id for p in stored], [p.lexical_text() for p in stored], "bigram")
    assert lexical.saved_key(path) == key
    before = path.stat().st_mtime_ns
    index.update_index(settings, passages, "test-model", HashEmbeddings)  # type: ignore[arg-type]
    assert path.stat().st_mtime_ns == before  # nothing changed: the file is not rewritten
    index.update_index(settings, passages[:10], "test-model", HashEmbeddings)  # type: ignore[arg-type]
    fewer = sorted(passages[:10], key=lambda p: p.id)
    assert lexical.saved_key(path) == lexical.fingerprint(
        [p.id for p in fewer], [p.lexical_text() for p in fewer], "bigram"
    )
    index.forget_clients()
