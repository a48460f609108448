"""Does a real Japanese parser (GiNZA) cut owners' long answers better than the hand-made clause rules?

    PYTHONPATH=/work/main /tmp/ginza-venv/bin/python bench/parser.py [--no-assess] [--home DIR] [--show N]

GiNZA is not a project dependency, so it lives in its own venv, made from the same Python:

    python3.11 -m venv /tmp/ginza-venv && /tmp/ginza-venv/bin/pip install ja-ginza==5.3.0

The script appends the project venv's site-packages (``/work/main/.venv/lib/python3.11/site-packages``)
*after* the GiNZA venv's own, so PyYAML and the project's imports resolve and GiNZA's pinned packages
win (numpy, pydantic, typer… are the same versions in both today). The project venv is only read.
With the project's packages on the path, thinc imports torch when it finds it (as it would in the project
venv): about 610 MB RSS after loading, against about 430 MB in the GiNZA venv alone.

Segmentations compared (all see the same ``normalize_query`` text; all drop a leading hesitation and a
trailing comma with the rules' own ``_strip``; all add the sentences and, for 3+ clauses, neighbouring pairs):
- rules:  today's ``dxcoach.coaching.assess.units`` (sentences on 。！？, clauses on commas and on
          connectives such as けど/ので; pieces under 5 characters dropped).
- g-own:  GiNZA sentences; GiNZA's own clauses (``ginza.clauses``: a bunsetu ending in 、 that heads at
          least 2 bunsetu), made contiguous by cutting after each clause head's bunsetu.
- g-dep:  GiNZA sentences; a cut after a bunsetu whose head is a predicate (VERB/ADJ/AUX, or a noun with
          a copula) in a clausal relation (advcl, acl, conj, parataxis, ccomp, csubj) when the bunsetu ends
          in a comma or in a conjunctive particle (SCONJ: て, けど, ので, ば, たら…) and its head is not the
          very next bunsetu; a plain relative clause (「辞めた蔵人」) is never cut. Short pieces
          (< 5 characters or 1 bunsetu) join the next one instead of being dropped.
- g-hyb:  GiNZA sentences; the cuts of g-dep plus the rules' comma/connective cuts.

Measures, per file (dev ``prompts/labelled_owners.yaml``, held-out ``tests/data/listening/owners_heldout.yaml``):
(i) isolation: share of labelled spans that some unit contains whole while at most 2.5x the span's length
    (and: contained at all; median of the tightest containing unit's length / span length);
(ii) units per answer (and clauses per answer); (iii) ms per answer; GiNZA import+load seconds and RSS;
(iv) ``horizon``/``targets`` spans holding a GiNZA numeric/time entity vs the number regex, and the same
     cues' false alarms on vision sentences that hold no such span;
(v) unless --no-assess: the assessor's element precision/recall on both files when ``assess.units`` is
    swapped for each segmentation (fitted with the real embedding model on the usual training data, which
    includes the dev file: dev numbers are in-sample, held-out numbers are the test). This part runs in
    the project venv (``.venv/bin/python bench/parser.py --assess-worker FILE``) on units this process
    precomputed with GiNZA, so torch/sentence-transformers never meet the GiNZA venv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECT_SITE = ROOT / ".venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if PROJECT_SITE.is_dir() and str(PROJECT_SITE) not in sys.path:
    sys.path.append(str(PROJECT_SITE))  # after this interpreter's own site-packages: GiNZA's pins win

import yaml  # noqa: E402

from dxcoach.coaching import assess  # noqa: E402
from dxcoach.coaching.assess import Unit  # noqa: E402
from dxcoach.retrieval.normalize import normalize_query  # noqa: E402

FILES = {
    "dev": ROOT / "prompts" / "labelled_owners.yaml",
    "heldout": ROOT / "tests" / "data" / "listening" / "owners_heldout.yaml",
}
LABELLED = ROOT / "prompts" / "labelled_answers.yaml"
UNITS_CACHE = Path(tempfile.gettempdir()) / "dxcoach-parser-units.json"
RATIO = 2.5
VARIANTS = ("rules", "g-own", "g-dep", "g-hyb")
NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万億]+[年人円%倍割]")
# GiNZA's (extended named entity) labels that are times, amounts or counts.
NUMERIC_LABELS = re.compile(
    r"^(Date|Time|Era|Period_.*|Money|Percent|Multiplication|Frequency|Age|School_Age|Ordinal_Number|Rank|"
    r"N_.*|Countx_.*|Point|Physical_Extent|Space|Volume|Weight|Speed|Intensity|Temperature|Calorie|"
    r"Seismic_.*|Stock|Measurement_Other|Numex_Other|Timex_Other)$"
)
CLAUSAL = {"advcl", "acl", "conj", "parataxis", "ccomp", "csubj"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def load_owners(path: Path) -> list[dict[str, Any]]:
    """(stage, answer, {element: span}) of every stage of every owner; [] when the file is missing."""
    if not path.exists():
        return []
    out = []
    for owner in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        for stage, part in (owner.get("stages") or {}).items():
            spans = {e: str(v) for e, v in (part.get("elements") or {}).items()}
            out.append({"owner": owner.get("id", "?"), "stage": stage, "answer": part["answer"], "spans": spans})
    return out


# ---- GiNZA segmentations --------------------------------------------------------------------------
def load_ginza() -> tuple[Any, float, float]:
    """The pipeline, seconds to import and load it, and this process's peak RSS (MB) after."""
    start = time.perf_counter()
    import spacy

    nlp = spacy.load("ja_ginza")
    seconds = time.perf_counter() - start
    return nlp, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _is_predicate(token: Any, bunsetu: Any) -> bool:
    if token.pos_ in {"VERB", "ADJ", "AUX"}:
        return True
    return any(t.dep_ == "cop" for t in bunsetu)


