"""The Markdown and HTML reports: one set of data, self-contained HTML, escaping, notes, comparison."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dxcoach import texts
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.report.html import render_html
from dxcoach.report.markdown import render_markdown
from dxcoach.storage.db import Store
from tests.report_sessions import MARKUP, PROFILE, open_store, run_session

TODAY = date(2026, 12, 1)
NOTE = "ファシリテーター用：社長は設備投資に慎重。次回は息子さん同席で。"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, str]:
    store = open_store(tmp_path_factory.mktemp("home"))
    session_id = run_session(store)
    store.set_note(session_id, "gap", NOTE)
    return store, session_id


@pytest.fixture(scope="module")
def data(session: tuple[Store, str]) -> dict[str, Any]:
    return transcript(*session)


def both(data: dict[str, Any], **options: Any) -> tuple[str, str]:
    rubric = load_rubric(data["language"])
    return render_markdown(rubric, data, TODAY, **options), render_html(rubric, data, TODAY, **options)


def test_html_is_self_contained(data: dict[str, Any]) -> None:
    page = render_html(load_rubric("ja"), data, TODAY)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    lowered = page.lower()
    for banned in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "@font-face"):
        assert banned not in lowered, banned
    # Links only within the page; a URL may appear only as text quoted from a source.
    targets = re.findall(r"""\b(?:src|href|xlink:href|action)\s*=\s*["']?([^"'\s>]*)""", page)
    assert targets and all(t.startswith("#") for t in targets), targets
    assert "@page { size: A4" in page and "break-before: page" in page
    assert '"Hiragino Sans"' in page and '"Noto Sans CJK JP"' in page and "Meiryo" in page


def test_markup_in_answers_is_shown_literally(data: dict[str, Any]) -> None:
    page = render_html(load_rubric("ja"), data, TODAY)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; と &lt;b&gt;太字&lt;/b&gt; の &amp; 記号" in page
    assert "<b>太字</b>" not in page
    assert MARKUP in render_markdown(load_rubric("ja"), data, TODAY)  # Markdown keeps the owner's words as typed


def test_terminal_escapes_in_answers_are_shown_not_obeyed(data: dict[str, Any]) -> None:
    """`cat report.md` must not let an answer (or an imported session) drive the reader's terminal."""
    import copy

    tainted = copy.deepcopy(data)
    owner = next(t for t in tainted["stages"][0]["turns"] if t["role"] == "owner")
    owner["text"] = "\x1b[2J\x1b[31m赤い文字\x1b[0m と\x07ベル"
    tainted["profile"]["company"] = "\x1b]0;偽のタイトル\x07株式会社"
    for page in both(tainted):
        assert "\x1b" not in page and "\x07" not in page
        assert "\\x1b[31m赤い文字\\x1b[0m" in page and "\\x1b]0;偽のタイトル" in page
    assert data["stages"][0]["turns"] != tainted["stages"][0]["turns"]  # the stored words stay as written


def test_chart_has_one_bar_per_stage_scaled_to_coverage(data: dict[str, Any]) -> None:
    page = render_html(load_rubric("ja"), data, TODAY)
    svg = page[page.index("<svg") : page.index("</svg>")]
    bars = re.findall(r'<g class="stage-bar" data-stage="(\w+)">(.*?)</g>', svg, re.S)
    assert [stage for stage, _ in bars] == ["purpose", "vision", "gap", "data"]
    summary = data["summary"]["stages"]
    for stage, body in bars:
        track, fill = (float(w) for w in re.findall(r'<rect class="(?:track|fill)"[^>]* width="([\d.]+)"', body))
        covered, missing = len(summary[stage]["covered"]), len(summary[stage]["missing"])
        assert fill == pytest.approx(track * covered / (covered + missing), abs=0.1)
        assert f">{covered}/{covered + missing}<" in body
    checks = re.findall(r'<g class="check (met|todo)">', svg)
    assert len(checks) == len(data["summary"]["checklist"]) == 6
    assert checks.count("met") == sum(item["met"] for item in data["summary"]["checklist"])


def test_both_reports_carry_the_same_sources_in_the_same_order(data: dict[str, Any]) -> None:
    markdown, page = both(data)
    md_sources = re.findall(r"^\[(\d+)\] (.+)（.+?）— (.+?)\s*$", markdown.split("\n## 出典\n")[1], re.M)
    html_sources = [
        (n, html.unescape(title), html.unescape(origin))
        for n, title, origin in re.findall(
            r'<li id="src-(\d+)">\[\1\] <b>(.*?)</b><span class="kind">.*?</span><span class="origin">(.*?)</span>',
            page,
        )
    ]
    assert len(md_sources) >= 3 and md_sources == html_sources
    assert [int(n) for n, _, _ in md_sources] == list(range(1, len(md_sources) + 1))
    # Every [n] cited in the body links to a listed source.
    cited = {int(n) for n in re.findall(r'href="#src-(\d+)"', page)}
    assert cited and cited <= set(range(1, len(md_sources) + 1))


def test_both_reports_carry_answers_followups_actions_and_programmes(data: dict[str, Any]) -> None:
    markdown, page = both(data)
    text = html.unescape(page)
    summary = data["summary"]
    owner = [t["text"] for s in data["stages"] for t in s["turns"] if t["role"] == "owner"]
    assert all(answer in markdown and answer in text for answer in owner)
    for key in ("actions", "support_programs", "checklist"):
        assert summary[key]
    for action in summary["actions"]:
        assert action["text"] in markdown and action["text"] in text
    for program in summary["support_programs"]:
        assert program["title"] in markdown and program["title"] in text
    for item in summary["checklist"]:
        assert item["label"] in markdown and item["label"] in text
    labels = texts.load("ja", "summary")["report"]
    for key in ("answers", "followups", "covered", "missing", "actions", "support", "checklist", "sources"):
        assert labels[key] in markdown and labels[key] in text, key
    title = labels["title"].format(company=PROFILE["company"])
    assert markdown.startswith(f"# {title}\n") and f"<h1>{title}</h1>" in page


def test_facilitator_notes_only_with_the_flag(data: dict[str, Any]) -> None:
    label = texts.load("ja", "summary")["report"]["notes"]
    for report in both(data):
        assert NOTE not in report and label not in report
    for report in both(data, with_notes=True):
        assert NOTE in html.unescape(report) and label in report


def test_comparison_with_an_earlier_session(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    earlier_answers = {"purpose": ["宿をやっています。"], "vision": [], "gap": [], "data": []}
    earlier = run_session(store, earlier_answers, {"宿をやっています。": {"customers", "principles"}})
    later = run_session(store)
    rubric = load_rubric("ja")
    data, before = transcript(store, later), transcript(store, earlier)
    t = texts.load("ja", "summary")["report"]
    for report in both(data, earlier=before):
        text = html.unescape(report)
        assert t["compare_heading"].split("（")[0] in text
        assert t["compare_counts"].format(before=2, after=2, total=4) in text  # purpose: 2 → 2 of 4
        assert f"{t['gained']}: {rubric.stage('purpose').labels(['value'], t['sep'])}" in text
        assert f"{t['lost']}: {rubric.stage('purpose').labels(['principles'], t['sep'])}" in text
        assert "宿をやっています。" in text
    for report in both(data):
        assert t["gained"] not in report and "宿をやっています。" not in report


def test_english_session_gets_english_labels(data: dict[str, Any]) -> None:
    english = {**data, "language": "en"}
    rubric = load_rubric("en")
    page = render_html(rubric, english, TODAY)
    labels = texts.load("en", "summary")["report"]
    assert '<html lang="en">' in page and labels["overview"] in page and labels["sources"] in page
    assert render_markdown(rubric, english, TODAY).startswith("# DX readiness report — ")


def test_a_session_without_answers_or_summary_still_renders() -> None:
    data: dict[str, Any] = {"profile": PROFILE, "language": "ja", "stages": [], "summary": None}
    markdown, page = both(data)
    assert markdown.count(texts.load("ja", "summary")["report"]["no_answer"]) == 4
    assert page.count('class="stage-bar"') == 4 and page.count('class="fill"') == 4
