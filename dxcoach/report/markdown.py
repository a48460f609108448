"""The Markdown report an owner takes home: answers, follow-ups, summary, support, checklist, sources."""

from __future__ import annotations

from datetime import date
from typing import Any

from dxcoach import texts
from dxcoach.coaching.excerpts import render_quote
from dxcoach.coaching.rubric import Rubric


def _quote_block(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.splitlines()]


def _label(rubric: Rubric, ref: str) -> str:
    """'vision.horizon' -> the element's label; a cue word stays as the owner's word in quotes."""
    stage_id, _, element_id = ref.partition(".")
    try:
        return rubric.stage(stage_id).element(element_id).label
    except KeyError:
        return f"「{ref}」"


class _Sources:
    """Numbers each cited passage once, in order of first use."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def ref(self, citation: dict[str, Any]) -> int:
        if citation["id"] not in self.items:
            self.items[citation["id"]] = citation
        return list(self.items).index(citation["id"]) + 1


def render_markdown(rubric: Rubric, transcript: dict[str, Any], today: date | None = None) -> str:
    t = texts.load(rubric.lang, "summary")["report"]
    kinds = texts.load(rubric.lang, "ui")["kinds"]
    profile = transcript["profile"]
    summary = transcript.get("summary") or {}
    sources = _Sources()
    unknown = t["unknown"]
    out = [
        f"# {t['title'].format(company=profile.get('company', ''))}",
        "",
        t["meta"].format(
            date=(today or date.today()).isoformat(),
            industry=profile.get("industry") or unknown,
            employees=profile.get("employees", unknown),
            region=profile.get("region") or unknown,
        ),
        "",
        t["lead"],
    ]
    stage_turns = {s["id"]: s["turns"] for s in transcript["stages"]}
    for stage in rubric.stages:
        turns = stage_turns.get(stage.id, [])
        out += ["", f"## {stage.number}/4 {stage.title}", ""]
        answers = [x["text"] for x in turns if x["role"] == "owner"]
        out += [f"### {t['answers']}", ""]
        for answer in answers or [t["no_answer"]]:
            out += [*_quote_block(answer), ""]
        probes = [x for x in turns if x["role"] == "coach" and x.get("kind") == "probe"]
        if probes:
            out += [f"### {t['followups']}", ""]
            for probe in probes:
                element = stage.element(probe["probe_element"]) if probe.get("probe_element") else None
                refs = "".join(f" [{sources.ref(c)}]" for c in probe.get("citations", []))
                out.append(f"- {element.probe if element else probe['text']}{refs}")
            out.append("")
        state = summary.get("stages", {}).get(stage.id, {})
        statements = state.get("statements", {})
        out += [f"### {t['covered']}", ""]
        covered = state.get("covered", [])
        for eid in covered:
            words = statements.get(eid)
            out.append(f"- **{stage.element(eid).label}**" + (f" — 「{words}」" if words else ""))
        if not covered:
            out.append(f"- {t['none']}")
        out += ["", f"### {t['missing']}", ""]
        missing = state.get("missing", [])
        for eid in missing:
            out.append(f"- **{stage.element(eid).label}** — {stage.element(eid).description}")
        if not missing:
            out.append(f"- {t['none']}")
        for turn in turns:  # opening citations also count as sources
            for c in turn.get("citations", []) if turn["role"] == "coach" else []:
                sources.ref(c)
    out += ["", f"## {t['actions']}", ""]
    for n, action in enumerate(summary.get("actions", []), start=1):
        ref = f" [{sources.ref(action['citation'])}]" if action.get("citation") else ""
        own = f"（{t['from_owner']}）" if action.get("source") == "owner" else ""
        out.append(f"{n}. {action['text']}{own}{ref}")
    named = summary.get("obstacles", [])
    if named:  # the owner's own words first, then what the sources offer for them
        out += ["", f"## {t['obstacles']}", ""]
        for obstacle in named:
            refs = "".join(f" [{sources.ref(p)}]" for p in obstacle["programs"])
            out.append(f"- **{obstacle['label']}** — 「{obstacle['words']}」{refs}")
    out += ["", f"## {t['support']}", ""]
    programs = summary.get("support_programs", [])
    if not programs:
        out.append(t["support_none"])
    for program in programs:
        n = sources.ref(program)
        out += [f"### {program['title']} [{n}]", ""]
        if program.get("topic"):
            out += [t["for_obstacle"].format(topic=program["topic"]), ""]
        if program.get("excerpt"):
            out += [t["key_points"].format(quote=render_quote(program["excerpt"])), ""]
        out += [*_quote_block(program["text"]), ""]
    out += ["", f"## {t['checklist']}", ""]
    for item in summary.get("checklist", []):
        mark = "x" if item["met"] else " "
        because = [_label(rubric, ref) for ref in item["because"]]
        detail = f"{t['because']}: {'、'.join(because)}" if item["met"] else item["advice"]
        out.append(f"- [{mark}] **{item['label']}** — {detail}")
    out += ["", f"## {t['sources']}", ""]
    for n, c in enumerate(sources.items.values(), start=1):
        out.append(
            t["source_line"].format(
                n=n, title=c["title"], kind=kinds.get(c.get("kind", ""), c.get("kind", "")), source=c["source"]
            )
            + "  "
        )
    return "\n".join(out).rstrip() + "\n"
