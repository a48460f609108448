"""The Textual application: screens on top of the headless core.

The first screen is drawn at once; the embedding model and the index load in a thread worker
behind it (a few seconds), with the loading state in the header.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from filelock import FileLock
from textual.app import App

from dxcoach import notices, paths
from dxcoach.coaching.coach import Coach, create_session
from dxcoach.coaching.factory import open_coach, open_opening_coach, open_store, open_writer
from dxcoach.config import Settings
from dxcoach.locking import hold_session
from dxcoach.tui.labels import localise_bindings, tui_labels
from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.screens.home import HomeScreen
from dxcoach.tui.screens.summary import SummaryScreen

CoachFactory = Callable[[], Coach]


class _Notices(logging.Handler):
    """The core's notices (a lock being waited for, a damaged index set aside) as notifications."""

    def __init__(self, app: App[None]) -> None:
        super().__init__()
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if threading.get_ident() == self.app._thread_id:
            self.app.notify(message, severity="warning", timeout=10)
        else:
            with contextlib.suppress(RuntimeError):  # the app has quit
                self.app.call_from_thread(self.app.notify, message, severity="warning", timeout=10)


class DxCoachApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "dxcoach"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        *,
        coach_factory: CoachFactory | None = None,
        opening_factory: Callable[[], Coach | None] | None = None,
        new_profile: dict[str, Any] | None = None,
        from_last: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.lang = settings.lang
        self.t = tui_labels(settings.lang)
        self.store = open_store(settings)
        self.coach: Coach | None = None
        self.coach_ready = threading.Event()
        self.load_error = ""
        self.loader: threading.Thread | None = None
        # A new session's first question comes from the opening coach (BM25 over the passage snapshot)
        # when the full one is not loaded yet; a test's own coach factory has no opening coach.
        self.opening: Coach | None = None
        self.opening_ready = threading.Event()
        # Both share one model writer (whether its server is resting), made in the loader thread.
        writer = functools.cache(lambda: open_writer(settings))
        self._factory = coach_factory or (lambda: open_coach(settings, self.store, writer()))
        self._opening_factory = opening_factory or (
            (lambda: open_opening_coach(settings, self.store, writer())) if coach_factory is None else (lambda: None)
        )
        self._new_profile = new_profile
        self._from_last = from_last
        self.with_llm = settings.llm_provider != "none"
        self.held_sessions: dict[str, FileLock] = {}  # sessions this app has open (a kernel lock each)
        localise_bindings(self, self.lang, [("ctrl+q", "quit", "quit", True)])

    def on_mount(self) -> None:
        notices.show_with(_Notices(self))  # Textual swallows stderr: the core's notices become toasts
        self.sub_title = self.t["loading"]
        if self.with_llm:
            self._show_llm(self.t["llm_checking"])
            threading.Thread(target=self._check_llm, name="dxcoach-llm-check", daemon=True).start()
        if self._new_profile is not None:  # `dxcoach new`: straight to the first question
            self.open_session(create_session(self.store, self._new_profile, self.lang, from_last=self._from_last))
        else:
            self.push_screen(HomeScreen(self.lang))
        self.load_coach()

    def load_coach(self) -> None:
        """Load the model and the index behind the first screen.

        A daemon thread rather than a worker: loading cannot be interrupted, and quitting during
        those seconds must not wait for it.
        """
        self.loader = threading.Thread(target=self._load, name="dxcoach-load", daemon=True)
        self.loader.start()

    def _load(self) -> None:
        try:
            self.opening = self._opening_factory()
        except Exception:  # the snapshot is only a head start: the first question then waits for the full coach
            self.opening = None
        finally:
            self.opening_ready.set()
        try:
            self.coach = self._factory()
        except Exception as exc:
            self.load_error = f"{type(exc).__name__}: {exc}"
        finally:
            self.coach_ready.set()  # release waiting replies: they find the coach, or none
        with contextlib.suppress(RuntimeError):  # the app may have quit meanwhile
            self.call_from_thread(self._loaded)

    def coach_for(self, opening: bool, cancelled: Callable[[], bool]) -> Coach | None:
        """The coach for one reply: the full one, or for a session's first question (``opening``) the
        opening coach if it is ready first. Waits for the load (None if cancelled or failed)."""
        while not self.coach_ready.wait(0.05):
            if opening and self.opening_ready.is_set() and self.opening is not None:
                return self.opening
            if cancelled():  # the owner quit meanwhile: the answer is already stored
                return None
        return self.coach

    def _loaded(self) -> None:
        self.sub_title = ""  # the header's loading state goes away: that is the signal, no toast
        if self.load_error:
            self.notify(self.t["load_failed"].format(error=self.load_error), severity="error", timeout=30)

    def _check_llm(self) -> None:
        """Ask the model's server once, beside the model load (a quick GET, at most 5 s)."""
        from dxcoach.llm.providers import health

        state = health(self.settings, min(self.settings.llm_timeout, 5.0))
        status = self.t["llm_up"] if state.ok else self.t["llm_down"].format(detail=state.detail)
        with contextlib.suppress(RuntimeError):  # the app may have quit meanwhile
            self.call_from_thread(self._show_llm, status)

    def _show_llm(self, status: str) -> None:
        """The header names the model in use and whether its server answers."""
        from dxcoach.llm.providers import describe

        self.title = f"{self.t['app_title']} — {self.t['llm_title'].format(model=describe(self.settings))} {status}"

    def open_session(self, session_id: str, *, replace: bool = False) -> None:
        if session_id not in self.held_sessions:
            held = hold_session(paths.session_lock(self.settings.home, session_id))
            if held is None:  # another dxcoach has it open: answering from two places would interleave
                self.notify(self.t["session_busy"], severity="error", timeout=10)
                return
            self.held_sessions[session_id] = held
        screen = CoachingScreen(session_id, self.lang, with_llm=self.with_llm)
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def release_session(self, session_id: str) -> None:
        held = self.held_sessions.pop(session_id, None)
        if held is not None:
            held.release()

    def open_summary(self, session_id: str) -> None:
        self.push_screen(SummaryScreen(session_id, self.lang))
