"""``dxcoach corpus add|list|remove``: the user's own documents, indexed incrementally."""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractContextManager
from pathlib import Path

from dxcoach import notices, paths, texts
from dxcoach.config import Settings, ensure_home
from dxcoach.errors import UserError, message
from dxcoach.locking import file_lock
from dxcoach.retrieval import user_docs


def _reindex(settings: Settings) -> str:
    from dxcoach.commands.retrieval import embedding_progress
    from dxcoach.retrieval import index
    from dxcoach.retrieval.embedder import LocalEmbeddings, resolve_model
    from dxcoach.retrieval.sources import all_passages

    model = resolve_model(settings)
    with embedding_progress(settings) as progress:
        passages = all_passages(settings)
        report = index.update_index(settings, passages, model.name, lambda: LocalEmbeddings(model), progress=progress)
    return report.describe(settings.lang)


def _lock(settings: Settings) -> AbstractContextManager[None]:
    return file_lock(
        paths.user_documents_dir(settings.home) / ".lock",
        exclusive=True,
        on_wait=lambda: notices.say(settings.lang, "corpus_waiting"),
    )


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    ensure_home(settings)
    direct, found = user_docs.expand(Path(p).expanduser() for p in args.paths)
    # Files named one by one must all be good: one bad file refuses the whole command, nothing added.
    prepared = [user_docs.prepare(p) for p in direct]
    skipped: list[str] = []
    for p in found:  # a folder adds what it can and reports the rest
        try:
            prepared.append(user_docs.prepare(p))
        except user_docs.Refused as exc:
            skipped.append(exc.render(settings.lang))
    if not prepared:
        if skipped:
            raise UserError("corpus_nothing_added_skipped", count=len(skipped))
        raise UserError("corpus_nothing_added")
    t = texts.load(settings.lang, "ui")["cli"]
    with _lock(settings):
        known = {d.get("sha256") for d in user_docs.stored(settings)}
        added = 0
        for doc in prepared:
            if doc.sha256 in known:
                print(t["corpus_known"].format(path=doc.path))
                continue
            user_docs.write(settings, doc)
            known.add(doc.sha256)
            added += 1
            print(t["corpus_added"].format(id=doc.id, title=doc.title, path=doc.path))
        print(_reindex(settings))
    for line in skipped:
        print(message(settings.lang, "corpus_not_added", reason=line), file=sys.stderr)
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.retrieval.corpus import load_documents

    bundled = load_documents(settings.corpus_dir, "corpus", "guidance")
    t = texts.load(settings.lang, "ui")["cli"]
    print(t["corpus_bundled"].format(count=len(bundled), dir=settings.corpus_dir))
    docs = user_docs.stored(settings)
    if not docs:
        print(t["corpus_none_yet"])
    for d in docs:
        print(
            t["corpus_doc"].format(
                id=d.get("id"), title=d.get("title"), original=d.get("original"), added_at=d.get("added_at")
            )
        )
    return 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    ensure_home(settings)
    with _lock(settings):
        match = [d for d in user_docs.stored(settings) if d.get("id") == args.id]
        if not match:
            raise UserError("corpus_unknown_doc", id=args.id)
        Path(match[0]["file"]).unlink()
        print(texts.ui(settings.lang, "cli", "deleted").format(id=args.id))
        print(_reindex(settings))
    return 0
