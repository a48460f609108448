"""The user's own documents (.md, .txt, .pdf): checked, converted to Markdown with front matter and
stored under the home, where the index picks them up as ``kind: user``.

Text in UTF-8, UTF-16, Shift_JIS / CP932 or EUC-JP (common in Japanese offices) is detected with
charset-normalizer; a file it cannot read with certainty is refused, never stored garbled.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from dxcoach import paths
from dxcoach.config import Settings
from dxcoach.errors import UserError
from dxcoach.retrieval.corpus import split_front_matter
from dxcoach.retrieval.normalize import normalize_text

SUFFIXES = (".md", ".txt", ".pdf")
MAX_BYTES = 10 * 1024 * 1024  # 10 MB per file: a larger file is almost surely not a document to cite
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
NARROW = ("cp932", "euc_jp", "iso2022_jp")  # the 8-bit encodings of Japanese office files
WIDE = ("utf_16_le", "utf_16_be")
KEEP_META = ("title", "industry", "region", "company", "stages", "tags", "summary_en", "url")


@dataclass(frozen=True)
class Prepared:
    path: Path
    id: str
    title: str
    body: str
    meta: dict[str, Any]
    sha256: str


class Refused(UserError):
    """A file that cannot be added; the message names it."""


def _text_only(text: str, path: Path) -> str:
    """Refuse what decodes but is no text: control characters beyond tabs and line breaks."""
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(text[:8192]) // 100):
        raise Refused("doc_binary", path=path)
    return text


def decode_text(data: bytes, path: Path) -> str:
    """The text of a file whose encoding is not declared: a BOM, else strict UTF-8, else what
    charset-normalizer reads among the encodings Japanese offices use. When the candidates read
    differently (often so for a few words of EUC-JP, which CP932 also decodes), refuse rather than guess."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise Refused("doc_bad_declared_encoding", path=path, encoding=encoding) from None
    if b"\x1b$" in data:  # ISO-2022-JP is 7-bit: it would pass for UTF-8 with escapes in it
        try:
            return data.decode("iso2022_jp")
        except UnicodeDecodeError:
            pass
    try:
        return _text_only(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    wide = b"\x00" in data[:8192]  # NUL bytes: UTF-16 without a BOM, or not text at all
    readings = {str(m) for m in from_bytes(data, cp_isolation=list(WIDE if wide else NARROW)) if m.percent_chaos <= 5}
    if len(readings) == 1:
        return _text_only(readings.pop(), path)
    if not readings and wide:
        raise Refused("doc_binary", path=path)
    if not readings:
        raise Refused("doc_unknown_encoding", path=path)
    raise Refused("doc_ambiguous_encoding", path=path)


def pdf_text(path: Path) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs its repairs of damaged files; the user gets one clear line from us instead.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise Refused("doc_pdf_encrypted", path=path)
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Refused:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused("doc_pdf_unreadable", path=path) from exc


def _slug(text: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ascii_part[:40] or "doc"


def prepare(path: Path) -> Prepared:
    """Read and check one file; raise Refused with one line naming it."""
    if path.suffix.lower() not in SUFFIXES:
        raise Refused("doc_bad_type", path=path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Refused("doc_too_big", path=path, limit=MAX_BYTES // (1024 * 1024))
        data = path.read_bytes()
    except OSError as exc:
        raise Refused("doc_unreadable", path=path, reason=exc.strerror or exc) from exc
    if not data.strip():
        raise Refused("doc_empty", path=path)
    meta: dict[str, Any] = {}
    if path.suffix.lower() == ".pdf":
        if not data.startswith(b"%PDF"):
            raise Refused("doc_not_pdf", path=path)
        body = pdf_text(path)
    else:
        body = decode_text(data, path)
        if path.suffix.lower() == ".md":
            try:
                front, body = split_front_matter(body)
            except (ValueError, yaml.YAMLError) as exc:
                raise Refused("doc_bad_front_matter", path=path, reason=exc) from exc
            meta = {k: front[k] for k in KEEP_META if k in front}
    body = normalize_text(body)
    if len(body) < 10:
        raise Refused("doc_no_text", path=path)
    sha = hashlib.sha256(data).hexdigest()
    heading = next((line.lstrip("# ").strip() for line in body.splitlines() if line.startswith("#")), "")
    title = str(meta.pop("title", "") or heading or path.stem)
    return Prepared(path, f"user-{_slug(path.stem)}-{sha[:8]}", title, body, meta, sha)


def expand(paths_in: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(files named directly, files found in directories)."""
    direct, found = [], []
    for p in paths_in:
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            direct.append(p)
    return direct, found


def stored(settings: Settings) -> list[dict[str, Any]]:
    docs = []
    folder = paths.user_documents_dir(settings.home)
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        front, _ = split_front_matter(path.read_text(encoding="utf-8"))
        docs.append({**front, "file": path})
    return docs


def write(settings: Settings, doc: Prepared) -> Path:
    folder = paths.user_documents_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    front = {
        "id": doc.id,
        "title": doc.title,
        "kind": "user",
        "original": str(doc.path.name),
        "sha256": doc.sha256,
        "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **doc.meta,
    }
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + doc.body + "\n"
    target = folder / f"{doc.id}.md"
    tmp = folder / f".{doc.id}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
