from __future__ import annotations

from pathlib import Path

import pytest

from dxcoach.config import ensure_home, load_settings
from dxcoach.errors import UserError


def test_defaults_and_env_override(tmp_path: Path) -> None:
    s = load_settings(tmp_path, env={})
    assert (s.lang, s.embed_model, s.llm_provider, s.llm_timeout) == ("ja", "default", "none", 30.0)
    s = load_settings(tmp_path, env={"DXCOACH_LANG": "EN", "DXCOACH_LLM_PROVIDER": "ollama", "DXCOACH_LLM_MODEL": "m"})
    assert s.lang == "en" and s.llm_url == "http://127.0.0.1:11434" and s.llm_context == 8192
    s = load_settings(tmp_path, env={"DXCOACH_LLM_PROVIDER": "openai", "DXCOACH_LLM_CONTEXT": "4096"})
    assert s.llm_url == "http://127.0.0.1:8080/v1" and s.llm_context == 4096  # llama.cpp serves one model


def test_home_from_env_and_flag_wins(tmp_path: Path) -> None:
    assert load_settings(None, env={"DXCOACH_HOME": str(tmp_path / "a")}).home == tmp_path / "a"
    assert load_settings(tmp_path / "b", env={"DXCOACH_HOME": str(tmp_path / "a")}).home == tmp_path / "b"


def test_toml_file_in_home_is_read_and_env_beats_it(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('lang = "en"\nllm_timeout = 5\n', encoding="utf-8")
    assert load_settings(tmp_path, env={}).lang == "en"
    assert load_settings(tmp_path, env={}).llm_timeout == 5.0
    assert load_settings(tmp_path, env={"DXCOACH_LANG": "ja"}).lang == "ja"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DXCOACH_LANG": "fr"}, "DXCOACH_LANG"),
        ({"DXCOACH_LLM_PROVIDER": "cloud"}, "DXCOACH_LLM_PROVIDER"),
        ({"DXCOACH_LLM_TIMEOUT": "abc"}, "設定値"),
        ({"DXCOACH_LLM_TIMEOUT": "-1"}, "DXCOACH_LLM_TIMEOUT"),
        ({"DXCOACH_LLM_CONTEXT": "512"}, "DXCOACH_LLM_CONTEXT"),
        ({"DXCOACH_LLM_CONTEXT": "lots"}, "設定値"),
        ({"DXCOACH_LLM_PROVIDER": "ollama"}, "DXCOACH_LLM_MODEL"),
    ],
)
def test_bad_values_are_user_errors(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_settings(tmp_path, env=env)


def test_bad_toml_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("lang = \n", encoding="utf-8")
    with pytest.raises(UserError, match=r"config\.toml"):
        load_settings(tmp_path, env={})
    (tmp_path / "config.toml").write_text('colour = "red"\n', encoding="utf-8")
    with pytest.raises(UserError, match="colour"):
        load_settings(tmp_path, env={})


def test_unwritable_home_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="書き込めません"):
        ensure_home(load_settings(blocker / "home", env={}))
