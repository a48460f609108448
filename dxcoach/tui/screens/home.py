"""Home: sessions grouped by client company, with the stage reached and the last update."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from dxcoach.coaching.coach import stage_reached
from dxcoach.coaching.rubric import load_rubric
from dxcoach.tui.labels import localise_bindings, tui_labels
from dxcoach.tui.screens.modals import ConfirmModal

if TYPE_CHECKING:
    from dxcoach.tui.app import DxCoachApp


class HomeScreen(Screen[None]):
    app: DxCoachApp

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.t = tui_labels(lang)
        localise_bindings(
            self,
            lang,
            [
                ("n", "new", "new_session", True),
                ("enter", "resume", "resume", True),
                ("d", "delete", "delete", True),
            ],
        )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.t["home_title"], classes="title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="home-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(self.t["col_company"], self.t["col_stage"], self.t["col_updated"], "ID")
        self.refresh_sessions()

    def on_screen_resume(self) -> None:
        self.refresh_sessions()

    def refresh_sessions(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        rubric = load_rubric(self.lang)
        rows = self.app.store.sessions()
        previous = None
        for row in rows:
            stage = stage_reached(self.app.store, row.id)
            progress = self.t["summary_done"] if stage == "summary" else rubric.stage(stage).label
            company = row.company if row.company != previous else ""
            previous = row.company
            table.add_row(company, progress, row.updated_at.replace("T", " ")[:16], row.id, key=row.id)
        empty = self.query_one("#home-empty", Static)
        empty.update(self.t["home_empty"])
        empty.display = not rows
        if rows:
            table.focus()

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_new(self) -> None:
        from dxcoach.tui.screens.intake import IntakeScreen

        self.app.push_screen(IntakeScreen(self.lang))

    def action_resume(self) -> None:
        session_id = self._selected()
        if session_id:
            self.app.open_session(session_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_session(str(event.row_key.value))

    def action_delete(self) -> None:
        session_id = self._selected()
        if not session_id:
            return
        company = self.app.store.session(session_id).company

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.app.store.delete_session(session_id)
                self.refresh_sessions()

        question = self.t["confirm_delete"].format(company=company)
        self.app.push_screen(ConfirmModal(question, self.t["confirm_yes"], self.t["confirm_no"]), done)
