"""The user's own documents (.md, .txt, .pdf): checked, converted to Markdown with front matter and
stored under the home, where the index picks them up as ``kind: user``.

Text in Shift_JIS / CP932 or EUC-JP (common in Japanese offices) is detected and decoded.
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
ENCODINGS = ("utf-8-sig", "cp932", "euc_jp")
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


def decode_text(data: bytes, path: Path) -> str:
    if b"\x00" in data[:8192]:
        raise Refused(f"{path}: テキストではありません（バイナリファイルです）")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused(f"{path}: 文字コードを判別できません（UTF-8 / Shift_JIS / EUC-JP 以外です）")


def pdf_text(path: Path) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs its repairs of damaged files; the user gets one clear line from us instead.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise Refused(f"{path}: 暗号化されたPDFは追加できません")
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Refused:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{path}: PDFを読めません（壊れているか、PDFではありません）") from exc


def _slug(text: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ascii_part[:40] or "doc"


def prepare(path: Path) -> Prepared:
    """Read and check one file; raise Refused with one line naming it."""
    if path.suffix.lower() not in SUFFIXES:
        raise Refused(f"{path}: 追加できるのは .md .txt .pdf です")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Refused(f"{path}: ファイルが大きすぎます（上限 {MAX_BYTES // (1024 * 1024)} MB）")
        data = path.read_bytes()
    except OSError as exc:
        raise Refused(f"{path}: 読めません（{exc.strerror or exc}）") from exc
    if not data.strip():
        raise Refused(f"{path}: 空のファイルです")
    meta: dict[str, Any] = {}
    if path.suffix.lower() == ".pdf":
        if not data.startswith(b"%PDF"):
            raise Refused(f"{path}: PDFではありません")
        body = pdf_text(path)
    else:
        body = decode_text(data, path)
        if path.suffix.lower() == ".md":
            try:
                front, body = split_front_matter(body)
            except (ValueError, yaml.YAMLError) as exc:
                raise Refused(f"{path}: 冒頭の front matter を読めません（{exc}）") from exc
            meta = {k: front[k] for k in KEEP_META if k in front}
    body = normalize_text(body)
    if len(body) < 10:
        raise Refused(f"{path}: 文字が取り出せません（画像だけのPDFや空の文書は追加できません）")
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
