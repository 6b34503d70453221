"""The ``mshop`` command: serve the API, migrate, manage users and the catalogue."""

import argparse
import datetime as dt
import ipaddress
import os
import secrets
import sys
from collections.abc import Sequence

from pydantic import SecretStr

from service import cli_catalogue, cli_users, cli_worker, serving
from service.auth import service as auth_service
from service.calendar.rules import CalendarError
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistError
from service.cli_support import CliError, session_of, upgrade, validated
from service.clock import now_utc
from service.config import ConfigError, ServerSettings, Settings, check_settings
from service.demo import startup as demo_startup
from service.demo.accounts import DEMO_ACCOUNTS
from service.demo.generate import run_demo_generate
from service.observability import logs
from service.photos import lifecycle as photo_lifecycle
from service.scoring import service as scoring_service
from service.scoring.policy import PolicyError
from service.standards.catalogue import CatalogueError
from service.storage.client import make_store

# A bound on one run: a million visits is ~40 million answers, hours of inserts.
MAX_DEMO_VISITS = 1_000_000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _log_format(args: argparse.Namespace, settings: Settings) -> logs.LogFormat:
    """The flag if given, else MSHOP_LOG_FORMAT, else auto (text on a terminal, JSON otherwise)."""
    return logs.LogFormat(args.log_format) if args.log_format else settings.log_format


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from service.main import create_app

    settings = Settings()
    if args.workers < 1:
        raise CliError(f"--workers must be at least 1, not {args.workers}")
    if args.demo and args.workers > 1:
        raise CliError("demo mode runs one worker: its accounts and secret live in-process")
    if args.forwarded_allow_ips is not None:
        server = validated(
            lambda: ServerSettings.model_validate(
                settings.server.model_dump() | {"forwarded_allow_ips": args.forwarded_allow_ips}
            )
        )
        settings = settings.model_copy(update={"server": server})
    if args.demo:
        if not _is_loopback(args.host):
            raise CliError(f"demo mode listens on loopback only; {args.host} is not loopback")
        settings = settings.model_copy(update={"demo": True})
        if not settings.auth.secret_key.get_secret_value():
            auth = settings.auth.model_copy(
                update={"secret_key": SecretStr(secrets.token_urlsafe(48))}
            )
            settings = settings.model_copy(update={"auth": auth})
    check_settings(settings)
    upgrade(settings)
    jobs = []
    if args.demo:
        # Only the accounts before listening: a login works at once, the data loads after.
        with session_of(settings) as session:
            demo_startup.create_accounts(session, now=now_utc())
        jobs.append(
            demo_startup.demo_job(
                settings, visits=args.demo_visits, seed=1, now=now_utc, own_process=True
            )
        )
        base = f"http://{args.host}:{args.port}"
        print(
            f"Demo accounts (password '{demo_startup.DEMO_PASSWORD}'):",
            ", ".join(a[0] for a in DEMO_ACCOUNTS),
        )
        print(
            f"Log in: curl -s -X POST {base}/api/v1/auth/token "
            "-d username=shopper1@demo.kz -d password=demo"
        )
        print(f"API docs: {base}/docs")
        print(f"Demo data loads once the server is up; {base}/readyz answers 200 when it is in")
    log_format = _log_format(args, settings)
    logs.configure(args.log_level, log_format)
    if args.workers > 1:
        # Spawned workers build their own app from the environment: pass them what the flags
        # decided, and that the database is already migrated (once, above).
        os.environ.update(
            {
                "MSHOP_LOG_FORMAT": log_format.value,
                serving.WORKER_LOG_LEVEL: args.log_level,
                "MSHOP_DATABASE__MIGRATE_ON_START": "false",
            }
        )
        uvicorn.run(
            "service.serving:worker_app",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_config=None,
            log_level=args.log_level,
            access_log=False,
            **serving.worker_options(settings.server),
        )
        return
    app = create_app(settings, jobs=jobs)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        log_level=args.log_level,
        access_log=False,  # the observability middleware logs each request, with its id
        **serving.uvicorn_options(settings.server),
    )


def cmd_db_upgrade(_args: argparse.Namespace) -> None:
    upgrade(Settings())
    print("database is up to date")


def cmd_photos_cleanup(args: argparse.Namespace) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mshop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="demo data and accounts, loopback only")
    serve.add_argument(
        "--demo-visits",
        type=int,
        default=1000,
        help="with --demo, generated visits to load once the server is up (0: none; none on "
        "a database holding visits the demo did not make)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes; with more than one, serve migrates once and spawns them",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--log-format",
        choices=[f.value for f in logs.LogFormat],
        help="json, text, or auto: text when stderr is a terminal, else JSON "
        "(default: MSHOP_LOG_FORMAT, else auto)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="the reverse proxy's addresses or networks, comma-separated, whose "
        "X-Forwarded-For is believed (default: MSHOP_SERVER__FORWARDED_ALLOW_IPS, else none)",
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    cli_users.add_commands(sub)
    cli_catalogue.add_commands(sub)

    photos = sub.add_parser("photos", help="photo evidence")
    ph_sub = photos.add_subparsers(dest="action", required=True)
    clean = ph_sub.add_parser("cleanup", help="remove expired uploads and orphan objects")
    clean.add_argument("--grace-minutes", type=int, default=60)
    clean.set_defaults(func=cmd_photos_cleanup)

    worker = sub.add_parser(
        "worker", help="process photo jobs (with MSHOP_JOBS__IN_PROCESS=false on the servers)"
    )
    worker.add_argument("--once", action="store_true", help="process what is due, then exit")
    worker.set_defaults(func=cli_worker.cmd_worker)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="action", required=True)
    generate = demo.add_parser("generate", help="add plausible visits, answers and scores")
    generate.add_argument("--visits", type=int, default=2000)
    generate.add_argument("--seed", type=int, default=1)
    generate.set_defaults(func=cmd_demo_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is cmd_serve and argv is None:
        # Before anything allocates: glibc reads MALLOC_ARENA_MAX only at process start.
        serving.reexec_with_malloc_arenas(sys.argv[1:])
    try:
        args.func(args)
    except (
        CliError,
        ConfigError,
        CatalogueError,
        ChecklistError,
        CalendarError,
        PolicyError,
    ) as exc:
        print(f"mshop: {exc}", file=sys.stderr)
        return 2
    except (
        auth_service.UserExists,
        auth_service.EmailConfusable,
        auth_service.PasswordTooShort,
        checklists_service.ChecklistVersionExists,
        scoring_service.PolicyExists,
    ) as exc:
        print(f"mshop: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
