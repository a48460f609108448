"""Where dxcoach keeps its files. Everything it writes lives under one home directory."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bundled(name: str) -> Path:
    """Data shipped with dxcoach: inside the package when installed from a wheel (dxcoach/_prompts),
    at the top of the repository in a source checkout or an editable install (prompts/)."""
    inside = Path(__file__).resolve().parent / f"_{name}"
    return inside if inside.is_dir() else PROJECT_ROOT / name


BUNDLED_CORPUS = _bundled("corpus")
PROMPTS_DIR = _bundled("prompts")


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


def session_lock(home: Path, session_id: str) -> Path:
    return home / "locks" / f"session-{session_id}.lock"


def config_file(home: Path) -> Path:
    return home / "config.toml"


def reports_dir(home: Path) -> Path:
    return home / "reports"


def cache_dir(home: Path) -> Path:
    """Derived data that is rebuilt when missing (the assessor's fitted probes)."""
    return home / "cache"
