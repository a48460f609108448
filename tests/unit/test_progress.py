"""Progress of long index work: the core reports counts; a bar is drawn only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dxcoach import progress
from dxcoach.retrieval.corpus import Passage


class HashEmbeddings:
    """Deterministic 8-dimensional vectors: enough for chromadb, no model."""

    dimension = 8

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(len(t) % (i + 2) + 1) for i in range(self.dimension)] for t in texts]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def passages(n: int) -> list[Passage]:
    return [
        Passage(f"p{i:04d}", f"d{i}", f"題{i}", "guidance", "corpus/x.md", f"文章 {i} の本文です。", {})
        for i in range(n)
    ]


def test_update_index_reports_increasing_counts_up_to_the_total(tmp_path: Path) -> None:
    from dxcoach.config import load_settings
    from dxcoach.retrieval import index

    settings = load_settings(tmp_path / "home", env={})
    calls: list[tuple[int, int]] = []
    report = index.update_index(
        settings,
        passages(150),
        "test-model",
        HashEmbeddings,  # type: ignore[arg-type]
        progress=lambda done, total: calls.append((done, total)),
    )
    assert report.added == 150
    assert calls == [(0, 150), (64, 150), (128, 150), (150, 150)]  # before the model loads, then per batch
    calls.clear()
    index.update_index(
        settings, passages(150), "test-model", HashEmbeddings, progress=lambda d, t: calls.append((d, t))
    )  # type: ignore[arg-type]
    assert calls == []  # nothing to embed, nothing reported
    index.forget_clients()


def test_nothing_is_written_when_the_stream_is_not_a_terminal() -> None:
    pipe = io.StringIO()
    with progress.bar("Adding passages", stream=pipe) as update:
        for done in range(0, 201, 50):
            update(done, 200)
    assert pipe.getvalue() == ""


def test_nothing_is_written_on_a_piped_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.bar("Adding passages") as update:
        update(0, 500)
        update(500, 500)
    assert capsys.readouterr() == ("", "")


def test_a_terminal_sees_the_label_and_the_count() -> None:
    tty = Terminal()
    with progress.bar("文章を索引に登録しています", more_than=16, stream=tty) as update:
        update(0, 150)
        update(64, 150)
        update(150, 150)
    shown = tty.getvalue()
    assert "文章を索引に登録しています" in shown and "150/150" in shown


def test_small_work_draws_no_bar_even_on_a_terminal() -> None:
    tty = Terminal()
    with progress.bar("Adding passages", more_than=16, stream=tty) as update:
        update(0, 3)
        update(3, 3)
    assert tty.getvalue() == ""


def test_the_label_is_in_the_users_language() -> None:
    from dxcoach import texts

    assert texts.ui("ja", "cli", "index_progress") != texts.ui("en", "cli", "index_progress")
