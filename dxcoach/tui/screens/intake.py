"""Intake: company, industry (a list plus free text), employees, region — about thirty seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Select, Static

from dxcoach.coaching.coach import create_session
from dxcoach.errors import UserError
from dxcoach.tui.labels import localise_bindings, tui_labels

if TYPE_CHECKING:
    from dxcoach.tui.app import DxCoachApp


class IntakeScreen(Screen[None]):
    app: DxCoachApp

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.t = tui_labels(lang)
        localise_bindings(self, lang, [("escape", "app.pop_screen", "back", True)])

    def compose(self) -> ComposeResult:
        t = self.t
        yield Header()
        with Vertical(id="intake"):
            yield Static(t["intake_title"], classes="title")
            yield Label(t["company"])
            yield Input(id="company")
            yield Label(t["industry"])
            yield Select([(name, name) for name in t["industries"]], id="industry", prompt=t["industry"])
            yield Input(id="industry-other", placeholder=t["industry_other"])
            yield Label(t["employees"])
            yield Input(id="employees", type="integer")
            yield Label(t["region"])
            yield Input(id="region")
            yield Checkbox(t["from_last"], value=True, id="from-last")
            yield Static("", id="intake-error")
            yield Button(t["start"], id="start", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#company", Input).focus()

    def profile(self) -> dict[str, Any]:
        """The profile as typed, or raise UserError with the first problem."""
        company = self.query_one("#company", Input).value.strip()
        other = self.query_one("#industry-other", Input).value.strip()
        chosen = self.query_one("#industry", Select).value
        industry = other or (str(chosen) if chosen != Select.BLANK else "")
        employees = self.query_one("#employees", Input).value.strip()
        if not company:
            raise UserError("intake_company_missing")
        if not industry:
            raise UserError("intake_industry_missing")
        if employees and not employees.isdigit():
            raise UserError("intake_employees_invalid")
        profile: dict[str, Any] = {
            "company": company,
            "industry": industry,
            "region": self.query_one("#region", Input).value.strip(),
        }
        if employees:
            profile["employees"] = int(employees)
        return profile

    def submit(self) -> None:
        try:
            profile = self.profile()
        except UserError as exc:
            self.query_one("#intake-error", Static).update(exc.render(self.lang))
            return
        from_last = self.query_one("#from-last", Checkbox).value
        session_id = create_session(self.app.store, profile, self.lang, from_last=from_last)
        self.app.open_session(session_id, replace=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()
        if event.input.id == "region":
            self.submit()
