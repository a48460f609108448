"""Where the owner is: ``1/4 何のために会社があるか`` … ``4/4 …``, or the summary."""

from __future__ import annotations

from textual.widgets import Static

from dxcoach.coaching.rubric import Rubric


class StageIndicator(Static):
    def show_stage(self, rubric: Rubric, stage_id: str, summary_label: str) -> None:
        if stage_id == "summary":
            self.update(summary_label)
            return
        stage = rubric.stage(stage_id)
        self.update(f"{stage.number}/4 {stage.title}")
