"""Where dxcoach keeps its files. Everything it writes lives under one home directory."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"
PROMPTS_DIR = PROJECT_ROOT / "prompts"


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("dxcoach", appauthor=False)


def models_dir(home: Path) -> Path:
    return home / "models"


def index_dir(home: Path) -> Path:
    return home / "index"


def user_documents_dir(home: Path) -> Path:
    return home / "documents"


def sessions_db(home: Path) -> Path:
    return home / "sessions.sqlite3"


def config_file(home: Path) -> Path:
    return home / "config.toml"


def reports_dir(home: Path) -> Path:
    return home / "reports"


def cache_dir(home: Path) -> Path:
    """Derived data that is rebuilt when missing (the assessor's fitted probes)."""
    return home / "cache"
