"""Prompt files are data the code depends on: check them like code."""

from __future__ import annotations

import string

import pytest
import yaml

from dxcoach import paths, texts
from dxcoach.coaching.grounding import industry_of
from dxcoach.coaching.rubric import CONTRACT_ELEMENTS, load_rubric
from dxcoach.retrieval.corpus import load_documents
from tests.conftest import ROOT

# Placeholders each coach template is filled with (coach.py); a template may use fewer, never others.
PLACEHOLDERS = {
    "open": {"number", "title", "intro", "question"},
    "revisit": {"number", "title", "previous"},
    "last_time": {"date", "previous"},
    "reflect_item": {"phrase", "noun"},
    "excerpt_missing": {"name", "n"},
    "obstacle_intro": {"topics"},
    "close_complete": {"short", "labels"},
    "close_partial": {"short", "covered", "missing"},
    "close_empty": {"short"},
    "supplement": {"short"},
}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_coach_templates_use_known_placeholders(lang: str) -> None:
    coach = texts.load(lang, "coach")
    for key, allowed in PLACEHOLDERS.items():
        assert fields(coach[key]) <= allowed, (lang, key)
    assert fields(coach["reasons"]["industry_case"]) == {"industry"}
    assert fields(coach["reasons"]["obstacle"]) == {"topic"}
    # Varied wording: several acknowledgements and probe lead-ins, each reflecting the owner's words.
    assert len(coach["acks"]) >= 3 and all(fields(a) == {"reflection"} for a in coach["acks"])
    assert len(set(coach["acks"])) == len(coach["acks"])
    assert len(coach["ack_plain"]) >= 2 and all(not fields(a) for a in coach["ack_plain"])
    assert len(coach["probe_intro"]) >= 2
    for kind in ("case", "other"):  # a source is quoted with its number, never named by its title alone
        assert fields(coach["excerpt"][kind]) == {"name", "quote", "n"}
    elements = {e.id for s in load_rubric(lang).stages for e in s.elements}
    assert set(coach["nouns"]) == elements


def test_obstacles_name_real_passages_for_every_topic_the_issue_lists() -> None:
    from dxcoach.coaching.obstacles import topics

    ids = {d.id for d in load_documents(ROOT / "corpus", "corpus", "guidance")}
    found = {t.key: t for t in topics()}
    assert set(found) == {"people", "money", "security", "equipment", "partners", "time"}
    for topic in found.values():
        assert topic.passages and set(topic.passages) <= ids, topic.key
        assert {"ja", "en"} <= set(topic.label)
    assert found["security"].passages[0] == "support-it-hojo-security"
    assert any(p.startswith("talent-") for p in found["people"].passages)
    assert {"support-dx-tax", "support-dx-jfc-loan", "support-dx-credit-guarantee"} <= set(found["money"].passages)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_rubrics_carry_the_contract_elements_with_probes_and_cues(lang: str) -> None:
    rubric = load_rubric(lang)
    for stage in rubric.stages:
        assert {e.id for e in stage.elements} >= set(CONTRACT_ELEMENTS[stage.id])
        for e in stage.elements:
            assert e.probe and e.action and e.cues and len(e.examples) >= 3
    assert [c.id for c in rubric.checklist] == ["vision", "strategy", "organisation", "it_security", "kpi", "message"]
    refs = {f"{s.id}.{e.id}" for s in rubric.stages for e in s.elements}
    assert all(ref in refs for item in rubric.checklist for ref in item.elements)


def test_ja_and_en_rubrics_mirror_each_other() -> None:
    ja, en = load_rubric("ja"), load_rubric("en")
    assert ja.element_order() == en.element_order()
    for key in ("ui", "coach", "summary"):
        assert set(texts.load("ja", key)) == set(texts.load("en", key)), key


def test_japanese_texts_are_polite() -> None:
    rubric = load_rubric("ja")
    for stage in rubric.stages:
        assert stage.question.endswith(("か。", "い。", "ください。")), stage.question
        for e in stage.elements:
            assert "ます" in e.probe or "です" in e.probe or "か" in e.probe, e.probe


def test_industry_cases_exist_in_the_corpus() -> None:
    ids = {d.id for d in load_documents(ROOT / "corpus", "corpus", "guidance")}
    data = yaml.safe_load((paths.PROMPTS_DIR / "industries.yaml").read_text(encoding="utf-8"))
    for key, cat in data.items():
        assert set(cat["cases"]) <= ids, key


@pytest.mark.parametrize(
    ("industry", "case"),
    [
        ("飲食業", "case-ebiya"),
        ("運輸業（一般貨物自動車運送）", "case-hisano"),
        ("自動車部品製造業（金属プレス）", "case-matsumoto-kogyo-overview"),
        ("樹脂加工業", "case-praport"),
        ("建設業", "support-it-hojo-cases"),
        ("Restaurant", "case-ebiya"),
    ],
)
def test_industry_mapping(industry: str, case: str) -> None:
    found = industry_of(industry, "ja")
    assert found is not None and found.cases[0] == case


def test_unknown_industry_has_no_case() -> None:
    assert industry_of("介護サービス業", "ja") is None
    assert industry_of("", "ja") is None


@pytest.mark.parametrize(
    "path", [paths.PROMPTS_DIR / "labelled_answers.yaml", ROOT / "tests" / "data" / "assessment_labels_spoken.yaml"]
)
def test_labelled_answers_name_real_elements(path: object) -> None:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    order = load_rubric("ja").element_order()
    for row in rows:
        assert row["answer"].strip() and set(row.get("covered") or []) <= set(order[row["stage"]]), row


LLM_PLACEHOLDERS = {
    "source": {"n", "kind", "title", "body"},
    "profile": {"company", "industry", "employees", "region"},
    "fallback": {"provider", "reason"},
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_llm_prompt_files_use_known_placeholders(lang: str) -> None:
    llm = texts.load(lang, "llm")
    assert fields(llm["system"]) == {
        "number", "title", "question", "profile", "covered", "missing", "sources", "task",
    }  # fmt: skip
    for key, expected in LLM_PLACEHOLDERS.items():
        assert fields(llm[key]) == expected, (lang, key)
    assert (
        fields(llm["task"]["open"]) == fields(llm["task"]["revisit"]) | {"question"} == {"number", "title", "question"}
    )
    assert fields(llm["task"]["probe"]) == {"element", "probe"}
    assert fields(llm["task"]["obstacle"]) == {"topics"}
    assert fields(llm["reasons"]["http"]) == {"code"} and fields(llm["reasons"]["timeout"]) == {"seconds"}
    assert set(llm) == set(texts.load("ja", "llm"))  # the two languages carry the same keys
    assert "[1]" in llm["system"]  # the model is told how to cite


# Placeholders each report label is filled with (report/data.py, report.html.j2); the rest take none.
REPORT_PLACEHOLDERS = {
    "title": {"company"},
    "meta": {"date", "industry", "employees", "region"},
    "for_obstacle": {"topic"},
    "key_points": {"quote"},
    "source_line": {"n", "title", "kind", "source"},
    "compare_heading": {"earlier", "later"},
    "compare_counts": {"before", "after", "total"},
    "chart_bar": {"stage", "covered", "total"},
    "checklist_count": {"met", "total"},
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_labels_use_known_placeholders(lang: str) -> None:
    report = texts.load(lang, "summary")["report"]
    assert set(report) == set(texts.load("ja" if lang == "en" else "en", "summary")["report"])
    for key, text in report.items():
        assert isinstance(text, str) and text.strip(), (lang, key)
        assert fields(text) <= REPORT_PLACEHOLDERS.get(key, set()), (lang, key)
