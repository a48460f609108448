"""``dxcoach`` (home screen) and ``dxcoach new`` (straight into a new session)."""

from __future__ import annotations

import argparse

from dxcoach.config import Settings, ensure_home
from dxcoach.errors import UserError


def run_home(settings: Settings, args: argparse.Namespace) -> int:
    ensure_home(settings)
    from dxcoach.tui.app import DxCoachApp

    DxCoachApp(settings).run()
    return 0


def run_new(settings: Settings, args: argparse.Namespace) -> int:
    if not args.company.strip():
        raise UserError("--company に会社名を指定してください")
    if not args.industry.strip():
        raise UserError("--industry に業種を指定してください")
    if args.employees is not None and args.employees < 0:
        raise UserError("--employees は0以上の整数で指定してください")
    ensure_home(settings)
    from dxcoach.tui.app import DxCoachApp

    profile = {"company": args.company, "industry": args.industry, "employees": args.employees, "region": args.region}
    DxCoachApp(settings, new_profile=profile).run()
    return 0
