from __future__ import annotations

import unicodedata

from dxcoach.retrieval.chunking import MAX_CHARS, chunk_text, count_tokens, split_sentences
from dxcoach.retrieval.normalize import compact, normalize_query, normalize_text


def test_kangxi_and_supplement_radicals_fold_to_ordinary_kanji() -> None:
    assert normalize_text("デジタル⼈材の育成") == "デジタル人材の育成"  # U+2F08 Kangxi radical
    assert normalize_text("社⻑") == "社長"  # U+2ED1, which NFKC alone leaves alone
    assert normalize_text("⺠間") == "民間"


def test_seed_has_no_radical_lookalikes_after_normalisation(seed_text: str) -> None:
    text = normalize_text(seed_text)
    odd = [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF]
    assert odd == []
    assert "人材" in text and "⼈" not in text


def test_whitespace_cleanup_keeps_paragraphs() -> None:
    assert normalize_text("  一行目 　 です\r\n\n\n\n二行目\t\tです  ") == "一行目 です\n\n二行目 です"
    assert normalize_query("複数\n行の\n  質問") == "複数 行の 質問"
    assert compact("Ｄ Ｘ\n推進") == "DX推進"


def test_full_width_ascii_folds() -> None:
    assert normalize_query("ＩＴ導入補助金　２０２３") == "IT導入補助金 2023"
    assert unicodedata.is_normalized("NFKC", normalize_text("５％"))


def test_sentences_split_at_japanese_ends_and_keep_closing_brackets() -> None:
    parts = split_sentences("DXを進めます。「はい。」次です！最後")
    assert parts == ["DXを進めます。", "「はい。」", "次です！", "最後"]


def test_chunks_respect_the_limit_and_lose_nothing() -> None:
    sentence = "データとデジタル技術を活用して顧客や社会のニーズを基に製品やサービスを変革します。"
    text = sentence * 40
    chunks = chunk_text(text)
    assert len(chunks) > 1
    assert all(len(c) <= MAX_CHARS for c in chunks)
    assert "".join(chunks) == text
    assert all(c.endswith("。") for c in chunks)  # cut at sentence ends only


def test_line_breaks_survive_chunking() -> None:
    text = "利益もアップ!\n## 卸・小売業\n販売管理です。"
    assert split_sentences(text) == ["利益もアップ!\n", "## 卸・小売業\n", "販売管理です。"]
    assert chunk_text(text) == [text]


def test_overlong_sentence_is_hard_split() -> None:
    text = "あ" * (MAX_CHARS * 2 + 10)
    chunks = chunk_text(text)
    assert [len(c) for c in chunks] == [MAX_CHARS, MAX_CHARS, 10]


def test_token_limit_also_splits() -> None:
    text = "テストの文です。" * 50
    chunks = chunk_text(text, max_chars=10_000, max_tokens=60)
    assert len(chunks) > 1
    assert all(count_tokens(c) <= 60 for c in chunks)


def test_tiktoken_counts_offline() -> None:
    assert count_tokens("デジタル人材育成") > 0
