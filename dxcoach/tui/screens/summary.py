"""The summary: coverage per stage as bars, what is missing, next actions, support, DX-Ready checklist."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from dxcoach import paths, texts
from dxcoach.coaching.compare import compare, earlier_session
from dxcoach.coaching.excerpts import render_quote
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import latest_summary, transcript
from dxcoach.report.export import SUFFIXES, render_report
from dxcoach.tui.labels import localise_bindings, tui_labels

if TYPE_CHECKING:
    from dxcoach.tui.app import DxCoachApp

BAR = 12


def bar(covered: int, total: int) -> str:
    filled = round(BAR * covered / total) if total else 0
    return "█" * filled + "░" * (BAR - filled)


class SummaryScreen(Screen[None]):
    app: DxCoachApp

    def __init__(self, session_id: str, lang: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.lang = lang
        self.t = tui_labels(lang)
        self.rubric = load_rubric(lang)
        self.earlier: str | None = None  # the company's earlier session, to compare with
        localise_bindings(
            self,
            lang,
            [
                ("e", "export", "export", True),
                ("escape", "app.pop_screen", "back", True),
            ],
        )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.t["summary_title"], classes="title")
        with VerticalScroll(id="summary"):
            yield Static("", id="coverage")
            yield Markdown("", id="summary-body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.app.store.session(self.session_id).company
        summary = latest_summary(self.app.store, self.session_id) or {}
        self.earlier = earlier_session(self.app.store, self.session_id)
        self.query_one("#coverage", Static).update(self.coverage_text(summary))
        body = self.body_markdown(summary)
        if self.earlier is not None:
            body += "\n" + self.comparison_markdown(self.earlier)
        self.query_one("#summary-body", Markdown).update(body)

    def coverage_text(self, summary: dict[str, Any]) -> str:
        lines = [self.t["coverage"]]
        names = [f"{stage.number}/4 {stage.short}" for stage in self.rubric.stages]
        width = max(cell_len(n) for n in names)  # Japanese characters take two cells each
        for stage, name in zip(self.rubric.stages, names, strict=True):
            s = summary.get("stages", {}).get(stage.id, {"covered": [], "missing": [e.id for e in stage.elements]})
            n, total = len(s["covered"]), len(s["covered"]) + len(s["missing"])
            lines.append(f"{name}{' ' * (width - cell_len(name))}  {bar(n, total)} {n}/{total}")
        return "\n".join(lines)

    def body_markdown(self, summary: dict[str, Any]) -> str:
        t = self.t
        out = [f"### {t['missing']}"]
        for stage in self.rubric.stages:
            missing = summary.get("stages", {}).get(stage.id, {}).get("missing", [])
            if missing:
                labels = "、".join(stage.element(e).label for e in missing)
                out.append(f"- **{stage.number}/4 {stage.short}**: {labels}")
        out.append(f"\n### {t['actions']}")
        out += [f"{n}. {a['text']}" for n, a in enumerate(summary.get("actions", []), start=1)]
        named = summary.get("obstacles", [])
        if named:  # what the owner said stands in the way, in the owner's words
            out.append(f"\n### {t['obstacles']}")
            out += [f"- **{o['label']}** — 「{o['words']}」" for o in named]
        out.append(f"\n### {t['support']}")
        for p in summary.get("support_programs", []):  # with the conditions as the source states them
            quote = f"：「{render_quote(p['excerpt'])}」" if p.get("excerpt") else ""
            out.append(f"- {p['title']}{quote}")
        if not summary.get("support_programs"):
            out.append("- —")
        out.append(f"\n### {t['checklist']}")
        for item in summary.get("checklist", []):
            mark = "✓" if item["met"] else "・"
            out.append(f"- {mark} **{item['label']}**" + ("" if item["met"] else f" — {item['advice']}"))
        return "\n".join(out)

    def comparison_markdown(self, earlier_id: str) -> str:
        """This session against the company's earlier one: what each stage gained and lost."""
        store, t = self.app.store, texts.load(self.lang, "ui")["compare"]
        earlier, now = transcript(store, earlier_id), transcript(store, self.session_id)
        out = [f"\n### {self.t['comparison'].format(date=earlier['created_at'][:10])}"]
        for change in compare(self.rubric, earlier, now):
            stage = self.rubric.stage(change.stage)
            gained = stage.labels(change.gained, t["sep"]) or t["none"]
            lost = stage.labels(change.lost, t["sep"]) or t["none"]
            out.append(f"- **{stage.label}**: {t['gained']}: {gained} ／ {t['lost']}: {lost}")
        return "\n".join(out)

    def action_export(self) -> None:
        """The Markdown report and, next to it, the HTML one to print or hand over (no facilitator notes)."""
        data = transcript(self.app.store, self.session_id)
        folder = paths.reports_dir(self.app.settings.home)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"dx-report-{self.session_id}-{date.today().isoformat()}"
        written = []
        for fmt, suffix in SUFFIXES.items():
            target = folder / f"{name}{suffix}"
            earlier = transcript(self.app.store, self.earlier) if self.earlier else None
            target.write_text(render_report(fmt, self.rubric, data, earlier=earlier), encoding="utf-8")
            written.append(str(target))
        self.notify(self.t["exported"].format(path="\n".join(written)), timeout=8)
