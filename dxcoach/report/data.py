"""A session's report as plain data, built once from (rubric, transcript).

The Markdown and HTML templates only lay this out, so both carry the same answers, the same
actions and the same sources under the same numbers. Every label comes from
``prompts/<lang>/summary.yaml`` (section ``report``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dxcoach import texts
from dxcoach.coaching.compare import compare
from dxcoach.coaching.excerpts import render_quote
from dxcoach.coaching.rubric import Rubric, Stage


@dataclass(frozen=True)
class Source:
    n: int
    title: str
    kind: str  # localised label
    source: str  # where it comes from (file in the corpus, the user's document)
    line: str  # the numbered line both reports print


@dataclass(frozen=True)
class Followup:
    text: str
    refs: list[int]


@dataclass(frozen=True)
class Covered:
    label: str
    words: str  # the owner's clause that showed it, or ''


@dataclass(frozen=True)
class Missing:
    label: str
    description: str


@dataclass(frozen=True)
class StageSection:
    id: str
    number: int
    title: str
    short: str
    answers: list[str]
    followups: list[Followup]
    covered: list[Covered]
    missing: list[Missing]
    total: int  # elements of the stage (for the chart)
    note: str  # the facilitator's, only when asked for


@dataclass(frozen=True)
class Action:
    text: str
    from_owner: bool
    refs: list[int]


@dataclass(frozen=True)
class Obstacle:
    label: str
    words: str
    refs: list[int]


@dataclass(frozen=True)
class Program:
    n: int
    title: str
    topic: str  # the line naming the obstacle it answers, or ''
    key_points: str  # the conditions quoted from the source, or ''
    text: str  # the passage verbatim


@dataclass(frozen=True)
class CheckItem:
    label: str
    met: bool
    because: list[str]
    advice: str


@dataclass(frozen=True)
class StageComparison:
    label: str
    counts: str  # elements covered before → after, of all
    gained: list[str]
    lost: list[str]
    answers_before: list[str]
    answers_after: list[str]


@dataclass(frozen=True)
class Comparison:
    heading: str
    stages: list[StageComparison]


@dataclass
class Report:
    lang: str
    t: dict[str, Any]  # the labels, for the templates
    title: str
    meta: str
    stages: list[StageSection] = field(default_factory=list)
    comparison: Comparison | None = None
    actions: list[Action] = field(default_factory=list)
    obstacles: list[Obstacle] = field(default_factory=list)
    programs: list[Program] = field(default_factory=list)
    checklist: list[CheckItem] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)


class _Sources:
    """Numbers each cited passage once, in order of first use."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def ref(self, citation: dict[str, Any]) -> int:
        self.items.setdefault(citation["id"], citation)
        return list(self.items).index(citation["id"]) + 1


