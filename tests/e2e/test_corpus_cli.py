"""`dxcoach corpus add|list|remove`: Shift_JIS text, a text PDF, and files that must be refused."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import RunCli

SJIS_TEXT = "弊社の冷凍倉庫では、温度記録を手書きの台帳で管理しており、夜間の異常に気づくのが遅れることがあります。"
PDF_LINES = ["当社の鋳物工場では、溶解炉の燃料費が経営を圧迫しています。", "炉の稼働記録を表計算で集計し始めました。"]


def make_pdf(path: Path, lines: list[str]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    c = canvas.Canvas(str(path))
    c.setFont("HeiseiKakuGo-W5", 12)
    for n, line in enumerate(lines):
        c.drawString(40, 800 - 20 * n, line)
    c.save()
    return path


def index_state(home: Path) -> tuple[str, set[str]]:
    manifest = (home / "index" / "manifest.json").read_text(encoding="utf-8")
    docs = home / "documents"
    return manifest, {p.name for p in docs.iterdir()} if docs.exists() else set()


def top(run_cli: RunCli, home: Path, query: str) -> dict[str, object]:
    result = run_cli(home, "search", query, "--json", "-k", "3")
    assert result.returncode == 0, result.stderr
    first: dict[str, object] = json.loads(result.stdout)["results"][0]
    return first


def test_shift_jis_text_and_pdf_are_added_and_found(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    sjis = tmp_path / "倉庫メモ.txt"
    sjis.write_bytes(SJIS_TEXT.encode("cp932"))
    pdf = make_pdf(tmp_path / "foundry.pdf", PDF_LINES)
    added = run_cli(home, "corpus", "add", str(sjis), str(pdf))
    assert added.returncode == 0, added.stderr
    assert "追加 2 件" in added.stdout
    hit = top(run_cli, home, "冷凍倉庫の温度記録が手書き")
    assert hit["kind"] == "user" and "温度記録を手書きの台帳" in str(hit["text"])
    hit = top(run_cli, home, "溶解炉の燃料費")
    assert hit["kind"] == "user" and "溶解炉の燃料費" in str(hit["text"])
    listed = run_cli(home, "corpus", "list")
    assert "倉庫メモ.txt" in listed.stdout and "foundry.pdf" in listed.stdout
    again = run_cli(home, "corpus", "add", str(sjis))
    assert again.returncode == 0 and "登録済み" in again.stdout
    doc_id = next(line.split()[0] for line in listed.stdout.splitlines() if "foundry.pdf" in line)
    removed = run_cli(home, "corpus", "remove", doc_id)
    assert removed.returncode == 0 and "削除 1 件" in removed.stdout
    assert top(run_cli, home, "溶解炉の燃料費")["kind"] != "user"


def test_bad_files_are_refused_with_one_line_and_nothing_changes(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# 良い文書\n\n本文はこちらです。十分な長さがあります。", encoding="utf-8")
    broken_pdf = tmp_path / "broken.pdf"
    broken_pdf.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", encoding="utf-8")
    encrypted = tmp_path / "secret.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("pw")
    with encrypted.open("wb") as fh:
        writer.write(fh)
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (10 * 1024 * 1024 + 1))
    before = index_state(home)
    for bad, words in [
        (broken_pdf, "PDF"),
        (binary, "バイナリ"),
        (empty, "空"),
        (encrypted, "暗号化"),
        (huge, "大きすぎ"),
        (tmp_path / "missing.txt", "読めません"),
    ]:
        result = run_cli(home, "corpus", "add", str(good), str(bad))
        assert result.returncode == 2, (bad.name, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and bad.name in lines[0] and words in lines[0], (bad.name, result.stderr)
        assert index_state(home) == before
    unknown = run_cli(home, "corpus", "remove", "user-nothing")
    assert unknown.returncode == 2


def test_a_folder_adds_what_it_can_and_reports_the_rest(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "notes.md").write_text(
        "---\ntitle: 顧客訪問メモ\nindustry: 印刷業\n---\n印刷機の稼働率を記録したい。", "utf-8"
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    (folder / "image.png").write_bytes(b"\x89PNG")
    result = run_cli(home, "corpus", "add", str(folder))
    assert result.returncode == 0, result.stderr
    assert "顧客訪問メモ" in result.stdout and "broken.pdf" in result.stderr and "image.png" not in result.stderr


def test_an_open_searcher_sees_documents_added_by_another_process(
    home: Path, run_cli: RunCli, tmp_path: Path, real_embeddings: object
) -> None:
    """An IT coordinator adds a client's notes while the TUI (an open Searcher) is running."""
    from dxcoach.config import load_settings
    from dxcoach.retrieval.search import Searcher

    searcher = Searcher.open(load_settings(home, env={}), embeddings=real_embeddings)  # type: ignore[arg-type]
    before = searcher.search("冷凍倉庫の温度記録", 3)
    assert all(h.passage.kind != "user" for h in before)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(SJIS_TEXT.encode("cp932"))
    assert run_cli(home, "corpus", "add", str(notes)).returncode == 0
    after = searcher.search("冷凍倉庫の温度記録", 3)
    assert after[0].passage.kind == "user" and "温度記録" in after[0].passage.text
