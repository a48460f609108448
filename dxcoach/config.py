"""Typed settings: command-line flag > environment variable > ``config.toml`` in the home > default.

The TOML file uses the same keys as the environment variables without the ``DXCOACH_`` prefix,
in lower case (``lang = "en"``, ``llm_provider = "ollama"``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from dxcoach import paths
from dxcoach.errors import UserError

LANGUAGES = ("ja", "en")
LLM_PROVIDERS = ("none", "ollama", "openai")
EMBED_ENGINES = ("auto", "torch")
LLM_DEFAULT_URLS = {"ollama": "http://127.0.0.1:11434", "openai": "http://127.0.0.1:8080/v1"}


@dataclass(frozen=True)
class Settings:
    home: Path
    lang: str = "ja"
    embed_model: str = "default"
    embed_engine: str = "auto"  # auto: onnxruntime when the model's export agrees with torch; torch: always torch
    llm_provider: str = "none"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_context: int = 8192
    chroma_url: str = ""
    corpus_dir: Path = paths.BUNDLED_CORPUS
    max_probes: int = 2

    @property
    def uses_default_model(self) -> bool:
        return self.embed_model in ("", "default")

    @property
    def llm_url(self) -> str:
        return self.llm_base_url or LLM_DEFAULT_URLS.get(self.llm_provider, "")


_KEYS = {f.name for f in fields(Settings)} - {"home"}


def _read_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError("config_unreadable", path=path, reason=exc) from exc
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise UserError("config_unknown_keys", path=path, keys=", ".join(unknown))
    return data


def load_settings(home: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings; raise UserError with one clear line on a bad value."""
    env = os.environ if env is None else env
    raw_home = home or env.get("DXCOACH_HOME") or paths.default_home()
    home_path = Path(raw_home).expanduser().absolute()
    values: dict[str, object] = dict(_read_toml(paths.config_file(home_path)))
    for key in _KEYS:
        env_value = env.get(f"DXCOACH_{key.upper()}")
        if env_value is not None and env_value != "":
            values[key] = env_value
    try:
        settings = Settings(
            home=home_path,
            lang=str(values.get("lang", "ja")).lower(),
            embed_model=str(values.get("embed_model", "default")),
            embed_engine=str(values.get("embed_engine", "auto")).lower(),
            llm_provider=str(values.get("llm_provider", "none")).lower(),
            llm_base_url=str(values.get("llm_base_url", "")),
            llm_model=str(values.get("llm_model", "")),
            llm_api_key=str(values.get("llm_api_key", "")),
            llm_timeout=float(str(values.get("llm_timeout", 30.0))),
            llm_context=int(str(values.get("llm_context", 8192))),
            chroma_url=str(values.get("chroma_url", "")),
            corpus_dir=Path(str(values.get("corpus_dir", paths.BUNDLED_CORPUS))).expanduser().absolute(),
            max_probes=int(str(values.get("max_probes", 2))),
        )
    except ValueError as exc:
        raise UserError("setting_invalid", reason=exc) from exc
    if settings.lang not in LANGUAGES:
        raise UserError("lang_invalid", value=settings.lang)
    if settings.embed_engine not in EMBED_ENGINES:
        raise UserError("embed_engine_invalid", value=settings.embed_engine)
    if settings.llm_provider not in LLM_PROVIDERS:
        raise UserError("llm_provider_invalid", value=settings.llm_provider)
    if settings.llm_timeout <= 0:
        raise UserError("llm_timeout_invalid")
    if settings.llm_context < 1024:
        raise UserError("llm_context_invalid", value=settings.llm_context)
    if settings.llm_provider == "ollama" and not settings.llm_model:  # an OpenAI-compatible server may serve one
        raise UserError("llm_model_missing")
    if settings.max_probes < 0:
        raise UserError("max_probes_invalid")
    return settings


def private_files() -> None:
    """Everything this process creates is the user's alone (files 0600, folders 0700): the home holds
    clients' business plans, often on a shared or multi-user machine."""
    os.umask(0o077)


def _tighten(home: Path) -> None:
    """A home made by an older version (0755 / 0644) is made private once, all of it."""
    if home.stat().st_mode & 0o077 == 0:
        return
    for root, dirs, files in os.walk(home):
        for name in dirs:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o600)
    home.chmod(0o700)


def ensure_home(settings: Settings) -> Path:
    """Create the home directory (private), failing with one clear line when it cannot be written."""
    home = settings.home
    private_files()
    try:
        home.mkdir(parents=True, exist_ok=True)
        _tighten(home)
        probe = home / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UserError("home_unwritable", home=home, reason=exc.strerror or exc) from exc
    return home
