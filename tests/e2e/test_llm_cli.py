"""The headless ``session`` command and ``doctor`` with a language model: a real local server with
scripted replies (OpenAI-compatible), and, when ``DXCOACH_TEST_LLM_URL`` is set, a real local model."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import RunCli
from tests.llm_server import ScriptedServer, closed_port_url

PERSONA = ROOT / "tests" / "personas" / "minato_shokudo.yaml"
REPLY = (
    "朝の魚へのこだわりが伝わってきます。資料には具体的な取り組みが書かれています[1]。"
    "根拠のない話[7]。もう少し伺えますか？"
)


def llm_env(url: str, provider: str = "openai", model: str = "test-model", timeout: str = "20") -> dict[str, str]:
    return {
        "DXCOACH_LLM_PROVIDER": provider,
        "DXCOACH_LLM_BASE_URL": url,
        "DXCOACH_LLM_MODEL": model,
        "DXCOACH_LLM_TIMEOUT": timeout,
    }


def test_a_scripted_session_carries_the_models_words_and_valid_citations_only(
    home: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "session.json"
    with ScriptedServer("openai", [REPLY]) as server:
        result = run_cli(home, "session", "--script", str(PERSONA), "--json", str(out), env=llm_env(server.url))
        requests = server.requests
    assert result.returncode == 0, result.stderr
    assert "ガイド付きモード" not in result.stderr  # the model answered every time
    data = json.loads(out.read_text(encoding="utf-8"))
    worded = [t for s in data["stages"] for t in s["turns"] if t["role"] == "coach" and "llm" in t]
    assert len(worded) == len(requests) >= 4  # every open and probe turn: one request each
    for turn in worded:
        assert turn["text"] == REPLY.replace("根拠のない話[7]", "根拠のない話") and turn["llm"]["dropped"] == ["7"]
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", turn["text"])}
        assert numbers and max(numbers) <= len(turn["citations"])  # each [n] names a passage in the turn
    # The request carried the stage prompt and the passages the guided coach retrieved for that turn.
    systems = [str(r["body"]["messages"][0]["content"]) for r in requests]
    assert [n for n in range(1, 5) if any(f"{n}/4" in s for s in systems)] == [1, 2, 3, 4]
    first = worded[0]["citations"][0]
    assert first["text"].strip()[:30] in systems[0] and first["title"] in systems[0]


def test_doctor_names_the_model_and_says_whether_its_server_answers(home: Path, run_cli: RunCli) -> None:
    with ScriptedServer("ollama", ["x"]) as server:
        up = run_cli(home, "doctor", env=llm_env(server.url, "ollama", "qwen2.5:7b"))
    assert f"✓ llm              ollama qwen2.5:7b @ {server.url} answered" in up.stdout, up.stdout
    down = run_cli(home, "doctor", env=llm_env(closed_port_url("openai")))
    assert down.returncode == 1 and "✗ llm" in down.stdout and "guided mode" in down.stdout


@pytest.mark.skipif(not os.environ.get("DXCOACH_TEST_LLM_URL"), reason="DXCOACH_TEST_LLM_URL is not set: no live model")
def test_a_live_local_model_coaches_with_valid_citations(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    """DXCOACH_TEST_LLM_URL=http://127.0.0.1:11434 DXCOACH_TEST_LLM_PROVIDER=ollama DXCOACH_TEST_LLM_MODEL=qwen2.5:7b"""
    env = llm_env(
        os.environ["DXCOACH_TEST_LLM_URL"],
        os.environ.get("DXCOACH_TEST_LLM_PROVIDER", "ollama"),
        os.environ.get("DXCOACH_TEST_LLM_MODEL", ""),
        timeout="120",
    )
    out = tmp_path / "live.json"
    result = run_cli(home, "session", "--script", str(PERSONA), "--json", str(out), env=env, timeout=3600)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    worded = [t for s in data["stages"] for t in s["turns"] if t["role"] == "coach" and "llm" in t]
    assert worded and all("fallback" not in t["llm"] for t in worded), result.stderr
    for turn in worded:
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", turn["text"])}
        assert all(1 <= n <= len(turn["citations"]) for n in numbers)


def test_a_dead_server_gives_a_guided_session_and_one_line_per_try(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    script = tmp_path / "short.yaml"
    script.write_text(
        "profile: {company: 有限会社みなと食堂, industry: 飲食業}\n"
        "answers:\n  purpose: [港町の定食屋として、朝の魚を手頃な値段で出しています。]\n",
        encoding="utf-8",
    )
    out = tmp_path / "session.json"
    result = run_cli(
        home, "session", "--script", str(script), "--json", str(out), env=llm_env(closed_port_url("openai"))
    )
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "ガイド付きモード" in line]
    assert notices and all("サーバーに接続できません" in line for line in notices)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["stages"][0]["turns"][1]["text"] == "港町の定食屋として、朝の魚を手頃な値段で出しています。"
    assert data["summary"] is not None  # the whole session ran, in guided wording
    assert "1/4" in data["stages"][0]["turns"][0]["text"]
