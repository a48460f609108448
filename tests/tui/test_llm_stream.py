"""The TUI with a language model: a real local server streams the reply into the conversation,
Esc stops it, a failure shows one line and a guided turn, and the model's words are shown literally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dxcoach.coaching.transcript import transcript
from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.widgets.conversation import Conversation
from tests.llm_server import HTTP500, ScriptedServer
from tests.tui.conftest import wait_until
from tests.tui.test_flow import SIZE, turn_texts

PROFILE = {"company": "有限会社みなと食堂", "industry": "飲食業", "employees": 12, "region": "三重県"}
REPLY = "ようこそ。ゑびやは勘に頼らない経営に変えました[1]。架空[9]。御社は何のためにありますか？"


def llm_env(url: str, protocol: str = "openai") -> dict[str, str]:
    return {
        "DXCOACH_LLM_PROVIDER": protocol,
        "DXCOACH_LLM_BASE_URL": url,
        "DXCOACH_LLM_MODEL": "test-model",
        "DXCOACH_LLM_TIMEOUT": "5",
    }


def live_text(screen: CoachingScreen) -> str:
    live = screen.query_one(Conversation).live
    return str(live._markdown) if live is not None else ""


async def test_the_reply_streams_into_the_conversation_and_the_transcript(make_app: Any) -> None:
    with ScriptedServer("openai", [REPLY], hold_after=3) as server:
        app = make_app(env=llm_env(server.url), new_profile=PROFILE)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
            screen: CoachingScreen = app.screen  # type: ignore[assignment]
            # Three pieces have arrived and the server holds the rest: the words are on screen already.
            await wait_until(pilot, lambda: "ようこそ。ゑびやは勘に頼" in live_text(screen))
            assert screen.busy and "経営に変えました" not in live_text(screen)
            await wait_until(pilot, lambda: "LLM: openai test-model" in app.title and "応答あり" in app.title)
            server.script.release.set()
            await wait_until(pilot, lambda: not screen.busy and screen.query_one(Conversation).live is None)
            (shown,) = turn_texts(screen)
            assert "経営に変えました\\[1\\]。架空。御社は" in shown  # [9] was never sent: gone
            data = transcript(app.store, app.store.sessions()[0].id)
            (opening,) = data["stages"][0]["turns"]
            assert opening["text"] == REPLY.replace("[9]", "") and opening["llm"]["cited"] == [1]
            assert "ゑびや" in screen.citations_shown()[0]["title"]  # [1] in the 出典 panel


async def test_esc_stops_the_reply_and_keeps_what_arrived(make_app: Any) -> None:
    with ScriptedServer("ollama", [REPLY], hold_after=2) as server:
        app = make_app(env=llm_env(server.url, "ollama"), new_profile=PROFILE)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
            screen: CoachingScreen = app.screen  # type: ignore[assignment]
            await wait_until(pilot, lambda: "ようこそ。ゑびや" in live_text(screen))  # two pieces of four
            await pilot.press("escape")
            await wait_until(pilot, lambda: not screen.busy)
            (shown,) = turn_texts(screen)
            assert "ようこそ。ゑびや" in shown and "（応答を途中で止めました）" in shown and "経営" not in shown
            turns = app.store.turns(app.store.sessions()[0].id)
            assert turns[-1].text == "ようこそ。ゑびや\n（応答を途中で止めました）" and turns[-1].data["llm"]["cut"]


async def test_a_failing_model_shows_one_line_and_a_guided_turn(make_app: Any) -> None:
    with ScriptedServer("openai", [HTTP500]) as server:
        app = make_app(env=llm_env(server.url), new_profile=PROFILE)
        notices: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            app.notify = lambda message, **kw: notices.append(str(message))  # type: ignore[method-assign]
            await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
            screen: CoachingScreen = app.screen  # type: ignore[assignment]
            await wait_until(pilot, lambda: len(turn_texts(screen)) == 1 and not screen.busy)
            assert "1/4" in turn_texts(screen)[0]  # the guided opening
            (notice,) = [n for n in notices if "ガイド付きモード" in n]
            assert "HTTP 500" in notice and "Ctrl+R" in notice and "\n" not in notice
            await wait_until(pilot, lambda: "応答なし" in app.title)


async def test_the_models_markup_and_links_are_shown_literally(make_app: Any, tmp_path: Path) -> None:
    nasty = "[bold red]重要[/] **太字** [公式サイト](http://evil.example) <b>x</b> # 見出し"
    with ScriptedServer("openai", [nasty]) as server:
        app = make_app(env=llm_env(server.url), new_profile=PROFILE)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
            screen: CoachingScreen = app.screen  # type: ignore[assignment]
            await wait_until(pilot, lambda: len(turn_texts(screen)) == 1 and not screen.busy)
            turn = screen.query_one(Conversation).query("Turn").last()
            rendered = " ".join(str(block._content) for block in turn.query("MarkdownBlock"))  # type: ignore[attr-defined]
            for literal in (
                "[bold red]重要[/]",
                "**太字**",
                "[公式サイト](http://evil.example)",
                "<b>x</b>",
                "# 見出し",
            ):
                assert literal in rendered, literal
            assert not turn.query("MarkdownH1") and not turn._open_links  # type: ignore[attr-defined]
