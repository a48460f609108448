"""Command line: parse, call the core, print. Heavy libraries are imported only by the command that runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import NoReturn

from dxcoach import __version__
from dxcoach.config import Settings, load_settings
from dxcoach.errors import UserError, env_lang, message

Handler = Callable[[Settings, argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit code 2 (CONTRACT)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"dxcoach: {_one_line(_say('usage', message=message))}\n")


def _say(key: str, **values: object) -> str:
    """An error line before the settings are loaded: in DXCOACH_LANG's language if it is a valid one."""
    return message(env_lang(), key, **values)


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _handler(module: str, name: str) -> Handler:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        from importlib import import_module

        return int(getattr(import_module(f"dxcoach.commands.{module}"), name)(settings, args))

    return run


def _positive_k(value: str) -> int:
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_say("k_not_integer", value=value)) from None
    if not 1 <= k <= 50:
        raise argparse.ArgumentTypeError(_say("k_out_of_range", value=value))
    return k


def _date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(_say("date_invalid", value=value)) from None


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS, help="data directory (same as DXCOACH_HOME)")
    parser = _Parser(
        prog="dxcoach",
        description="中小企業のDX準備を4つの問いで伴走するターミナルのコーチ / a terminal DX coach for SME owners",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"dxcoach {__version__}")
    parser.set_defaults(handler=_handler("tui", "run_home"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("new", parents=[common], help="start the TUI directly in a new session")
    p.add_argument("--company", required=True)
    p.add_argument("--industry", required=True)
    p.add_argument("--employees", type=int)
    p.add_argument("--region", default="")
    p.add_argument(
        "--from-last", action="store_true", help="show the company's last session's answers as a starting point"
    )
    p.set_defaults(handler=_handler("tui", "run_new"))

    p = sub.add_parser("index", parents=[common], help="build or update the index (no-op when nothing changed)")
    p.add_argument("--rebuild", action="store_true", help="discard the index and embed everything again")
    p.set_defaults(handler=_handler("retrieval", "cmd_index"))

    p = sub.add_parser("search", parents=[common], help="top passages with citations")
    p.add_argument("query", nargs="?", help="question (omit with --jsonl)")
    p.add_argument("-k", type=_positive_k, default=5, help="number of passages (default 5)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object")
    out.add_argument("--jsonl", action="store_true", help="batch: one query per stdin line, one JSON per line")
    p.add_argument("--kind", action="append", default=[], help="only passages of this kind (repeatable)")
    p.add_argument("--industry", default="", help="only case studies whose industry contains TEXT")
    p.add_argument(
        "--stage", default="", choices=["", "purpose", "vision", "gap", "data"], help="only passages for a stage"
    )
    p.add_argument("--method", default="hybrid", choices=["hybrid", "dense", "lexical"], help=argparse.SUPPRESS)
    p.set_defaults(handler=_handler("retrieval", "cmd_search"))

    p = sub.add_parser("eval", parents=[common], help="retrieval quality on an eval file (JSON lines)")
    p.add_argument("file")
    p.add_argument("-k", type=_positive_k, default=10, help="depth counted as found for 'misses' (default 10)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--method", default="hybrid", choices=["hybrid", "dense", "lexical"])
    p.set_defaults(handler=_handler("retrieval", "cmd_eval"))

    p = sub.add_parser("session", parents=[common], help="run a whole coaching session from a script (headless)")
    p.add_argument("--script", required=True, help="YAML with profile and answers")
    p.add_argument("--json", metavar="OUT.json", help="write the transcript")
    p.add_argument("--report", metavar="OUT.md", help="write the Markdown report")
    p.set_defaults(handler=_handler("sessions", "cmd_session"))

    p = sub.add_parser("sessions", parents=[common], help="list, show, export or delete stored sessions")
    ss = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = ss.add_parser("list", parents=[common], help="sessions grouped by company, with the stage reached")
    q.add_argument("--company", default="", help="only companies whose name contains TEXT")
    q.add_argument("--industry", default="", help="only industries containing TEXT")
    q.add_argument("--since", type=_date, help="updated on or after YYYY-MM-DD")
    q.add_argument("--until", type=_date, help="updated on or before YYYY-MM-DD")
    q.set_defaults(handler=_handler("sessions", "cmd_list"))
    q = ss.add_parser("show", parents=[common], help="print a session")
    q.add_argument("id")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_handler("sessions", "cmd_show"))
    q = ss.add_parser(
        "export", parents=[common], help="write a session's report (md, html) or the whole session (json)"
    )
    q.add_argument("id")
    q.add_argument("--format", default="md", choices=["md", "html", "json"])
    q.add_argument("-o", "--output", help="file (default: stdout)")
    q.add_argument("--with-notes", action="store_true", help="include the facilitator's notes in the report")
    q.add_argument("--compare", metavar="EARLIER_ID", help="include a comparison with an earlier session")
    q.set_defaults(handler=_handler("sessions", "cmd_export"))
    q = ss.add_parser("import", parents=[common], help="restore a session from an exported JSON file")
    q.add_argument("file")
    q.set_defaults(handler=_handler("sessions", "cmd_import"))
    q = ss.add_parser("compare", parents=[common], help="two sessions of one company: elements gained and lost")
    q.add_argument("earlier")
    q.add_argument("later")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_handler("sessions", "cmd_compare"))
    q = ss.add_parser("delete", parents=[common], help="delete a session")
    q.add_argument("id")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(handler=_handler("sessions", "cmd_delete"))

    p = sub.add_parser("corpus", parents=[common], help="your own documents (.md .txt .pdf)")
    cs = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = cs.add_parser("add", parents=[common], help="add files or folders and index them")
    q.add_argument("paths", nargs="+", metavar="PATH")
    q.set_defaults(handler=_handler("corpus", "cmd_add"))
    q = cs.add_parser("list", parents=[common], help="list the bundled corpus and your documents")
    q.set_defaults(handler=_handler("corpus", "cmd_list"))
    q = cs.add_parser("remove", parents=[common], help="remove one of your documents")
    q.add_argument("id")
    q.set_defaults(handler=_handler("corpus", "cmd_remove"))

    p = sub.add_parser("doctor", parents=[common], help="check model, index, storage and offline readiness")
    p.set_defaults(handler=_handler("doctor", "cmd_doctor"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from dxcoach import notices
    from dxcoach.config import private_files

    private_files()  # before anything is written: the home holds clients' plans
    notices.to_stderr()
    parser = build_parser()
    args = parser.parse_args(argv)
    lang = env_lang()  # until the settings are loaded (they may be what is wrong)
    try:
        settings = load_settings(getattr(args, "home", None))
        lang = settings.lang
        handler: Handler = args.handler
        return handler(settings, args)
    except UserError as exc:
        print(f"dxcoach: {_one_line(exc.render(lang))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `dxcoach … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"dxcoach: {message(lang, 'interrupted')}", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("DXCOACH_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0]
        print(f"dxcoach: {message(lang, 'unexpected', kind=type(exc).__name__, detail=first)}", file=sys.stderr)
        return 1