def _cuts(sent: Any, variant: str) -> list[int]:
    """Character offsets (relative to the sentence) after which the sentence is cut, for a GiNZA variant."""
    import ginza

    text = sent.text
    bunsetus = list(ginza.bunsetu_spans(sent))
    heads = set(sent.doc.user_data["bunsetu_heads"])
    where = {t.i: k for k, b in enumerate(bunsetus) for t in b}
    cuts: set[int] = set()
    if variant == "g-own":
        for clause in ginza.clauses(sent.doc):
            last = max(clause, key=lambda t: t.i)  # a clause ends with its head's bunsetu and its comma
            if sent.start <= last.i < sent.end:
                cuts.add(last.idx + len(last.text) - sent.start_char)
    else:
        for k, b in enumerate(bunsetus[:-1]):
            head = next((t for t in b if t.i in heads and t.pos_ != "PUNCT"), b.root)
            ends_comma = b[-1].text in {"、", ",", "，"}
            ends_particle = any(t.pos_ == "SCONJ" for t in b[-3:]) or b[-1].dep_ == "mark"
            adjacent = where.get(head.head.i) == k + 1
            if head.dep_ in CLAUSAL and _is_predicate(head, b) and (ends_comma or (ends_particle and not adjacent)):
                cuts.add(b.end_char - sent.start_char)
        if variant == "g-hyb":
            cuts |= {m.end() for m in assess._CLAUSE_END.finditer(text)}
    return sorted(c for c in cuts if 0 < c < len(text))


