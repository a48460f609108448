"""``dxcoach index``, ``search`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from dxcoach import paths, texts
from dxcoach.config import Settings, ensure_home
from dxcoach.errors import UserError
from dxcoach.retrieval import index
from dxcoach.retrieval.normalize import normalize_query

if TYPE_CHECKING:
    from dxcoach.progress import Callback
    from dxcoach.retrieval.search import Filters, Hit

# Below this many passages to embed the wait is mostly the model loading (about 5 s on two cores) and
# a bar would only flash. The bundled corpus alone (50 passages, about 10 s) gets one. The bar moves
# one index batch (index.EMBED_BATCH) at a time: embedding in smaller calls was measured 50% slower.
PROGRESS_MIN_PASSAGES = 16


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.retrieval.embedder import LocalEmbeddings, resolve_model
    from dxcoach.retrieval.sources import all_passages

    ensure_home(settings)
    passages = all_passages(settings)
    model = resolve_model(settings)
    if args.rebuild:
        discard_index(settings)
    with embedding_progress(settings) as progress:
        report = index.update_index(settings, passages, model.name, lambda: LocalEmbeddings(model), progress=progress)
    print(report.describe(settings.lang))
    return 0


def embedding_progress(settings: Settings) -> AbstractContextManager[Callback]:
    """A bar on stderr while passages are embedded: on a terminal, and only for a wait worth showing."""
    from dxcoach import progress

    return progress.bar(texts.ui(settings.lang, "cli", "index_progress"), more_than=PROGRESS_MIN_PASSAGES)


def discard_index(settings: Settings) -> None:
    """--rebuild: drop the whole store under the writer lock; the update that follows embeds everything."""
    from dxcoach.locking import file_lock

    with file_lock(index.lock_path(settings), exclusive=True):
        if settings.chroma_url:  # a server's collections are ours to drop, its files are not
            index.drop_collections(index.open_client(settings))
        index.forget_clients()
        shutil.rmtree(index.store_dir(settings), ignore_errors=True)
        (paths.index_dir(settings.home) / index.MANIFEST).unlink(missing_ok=True)
        for saved in paths.index_dir(settings.home).glob("lexical-*.npz"):
            saved.unlink(missing_ok=True)


def _filters(args: argparse.Namespace) -> Filters:
    from dxcoach.retrieval.corpus import KINDS
    from dxcoach.retrieval.search import Filters

    unknown = [k for k in args.kind if k not in KINDS]
    if unknown:
        raise UserError("search_kind_invalid", kinds=" / ".join(KINDS), value=", ".join(unknown))
    return Filters(kinds=tuple(args.kind), industry=args.industry, stage=args.stage)


def _print_hits(settings: Settings, hits: list[Hit]) -> None:
    if not hits:
        print(texts.ui(settings.lang, "search", "no_results"))
        return
    for hit in hits:
        p = hit.passage
        kind = texts.ui(settings.lang, "kinds", p.kind)
        snippet = p.text.replace("\n", " ")
        snippet = snippet if len(snippet) <= 160 else snippet[:159] + "…"
        print(f"[{hit.rank}] {p.title}")
        print(f"    {kind} · {p.source} · {p.id} · {hit.score:.4f}")
        print(f"    {snippet}")


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    if args.jsonl and args.query:
        raise UserError("search_query_with_jsonl")
    if not args.jsonl:
        if args.query is None:
            raise UserError("search_need_query")
        if not normalize_query(args.query):
            raise UserError("search_empty_query")
    filters = _filters(args)
    from dxcoach.retrieval.search import Searcher

    ensure_home(settings)
    searcher = Searcher.open(settings)
    if args.jsonl:
        for line in sys.stdin:
            query = line.rstrip("\n")
            hits = searcher.search(query, args.k, method=args.method, filters=filters) if query.strip() else []
            print(json.dumps({"query": query, "results": [h.as_json() for h in hits]}, ensure_ascii=False), flush=True)
        return 0
    hits = searcher.search(args.query, args.k, method=args.method, filters=filters)
    if args.json:
        print(json.dumps({"query": args.query, "results": [h.as_json() for h in hits]}, ensure_ascii=False, indent=2))
    else:
        _print_hits(settings, hits)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.retrieval.evaluate import evaluate, load_eval_file
    from dxcoach.retrieval.search import Searcher

    items = load_eval_file(Path(args.file))
    ensure_home(settings)
    result = evaluate(Searcher.open(settings), items, k=args.k, method=args.method)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"n={result['n']} method={result['method']}")
        for key in ("recall_at_1", "recall_at_3", "recall_at_5", "mrr_at_10"):
            print(f"{key:12} {result[key]:.3f}")
        misses = result["misses"]
        listed = ", ".join(map(str, misses)) if isinstance(misses, list) and misses else "-"
        print(f"misses (not in top {args.k}): {listed}")
    return 0
