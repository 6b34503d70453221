"""The ``mshop`` command: serve the API, migrate, manage users and the catalogue."""

import argparse
import datetime as dt
import getpass
import ipaddress
import os
import secrets
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr, ValidationError
from sqlmodel import Session

from service import migrate, serving
from service.auth import service as auth_service
from service.auth.emails import normalise_email
from service.auth.models import User
from service.auth.roles import Role
from service.auth.schemas import UserCreate, UserUpdate
from service.calendar import service as calendar_service
from service.calendar.rules import CalendarError
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistError
from service.checklists.imports import import_documents
from service.clock import now_utc
from service.config import ConfigError, ServerSettings, Settings, check_settings
from service.db import create_db_engine, transaction
from service.demo import startup as demo_startup
from service.demo.accounts import DEMO_ACCOUNTS
from service.demo.generate import run_demo_generate
from service.errors import ServiceError
from service.observability import logs
from service.photos import lifecycle as photo_lifecycle
from service.photos.runner import JobRunner
from service.scoring import service as scoring_service
from service.scoring.policy import PolicyError, read_policy
from service.standards import service as standards_service
from service.standards.catalogue import CatalogueError
from service.standards.documents import parse_documents_csv
from service.storage.client import make_store
from service.visits.photo_jobs import photo_processor

T = TypeVar("T")

# A bound on one run: a million visits is ~40 million answers, hours of inserts.
MAX_DEMO_VISITS = 1_000_000


class CliError(Exception):
    """A command failed for a reason the user can fix; printed without a traceback."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _upgrade(settings: Settings) -> None:
    engine = create_db_engine(settings.database)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One session on a short-lived engine, committed when the block succeeds."""
    engine = create_db_engine(settings.database)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def _load_standards(settings: Settings) -> str:
    with _session(settings) as session:
        report = standards_service.load_standards(session, settings.catalogue_dir, now=now_utc())
    line = f"standards: {report.created} added, {report.unchanged} already loaded"
    if report.corrected:
        line += f"; corrected (new assignments use them): {', '.join(report.corrected)}"
    return line


