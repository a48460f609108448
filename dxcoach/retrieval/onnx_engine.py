"""The fast way to run the embedding model: its sentence-transformers folder, exported once to ONNX.

Importing sentence-transformers and torch costs about 4 s on a 2-core machine — more than the rest
of a search put together — and a torch query costs ~15 ms. onnxruntime and ``tokenizers`` import in
a tenth of a second and answer a query in ~5 ms, with the same weights and the same tokenizer file.

``ensure_export`` writes ``model.onnx`` once per model (torch's exporter, under a file lock, into a
hidden folder renamed into place) and keeps it only if it agrees with sentence-transformers on fixed
texts (cosine ≥ ``PARITY_MIN``); otherwise the manifest records why and the caller stays on torch.
Only the usual sentence-transformers pipeline is exported: Transformer → mean Pooling → Normalize.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from filelock import FileLock

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MANIFEST = "export.json"
FORMAT = 2  # bump when the exported graph or the manifest changes, so exports are redone
WEIGHTS = "model.onnx.data"
PARITY_MIN = 0.995
ATTENTION_BUDGET = 16 * 128**2  # texts x tokens² per batch: 16 of 128 tokens, 4 of 256, 1 of 512
# What the export is checked on: short and long, Japanese and English, padded together in one batch.
PARITY_TEXTS = (
    "DXとは何ですか",
    "補助金の申請に必要な書類と締め切りを教えてください。",
    "当社は創業七十年の金属加工業で、熟練工の技能をデータで残すことが課題です。\n",
    "5年後には受注の半分をオンラインで受けたい。そのために顧客データを一元管理する仕組みを作ります。" * 3,
    "How can a small manufacturer start using data?",
    "①髙﨑工場 ＤＸ推進　ｶﾀｶﾅ 2026年",
)


@dataclass(frozen=True)
class Export:
    folder: Path
    ok: bool
    reason: str = ""
    parity: float = 0.0


def read_export(folder: Path) -> Export | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    ok = bool(data.get("ok")) and all((folder / name).is_file() for name in ("model.onnx", WEIGHTS))
    return Export(folder, ok, str(data.get("reason", "")), float(data.get("parity", 0.0)))


def ensure_export(model_path: Path, folder: Path) -> Export:
    """The model's ONNX export in ``folder``, made (and checked) on first need; at most once at a time."""
    found = read_export(folder)
    if found is not None:
        return found
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.parent / f".{folder.name}.lock"):
        found = read_export(folder)  # another process made it while we waited
        if found is not None:
            return found
        building = folder.parent / f".building-{folder.name}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        try:
            manifest = _export(model_path, building)
            if not manifest["ok"]:  # keep the verdict, not 470 MB that nothing will load
                for name in ("model.onnx", WEIGHTS, "traced.onnx"):
                    (building / name).unlink(missing_ok=True)
            (building / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            if folder.exists():  # a damaged or older export
                shutil.rmtree(folder)
            os.replace(building, folder)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    result = read_export(folder)
    assert result is not None
    return result


def _export(model_path: Path, out: Path) -> dict[str, Any]:
    from dxcoach.retrieval.embedder import load_sentence_transformer

    st = load_sentence_transformer(model_path)
    manifest: dict[str, Any] = {"format": FORMAT, "ok": False, "source": str(model_path)}
    pipeline = _pipeline(st)
    if isinstance(pipeline, str):
        return {**manifest, "reason": pipeline}
    manifest.update(pipeline)
    try:
        _torch_export(st, out / "model.onnx")
        encoder = OnnxEncoder(model_path, out, manifest)
    except Exception as exc:  # an architecture the exporter cannot trace: stay on torch, say why
        return {**manifest, "reason": f"export failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]}
    parity = 1.0
    for prompt in (None, *manifest["prompts"]):
        ours = encoder.encode(list(PARITY_TEXTS), prompt, batch_size=len(PARITY_TEXTS))
        theirs = st.encode(list(PARITY_TEXTS), prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)
        parity = min(parity, float(np.min(np.sum(ours * theirs, axis=1))))
    ok = parity >= PARITY_MIN
    versions = {name: version(name) for name in ("torch", "onnxruntime", "sentence-transformers")}
    reason = "" if ok else f"parity {parity:.4f} < {PARITY_MIN}"
    return {**manifest, "ok": ok, "parity": round(parity, 6), "reason": reason, "versions": versions}


def _pipeline(st: SentenceTransformer) -> dict[str, Any] | str:
    """What the encoder must reproduce around the graph, or why this pipeline cannot be exported."""
    modules: list[Any] = list(st)
    names = [type(m).__name__ for m in modules]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return f"pipeline {'/'.join(names)} is not Transformer/Pooling[/Normalize]"
    pooling = modules[1].get_config_dict()
    if pooling.get("pooling_mode") != "mean" or not pooling.get("include_prompt", True):
        return f"pooling {pooling} is not mean pooling over the whole text"
    return {
        "max_seq_length": int(st.max_seq_length or 512),
        "prompts": {k: v for k, v in (st.prompts or {}).items() if v},
        "normalize": names[-1] == "Normalize",
        "dimension": int(st.get_embedding_dimension() or 0),
    }


def _torch_export(st: SentenceTransformer, path: Path) -> None:
    import torch

    first: Any = next(iter(st))
    transformer = first.auto_model.eval()
    if hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation("eager")

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state  # type: ignore[no-any-return]

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    traced = path.with_name("traced.onnx")
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing notes about the graph; the parity check is what decides
        torch.onnx.export(
            TokenEmbeddings(),
            (ids, torch.ones_like(ids)),
            str(traced),
            dynamo=False,  # the TorchScript exporter needs only the onnx package, and handles BERT-like models
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
            opset_version=17,
        )
    # onnxruntime's transformer optimizer fuses attention, layer norms and GELU (the traced graph of
    # eager attention is the pattern it knows): 1.4 times the embedding rate on two cores. The weights
    # go to a file of their own, which onnxruntime maps instead of copying: a search then holds ~150 MB
    # of the model rather than twice its 470 MB, and loads it in a fraction of a second.
    import onnx

    graph: Any = onnx.load(str(traced))
    with contextlib.suppress(Exception):  # not a BERT-like graph: keep it unfused (parity still decides)
        from onnxruntime.transformers.optimizer import optimize_model

        config = transformer.config
        fused = optimize_model(
            str(traced), "bert", config.num_attention_heads, config.hidden_size, opt_level=1, verbose=False
        )
        graph = fused.model
    onnx.save_model(graph, str(path), save_as_external_data=True, location=WEIGHTS, size_threshold=1024)
    traced.unlink()


class OnnxEncoder:
    """Tokenise with the model's own ``tokenizer.json``, run the graph, mean-pool, normalise — as
    sentence-transformers does (the prompt in front of the text as it is, whitespace included)."""

    def __init__(self, model_path: Path, folder: Path, manifest: dict[str, Any] | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        manifest = manifest or json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = dict(manifest["prompts"])
        self.dimension = int(manifest["dimension"])
        self._normalize = bool(manifest["normalize"])
        self.tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(manifest["max_seq_length"]))
        self._pad = _pad_id(model_path, self.tokenizer)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about the graph are ours to act on at export, not the user's
        self.session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str], prompt_name: str | None, batch_size: int = 16) -> np.ndarray:
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        encoded = [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in texts])]
        out = np.zeros((len(encoded), self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers batches, and fewer long texts at a time: attention
        # grows with the square of the length, and a batch of 16 texts of 512 tokens held 1.8 GB.
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        start = 0
        while start < len(order):
            longest = max(len(encoded[order[start]]), 1)
            rows = order[start : start + max(1, min(batch_size, ATTENTION_BUDGET // longest**2))]
            start += len(rows)
            ids = np.full((len(rows), longest), self._pad, dtype=np.int64)
            mask = np.zeros((len(rows), longest), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : len(encoded[i])] = encoded[i]
                mask[r, : len(encoded[i])] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            if self._normalize:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out


def _pad_id(model_path: Path, tokenizer: Any) -> int:
    try:
        config = json.loads((model_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    token = config.get("pad_token")
    token = token.get("content") if isinstance(token, dict) else token
    found = tokenizer.token_to_id(token) if isinstance(token, str) else None
    return int(found) if found is not None else 0
