"""The chat model behind ``DXCOACH_LLM_PROVIDER``: Ollama's ``/api/chat`` or any OpenAI-compatible
server (llama.cpp, LM Studio, vLLM), through LangChain. Nothing here connects anywhere but the
configured URL: environment proxies are ignored (a local server is never reached through a proxy)
and the clients never retry on their own (one failure, one fallback — no retry storms).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dxcoach.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

MAX_REPLY_TOKENS = 1024


def reply_tokens(settings: Settings) -> int:
    """Room left for the reply in the context window."""
    return min(MAX_REPLY_TOKENS, settings.llm_context // 4)


def describe(settings: Settings) -> str:
    """``ollama qwen2.5:7b @ http://127.0.0.1:11434`` — for the TUI header and ``doctor``."""
    return f"{settings.llm_provider} {settings.llm_model or '?'} @ {settings.llm_url}"


def chat_model(settings: Settings, *, streaming: bool) -> BaseChatModel:
    timeout = settings.llm_timeout
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        client = {"timeout": timeout, "trust_env": False}
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_url,
            num_predict=reply_tokens(settings),
            client_kwargs=client,
            sync_client_kwargs=client,
        )
    if settings.llm_provider == "openai":
        import httpx
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        return ChatOpenAI(
            model=settings.llm_model or "local",  # llama.cpp's server answers with the one model it serves
            base_url=settings.llm_url,
            api_key=SecretStr(settings.llm_api_key or "not-needed"),  # local servers take any key
            timeout=timeout,
            max_retries=0,
            max_completion_tokens=reply_tokens(settings),
            streaming=streaming,
            http_client=httpx.Client(trust_env=False, timeout=timeout),
        )
    raise ValueError(f"no chat model for provider {settings.llm_provider!r}")


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str


def health(settings: Settings, timeout: float) -> Health:
    """Does the server answer? One cheap GET (Ollama's model list, the OpenAI models list).

    Any HTTP answer below 500 counts: a server that says 404 to ``/models`` is still there.
    """
    base = settings.llm_url.rstrip("/")
    url = f"{base}/api/tags" if settings.llm_provider == "ollama" else f"{base}/models"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {settings.llm_api_key}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return Health(True, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        return Health(exc.code < 500, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Health(False, str(reason) or type(exc).__name__)