def _load_templates(settings: Settings) -> str:
    with _session(settings) as session:
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
        server = _validated(
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
    _upgrade(settings)
    jobs = []
    if args.demo:
        # Only the accounts before listening: a login works at once, the data loads after.
        with _session(settings) as session:
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
    _upgrade(Settings())
    print("database is up to date")


def cmd_standards_load(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.dir:
        settings = settings.model_copy(update={"catalogue_dir": Path(args.dir)})
    _upgrade(settings)
    print(_load_standards(settings))


def cmd_standards_import_documents(args: argparse.Namespace) -> None:
    settings = Settings()
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from exc
    batch = parse_documents_csv(text, source=str(path))
    _upgrade(settings)
    try:
        with _session(settings) as session:
            report = import_documents(session, batch, now=now_utc(), actor_id=None)
    except ServiceError as exc:
        # Nothing was written: the session rolled every list back.
        raise CliError(f"{path}: {exc.detail}") from exc
    print(f"documents: {report.created} versions added, {report.unchanged} already loaded")


def cmd_checklists_load(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.dir:
        settings = settings.model_copy(update={"templates_dir": Path(args.dir)})
    _upgrade(settings)
    print(_load_templates(settings))


def cmd_calendar_show(args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    with _session(settings) as session:
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
    _upgrade(settings)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    with _session(settings) as session:
        report = calendar_service.load_overrides(session, text, now=now_utc())
    print(f"calendar: {report.days_off} days off, {report.working_days} working days loaded")


def cmd_grading_publish(args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    # Validated here first, so a broken file names its problems before the database opens.
    body = read_policy(text).model_dump(mode="json")
    with _session(settings) as session:
        published, created = scoring_service.publish_policy(session, body, now=now_utc(), by=None)
    if created:
        print(f"grading policy {published.version} published; new scores and rescores use it")
    else:
        print(f"grading policy {published.version} was published with this content already")


def cmd_photos_cleanup(args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    store = make_store(settings.storage, settings.s3)
    with _session(settings) as session:
        report = photo_lifecycle.cleanup(
            session, store, now=now_utc(), grace=dt.timedelta(minutes=args.grace_minutes)
        )
    print(
        f"photos: {report.expired_uploads} expired uploads, {report.orphan_objects} orphan "
        f"objects and {report.partial_files} partial files removed"
    )


def cmd_worker(args: argparse.Namespace) -> None:
    """Process photo jobs until SIGTERM or Ctrl-C (``--once``: until none is due)."""
    settings = Settings()
    _upgrade(settings)
    engine = create_db_engine(settings.database)
    store = make_store(settings.storage, settings.s3)
    processor = photo_processor(engine, store, settings, now_utc)
    try:
        if args.once:
            print(f"photo jobs: {processor.run_once()} processed")
            return
        runner = JobRunner(
            lambda: processor.run_once(limit=10), settings.jobs.poll_seconds, settings.jobs.nice
        )
        signal.signal(signal.SIGTERM, lambda _signum, _frame: runner.request_stop())
        try:
            runner.run()
        except KeyboardInterrupt:
            pass
    finally:
        engine.dispose()


def cmd_demo_generate(args: argparse.Namespace) -> None:
    if args.visits < 1 or args.visits > MAX_DEMO_VISITS:
        raise CliError(f"--visits must be between 1 and {MAX_DEMO_VISITS}")
    print(run_demo_generate(Settings(), visits=args.visits, seed=args.seed))


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("the passwords differ")
    return first


def _validated(build: Callable[[], T]) -> T:
    try:
        return build()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CliError(problems) from exc


def _user_by_email(session: Session, email: str) -> User:
    user = auth_service.get_user_by_email(session, email)
    if user is None:
        raise CliError(f"there is no user {normalise_email(email)}")
    return user


def cmd_users_create(args: argparse.Namespace) -> None:
    settings = Settings()
    user_in = _validated(
        lambda: UserCreate(
            email=args.email,
            full_name=args.full_name or args.email,
            role=Role(args.role),
            password=_read_password(args),
        )
    )
    _upgrade(settings)
    with _session(settings) as session:
        user = auth_service.create_user(
            session, user_in, now=now_utc(), min_password_length=settings.auth.password_min_length
        )
        print(f"created {user.role} {user.email} ({user.id})")


# Pages read from the database at a time; the console prints every matching account.
_LIST_BATCH = 500


def cmd_users_list(args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    with _session(settings) as session:
        offset = 0
        while True:
            users, total = auth_service.list_users(
                session,
                None,
                email=args.email,
                role=Role(args.role) if args.role else None,
                limit=_LIST_BATCH,
                offset=offset,
            )
            for user in users:
                state = "active" if user.is_active else "disabled"
                print(f"{user.email}\t{user.role}\t{state}\t{user.id}\t{user.full_name}")
            offset += len(users)
            if not users or offset >= total:
                break
    print(f"{total} user(s)", file=sys.stderr)


def cmd_users_set_password(args: argparse.Namespace) -> None:
    settings = Settings()
    password = _read_password(args)
    _upgrade(settings)
    with _session(settings) as session:
        user = _user_by_email(session, args.email)
        auth_service.set_password(
            session, user, password, min_length=settings.auth.password_min_length
        )
        print(f"password set for {user.email}; its sessions are ended")


def _set_active(args: argparse.Namespace, active: bool) -> None:
    settings = Settings()
    _upgrade(settings)
    with _session(settings) as session:
        user = _user_by_email(session, args.email)
        auth_service.update_user(None, user, UserUpdate(is_active=active))
        print(f"{'activated' if active else 'deactivated'} {user.role} {user.email}")


def cmd_users_deactivate(args: argparse.Namespace) -> None:
    _set_active(args, active=False)


def cmd_users_activate(args: argparse.Namespace) -> None:
    _set_active(args, active=True)


def cmd_users_unlock(args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    with _session(settings) as session:
        user = _user_by_email(session, args.email)
        # No throttle here: the running API processes read the unlock from the account's row.
        auth_service.unlock_user(session, user, now=now_utc(), throttle=None)
        print(f"unlocked {user.email}: its failed logins no longer count")


def cmd_users_cleanup(_args: argparse.Namespace) -> None:
    settings = Settings()
    _upgrade(settings)
    with _session(settings) as session:
        removed = auth_service.remove_expired_sessions(session, now=now_utc())
    print(f"users: {removed} expired sign-in sessions removed")


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

    users = sub.add_parser("users", help="accounts").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--full-name")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(func=cmd_users_create)
    ls = users.add_parser("list", help="list accounts (tab-separated)")
    ls.add_argument("--role", choices=[r.value for r in Role])
    ls.add_argument("--email", help="exact email, in any letter case")
    ls.set_defaults(func=cmd_users_list)
    set_password = users.add_parser("set-password", help="set a password; ends its sessions")
    set_password.add_argument("--email", required=True)
    set_password.add_argument("--password-stdin", action="store_true")
    set_password.set_defaults(func=cmd_users_set_password)
    for action, func, text in (
        ("deactivate", cmd_users_deactivate, "disable an account: no login, tokens refused"),
        ("activate", cmd_users_activate, "enable a disabled account"),
        ("unlock", cmd_users_unlock, "forget an account's failed logins"),
    ):
        command = users.add_parser(action, help=text)
        command.add_argument("--email", required=True)
        command.set_defaults(func=func)
    users.add_parser(
        "cleanup", help="remove expired sign-in sessions (refresh token families)"
    ).set_defaults(func=cmd_users_cleanup)

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
    worker.set_defaults(func=cmd_worker)

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