def _label(rubric: Rubric, ref: str) -> str:
    """'vision.horizon' -> the element's label; a cue word stays as the owner's word in quotes."""
    stage_id, _, element_id = ref.partition(".")
    try:
        return rubric.stage(stage_id).element(element_id).label
    except KeyError:
        return f"「{ref}」"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(value: Any) -> Any:
    """The owner's words as written, but a control character (an ANSI escape pasted into an answer)
    shown as ``\\x1b`` instead of acting on the terminal of whoever runs ``cat report.md``."""
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def build_report(
    rubric: Rubric,
    transcript: dict[str, Any],
    today: date | None = None,
    *,
    with_notes: bool = False,
    earlier: dict[str, Any] | None = None,
) -> Report:
    """``with_notes`` adds the facilitator's notes (never in a client's copy unless asked);
    ``earlier``, a transcript of the same company, adds what changed since."""
    transcript = _printable(transcript)
    earlier = _printable(earlier) if earlier is not None else None
    t = texts.load(rubric.lang, "summary")["report"]
    profile = transcript["profile"]
    summary = transcript.get("summary") or {}
    unknown = t["unknown"]
    report = Report(
        lang=rubric.lang,
        t=t,
        title=t["title"].format(company=profile.get("company", "")),
        meta=t["meta"].format(
            date=(today or date.today()).isoformat(),
            industry=profile.get("industry") or unknown,
            employees=profile.get("employees", unknown),
            region=profile.get("region") or unknown,
        ),
    )
    sources = _Sources()  # numbered in reading order: stages, actions, obstacles, programmes
    notes: dict[str, str] = (transcript.get("notes") or {}) if with_notes else {}
    stage_turns = {s["id"]: s["turns"] for s in transcript["stages"]}
    for stage in rubric.stages:
        state = summary.get("stages", {}).get(stage.id)
        report.stages.append(_stage(stage, stage_turns.get(stage.id, []), state, notes.get(stage.id, ""), sources))
    if earlier is not None:
        report.comparison = _comparison(rubric, earlier, transcript, t)
    for action in summary.get("actions", []):
        refs = [sources.ref(action["citation"])] if action.get("citation") else []
        report.actions.append(Action(action["text"], action.get("source") == "owner", refs))
    for obstacle in summary.get("obstacles", []):
        refs = [sources.ref(p) for p in obstacle["programs"]]
        report.obstacles.append(Obstacle(obstacle["label"], obstacle["words"], refs))
    for program in summary.get("support_programs", []):
        report.programs.append(
            Program(
                n=sources.ref(program),
                title=program["title"],
                topic=t["for_obstacle"].format(topic=program["topic"]) if program.get("topic") else "",
                key_points=t["key_points"].format(quote=render_quote(program["excerpt"]))
                if program.get("excerpt")
                else "",
                text=program["text"],
            )
        )
    for item in summary.get("checklist", []):
        because = [_label(rubric, ref) for ref in item["because"]]
        report.checklist.append(CheckItem(item["label"], item["met"], because, item["advice"]))
    kinds = texts.load(rubric.lang, "ui")["kinds"]
    for n, c in enumerate(sources.items.values(), start=1):
        kind = kinds.get(c.get("kind", ""), c.get("kind", ""))
        line = t["source_line"].format(n=n, title=c["title"], kind=kind, source=c["source"])
        report.sources.append(Source(n, c["title"], kind, c["source"], line))
    return report


def _stage(
    stage: Stage, turns: list[dict[str, Any]], state: dict[str, Any] | None, note: str, sources: _Sources
) -> StageSection:
    followups = []
    for probe in (x for x in turns if x["role"] == "coach" and x.get("kind") in ("probe", "confirm")):
        element = stage.element(probe["probe_element"]) if probe.get("probe_element") else None
        refs = [sources.ref(c) for c in probe.get("citations", [])]
        followups.append(Followup(element.probe if element else probe["text"], refs))
    for turn in turns:  # opening citations also count as sources
        for c in turn.get("citations", []) if turn["role"] == "coach" else []:
            sources.ref(c)
    state = state or {}
    statements = state.get("statements", {})
    covered, missing = state.get("covered", []), state.get("missing", [])
    return StageSection(
        id=stage.id,
        number=stage.number,
        title=stage.title,
        short=stage.short,
        answers=[x["text"] for x in turns if x["role"] == "owner"],
        followups=followups,
        covered=[Covered(stage.element(e).label, statements.get(e, "")) for e in covered],
        missing=[Missing(stage.element(e).label, stage.element(e).description) for e in missing],
        total=len(covered) + len(missing) or len(stage.elements),
        note=note,
    )


def _comparison(rubric: Rubric, earlier: dict[str, Any], later: dict[str, Any], t: dict[str, Any]) -> Comparison:
    day = {"earlier": earlier.get("created_at", "")[:10], "later": later.get("created_at", "")[:10]}
    stages = []
    for change in compare(rubric, earlier, later):
        stage = rubric.stage(change.stage)
        stages.append(
            StageComparison(
                label=stage.label,
                counts=t["compare_counts"].format(
                    before=len(change.before), after=len(change.after), total=len(stage.elements)
                ),
                gained=[stage.element(e).label for e in change.gained],
                lost=[stage.element(e).label for e in change.lost],
                answers_before=change.answers_before,
                answers_after=change.answers_after,
            )
        )
    return Comparison(t["compare_heading"].format(**day), stages)
