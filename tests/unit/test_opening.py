"""The opening coach's parts: the passage snapshot beside the index, BM25-only search, bigram quotes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dxcoach.config import load_settings
from dxcoach.retrieval.opening import LexicalSearcher, bigram_vectors, load_snapshot, save_snapshot, snapshot_path
from dxcoach.retrieval.search import Filters
from dxcoach.retrieval.sources import all_passages


def _home_with_manifest(tmp_path: Path, content: str = '{"collection": "dx-a"}') -> Path:
    home = tmp_path / "home"
    (home / "index").mkdir(parents=True)
    (home / "index" / "manifest.json").write_text(content, encoding="utf-8")
    return home


def test_the_snapshot_round_trips_and_is_read_only_for_its_own_index(tmp_path: Path) -> None:
    home = _home_with_manifest(tmp_path)
    settings = load_settings(home, env={})
    passages = all_passages(settings)
    assert load_snapshot(settings) is None  # none yet
    save_snapshot(settings, passages)
    assert load_snapshot(settings) == passages
    (home / "index" / "manifest.json").write_text('{"collection": "dx-b"}', encoding="utf-8")  # re-indexed
    assert load_snapshot(settings) is None
    save_snapshot(settings, passages[:3])
    assert load_snapshot(settings) == passages[:3]
    assert len(list((home / "index").glob("passages-*.json"))) == 1  # the old index's snapshot is gone


def test_a_damaged_or_missing_snapshot_is_none(tmp_path: Path) -> None:
    home = _home_with_manifest(tmp_path)
    settings = load_settings(home, env={})
    save_snapshot(settings, all_passages(settings))
    path = snapshot_path(home)
    assert path is not None and path.is_file()
    path.write_bytes(path.read_bytes()[:500])  # cut short
    assert load_snapshot(settings) is None
    path.write_text('{"format": 1, "manifest": "x", "passages": [{"nope": 1}]}', encoding="utf-8")
    assert load_snapshot(settings) is None
    (home / "index" / "manifest.json").unlink()
    save_snapshot(settings, all_passages(settings))  # no index: nothing to key the snapshot by
    assert load_snapshot(settings) is None


def test_lexical_search_filters_and_ranks(tmp_path: Path) -> None:
    searcher = LexicalSearcher(all_passages(load_settings(tmp_path, env={})))
    hits = searcher.search("IT導入補助金の補助率", k=5)
    assert hits and [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert "補助" in hits[0].passage.lexical_text()
    cases = searcher.search("来客数の予測", k=5, filters=Filters(kinds=("case",)))
    assert cases and {h.passage.kind for h in cases} == {"case"}
    assert "ゑびや" in cases[0].passage.title
    assert searcher.search("zzqx", k=5) == []


def test_bigram_vectors_are_unit_rows_that_prefer_shared_words() -> None:
    rows = bigram_vectors(["来客数を予測する", "来客数の予測ツール", "補助金の申請", ""])
    assert np.allclose(np.linalg.norm(rows[:3], axis=1), 1.0) and not rows[3].any()
    assert rows[0] @ rows[1] > rows[0] @ rows[2]
