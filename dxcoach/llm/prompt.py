"""The chat prompt: built from ``prompts/<lang>/llm.yaml`` and fitted into the model's context window.

What the model gets for one coach turn (a ``Brief``): the stage's instructions, the profile, the
covered and missing elements from the assessor, the dialogue so far, and the passages the guided
coach chose, numbered and delimited as reference data. The budget trims the oldest turns first;
a source is never cut in the middle — when even the sources do not fit, the last ones are dropped
whole (the numbers of those kept do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from dxcoach import texts
from dxcoach.coaching.grounding import Citation
from dxcoach.llm.brief import Brief
from dxcoach.retrieval.chunking import count_tokens

MESSAGE_OVERHEAD = 4  # tokens a chat format spends around each message


@dataclass(frozen=True)
class Prompt:
    values: dict[str, Any]  # for the chain's ChatPromptTemplate
    messages: list[BaseMessage]  # the same, rendered
    sources: list[Citation]  # what was sent, numbered from 1
    tokens: int
    dropped_turns: int = 0
    dropped_sources: int = 0


@lru_cache(maxsize=2)
def template(lang: str) -> ChatPromptTemplate:
    t = texts.load(lang, "llm")
    return ChatPromptTemplate.from_messages(
        [("system", t["system"]), MessagesPlaceholder("history"), ("human", "{answer}")]
    )


def _neutral(text: str) -> str:
    """Passage text cannot close its own <source> tag or open another."""
    return text.replace("<", "＜").replace(">", "＞")


def sources_block(lang: str, sources: list[Citation]) -> str:
    t = texts.load(lang, "llm")
    if not sources:
        return str(t["no_sources"])
    return "\n".join(
        t["source"].format(n=n, kind=c.kind, title=_neutral(c.title).replace('"', "'"), body=_neutral(c.text.strip()))
        for n, c in enumerate(sources, 1)
    )


def _task(brief: Brief) -> str:
    t = texts.load(brief.lang, "llm")
    stage = brief.stage
    if brief.kind == "reply":
        task = t["task"]["reply"].format(question=brief.question)
        if brief.element is not None:
            task += "\n" + t["task"]["probe"].format(element=brief.element.label, probe=brief.element.probe)
    elif brief.kind in ("probe", "confirm") and brief.element is not None:
        task = t["task"][brief.kind].format(element=brief.element.label, probe=brief.element.probe)
    else:
        key = "revisit" if brief.kind == "revisit" else "open"
        task = t["task"][key].format(number=stage.number, title=stage.title, question=stage.question)
    if brief.topics:
        task += "\n" + t["task"]["obstacle"].format(topics=t["list_sep"].join(brief.topics))
    return str(task)


def _profile(lang: str, profile: dict[str, Any]) -> str:
    t = texts.load(lang, "llm")
    known = {k: profile.get(k) or "?" for k in ("company", "industry", "employees", "region")}
    return str(t["profile"].format(**known))


def _values(brief: Brief, sources: list[Citation], history: list[tuple[str, str]]) -> dict[str, Any]:
    t = texts.load(brief.lang, "llm")
    sep, none = t["list_sep"], t["none"]
    return {
        "number": brief.stage.number,
        "title": brief.stage.title,
        "question": brief.stage.question,
        "profile": _profile(brief.lang, brief.profile),
        "covered": sep.join(brief.covered) or none,
        "missing": sep.join(brief.missing) or none,
        "sources": sources_block(brief.lang, sources),
        "task": _task(brief),
        "history": [HumanMessage(text) if role == "owner" else AIMessage(text) for role, text in history],
        "answer": brief.answer or (t["go_on"] if brief.history else t["kickoff"]),
    }


def _tokens(messages: list[BaseMessage]) -> int:
    return sum(count_tokens(str(m.content)) + MESSAGE_OVERHEAD for m in messages)


def build_prompt(brief: Brief, budget: int) -> Prompt:
    """The prompt within ``budget`` tokens: drop the oldest turns first, then whole sources from the end."""
    sources, history = list(brief.sources), list(brief.history)
    prompt = template(brief.lang)
    while True:
        values = _values(brief, sources, history)
        messages = prompt.format_messages(**values)
        tokens = _tokens(messages)
        if tokens <= budget or (not history and not sources):
            dropped = (len(brief.history) - len(history), len(brief.sources) - len(sources))
            return Prompt(values, messages, sources, tokens, *dropped)
        if history:
            history.pop(0)
        else:
            sources.pop()
