"""``dxcoach session --script``, ``sessions list|show|export|delete``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dxcoach import texts
from dxcoach.coaching.coach import stage_reached
from dxcoach.coaching.factory import open_store
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.config import Settings
from dxcoach.errors import UserError
from dxcoach.report.markdown import render_markdown


def _check_output(path: str | None) -> Path | None:
    """Refuse an unwritable output before any work is done (nothing half-written)."""
    if not path:
        return None
    out = Path(path).expanduser().absolute()
    if out.is_dir():
        raise UserError(f"出力先がフォルダです: {out}")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise UserError(f"出力先に書き込めません: {out}")
    return out


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def cmd_session(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.coaching.factory import open_coach
    from dxcoach.coaching.script import load_script
    from dxcoach.coaching.transcript import run_script

    script = load_script(Path(args.script))
    json_out, report_out = _check_output(args.json), _check_output(args.report)
    coach = open_coach(settings)
    session_id = run_script(coach, script)
    data = transcript(coach.store, session_id)
    for turn in coach.store.turns(session_id):
        if "notice" in turn.data:
            print(turn.data["notice"], file=sys.stderr)
    data["report_markdown"] = render_markdown(coach.rubric, data)
    if json_out:
        write_atomic(json_out, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if report_out:
        write_atomic(report_out, data["report_markdown"])
    print(session_id)
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    rubric = load_rubric(settings.lang)
    rows = store.sessions()
    if not rows:
        print(texts.ui(settings.lang, "cli", "no_sessions"))
        return 0
    company = None
    for row in rows:
        if row.company != company:
            company = row.company
            print(company)
        stage = stage_reached(store, row.id)
        if stage == "summary":
            label = texts.ui(settings.lang, "tui", "summary_done")
        else:
            label = f"{rubric.stage(stage).number}/4 {rubric.stage(stage).short}"
        print(f"  {row.id}  {label:24}  {row.updated_at}")
    return 0


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    data = transcript(store, args.id)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    who = {"coach": "コーチ", "owner": "あなた"} if settings.lang == "ja" else {"coach": "Coach", "owner": "You"}
    print(f"{data['profile'].get('company')} ({data['session_id']})")
    for stage in data["stages"]:
        for turn in stage["turns"]:
            print(f"\n[{stage['id']}] {who[turn['role']]}: {turn['text']}")
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    if args.format != "md":
        raise UserError("HTML形式の書き出しはまだ用意していません。--format md を使ってください")
    out = _check_output(args.output)
    store = open_store(settings)
    data = transcript(store, args.id)
    text = render_markdown(load_rubric(data["language"]), data)
    if out:
        write_atomic(out, text)
        print(out)
    else:
        sys.stdout.write(text)
    return 0


def cmd_delete(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    row = store.session(args.id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("削除するには --yes を付けてください")
        reply = input(f"{row.company} のセッション {row.id} を削除します。よろしいですか？ [y/N] ")
        if reply.strip().lower() not in ("y", "yes", "はい"):
            print("削除しませんでした。")
            return 0
    store.delete_session(row.id)
    print(f"削除しました: {row.id}")
    return 0
