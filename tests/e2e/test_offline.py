"""Offline means offline: index and search open no connection to anything but loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import cli_env

# Runs the CLI under an audit hook that kills the process on any non-loopback connect or DNS lookup.
GUARD = r"""
import os, socket, sys
LOOPBACK = ("127.", "::1", "localhost", "0:0:0:0:0:0:0:1")
def host_of(args):
    addr = args[1] if len(args) > 1 else None
    if isinstance(addr, tuple) and addr:
        return str(addr[0])
    return None if addr is None or isinstance(addr, (str, bytes)) and not addr else str(addr)
def hook(event, args):
    host = None
    if event == "socket.connect":
        sock, addr = args[0], args[1]
        if sock.family == socket.AF_UNIX:
            return
        host = str(addr[0]) if isinstance(addr, tuple) else str(addr)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        host = str(args[0])
    if host is not None and not host.startswith(LOOPBACK):
        sys.stderr.write(f"NETWORK VIOLATION: {event} {host}\n"); sys.stderr.flush()
        os._exit(97)
sys.addaudithook(hook)
from dxcoach.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _guarded(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(home)
    env.pop("HF_HUB_OFFLINE", None)  # dxcoach must switch the hub off itself
    return subprocess.run(
        [sys.executable, "-c", GUARD, *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def test_index_and_search_open_no_network_connection(tmp_path: Path, built_home: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to((built_home / "models").resolve(), target_is_directory=True)
    index = _guarded(home, "index")
    assert index.returncode == 0, index.stderr
    assert "NETWORK VIOLATION" not in index.stderr
    search = _guarded(home, "search", "人手不足で困っています", "--json")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["results"], "search answered"


def test_strace_sees_no_connect_outside_loopback(home: Path) -> None:
    strace = shutil.which("strace")
    assert strace, "strace is part of this machine's kind (FACTS.md)"
    log = home / "strace.log"
    result = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=connect",
            "-o",
            str(log),
            sys.executable,
            "-m",
            "dxcoach",
            "search",
            "DX認定のメリット",
            "--json",
        ],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    connects = [line for line in log.read_text().splitlines() if "connect(" in line]
    outside = [c for c in connects if ("AF_INET" in c and "127.0.0.1" not in c) or ("AF_INET6" in c and "::1" not in c)]
    assert outside == [], outside


def test_every_command_stays_offline(tmp_path: Path, built_home: Path) -> None:
    """One home, every command a user runs — index, corpus add, search, a scripted session with a local
    model server, export in each format, import, compare, list, doctor — under the audit hook, with no
    offline variable set by the test: the app sets what it needs itself."""
    from tests.llm_server import ScriptedServer

    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to((built_home / "models").resolve(), target_is_directory=True)
    doc = tmp_path / "memo.md"
    doc.write_text(
        "# 社内メモ\n\n受発注をFAXから電子化し、インボイス制度に対応します。担当は総務の佐藤です。\n", encoding="utf-8"
    )
    script = tmp_path / "s.yaml"
    script.write_text(
        "profile: {company: 有限会社みなと食堂, industry: 飲食業}\n"
        "answers:\n  purpose: [港町の定食屋として、朝の魚を手頃な値段で出しています。]\n",
        encoding="utf-8",
    )

    def ok(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        run_env = {**cli_env(home), **(env or {})}
        run_env.pop("HF_HUB_OFFLINE", None)
        result = subprocess.run(
            [sys.executable, "-c", GUARD, *args], env=run_env, capture_output=True, text=True, timeout=600, cwd=ROOT
        )
        assert "NETWORK VIOLATION" not in result.stderr, (args, result.stderr)
        assert result.returncode == 0, (args, result.stderr)
        return result

    ok("index")
    ok("corpus", "add", str(doc))
    assert json.loads(ok("search", "FAXの電子化", "--json").stdout)["results"]
    with ScriptedServer("openai", ["港の魚へのこだわりが伝わります[1]。お客様はどなたですか？"]) as server:
        llm = {"DXCOACH_LLM_PROVIDER": "openai", "DXCOACH_LLM_BASE_URL": server.url, "DXCOACH_LLM_MODEL": "m"}
        first = ok("session", "--script", str(script), env=llm).stdout.strip()
        ok("doctor", env=llm)
    assert server.requests, "the model was asked, on loopback"
    second = ok("session", "--script", str(script)).stdout.strip()
    for fmt in ("md", "html", "json"):
        ok("sessions", "export", first, "--format", fmt, "-o", str(tmp_path / f"report.{fmt}"))
    ok("sessions", "compare", first, second)
    ok("sessions", "list")
    ok("sessions", "import", str(tmp_path / "report.json"), env={"DXCOACH_HOME": str(tmp_path / "other")})
