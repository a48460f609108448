"""Retrieval quality on two dev sets: dense, lexical and the fusions, and the choice of fusion.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/retrieval.py [--grid] [--janome] [--models DIR] [--corpus DIR]

curated  tests/data/dev_eval.jsonl (68 questions) over the bundled corpus/.
company  tests/data/company_eval.jsonl (62 questions) over the bundled corpus plus the fictional company
         documents in tests/data/company_docs/, added by the code behind `dxcoach corpus add`. A user
         searches everything together, so the company questions do too (their gold is only in the
         company's documents).

Each set is split in two halves with a fixed seed. --grid chooses the fusion's parameters on the
tuning halves of both sets (the parameter whose worst margin over the better single method, across
the two sets, is largest), and the held-out halves report what the choice is worth. Uses the real
embedded model, each set in a fresh temporary home; --models copies an already converted model folder
(a home's models/) to skip the conversion. The raw seed baseline: --corpus pointing to a folder that
holds the seed text as a .txt file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.commands.corpus import cmd_add  # noqa: E402
from dxcoach.config import Settings, load_settings  # noqa: E402
from dxcoach.retrieval import fusion  # noqa: E402
from dxcoach.retrieval.evaluate import EvalItem, evaluate, load_eval_file, rank_of  # noqa: E402
from dxcoach.retrieval.search import DENSE_ALPHA, Filters, Hit, Scored, Searcher, fuse, fuse_scores  # noqa: E402

DATA = ROOT / "tests" / "data"
SPLIT_SEED = 12
OLD_RRF = {"rrf_k": 20, "dense_weight": 2.0, "lexical_weight": 1.0}  # the fusion shipped before issue 12
NEW = f"hybrid new (convex a={DENSE_ALPHA})"
Fusion = Callable[[list[Scored], list[Scored]], list[Hit]]


@dataclass
class DevSet:
    name: str
    items: list[EvalItem]
    tune: set[str]  # ids of the tuning half
    dense: dict[str, list[Scored]]
    lexical: dict[str, list[Scored]]
    floor: float  # the dense score floor search uses for this model
    searcher: Searcher


def make_home(root: Path, name: str, corpus: Path, documents: Path | None) -> Settings:
    home = root / name
    home.mkdir()
    (home / "models").symlink_to(root / "models", target_is_directory=True)
    settings = load_settings(home, env={"DXCOACH_CORPUS_DIR": str(corpus)})
    if documents:
        with contextlib.redirect_stdout(io.StringIO()):
            cmd_add(settings, argparse.Namespace(paths=[str(documents)]))
    return settings


def load_set(name: str, settings: Settings, eval_file: Path) -> DevSet:
    items = load_eval_file(eval_file)
    ids = sorted(i.id for i in items)
    random.Random(SPLIT_SEED).shuffle(ids)
    searcher = Searcher.open(settings)
    floor = fusion.E5_COSINE_FLOOR if settings.uses_default_model else fusion.COSINE_FLOOR
    dense = {i.id: searcher.dense_ranking(i.q, Filters()) for i in items}
    lexical = {i.id: searcher.lexical_ranking(i.q, Filters()) for i in items}
    return DevSet(name, items, set(ids[: len(ids) // 2]), dense, lexical, floor, searcher)


def ranks(ds: DevSet, fuse_fn: Fusion) -> dict[str, int | None]:
    return {
        i.id: rank_of([h.passage.text for h in fuse_fn(ds.dense[i.id], ds.lexical[i.id])], i.gold) for i in ds.items
    }


def metrics(found: dict[str, int | None], ids: set[str] | None = None) -> dict[str, float]:
    rs = [r for qid, r in found.items() if ids is None or qid in ids]
    n = len(rs)

    def at(k: int) -> float:
        return round(sum(1 for r in rs if r is not None and r <= k) / n, 3)

    mrr = sum(1 / r for r in rs if r is not None and r <= 10) / n
    return {"r@1": at(1), "r@3": at(3), "r@5": at(5), "mrr@10": round(mrr, 3)}


def methods(floor: float) -> dict[str, Fusion]:
    return {
        "dense": lambda d, lex: fuse_scores(d, [], 10, dense_floor=floor),
        "lexical": lambda d, lex: fuse_scores([], lex, 10),
        "hybrid old (RRF k=20, 2:1)": lambda d, lex: fuse([p for p, _ in d], [p for p, _ in lex], 10, **OLD_RRF),
        NEW: lambda d, lex: fuse_scores(d, lex, 10, dense_floor=floor),
    }


def split_of(ds: DevSet) -> dict[str, set[str] | None]:
    return {"full": None, "tune": ds.tune, "held-out": {i.id for i in ds.items} - ds.tune}


def report(ds: DevSet, suffix: str = "") -> None:
    for name, fn in methods(ds.floor).items():
        found = ranks(ds, fn)
        for half, ids in split_of(ds).items():
            m = metrics(found, ids)
            label = name + suffix
            print(f"  {label:38} {half:9} {m['r@1']:.3f}  {m['r@3']:.3f}  {m['r@5']:.3f}  {m['mrr@10']:.3f}")


def check_product_path(ds: DevSet) -> None:
    """The shipped hybrid, run as `dxcoach eval` runs it, must score what the table says."""
    ours = metrics(ranks(ds, methods(ds.floor)[NEW]))
    theirs = evaluate(ds.searcher, ds.items)
    assert ours["r@1"] == round(float(str(theirs["recall_at_1"])), 3), (ours, theirs)
    assert ours["mrr@10"] == round(float(str(theirs["mrr_at_10"])), 3), (ours, theirs)


def choose(sets: list[DevSet], family: str, candidates: dict[str, Callable[[float], Fusion]]) -> None:
    """Rank a family's parameters on the tuning halves by their worst MRR margin over the better single method."""
    rows = []
    for label, make in candidates.items():
        margins, r1 = [], 0.0
        for ds in sets:
            singles = [metrics(ranks(ds, methods(ds.floor)[m]), ds.tune)["mrr@10"] for m in ("dense", "lexical")]
            m = metrics(ranks(ds, make(ds.floor)), ds.tune)
            margins.append(m["mrr@10"] - max(singles))
            r1 += m["r@1"]
        rows.append((round(min(margins), 3), round(r1, 3), label))
    rows.sort(reverse=True)
    print(f"\n{family}: best on the tuning halves (worst MRR margin over the better single method, then r@1 sum)")
    for margin, r1, label in rows[:5]:
        held = []
        for ds in sets:
            m = metrics(ranks(ds, candidates[label](ds.floor)), split_of(ds)["held-out"])
            held.append(f"{ds.name} {m['r@1']:.3f}/{m['mrr@10']:.3f}")
        print(f"  {label:22} margin {margin:+.3f}  r@1 sum {r1:.3f}   held-out r@1/mrr: {', '.join(held)}")


