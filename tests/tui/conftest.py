"""TUI fixtures: the real core (storage, rubric, coach, retrieval over the bundled corpus) with a
lexical-only searcher and a tiny hashing embedder, so that tests do not wait for the real model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.coach import Coach
from dxcoach.coaching.factory import open_store, open_writer
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.config import Settings, load_settings
from dxcoach.tui.app import DxCoachApp
from tests.fakes import LexicalSearcher, fake_embed

SEARCHER = LexicalSearcher()


def make_settings(home: Path, lang: str = "ja", **env: str) -> Settings:
    return load_settings(home, env={"DXCOACH_LANG": lang, **env})


def fake_coach_factory(settings: Settings) -> Callable[[], Coach]:
    def build() -> Coach:
        rubric = load_rubric(settings.lang)
        # The product thresholds: the probes read character n-grams too, which carry the hashing embedder.
        assessor = Assessor(rubric, fake_embed)
        grounder = Grounder(SEARCHER, settings.lang, fake_embed)  # type: ignore[arg-type]
        return Coach(open_store(settings), rubric, assessor, grounder, writer=open_writer(settings))

    return build


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., DxCoachApp]:
    def make(lang: str = "ja", env: dict[str, str] | None = None, **kwargs: object) -> DxCoachApp:
        settings = make_settings(tmp_path / "home", lang, **(env or {}))
        return DxCoachApp(settings, coach_factory=fake_coach_factory(settings), **kwargs)  # type: ignore[arg-type]

    return make


async def wait_until(pilot: object, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll instead of sleeping: workers finish when they finish."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)  # type: ignore[attr-defined]


WaitUntil = Callable[..., Awaitable[None]]
