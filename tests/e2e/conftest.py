"""Fixtures for end-to-end tests: real model, real chromadb, the CLI in subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _link_models(home: Path, models: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "models").symlink_to(models, target_is_directory=True)


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXCOACH_")}
    env.update({"DXCOACH_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory, default_model_dir: Path) -> Path:
    """A home with the converted model and the bundled corpus indexed, built once."""
    home = tmp_path_factory.mktemp("built-home")
    _link_models(home, default_model_dir.parent)
    result = subprocess.run(
        [sys.executable, "-m", "dxcoach", "index"], env=cli_env(home), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    # Fit the assessor's probes once too (they are cached in the home), so that every test's copy starts warm.
    fit = "from dxcoach.coaching.factory import open_coach as o\nfrom dxcoach.config import load_settings as s\no(s())"
    result = subprocess.run(
        [sys.executable, "-c", fit], env=cli_env(home), capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def home(tmp_path: Path, built_home: Path) -> Path:
    """A fresh home of this test's own, with a copy of the built index and the fitted probes (a few MB)."""
    h = tmp_path / "home"
    _link_models(h, (built_home / "models").resolve())
    shutil.copytree(built_home / "index", h / "index")
    shutil.copytree(built_home / "cache", h / "cache")
    return h


@pytest.fixture
def run_cli() -> RunCli:
    def run(
        home: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dxcoach", *args],
            env=cli_env(home, **(env or {})),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )

    return run
