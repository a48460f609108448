from __future__ import annotations

from pathlib import Path

import pytest

from dxcoach.errors import UserError
from dxcoach.retrieval.corpus import Passage, load_documents, passages_from, split_front_matter


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_is_parsed_and_body_normalised(tmp_path: Path) -> None:
    write(
        tmp_path / "case-x.md",
        "---\nid: case-x\ntitle: 事例｜テスト\nkind: case\nstages: [data]\nindustry: 飲⾷業\ntags: [来客数]\n---\n"
        "⼈手で入力。\n\n  結果です。\n",
    )
    (doc,) = load_documents(tmp_path, "corpus", default_kind="guidance")
    assert (doc.id, doc.kind, doc.source) == ("case-x", "case", "corpus/case-x.md")
    assert doc.body == "人手で入力。\n\n結果です。"
    assert doc.meta["industry"] == "飲食業"
    assert doc.meta["stages"] == ["data"]


def test_text_files_take_the_default_kind_and_file_name(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "社内メモです。")
    (doc,) = load_documents(tmp_path, "documents", default_kind="user")
    assert (doc.id, doc.title, doc.kind) == ("notes", "notes", "user")


def test_unknown_kind_is_a_clear_user_error(tmp_path: Path) -> None:
    write(tmp_path / "bad.md", "---\nkind: rumour\n---\n本文")
    with pytest.raises(UserError, match=r"bad\.md"):
        load_documents(tmp_path, "corpus", default_kind="guidance")


def test_unclosed_front_matter_is_rejected() -> None:
    with pytest.raises(ValueError):
        split_front_matter("---\nid: x\n本文")


def test_passage_ids_number_the_chunks_of_long_documents(tmp_path: Path) -> None:
    write(tmp_path / "long.md", "---\nid: long\ntitle: 長い\n---\n" + "文です。" * 300)
    write(tmp_path / "short.md", "---\nid: short\ntitle: 短い\n---\n短い文です。")
    passages = passages_from(load_documents(tmp_path, "corpus", default_kind="guidance"))
    ids = [p.id for p in passages]
    assert ids[:2] == ["long#1", "long#2"] and ids[-1] == "short"


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\nid: same\n---\nA")
    write(tmp_path / "b.md", "---\nid: same\n---\nB")
    with pytest.raises(UserError, match="same"):
        passages_from(load_documents(tmp_path, "corpus", default_kind="guidance"))


def test_chroma_metadata_round_trips_lists_and_hash_changes_with_content() -> None:
    p = Passage("a", "a", "題", "case", "corpus/a.md", "本文", {"stages": ["gap", "data"], "industry": "製造業"})
    meta = p.chroma_metadata()
    assert meta["stages"] == "|gap|data|" and isinstance(meta["tokens"], int)
    back = Passage.from_chroma("本文", dict(meta))
    assert back == p
    changed = Passage("a", "a", "題", "case", "corpus/a.md", "本文２", p.meta)
    assert changed.content_hash != p.content_hash
