"""The core's notices reach the person: by key, in the session's language, through one logger."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dxcoach import notices
from dxcoach.config import load_settings
from dxcoach.retrieval import index
from tests.conftest import ROOT


@pytest.mark.parametrize(("lang", "words"), [("ja", "退避して作り直します"), ("en", "set aside and is being rebuilt")])
def test_a_damaged_store_set_aside_is_said_in_the_sessions_language(tmp_path: Path, lang: str, words: str) -> None:
    settings = load_settings(tmp_path, env={"DXCOACH_LANG": lang})
    index.store_dir(settings).mkdir(parents=True)
    collect = notices.Collect()
    notices.show_with(collect)
    index.set_aside(settings, "test")
    (message,) = collect.messages
    assert words in message and "chroma.broken-" in message
    assert not index.store_dir(settings).exists()


def test_the_cli_prints_notices_on_stderr_one_line_each(tmp_path: Path) -> None:
    code = (
        "from dxcoach import notices\n"
        "notices.to_stderr()\n"
        "notices.say('en', 'index_waiting')\n"
        "notices.say('ja', 'corpus_waiting')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stderr.splitlines() == [
        "dxcoach: Another process is updating the index; waiting for it to finish…",
        "dxcoach: 別のプロセスが文書を追加中です。待っています…",
    ]
