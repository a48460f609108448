"""Shared fixtures. The embedded model is built once per test session (it takes a while)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The METI deck the corpus was curated from lives outside the repository: DXCOACH_SEED, else ../shared.
SEED = Path(os.environ.get("DXCOACH_SEED") or ROOT.parent / "shared" / "seeds" / "000_aecd5af063c57c30.txt")

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The source deck's text, for the tests that check the corpus against it; skipped where it is absent
    (a plain clone of the repository). CI, with ../shared beside the clone, runs them."""
    if not SEED.is_file():
        pytest.skip(f"the source deck is not at {SEED} (set DXCOACH_SEED to its path)")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def default_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted multilingual-e5-small sentence-transformers folder, built once."""
    from dxcoach.retrieval.e5_convert import ensure_default_model

    cache = os.environ.get("DXCOACH_TEST_MODEL_CACHE")
    models_dir = Path(cache) if cache else tmp_path_factory.mktemp("models")
    return ensure_default_model(models_dir)


@pytest.fixture(scope="session")
def real_embeddings(default_model_dir: Path) -> object:
    """The converted e5 model loaded once in this process (for tests of code that embeds)."""
    from dxcoach.retrieval.embedder import LocalEmbeddings, default_model

    return LocalEmbeddings(default_model(default_model_dir.parent))  # the same ONNX export as the homes' (one per run)
