"""``dxcoach session --script``, ``sessions list|show|export|delete``."""

from __future__ import annotations

import argparse
import json
import os
import re
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
from dxcoach.storage.db import SessionRow

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: object) -> str:
    """A user's text for the terminal: stored exactly as written, but its control characters (an ANSI
    escape pasted into an answer, a NUL) are shown as ``\\x1b`` rather than obeyed. Markup is plain text here."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _check_output(path: str | None) -> Path | None:
    """Refuse an unwritable output before any work is done (nothing half-written)."""
    if not path:
        return None
    out = Path(path).expanduser().absolute()
    if out.is_dir():
        raise UserError("output_is_directory", path=out)
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise UserError("output_unwritable", path=out)
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


def _matches(row: SessionRow, args: argparse.Namespace) -> bool:
    industry = str(row.profile.get("industry", ""))
    day = row.updated_at[:10]
    return (
        args.company.strip() in row.company
        and args.industry.strip() in industry
        and (not args.since or day >= args.since)
        and (not args.until or day <= args.until)
    )


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    rubric = load_rubric(settings.lang)
    rows = [row for row in store.sessions() if _matches(row, args)]
    if not rows:
        filtered = args.company or args.industry or args.since or args.until
        print(texts.ui(settings.lang, "cli", "no_match" if filtered else "no_sessions"))
        return 0
    company = None
    for row in rows:
        if row.company != company:
            company = row.company
            print(f"{visible(company)}  ({visible(row.profile.get('industry', ''))})")
        stage = stage_reached(store, row.id)
        done = stage == "summary"
        label = texts.ui(settings.lang, "tui", "summary_done") if done else rubric.stage(stage).label
        print(f"  {row.id}  {label:24}  {row.updated_at.replace('T', ' ')[:16]}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.storage.portable import import_session, read_session_file

    path = Path(args.file).expanduser()
    data = read_session_file(path)
    store = open_store(settings)
    session_id, imported = import_session(store, data, str(path))
    key = "imported" if imported else "already_imported"
    print(texts.ui(settings.lang, "cli", key).format(id=session_id, company=store.session(session_id).company))
    return 0


def cmd_compare(settings: Settings, args: argparse.Namespace) -> int:
    from dxcoach.coaching.compare import compare

    store = open_store(settings)
    earlier, later = transcript(store, args.earlier), transcript(store, args.later)
    rubric = load_rubric(settings.lang)
    changes = compare(rubric, earlier, later)
    if args.json:
        out = {"earlier": earlier["session_id"], "later": later["session_id"], "stages": [c.as_json() for c in changes]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    t = texts.load(settings.lang, "ui")["compare"]
    company, dates = later["profile"].get("company"), (earlier["created_at"][:10], later["created_at"][:10])
    print(t["heading"].format(company=visible(company), earlier=dates[0], later=dates[1]))
    for change in changes:
        stage = rubric.stage(change.stage)
        count = t["count"].format(before=len(change.before), after=len(change.after), total=len(stage.elements))
        print(f"\n{stage.label}  {count}")
        print(f"  {t['gained']}: {stage.labels(change.gained, t['sep']) or t['none']}")
        print(f"  {t['lost']}: {stage.labels(change.lost, t['sep']) or t['none']}")
        for title, answers in (
            (t["answers_before"], change.answers_before),
            (t["answers_after"], change.answers_after),
        ):
            print(f"  {title}:")
            for answer in answers or [t["none"]]:
                print(f"    ・{visible(answer)}")
    return 0


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    store = open_store(settings)
    data = transcript(store, args.id)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    who = {"coach": texts.ui(settings.lang, "tui", "coach"), "owner": texts.ui(settings.lang, "tui", "you")}
    print(f"{visible(data['profile'].get('company'))} ({data['session_id']})")
    for stage in data["stages"]:
        for turn in stage["turns"]:
            print(f"\n[{stage['id']}] {who[turn['role']]}: {visible(turn['text'])}")
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """md or html: the report in the session's language (notes and a comparison only when asked);
    json: the whole session, for ``sessions import``. The text is complete before anything is written."""
    out = _check_output(args.output)
    store = open_store(settings)
    if args.format == "json":
        from dxcoach.storage.portable import export_session

        text = json.dumps(export_session(store, args.id), ensure_ascii=False, indent=2) + "\n"
    else:
        from dxcoach.report.export import render_session

        text = render_session(store, args.id, args.format, with_notes=args.with_notes, earlier_id=args.compare)
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
            raise UserError("delete_needs_yes")
        t = texts.load(settings.lang, "ui")["cli"]
        reply = input(t["delete_confirm"].format(company=visible(row.company), id=row.id))
        if reply.strip().lower() not in ("y", "yes", "はい"):
            print(t["not_deleted"])
            return 0
    store.delete_session(row.id)
    print(texts.ui(settings.lang, "cli", "deleted").format(id=row.id))
    return 0
