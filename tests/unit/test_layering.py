"""The core runs without a terminal: no core module may import Textual (or Rich, which it pulls in)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CORE = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "dxcoach").rglob("*.py")
    if "tui" not in p.parts and p.name != "__main__.py" and "commands" not in p.parts
)


def test_core_modules_do_not_import_textual() -> None:
    assert "dxcoach.coaching.coach" in CORE and "dxcoach.retrieval.search" in CORE
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(m for m in ('textual', 'rich') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_guided_coaching_does_not_load_the_llm_clients() -> None:
    """Without a model configured, nothing of LangChain's chat clients is imported (start-up time)."""
    code = (
        "import sys\n"
        "from dxcoach.coaching import coach, factory\n"
        "from dxcoach.config import load_settings\n"
        "assert factory.open_writer(load_settings('/nonexistent', env={})) is None\n"
        "print(','.join(m for m in ('langchain_openai', 'langchain_ollama', 'openai', 'ollama') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