def _pieces(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """Contiguous (start, end) pieces; a piece too short to stand alone joins the next one."""
    out: list[tuple[int, int]] = []
    start = 0
    for end in [*cuts, len(text)]:
        if len(assess._strip(text[start:end])) < assess._MIN_CLAUSE and end != len(text):
            continue  # carry it into the next piece
        out.append((start, end))
        start = end
    if len(out) > 1 and len(assess._strip(text[out[-1][0] : out[-1][1]])) < assess._MIN_CLAUSE:
        out[-2:] = [(out[-2][0], out[-1][1])]  # a tiny tail joins the piece before it
    return out


def ginza_units(doc: Any, variant: str) -> list[Unit]:
    out: list[Unit] = []
    for i, sent in enumerate(s for s in doc.sents if s.text.strip()):
        text = sent.text
        whole = assess._strip(text) or text.strip()
        out.append(Unit(whole, i, False))
        spans = _pieces(text, _cuts(sent, variant))
        parts = [assess._strip(text[a:b]) for a, b in spans]
        if len(parts) > 1:
            out.extend(Unit(p, i, True) for p in parts if p)
        if len(parts) > 2:
            for (a, _), (_, d) in pairwise(spans):
                pair = assess._strip(text[a:d])
                if pair:
                    out.append(Unit(pair, i, True))
    return out


# ---- measures --------------------------------------------------------------------------------------
def isolation(rows: list[dict[str, Any]], seg: Callable[[str], list[Unit]]) -> dict[str, Any]:
    isolated = contained = total = 0
    ratios: list[float] = []
    per: dict[str, list[int]] = {}
    for row in rows:
        texts = [u.text for u in seg(row["answer"])]
        for element, raw in row["spans"].items():
            span = normalize_query(raw)
            if not span:
                continue
            total += 1
            holding = [len(t) / len(span) for t in texts if span in t]
            ok = bool(holding) and min(holding) <= RATIO
            contained += bool(holding)
            isolated += ok
            if holding:
                ratios.append(min(holding))
            key = f"{row['stage']}.{element}"
            per.setdefault(key, [0, 0])
            per[key][0] += ok
            per[key][1] += 1
    return {
        "spans": total,
        "isolated": round(isolated / total, 3) if total else None,
        "contained": round(contained / total, 3) if total else None,
        "median_ratio": round(statistics.median(ratios), 2) if ratios else None,
        "per_element": per,
    }


def entity_measure(rows: list[dict[str, Any]], docs: dict[str, Any]) -> dict[str, Any]:
    """Horizon/target spans with a numeric GiNZA entity vs the number regex; and false alarms of each
    on the sentences of vision answers that overlap no horizon/target span."""
    hits: dict[str, dict[str, int]] = {}
    labels: dict[str, int] = {}
    alarm = {"sentences": 0, "ginza": 0, "regex": 0}
    for row in rows:
        text = normalize_query(row["answer"])
        doc = docs[row["answer"]]
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents if NUMERIC_LABELS.match(e.label_)]
        marked: list[tuple[int, int]] = []
        for element in ("horizon", "targets"):
            raw = row["spans"].get(element)
            if row["stage"] != "vision" or not raw:
                continue
            span = normalize_query(raw)
            a = text.find(span)
            if a < 0:
                continue
            b = a + len(span)
            marked.append((a, b))
            found = [lab for s, e, lab in ents if s < b and a < e]
            h = hits.setdefault(element, {"spans": 0, "ginza": 0, "regex": 0, "both": 0, "neither": 0})
            h["spans"] += 1
            h["ginza"] += bool(found)
            h["regex"] += bool(NUMBER.search(span))
            h["both"] += bool(found) and bool(NUMBER.search(span))
            h["neither"] += not found and not NUMBER.search(span)
            for lab in set(found):
                labels[lab] = labels.get(lab, 0) + 1
        if row["stage"] != "vision":
            continue
        for sent in doc.sents:
            s, e = sent.start_char, sent.end_char
            if any(s < b and a < e for a, b in marked):
                continue
            alarm["sentences"] += 1
            alarm["ginza"] += any(s < ee and ss < e for ss, ee, _ in ents)
            alarm["regex"] += bool(NUMBER.search(sent.text))
    return {"spans": hits, "entity_labels_in_spans": labels, "false_alarms_on_other_vision_sentences": alarm}


# ---- the assessor with each segmentation (runs in the project venv) --------------------------------
def assess_worker(cache_file: Path, home: str) -> None:
    import numpy as np

    from dxcoach.coaching.assess import Assessor
    from dxcoach.coaching.rubric import load_rubric
    from dxcoach.config import load_settings
    from dxcoach.retrieval.embedder import load_embeddings

    data = json.loads(cache_file.read_text(encoding="utf-8"))
    # The embedding the coach's assessor uses (factory.open_coach passes searcher.embeddings.encode_queries,
    # i.e. this model's encode_queries); loaded directly so the rest of the coach need not import.
    raw_embed = load_embeddings(load_settings(home)).encode_queries
    memo: dict[str, np.ndarray] = {}

    def embed(texts: Any) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        if todo:
            for t, v in zip(todo, raw_embed(todo), strict=True):
                memo[t] = v
        return np.stack([memo[t] for t in texts])

    original = assess.units
    rows = {split: load_owners(path) for split, path in FILES.items()}
    results: dict[str, Any] = {}
    for variant in VARIANTS:
        if variant == "rules":
            assess.units = original
        else:
            table = data[variant]

            def swapped(answer: str, table: dict[str, Any] = table) -> list[Unit]:
                if answer not in table:
                    raise KeyError(f"no GiNZA units for {answer[:40]!r}")
                return [Unit(t, s, c) for t, s, c in table[answer]]

            assess.units = swapped
        start = time.perf_counter()
        assessor = Assessor(load_rubric("ja"), embed, also=(load_rubric("en"),))
        fitted = time.perf_counter() - start
        results[variant] = {"fit_s": round(fitted, 1)}
        for split, items in rows.items():
            tp = fp = fn = 0
            per: dict[str, list[int]] = {}
            for row in items:
                gold = set(row["spans"])
                got = set(assessor.assess(row["stage"], row["answer"]).covered)
                tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
                for e in gold | got:
                    c = per.setdefault(f"{row['stage']}.{e}", [0, 0, 0])
                    c[0] += e in gold and e in got
                    c[1] += e in got and e not in gold
                    c[2] += e in gold and e not in got
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            results[variant][split] = {
                "precision": round(p, 3),
                "recall": round(r, 3),
                "f1": round(f1, 3),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "per_element": per,
            }
    assess.units = original
    print(json.dumps(results, ensure_ascii=False))


