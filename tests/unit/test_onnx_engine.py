"""The ONNX engine against sentence-transformers itself, on the real converted e5 model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from dxcoach.config import load_settings
from dxcoach.errors import UserError
from dxcoach.retrieval.corpus import load_documents, passages_from
from dxcoach.retrieval.embedder import LocalEmbeddings, ModelInfo, TorchEncoder, onnx_dir_for
from dxcoach.retrieval.evaluate import load_eval_file
from dxcoach.retrieval.onnx_engine import MANIFEST, PARITY_MIN, ensure_export, read_export
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def torch_encoder(default_model_dir: Path) -> TorchEncoder:
    return TorchEncoder(default_model_dir)


def test_the_export_agrees_with_torch_on_every_dev_question_and_corpus_passage(
    real_embeddings: LocalEmbeddings, torch_encoder: TorchEncoder
) -> None:
    assert real_embeddings.engine == "onnx"
    questions = [i.q for i in load_eval_file(ROOT / "tests" / "data" / "dev_eval.jsonl")]
    passages = [p.embedding_text() for p in passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))]
    onnx_q = real_embeddings.encode_queries(questions)
    torch_q = torch_encoder.encode(questions, "query")
    onnx_p = np.array(real_embeddings.embed_documents(passages))
    torch_p = torch_encoder.encode(passages, "passage")
    assert onnx_q.shape == torch_q.shape == (len(questions), 384)
    assert float(np.min(np.sum(onnx_q * torch_q, axis=1))) >= PARITY_MIN
    assert float(np.min(np.sum(onnx_p * torch_p, axis=1))) >= PARITY_MIN
    # The same nearest passage for every question: the ranking the index sees does not move.
    assert ((onnx_q @ onnx_p.T).argmax(axis=1) == (torch_q @ torch_p.T).argmax(axis=1)).all()


def test_the_export_is_made_once_and_records_its_parity(real_embeddings: LocalEmbeddings) -> None:
    folder = real_embeddings.info.onnx_dir
    assert folder is not None
    export = read_export(folder)
    assert export is not None and export.ok and export.parity >= PARITY_MIN
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_export(real_embeddings.info.path, folder).ok
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp  # found, not made again
    assert not list(folder.parent.glob(".building-*"))


def test_a_damaged_export_is_made_again(
    default_model_dir: Path, real_embeddings: LocalEmbeddings, tmp_path: Path
) -> None:
    source = real_embeddings.info.onnx_dir
    assert source is not None
    folder = tmp_path / "onnx" / "copy"
    shutil.copytree(source, folder)
    (folder / "model.onnx.data").unlink()  # half a copy
    assert read_export(folder) is not None and not read_export(folder).ok  # type: ignore[union-attr]
    (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    assert read_export(folder) is None
    export = ensure_export(default_model_dir, folder)
    assert export.ok and (folder / "model.onnx.data").is_file()


def test_a_pipeline_it_cannot_reproduce_stays_on_torch(default_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "cls-model"
    shutil.copytree(default_model_dir, model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8"))
    pooling.write_text(json.dumps({**config, "pooling_mode": "cls"}), encoding="utf-8")
    info = ModelInfo(model, "cls-test", onnx_dir_for(tmp_path / "models", "cls-test"))
    embeddings = LocalEmbeddings(info)
    assert embeddings.engine == "torch"
    export = read_export(info.onnx_dir)  # type: ignore[arg-type]
    assert export is not None and not export.ok and "pooling" in export.reason
    assert not (info.onnx_dir / "model.onnx").exists()  # type: ignore[operator]
    assert len(embeddings.embed_query("DXとは")) == 384


def test_the_engine_setting(tmp_path: Path, default_model_dir: Path) -> None:
    assert load_settings(tmp_path, env={}).embed_engine == "auto"
    assert load_settings(tmp_path, env={"DXCOACH_EMBED_ENGINE": "TORCH"}).embed_engine == "torch"
    with pytest.raises(UserError) as caught:
        load_settings(tmp_path, env={"DXCOACH_EMBED_ENGINE": "gpu"})
    assert caught.value.key == "embed_engine_invalid"
    forced = LocalEmbeddings(ModelInfo(default_model_dir, "t", onnx_dir_for(tmp_path, "t"), engine="torch"))
    assert forced.engine == "torch" and not (tmp_path / "onnx").exists()


def test_no_room_for_an_export_means_torch_not_a_crash(
    default_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dxcoach.retrieval import onnx_engine

    def full_disk(model_path: Path, folder: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx_engine, "ensure_export", full_disk)
    embeddings = LocalEmbeddings(ModelInfo(default_model_dir, "t", onnx_dir_for(tmp_path, "t")))
    assert embeddings.engine == "torch" and len(embeddings.embed_query("DXとは")) == 384
