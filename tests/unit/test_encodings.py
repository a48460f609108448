"""Text files in the encodings Japanese offices produce are read right, or refused — never stored garbled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dxcoach.retrieval.user_docs import Refused, decode_text, prepare

TEXT = (
    "当社は港町の定食屋として、朝揚がった魚を手頃な値段で提供しています。"
    "デジタル化の第一歩として、売上と天気を毎日記録し、仕込みの量を決められるようにします。"
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("shift_jis", TEXT.encode("shift_jis")),
        ("cp932", (TEXT + "①髙﨑").encode("cp932")),
        ("euc_jp", TEXT.encode("euc_jp")),
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8 with BOM", TEXT.encode("utf-8-sig")),
        ("utf-16 with BOM", TEXT.encode("utf-16")),
        ("utf-16-le without BOM", TEXT.encode("utf-16-le")),
        ("utf-16-be with BOM", b"\xfe\xff" + TEXT.encode("utf-16-be")),
        ("iso-2022-jp", TEXT.encode("iso2022_jp")),
    ],
)
def test_each_encoding_is_read_exactly(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / "memo.txt"
    path.write_bytes(data)
    doc = prepare(path)
    assert doc.body.startswith("当社は港町の定食屋として") and "仕込みの量" in doc.body, name


def test_euc_jp_is_never_stored_as_cp932_mojibake(tmp_path: Path) -> None:
    """The reported bug: cp932 decodes EUC-JP bytes without error, and the old try-list tried it first."""
    text = "お客様の声を集めて、品質を高めます。経営計画を立てます。"
    data = text.encode("euc_jp")
    assert data.decode("cp932").startswith("､ｪｵﾒﾍﾍ")  # the trap: CP932 reads it without an error …
    assert decode_text(data, tmp_path / "x.txt") == text  # … and yet the text is read as EUC-JP


def test_a_reading_that_is_not_certain_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "短いメモ.txt"
    path.write_bytes("社長".encode("euc_jp"))  # two characters: CP932 and EUC-JP both read them
    with pytest.raises(Refused, match=r"短いメモ\.txt.*文字コード"):
        decode_text(path.read_bytes(), path)


@pytest.mark.parametrize("data", [os.urandom(4096), b"\x00\x01\x02\x03" * 500, b"\x89PNG\r\n\x1a\n" + os.urandom(500)])
def test_binary_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(data)
    with pytest.raises(Refused, match=r"image\.txt"):
        prepare(path)


def test_a_bom_that_lies_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="utf-8"):
        decode_text(b"\xef\xbb\xbf" + TEXT.encode("cp932"), tmp_path / "x.txt")
