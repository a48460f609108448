"""``dxcoach`` (home screen) and ``dxcoach new`` (straight into a new session)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from dxcoach.config import Settings, ensure_home
from dxcoach.errors import UserError

if TYPE_CHECKING:
    from dxcoach.tui.app import DxCoachApp


def run_home(settings: Settings, args: argparse.Namespace) -> int:
    ensure_home(settings)
    from dxcoach.tui.app import DxCoachApp

    return _run(DxCoachApp(settings))


def _run(app: DxCoachApp) -> int:
    app.run()
    if app.loader is not None and app.loader.is_alive():
        # Quit while the model was still loading. Letting the interpreter finalise under a thread that is
        # inside torch can crash (exit 139), so leave at once: every answer is already committed to SQLite,
        # and an index or model build cut short is detected and redone on the next start.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def run_new(settings: Settings, args: argparse.Namespace) -> int:
    if not args.company.strip():
        raise UserError("new_company_missing")
    if not args.industry.strip():
        raise UserError("new_industry_missing")
    if args.employees is not None and args.employees < 0:
        raise UserError("new_employees_invalid")
    ensure_home(settings)
    from dxcoach.tui.app import DxCoachApp

    profile = {"company": args.company, "industry": args.industry, "employees": args.employees, "region": args.region}
    return _run(DxCoachApp(settings, new_profile=profile, from_last=args.from_last))
