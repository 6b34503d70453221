"""``mshop db``, ``photos`` and ``demo``: the schema, the object store's clean-up, demo data."""

import argparse
import datetime as dt

from service.cli_support import CliError, session_of, upgrade
from service.clock import now_utc
from service.config import Settings
from service.demo.generate import run_demo_generate
from service.photos import lifecycle as photo_lifecycle
from service.storage.client import make_store

# A bound on one run: a million visits is ~40 million answers, hours of inserts.
MAX_DEMO_VISITS = 1_000_000


def cmd_db_upgrade(_args: argparse.Namespace) -> None:
    upgrade(Settings())
    print("database is up to date")


def cmd_photos_cleanup(args: argparse.Namespace) -> None:
    if args.grace_minutes < 0:
        raise CliError(f"--grace-minutes must not be negative, not {args.grace_minutes}")
    settings = Settings()
    upgrade(settings)
    store = make_store(settings.storage, settings.s3)
    with session_of(settings) as session:
        report = photo_lifecycle.cleanup(
            session, store, now=now_utc(), grace=dt.timedelta(minutes=args.grace_minutes)
        )
    print(
        f"photos: {report.expired_uploads} expired uploads, {report.orphan_objects} orphan "
        f"objects and {report.partial_files} partial files removed"
    )


def cmd_demo_generate(args: argparse.Namespace) -> None:
    if args.visits < 1 or args.visits > MAX_DEMO_VISITS:
        raise CliError(f"--visits must be between 1 and {MAX_DEMO_VISITS}")
    print(run_demo_generate(Settings(), visits=args.visits, seed=args.seed))
