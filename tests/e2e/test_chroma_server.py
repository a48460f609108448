"""DXCOACH_CHROMA_URL: the index lives in a Chroma server the user runs (`chroma run`, here on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    server = subprocess.Popen(
        [binary, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_index_and_search_through_a_chroma_server(
    tmp_path: Path, built_home: Path, chroma_server: str, run_cli: RunCli
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to((built_home / "models").resolve(), target_is_directory=True)
    env = {"DXCOACH_CHROMA_URL": chroma_server}
    indexed = run_cli(home, "index", env=env)
    assert indexed.returncode == 0, indexed.stderr
    assert "追加 50 件" in indexed.stdout
    assert not (home / "index" / "chroma").exists()  # nothing embedded locally
    again = run_cli(home, "index", env=env)
    assert "追加 0 件" in again.stdout
    rebuilt = run_cli(home, "index", "--rebuild", env=env)
    assert "追加 50 件" in rebuilt.stdout, rebuilt.stderr
    found = run_cli(home, "search", "天気や売上のデータから来客数を予測", "--json", "-k", "1", env=env)
    assert found.returncode == 0, found.stderr
    assert "ゑびや" in json.loads(found.stdout)["results"][0]["title"]
