"""Real HTTP servers on 127.0.0.1 that speak the two chat protocols with scripted replies.

- OpenAI chat completions: ``POST /v1/chat/completions``, JSON or SSE (``"stream": true``).
- Ollama: ``POST /api/chat``, NDJSON lines (or one JSON object when ``"stream": false``).

Each chat request takes the next scripted behaviour (the last one repeats):
a reply text (streamed in small pieces), ``HTTP500``, ``BROKEN`` (one good piece, then a malformed
line) or ``SILENT`` (the request is read, and nothing is ever sent back). Health GETs
(``/v1/models``, ``/api/tags``) answer 200 unless the server is ``SILENT`` or ``HTTP500`` throughout.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HTTP500 = "<http 500>"
BROKEN = "<broken stream>"
SILENT = "<silent>"


@dataclass
class Scripted:
    protocol: str  # "openai" or "ollama"
    replies: list[str]
    piece_chars: int = 4  # characters per streamed piece
    hold_after: int | None = None  # stop streaming after this many pieces until ``release`` is set
    requests: list[dict[str, Any]] = field(default_factory=list)
    health_gets: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)

    def next(self) -> str:
        index = min(len(self.requests) - 1, len(self.replies) - 1)
        return self.replies[index]


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        script = self.server.script
        script.health_gets += 1
        if all(r == SILENT for r in script.replies):
            script.stopping.wait()
            return
        if all(r == HTTP500 for r in script.replies):
            self._json(500, {"error": "scripted failure"})
            return
        self._json(200, {"data": [{"id": "test-model"}], "models": [{"name": "test-model"}]})

    def do_POST(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading (Esc)
            self._post()

    def _post(self) -> None:
        script = self.server.script
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        script.requests.append({"path": self.path, "body": body})
        behaviour = script.next()
        if behaviour == SILENT:
            script.stopping.wait()
            return
        if behaviour == HTTP500:
            self._json(500, {"error": {"message": "scripted failure"}})
            return
        stream = bool(body.get("stream", script.protocol == "ollama"))
        if script.protocol == "openai":
            self._openai(behaviour, stream)
        else:
            self._ollama(behaviour, stream)

    # ---- the protocols -----------------------------------------------------------------------
    def _openai(self, text: str, stream: bool) -> None:
        if not stream:
            if text == BROKEN:
                self._raw(200, "application/json", b'{"choices": [{"message": ')
                return
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._json(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]})
            return
        self._start(200, "text/event-stream")
        for n, piece in enumerate(_pieces("ゑびや" if text == BROKEN else text, self.server.script.piece_chars)):
            self._hold(n)
            chunk = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            self._send(f"data: {json.dumps(self._chunk(chunk), ensure_ascii=False)}\n\n")
        if text == BROKEN:
            self._send('data: {"choices": [{"delta": \n\n')
            return
        self._send(f"data: {json.dumps(self._chunk({'index': 0, 'delta': {}, 'finish_reason': 'stop'}))}\n\n")
        self._send("data: [DONE]\n\n")

    @staticmethod
    def _chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}

    def _ollama(self, text: str, stream: bool) -> None:
        def line(content: str, done: bool) -> str:
            out: dict[str, Any] = {
                "model": "test-model",
                "created_at": "2026-11-30T00:00:00Z",
                "message": {"role": "assistant", "content": content},
                "done": done,
            }
            if done:
                out.update(done_reason="stop", total_duration=1, eval_count=1, prompt_eval_count=1)
            return json.dumps(out, ensure_ascii=False) + "\n"

        if not stream:
            self._raw(200, "application/json", line(text, True).encode())
            return
        self._start(200, "application/x-ndjson")
        for n, piece in enumerate(_pieces("ゑびや" if text == BROKEN else text, self.server.script.piece_chars)):
            self._hold(n)
            self._send(line(piece, False))
        self._send('{"message": {"content": \n' if text == BROKEN else line("", True))

    # ---- plumbing ----------------------------------------------------------------------------
    def _hold(self, n: int) -> None:
        script = self.server.script
        if script.hold_after is not None and n == script.hold_after:
            script.release.wait()

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._raw(status, "application/json", json.dumps(data, ensure_ascii=False).encode())

    def _raw(self, status: int, kind: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _start(self, status: int, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _send(self, text: str) -> None:
        self.wfile.write(text.encode())
        self.wfile.flush()
        time.sleep(0.005)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Scripted


class ScriptedServer:
    """``with ScriptedServer("openai", ["…[1]"]) as server: server.url`` — stops on exit."""

    def __init__(self, protocol: str, replies: list[str], **options: Any) -> None:
        self.script = Scripted(protocol, replies, **options)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.script = self.script
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/v1" if protocol == "openai" else f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.script.stopping.set()
        self.script.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.script.requests


def closed_port_url(protocol: str) -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1" if protocol == "openai" else f"http://127.0.0.1:{port}"
