"""The coaching screen: conversation, 出典 panel, stage indicator, answer box.

Display only: the owner's answer is committed on the UI thread (a quick SQLite write); the coach's
reply (retrieval, assessment) runs in a thread worker, so typing stays responsive meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static
from textual.worker import get_current_worker

from dxcoach import texts
from dxcoach.coaching.coach import last_answers, record_answer, stage_reached
from dxcoach.coaching.kinds import ASKING, WORDS
from dxcoach.coaching.rubric import load_rubric
from dxcoach.errors import UserError
from dxcoach.llm.writer import Stream
from dxcoach.storage.db import Turn
from dxcoach.tui.labels import localise_bindings, tui_labels
from dxcoach.tui.screens.modals import HelpModal, NoteModal, PassageModal
from dxcoach.tui.widgets.answer_box import AnswerBox
from dxcoach.tui.widgets.conversation import Conversation
from dxcoach.tui.widgets.sources import SourcesPanel
from dxcoach.tui.widgets.stage_indicator import StageIndicator

if TYPE_CHECKING:
    from dxcoach.tui.app import DxCoachApp

KEYS = [
    ("ctrl+n", "next_stage", "next_stage", True),
    ("ctrl+b", "back", "back", True),
    ("ctrl+s", "skip", "skip", True),
    ("ctrl+o", "editor", "editor", True),
    ("ctrl+j", "noop", "newline", True),
    ("f1", "help", "help", True),
    ("f2", "note", "note", True),
    ("ctrl+l", "last_time", "last_time", True),
]
LLM_KEYS = [("escape", "stop_reply", "stop_reply", True), ("ctrl+r", "retry_llm", "retry_llm", True)]


class CoachingScreen(Screen[None]):
    app: DxCoachApp
    busy: reactive[bool] = reactive(False)

    def __init__(self, session_id: str, lang: str, *, with_llm: bool = False) -> None:
        super().__init__()
        self.session_id = session_id
        self.lang = lang
        self.t = tui_labels(lang)
        self.kinds: dict[str, str] = texts.load(lang, "ui")["kinds"]
        self.rubric = load_rubric(lang)
        self.stream: Stream | None = None  # the reply being streamed, while a model words it
        localise_bindings(self, lang, [*KEYS, *(LLM_KEYS if with_llm else [])])

    def compose(self) -> ComposeResult:
        yield Header()
        yield StageIndicator(id="stage")
        with Horizontal(id="main"):
            with Vertical(id="conversation-pane"):
                yield Label(self.t["conversation"], classes="pane-title")
                yield Conversation(id="conversation")
            with Vertical(id="sources-pane"):
                yield Label(self.t["sources"], classes="pane-title", id="sources-title")
                yield SourcesPanel(id="sources")
        yield Static("", id="status")
        yield AnswerBox(id="answer", placeholder=self.t["answer_placeholder"], soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def on_mount(self) -> None:
        row = self.app.store.session(self.session_id)
        self.sub_title = row.company
        turns = self.app.store.turns(self.session_id)
        self.show_turns(turns)
        self.query_one(AnswerBox).focus()
        if not turns or turns[-1].role == "owner":  # a new session, or a turn left unanswered by a quit
            self.start_reply()

    def on_unmount(self) -> None:
        self.app.release_session(self.session_id)  # another dxcoach may open it now

    # ---- display ------------------------------------------------------------------------------
    def show_turns(self, turns: list[Turn]) -> None:
        conversation = self.query_one(Conversation)
        for turn in turns:
            if turn.role == "owner" and turn.kind not in WORDS:
                continue
            speaker = self.t["coach"] if turn.role == "coach" else self.t["you"]
            conversation.add_turn(turn.role, speaker, turn.text)
        cited = [t for t in turns if t.role == "coach" and t.kind in ASKING]
        if cited:
            self.query_one(SourcesPanel).show(cited[-1].data.get("citations", []), self.kinds, self.t["no_sources"])
        stage = stage_reached(self.app.store, self.session_id)
        self.query_one(StageIndicator).show_stage(self.rubric, stage, self.t["summary_title"])

    def watch_busy(self, busy: bool) -> None:
        if not self.is_mounted:
            return
        waiting = self.app.coach is None
        message = self.app.t["loading"] if waiting else self.t["thinking"]
        self.query_one("#status", Static).update(message if busy else "")

    # ---- the coach, in a worker -----------------------------------------------------------------
    def start_reply(self, command: str = "", target: str | None = None) -> None:
        self.busy = True  # at once, so that a second Enter cannot slip in before the worker starts
        self.respond(command, target)

    @work(thread=True, exclusive=True, group="coach", exit_on_error=False)
    def respond(self, command: str = "", target: str | None = None) -> None:
        worker = get_current_worker()
        try:
            opening = not command and not self.app.store.turns(self.session_id)  # nothing to assess yet
            coach = self.app.coach_for(opening, lambda: worker.is_cancelled)
            if coach is None:
                return
            stream = self.stream = Stream(on_text=lambda text: self._from_thread(self.show_live, text))
            if command:
                turns = coach.command(self.session_id, command, target, stream=stream)
            else:
                turns = coach.respond(self.session_id, stream=stream)
            self._from_thread(self.after_reply, turns)
        except UserError as exc:
            self._from_thread(self.notify, exc.render(self.lang), severity="warning")
        finally:
            self.stream = None
            self._from_thread(setattr, self, "busy", False)

    def _from_thread(self, callback: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app has quit: nothing left to show
            self.app.call_from_thread(callback, *args, **kwargs)

    def show_live(self, text: str) -> None:
        self.query_one(Conversation).show_live(self.t["coach"], text)

    def after_reply(self, turns: list[Turn]) -> None:
        self.query_one(Conversation).end_live()
        self.show_turns(turns)
        for turn in turns:  # the model failed: one line, and the turn in guided wording
            if "notice" in turn.data:
                self.notify(f"{turn.data['notice']} {self.t['retry_hint']}", severity="warning", timeout=10)
        if any(t.kind == "summary" for t in turns):
            self.app.open_summary(self.session_id)

    # ---- the owner ------------------------------------------------------------------------------
    def on_answer_box_submitted(self, event: AnswerBox.Submitted) -> None:
        if self.busy:
            self.notify(self.t["busy"], severity="warning")
            return
        try:
            turn = record_answer(self.app.store, self.session_id, event.text)
        except UserError as exc:
            self.notify(exc.render(self.lang), severity="warning")
            return
        self.query_one(AnswerBox).clear()
        self.show_turns([turn])
        self.start_reply()

    def _command(self, command: str) -> None:
        if self.busy:
            self.notify(self.t["busy"], severity="warning")
            return
        self.start_reply(command)

    def action_next_stage(self) -> None:
        self._command("next")

    def action_back(self) -> None:
        self._command("back")

    def action_skip(self) -> None:
        self._command("skip")

    def action_noop(self) -> None:
        """Ctrl+J is handled by the answer box; the binding only shows it in the footer."""

    def action_stop_reply(self) -> None:
        """Esc: stop the model's reply; what arrived so far is kept, marked as cut."""
        if self.stream is not None:
            self.stream.stop.set()

    def action_retry_llm(self) -> None:
        coach = self.app.coach
        if coach is not None and coach.writer is not None:
            coach.writer.retry()
            self.notify(self.t["retry_llm_done"])

    def action_note(self) -> None:
        """F2: the facilitator's private note for the current stage (never in a client's report unless asked)."""
        store, stage = self.app.store, stage_reached(self.app.store, self.session_id)
        if stage not in {s.id for s in self.rubric.stages}:
            stage = self.rubric.stages[-1].id  # at the summary: the last stage's note
        title = self.t["note_title"].format(stage=self.rubric.stage(stage).label)

        def save(text: str | None) -> None:
            if text is not None:
                store.set_note(self.session_id, stage, text)
                self.notify(self.t["note_saved"])

        modal = NoteModal(title, store.notes(self.session_id).get(stage, ""), self.t["save"], self.t["cancel"])
        self.app.push_screen(modal, save)

    def action_last_time(self) -> None:
        """Ctrl+L: last time's answers for this stage into the answer box — sent only if the owner sends them."""
        _, answers = last_answers(self.app.store, self.session_id, stage_reached(self.app.store, self.session_id))
        if not answers:
            self.notify(self.t["no_last_time"])
            return
        box = self.query_one(AnswerBox)
        box.load_text("\n".join(answers))
        box.focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpModal(self.t["help_text"], self.t["close"]))

    def on_sources_panel_open(self, event: SourcesPanel.Open) -> None:
        kind = self.kinds.get(event.citation.get("kind", ""), "")
        self.app.push_screen(PassageModal(event.citation, kind, self.t["close"]))

    def action_editor(self) -> None:
        """Write the answer in $EDITOR: some terminals place IME candidates badly over Textual's cursor."""
        box = self.query_one(AnswerBox)
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
            fh.write(box.text)
            path = Path(fh.name)
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
            box.load_text(path.read_text(encoding="utf-8").rstrip("\n"))
        except Exception as exc:
            self.notify(self.t["editor_failed"].format(error=exc), severity="error")
        finally:
            path.unlink(missing_ok=True)
        box.focus()

    def citations_shown(self) -> list[dict[str, Any]]:
        panel = self.query_one(SourcesPanel)
        return [item.citation for item in panel.children if hasattr(item, "citation")]
