"""Load source documents (Markdown with YAML front matter, or plain text) into passages.

A passage is what the index stores, what search returns and what the coach cites.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dxcoach.errors import UserError
from dxcoach.retrieval.chunking import CHUNKER_VERSION, chunk_text, count_tokens
from dxcoach.retrieval.normalize import normalize_text

KINDS = ("guidance", "case", "statistic", "support", "talent", "region", "user")
STAGES = ("purpose", "vision", "gap", "data")
# Front-matter keys copied into passage metadata (scalars or lists of strings).
_META_KEYS = ("company", "industry", "region", "size", "summary_en", "tags", "stages", "url", "note")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    kind: str
    source: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Passage:
    id: str
    doc_id: str
    title: str
    kind: str
    source: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    def embedding_text(self) -> str:
        """What the dense model sees: title (unless the text opens with it), text and the English summary."""
        parts = [self.text] if self.title in self.text[: len(self.title) + 4] else [self.title, self.text]
        if self.meta.get("summary_en"):
            parts.append(str(self.meta["summary_en"]))
        return "\n".join(parts)

    def lexical_text(self) -> str:
        tags = " ".join(self.meta.get("tags", []))
        return "\n".join([self.title, self.text, tags, str(self.meta.get("summary_en", ""))])

    @property
    def content_hash(self) -> str:
        """Stable id of the content: the same passage is never embedded twice."""
        payload = json.dumps(
            [CHUNKER_VERSION, self.id, self.title, self.kind, self.source, self.text, self.meta],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def chroma_metadata(self) -> dict[str, str | int | float | bool]:
        """Chroma metadata holds scalars only: lists are stored as '|a|b|' so `$contains` can filter."""
        meta: dict[str, str | int | float | bool] = {
            "pid": self.id,
            "doc_id": self.doc_id,
            "title": self.title,
            "kind": self.kind,
            "source": self.source,
            "tokens": count_tokens(self.text),
        }
        for key, value in self.meta.items():
            if isinstance(value, list):
                meta[key] = "|" + "|".join(str(v) for v in value) + "|"
            elif value is not None:
                meta[key] = value if isinstance(value, (int, float, bool)) else str(value)
        return meta

    @classmethod
    def from_chroma(cls, text: str, meta: dict[str, Any]) -> Passage:
        extra: dict[str, Any] = {}
        for key in _META_KEYS:
            if key in meta:
                value = meta[key]
                if isinstance(value, str) and value.startswith("|") and value.endswith("|"):
                    extra[key] = [v for v in value.strip("|").split("|") if v]
                else:
                    extra[key] = value
        return cls(
            id=str(meta["pid"]),
            doc_id=str(meta["doc_id"]),
            title=str(meta["title"]),
            kind=str(meta["kind"]),
            source=str(meta["source"]),
            text=text,
            meta=extra,
        )


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Return (front matter, body). A document without front matter has an empty mapping."""
    if not raw.startswith("---"):
        return {}, raw
    end = raw.find("\n---", 3)
    if end == -1:
        raise ValueError("front matter is not closed with '---'")
    data = yaml.safe_load(raw[3:end]) or {}
    if not isinstance(data, dict):
        raise ValueError("front matter is not a mapping")
    closing_line_end = raw.find("\n", end + 4)
    return data, "" if closing_line_end == -1 else raw[closing_line_end + 1 :]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def document_from_text(raw: str, path: Path, source: str, default_kind: str) -> Document:
    meta, body = split_front_matter(raw) if path.suffix == ".md" else ({}, raw)
    kind = str(meta.get("kind", default_kind))
    if kind not in KINDS:
        raise ValueError(f"unknown kind '{kind}'")
    extra: dict[str, Any] = {}
    for key in _META_KEYS:
        if key in meta and meta[key] is not None:
            extra[key] = _as_list(meta[key]) if key in ("tags", "stages") else normalize_text(str(meta[key]))
    return Document(
        id=str(meta.get("id", path.stem)),
        title=normalize_text(str(meta.get("title", path.stem))),
        kind=kind,
        source=source,
        body=normalize_text(body),
        meta=extra,
    )


def load_documents(directory: Path, source_prefix: str, default_kind: str) -> list[Document]:
    """Every .md and .txt file in a directory, in name order."""
    if not directory.is_dir():
        return []
    docs = []
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".md", ".txt") or path.name.startswith((".", "_")) or path.name == "README.md":
            continue
        try:
            raw = path.read_text(encoding="utf-8")
            docs.append(document_from_text(raw, path, f"{source_prefix}/{path.name}", default_kind))
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise UserError("corpus_unreadable", path=path, reason=exc) from exc
    return docs


def passages_from(documents: Iterable[Document]) -> list[Passage]:
    passages: list[Passage] = []
    seen: set[str] = set()
    for doc in documents:
        if doc.id in seen:
            raise UserError("corpus_duplicate_id", id=doc.id, source=doc.source)
        seen.add(doc.id)
        chunks = chunk_text(doc.body)
        for n, text in enumerate(chunks, start=1):
            pid = doc.id if len(chunks) == 1 else f"{doc.id}#{n}"
            passages.append(Passage(pid, doc.id, doc.title, doc.kind, doc.source, text, dict(doc.meta)))
    return passages