def convex_with(alpha: float) -> Callable[[float], Fusion]:
    return lambda floor: lambda d, lex: fuse_scores(d, lex, 10, alpha=alpha, dense_floor=floor)


def rrf_with(k: int, dense_weight: float) -> Callable[[float], Fusion]:
    return lambda floor: (
        lambda d, lex: fuse([p for p, _ in d], [p for p, _ in lex], 10, rrf_k=k, dense_weight=dense_weight)
    )


def grid(sets: list[DevSet]) -> None:
    choose(sets, "convex combination (alpha)", {f"a={a:.3f}": convex_with(a) for a in (x / 40 for x in range(20, 40))})
    weights = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
    rrf = {f"k={k} wd={wd}": rrf_with(k, wd) for k in (5, 10, 20, 40, 60) for wd in weights}
    choose(sets, "weighted RRF (k, dense weight)", rrf)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--models", default="/tmp/benchhome/models", help="a converted model folder to copy")
    parser.add_argument("--grid", action="store_true", help="choose the fusion's parameters on the tuning halves")
    parser.add_argument("--janome", action="store_true", help="also lexical with janome words instead of bigrams")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dxcoach-bench-"))
    if Path(args.models).is_dir():
        shutil.copytree(args.models, root / "models", ignore=shutil.ignore_patterns("*.lock"))
    else:
        (root / "models").mkdir()  # the first home converts the model into it
    try:
        run(root, Path(args.corpus), grid_too=args.grid, janome_too=args.janome)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root: Path, corpus: Path, *, grid_too: bool, janome_too: bool) -> None:
    curated = load_set("curated", make_home(root, "curated", corpus, None), DATA / "dev_eval.jsonl")
    company_home = make_home(root, "company", corpus, DATA / "company_docs")
    company = load_set("company", company_home, DATA / "company_eval.jsonl")
    sets = [curated, company]
    for ds in sets:
        check_product_path(ds)
        print(f"\n{ds.name}: {len(ds.items)} questions, {len(ds.searcher.passages)} passages searched")
        print(f"  {'method':38} {'half':9} r@1    r@3    r@5    mrr@10")
        report(ds)
        if janome_too:  # the tokenizer comparison behind lexical.py's choice of bigrams
            janome = Searcher.open(ds.searcher.settings, tokenizer="janome")
            words = {i.id: janome.lexical_ranking(i.q, Filters()) for i in ds.items}
            report(replace(ds, lexical=words), " [janome]")
    if grid_too:
        grid(sets)


if __name__ == "__main__":
    main()
