"""The model words one coach turn from the guided coach's material, or says why it could not.

- Streaming (the TUI) or not (the headless ``session`` command): the same prompt and chain.
- The model runs in a helper thread and the caller waits on a queue, so that Esc (``Stream.stop``)
  and silence past ``DXCOACH_LLM_TIMEOUT`` end the wait at once, whatever the client library does.
- A failure (refused connection, HTTP error, malformed stream, silence, empty reply) suspends the
  model for the rest of that stage: the next stage first asks the server with one quick GET, so a
  dead server costs one timeout per session, not one per turn. ``retry()`` lifts it at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dxcoach import texts
from dxcoach.coaching.grounding import Citation
from dxcoach.config import Settings
from dxcoach.llm import providers
from dxcoach.llm.brief import Brief
from dxcoach.llm.output import check_citations, clean

POLL = 0.05  # seconds between looks at the stop flag


@dataclass
class Stream:
    """How a caller follows a streamed reply: the text so far (cleaned), and a flag to stop it."""

    on_text: Callable[[str], None] = lambda text: None
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Written:
    text: str  # the model's words, checked ("" when it failed)
    sources: list[Citation]  # what was sent, numbered from 1 (the turn's citations)
    cited: tuple[int, ...] = ()
    dropped: tuple[str, ...] = ()  # citation numbers the model made up (removed from the text)
    cut: bool = False  # stopped by the owner
    error: str = ""  # why it failed, one line (the turn falls back to guided wording)


class _Failed(Exception):
    pass


_DONE = object()


class LlmWriter:
    def __init__(self, settings: Settings, model_factory: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self.label = providers.describe(settings)
        self.t = texts.load(settings.lang, "llm")
        self._factory = model_factory or providers.chat_model
        self._chains: dict[bool, Any] = {}
        self._down_in: str | None = None  # the stage in which the model last failed

    # ---- when to try ------------------------------------------------------------------------
    def ready(self, stage: str) -> bool:
        if self._down_in is None:
            return True
        if self._down_in == stage:
            return False
        quick = min(2.0, max(0.2, self.settings.llm_timeout / 10))
        if providers.health(self.settings, quick).ok:
            self._down_in = None
            return True
        self._down_in = stage
        return False

    def retry(self) -> None:
        """The owner asks to try the model again now."""
        self._down_in = None

    def notice(self, error: str) -> str:
        return str(self.t["fallback"].format(provider=self.label, reason=error))

    # ---- one turn ---------------------------------------------------------------------------
    def write(self, brief: Brief, stream: Stream | None = None) -> Written:
        from dxcoach.llm.prompt import build_prompt

        prompt = build_prompt(brief, self.settings.llm_context - providers.reply_tokens(self.settings))
        try:
            raw, cut = self._run(prompt.values, stream)
        except _Failed as exc:
            self._down_in = brief.stage.id
            return Written("", prompt.sources, error=str(exc))
        text = clean(raw)
        if not text and not cut:
            self._down_in = brief.stage.id
            return Written("", prompt.sources, error=self.t["reasons"]["empty"])
        checked = check_citations(text, len(prompt.sources))
        return Written(checked.text, prompt.sources, checked.cited, checked.dropped, cut)

    def _chain(self, streaming: bool) -> Any:
        if streaming not in self._chains:
            from dxcoach.llm.prompt import template

            self._chains[streaming] = template(self.settings.lang) | self._factory(self.settings, streaming=streaming)
        return self._chains[streaming]

    def _run(self, values: dict[str, Any], stream: Stream | None) -> tuple[str, bool]:
        """The model's raw text, and whether the owner stopped it."""
        chunks: queue.Queue[object] = queue.Queue()
        chain = self._chain(stream is not None)

        def produce() -> None:
            try:
                if stream is None:
                    chunks.put(chain.invoke(values).text)
                else:
                    for chunk in chain.stream(values):
                        chunks.put(chunk.text)
                        if stream.stop.is_set():
                            break
                chunks.put(_DONE)
            except Exception as exc:  # any failure of the server or the stream: the turn falls back
                chunks.put(exc)

        threading.Thread(target=produce, name="dxcoach-llm", daemon=True).start()
        parts: list[str] = []
        heard = time.monotonic()
        while True:
            if stream is not None and stream.stop.is_set():
                return "".join(parts), True
            try:
                item = chunks.get(timeout=POLL)
            except queue.Empty:
                if time.monotonic() - heard > self.settings.llm_timeout:
                    raise _Failed(self._reason("timeout")) from None
                continue
            heard = time.monotonic()
            if item is _DONE:
                return "".join(parts), False
            if isinstance(item, Exception):
                raise _Failed(self._reason_for(item)) from item
            parts.append(str(item))
            if stream is not None:
                stream.on_text(clean("".join(parts)))

    def _reason(self, key: str, **values: object) -> str:
        return str(self.t["reasons"][key].format(seconds=f"{self.settings.llm_timeout:g}", **values))

    def _reason_for(self, exc: Exception) -> str:
        code = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(code, int) and code >= 400:
            return self._reason("http", code=code)
        name = type(exc).__name__
        if "Timeout" in name:
            return self._reason("timeout")
        if isinstance(exc, ConnectionError) or "Connect" in name:
            return self._reason("refused")
        return self._reason("malformed")