# ---- main ------------------------------------------------------------------------------------------
def table(title: str, header: list[str], lines: list[list[Any]]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in lines:
        print("| " + " | ".join(str(x) for x in line) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-assess", action="store_true", help="skip (v), the assessor with each segmentation")
    parser.add_argument("--home", default="", help="a dxcoach home with an index (default: a new temp home, indexed)")
    parser.add_argument("--show", type=int, default=0, help="print the units of the first N held-out answers")
    parser.add_argument("--assess-worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.assess_worker:
        assess_worker(Path(args.assess_worker), args.home)
        return

    rows = {split: load_owners(path) for split, path in FILES.items()}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nlp, load_s, rss_loaded = load_ginza()
    print(f"GiNZA: import+load {load_s:.2f} s; peak RSS {rss_before:.0f} MB before, {rss_loaded:.0f} MB after load")

    # Every answer the assessor may cut: the owners' files and the short labelled answers it learns from.
    extra = [r["answer"] for r in yaml.safe_load(LABELLED.read_text(encoding="utf-8"))]
    answers = list(dict.fromkeys([r["answer"] for split in rows.values() for r in split] + extra))
    docs: dict[str, Any] = {}
    parse_ms: dict[str, float] = {}
    for answer in answers:
        start = time.perf_counter()
        docs[answer] = nlp(normalize_query(answer))
        parse_ms[answer] = (time.perf_counter() - start) * 1000
    rss_parsed = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    segs: dict[str, Callable[[str], list[Unit]]] = {"rules": assess.units}
    cache: dict[str, dict[str, list[Unit]]] = {}
    split_ms: dict[str, list[float]] = {v: [] for v in VARIANTS}
    owner_answers = {r["answer"] for split in rows.values() for r in split}
    for variant in VARIANTS[1:]:
        cache[variant] = {}
        for answer in answers:
            start = time.perf_counter()
            # English answers (in the labelled set) keep the rules: GiNZA is a Japanese parser.
            got = ginza_units(docs[answer], variant) if JAPANESE.search(answer) else assess.units(answer)
            if answer in owner_answers:
                split_ms[variant].append((time.perf_counter() - start) * 1000)
            cache[variant][answer] = got
        segs[variant] = lambda a, c=cache[variant]: c[a]
    for answer in owner_answers:
        start = time.perf_counter()
        assess.units(answer)
        split_ms["rules"].append((time.perf_counter() - start) * 1000)

    results: dict[str, Any] = {
        "ginza": {"load_s": round(load_s, 2), "rss_loaded_mb": round(rss_loaded), "rss_peak_mb": round(rss_parsed)}
    }
    iso_lines, unit_lines, ent_lines = [], [], []
    for split, items in rows.items():
        if not items:
            print(f"\n({split}: {FILES[split]} missing or empty)")
            continue
        lens = [len(r["answer"]) for r in items]
        parse = [parse_ms[r["answer"]] for r in items]
        results[split] = {
            "answers": len(items),
            "mean_chars": round(statistics.mean(lens)),
            "parse_ms_median": round(statistics.median(parse), 1),
        }
        for variant in VARIANTS:
            iso = isolation(items, segs[variant])
            us = [segs[variant](r["answer"]) for r in items]
            n_units = statistics.mean(len(u) for u in us)
            n_clauses = statistics.mean(sum(1 for x in u if x.clause) for u in us)
            n_sents = statistics.mean(len({x.sentence for x in u}) for u in us)
            results[split][variant] = {
                **iso,
                "units": round(n_units, 1),
                "clause_units": round(n_clauses, 1),
                "sentences": round(n_sents, 1),
            }
            iso_lines.append([split, variant, iso["spans"], iso["isolated"], iso["contained"], iso["median_ratio"]])
            unit_lines.append([split, variant, len(items), f"{n_sents:.1f}", f"{n_units:.1f}", f"{n_clauses:.1f}"])
        ent = entity_measure(items, docs)
        results[split]["entities"] = ent
        for element, h in sorted(ent["spans"].items()):
            ent_lines.append([split, element, h["spans"], h["ginza"], h["regex"], h["both"], h["neither"]])
        fa = ent["false_alarms_on_other_vision_sentences"]
        ent_lines.append(
            [split, "false alarms (other vision sentences)", fa["sentences"], fa["ginza"], fa["regex"], "", ""]
        )

    table(
        f"(i) span isolation (unit holds the whole span and is <= {RATIO}x its length)",
        ["file", "segmentation", "spans", "isolated", "contained at all", "median tightest ratio"],
        iso_lines,
    )
    table(
        "(ii) units per answer", ["file", "segmentation", "answers", "sentences", "units", "clause units"], unit_lines
    )
    ms_lines = [
        [
            "GiNZA parse (nlp(answer))",
            "",
            f"{statistics.median(parse_ms[a] for a in owner_answers):.1f}",
            f"{statistics.mean(parse_ms[a] for a in owner_answers):.1f}",
        ]
    ]
    for variant in VARIANTS:
        ms = split_ms[variant]
        ms_lines.append(
            [
                variant,
                "split only" if variant != "rules" else "whole units()",
                f"{statistics.median(ms):.2f}",
                f"{statistics.mean(ms):.2f}",
            ]
        )
    table("(iii) time per owner answer (ms)", ["step", "", "median", "mean"], ms_lines)
    print(
        f"\nGiNZA import+load {load_s:.2f} s; peak RSS {rss_loaded:.0f} MB after load, "
        f"{rss_parsed:.0f} MB after parsing {len(answers)} answers (process started at {rss_before:.0f} MB)"
    )
    table(
        "(iv) horizon / targets spans with a number",
        ["file", "element", "spans", "GiNZA numeric entity", "regex", "both", "neither"],
        ent_lines,
    )
    for split in rows:
        if split in results:
            print(f"  entity labels in spans ({split}): {results[split]['entities']['entity_labels_in_spans']}")

    for answer in [r["answer"] for r in rows["heldout"][: args.show]]:
        print("\n---", answer[:60])
        for variant in VARIANTS:
            print(f"  [{variant}]", " / ".join(u.text for u in segs[variant](answer) if u.clause))

    if not args.no_assess:
        UNITS_CACHE.write_text(
            json.dumps(
                {v: {a: [[u.text, u.sentence, u.clause] for u in us] for a, us in cache[v].items()} for v in cache},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        home = args.home
        if not home:
            home = tempfile.mkdtemp(prefix="dxcoach-parser-")
            subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), "-m", "dxcoach", "--home", home, "index"], check=True, cwd=ROOT
            )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["HF_HUB_OFFLINE"] = "1"
        out = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                str(Path(__file__).resolve()),
                "--assess-worker",
                str(UNITS_CACHE),
                "--home",
                home,
            ],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            sys.exit(f"the assessor worker failed:\n{out.stderr[-3000:]}")
        scored = json.loads(out.stdout.strip().splitlines()[-1])
        results["assess"] = scored
        lines = []
        for variant in VARIANTS:
            for split in rows:
                if split in scored[variant] and rows[split]:
                    s = scored[variant][split]
                    lines.append(
                        [
                            split + (" (in training)" if split == "dev" else ""),
                            variant,
                            s["precision"],
                            s["recall"],
                            s["f1"],
                            s["tp"],
                            s["fp"],
                            s["fn"],
                        ]
                    )
        table(
            "(v) assessor elements with each segmentation (fitted on labelled_answers + dev spans)",
            ["file", "segmentation", "precision", "recall", "F1", "tp", "fp", "fn"],
            lines,
        )
    out_file = Path(tempfile.gettempdir()) / "dxcoach-parser-results.json"
    out_file.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\n(all numbers, per element too: {out_file})")


if __name__ == "__main__":
    main()
