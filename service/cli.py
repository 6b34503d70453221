"""The ``mshop`` command: serve the API, migrate, manage users and the catalogue."""

import argparse
import datetime as dt
import ipaddress
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from service import cli_users, cli_worker, serving
from service.auth import service as auth_service
from service.calendar import service as calendar_service
from service.calendar.rules import CalendarError
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistError
from service.checklists.imports import import_documents
from service.cli_support import CliError, session_of, upgrade, validated
from service.clock import now_utc
from service.config import ConfigError, ServerSettings, Settings, check_settings
from service.demo import startup as demo_startup
from service.demo.accounts import DEMO_ACCOUNTS
from service.demo.generate import run_demo_generate
from service.errors import ServiceError
from service.observability import logs
from service.photos import lifecycle as photo_lifecycle
from service.scoring import service as scoring_service
from service.scoring.policy import PolicyError, read_policy
from service.standards import service as standards_service
from service.standards.catalogue import CatalogueError
from service.standards.documents import parse_documents_csv
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


def _load_standards(settings: Settings) -> str:
    with session_of(settings) as session:
        report = standards_service.load_standards(session, settings.catalogue_dir, now=now_utc())
    line = f"standards: {report.created} added, {report.unchanged} already loaded"
    if report.corrected:
        line += f"; corrected (new assignments use them): {', '.join(report.corrected)}"
    return line


def _load_templates(settings: Settings) -> str:
    with session_of(settings) as session:
        report = checklists_service.load_template_files(
            session, settings.templates_dir, now=now_utc()
        )
    return f"checklists: {report.created} published, {report.unchanged} already published"


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


def cmd_standards_load(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.dir:
        settings = settings.model_copy(update={"catalogue_dir": Path(args.dir)})
    upgrade(settings)
    print(_load_standards(settings))


def cmd_standards_import_documents(args: argparse.Namespace) -> None:
    settings = Settings()
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from exc
    batch = parse_documents_csv(text, source=str(path))
    upgrade(settings)
    try:
        with session_of(settings) as session:
            report = import_documents(session, batch, now=now_utc(), actor_id=None)
    except ServiceError as exc:
        # Nothing was written: the session rolled every list back.
        raise CliError(f"{path}: {exc.detail}") from exc
    print(f"documents: {report.created} versions added, {report.unchanged} already loaded")


def cmd_checklists_load(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.dir:
        settings = settings.model_copy(update={"templates_dir": Path(args.dir)})
    upgrade(settings)
    print(_load_templates(settings))


def cmd_calendar_show(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    with session_of(settings) as session:
        view = calendar_service.year_view(session, args.year)
    month = 0
    for day in view.days:
        if day.date.month != month:
            month = day.date.month
            print(f"\n{day.date:%Y-%m}")
        # Only the exceptions: days off that are not plain weekends, and working weekend days.
        # The weekend test uses the date, not ``day.weekday``, a display label ("Sat").
        on_weekend = day.date.weekday() >= 5
        if (not day.working and day.reason != "weekend") or (day.working and on_weekend):
            state = "working" if day.working else "day off"
            print(f"  {day.date} {day.weekday:<9} {state:<8} {day.reason or ''}")
    print(f"\n{view.year}: {view.working_days} working days, {view.days_off} days off")


def cmd_calendar_load(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    with session_of(settings) as session:
        report = calendar_service.load_overrides(session, text, now=now_utc())
    print(f"calendar: {report.days_off} days off, {report.working_days} working days loaded")


def cmd_grading_publish(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    # Validated here first, so a broken file names its problems before the database opens.
    body = read_policy(text).model_dump(mode="json")
    with session_of(settings) as session:
        published, created = scoring_service.publish_policy(session, body, now=now_utc(), by=None)
    if created:
        print(f"grading policy {published.version} published; new scores and rescores use it")
    else:
        print(f"grading policy {published.version} was published with this content already")


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

    standards = sub.add_parser("standards", help="service standards catalogue")
    std_sub = standards.add_subparsers(dest="action", required=True)
    load = std_sub.add_parser("load", help="load checklists/standards into the database")
    load.add_argument("--dir", help="folder of standard YAML files")
    load.set_defaults(func=cmd_standards_load)
    imp = std_sub.add_parser(
        "import-documents", help="load document lists from a CSV, one version per service"
    )
    imp.add_argument("file", help="CSV: code,effective_from,name_ru[,name_en][,note_ru]")
    imp.set_defaults(func=cmd_standards_import_documents)

    calendar = sub.add_parser("calendar", help="the working calendar used for deadlines")
    cal_sub = calendar.add_subparsers(dest="action", required=True)
    show = cal_sub.add_parser("show", help="print a year's days off and working weekends")
    show.add_argument("year", type=int)
    show.set_defaults(func=cmd_calendar_show)
    cal_load = cal_sub.add_parser("load", help="load a decree's overrides from a YAML file")
    cal_load.add_argument("file")
    cal_load.set_defaults(func=cmd_calendar_load)

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

    checklists = sub.add_parser("checklists", help="checklist templates")
    cl_sub = checklists.add_subparsers(dest="action", required=True)
    cl_load = cl_sub.add_parser("load", help="publish checklists/templates not published yet")
    cl_load.add_argument("--dir", help="folder of <channel>.yaml templates")
    cl_load.set_defaults(func=cmd_checklists_load)

    grading = sub.add_parser("grading", help="grading policies")
    gr_sub = grading.add_subparsers(dest="action", required=True)
    gr_publish = gr_sub.add_parser("publish", help="publish a new grading policy version")
    gr_publish.add_argument("file", help="a policy YAML file like checklists/grading.yaml")
    gr_publish.set_defaults(func=cmd_grading_publish)

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
