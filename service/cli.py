"""The ``mshop`` command line: its parser, and each command run from the module that holds it.

The parser names each command by module and function (``Command``) and ``main`` imports only
the one that runs: ``mshop users list`` then loads the accounts and the database layer, not
the web application, every domain and the demo (1.1 s against 2.6 s to import on this
machine, paid by every command and every test that starts one). ``tests/test_cli.py`` checks
that parsing imports neither the ORM nor the web framework.
"""

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from service import serving
from service.auth.roles import Role
from service.observability.logs import LogFormat


@dataclass(frozen=True)
class Command:
    """A command's function, named: ``module`` is imported only when it runs."""

    module: str
    function: str

    def load(self) -> Callable[[argparse.Namespace], None]:
        run: Callable[[argparse.Namespace], None] = getattr(
            importlib.import_module(f"service.{self.module}"), self.function
        )
        return run


SERVE = Command("cli_serve", "cmd_serve")
Subcommands: TypeAlias = "argparse._SubParsersAction[Any]"


def _actions(sub: Subcommands, name: str, text: str) -> Subcommands:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=text)
    return parser.add_subparsers(dest="action", required=True)


def _serve(sub: Subcommands) -> None:
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
        choices=[f.value for f in LogFormat],
        help="json, text, or auto: text when stderr is a terminal, else JSON "
        "(default: MSHOP_LOG_FORMAT, else auto)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="the reverse proxy's addresses or networks, comma-separated, whose "
        "X-Forwarded-For is believed (default: MSHOP_SERVER__FORWARDED_ALLOW_IPS, else none)",
    )
    serve.set_defaults(command=SERVE)


def _users(sub: Subcommands) -> None:
    users = _actions(sub, "users", "accounts")

    def command(name: str, text: str, function: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = users.add_parser(name, help=text)
        parser.set_defaults(command=Command("cli_users", function))
        return parser

    create = command("create", "create an account", "cmd_users_create")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--full-name")
    create.add_argument("--password-stdin", action="store_true")
    ls = command("list", "list accounts (tab-separated)", "cmd_users_list")
    ls.add_argument("--role", choices=[r.value for r in Role])
    ls.add_argument("--email", help="exact email, in any letter case")
    set_password = command(
        "set-password", "set a password; ends its sessions", "cmd_users_set_password"
    )
    set_password.add_argument("--email", required=True)
    set_password.add_argument("--password-stdin", action="store_true")
    for name, text in (
        ("deactivate", "disable an account: no login, tokens refused"),
        ("activate", "enable a disabled account"),
        ("unlock", "forget an account's failed logins"),
    ):
        command(name, text, f"cmd_users_{name}").add_argument("--email", required=True)
    command(
        "cleanup", "remove expired sign-in sessions (refresh token families)", "cmd_users_cleanup"
    )


def _catalogue(sub: Subcommands) -> None:
    def command(actions: Subcommands, name: str, text: str, function: str) -> Any:
        parser = actions.add_parser(name, help=text)
        parser.set_defaults(command=Command("cli_catalogue", function))
        return parser

    standards = _actions(sub, "standards", "service standards catalogue")
    load = command(
        standards, "load", "load checklists/standards into the database", "cmd_standards_load"
    )
    load.add_argument("--dir", help="folder of standard YAML files")
    imp = command(
        standards,
        "import-documents",
        "load document lists from a CSV, one version per service",
        "cmd_standards_import_documents",
    )
    imp.add_argument("file", help="CSV: code,effective_from,name_ru[,name_en][,note_ru]")

    calendar = _actions(sub, "calendar", "the working calendar used for deadlines")
    show = command(
        calendar, "show", "print a year's days off and working weekends", "cmd_calendar_show"
    )
    show.add_argument("year", type=int)
    command(
        calendar, "load", "load a decree's overrides from a YAML file", "cmd_calendar_load"
    ).add_argument("file")

    checklists = _actions(sub, "checklists", "checklist templates")
    command(
        checklists, "load", "publish checklists/templates not published yet", "cmd_checklists_load"
    ).add_argument("--dir", help="folder of <channel>.yaml templates")

    grading = _actions(sub, "grading", "grading policies")
    command(
        grading, "publish", "publish a new grading policy version", "cmd_grading_publish"
    ).add_argument("file", help="a policy YAML file like checklists/grading.yaml")


def _maintenance(sub: Subcommands) -> None:
    _actions(sub, "db", "database schema").add_parser(
        "upgrade", help="apply migrations"
    ).set_defaults(command=Command("cli_maintenance", "cmd_db_upgrade"))

    clean = _actions(sub, "photos", "photo evidence").add_parser(
        "cleanup", help="remove expired uploads and orphan objects"
    )
    clean.add_argument("--grace-minutes", type=int, default=60)
    clean.set_defaults(command=Command("cli_maintenance", "cmd_photos_cleanup"))

    worker = sub.add_parser(
        "worker", help="process photo jobs (with MSHOP_JOBS__IN_PROCESS=false on the servers)"
    )
    worker.add_argument("--once", action="store_true", help="process what is due, then exit")
    worker.set_defaults(command=Command("cli_worker", "cmd_worker"))

    generate = _actions(sub, "demo", "demo data").add_parser(
        "generate", help="add plausible visits, answers and scores"
    )
    generate.add_argument("--visits", type=int, default=2000)
    generate.add_argument("--seed", type=int, default=1)
    generate.set_defaults(command=Command("cli_maintenance", "cmd_demo_generate"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mshop", description="Serve the API, migrate, manage users and the catalogue."
    )
    sub = parser.add_subparsers(dest="command_name", required=True)
    _serve(sub)
    _users(sub)
    _catalogue(sub)
    _maintenance(sub)
    return parser


def _said_to_user(exc: Exception) -> str | None:
    """What to print for an error the user can fix, without a traceback; None for a bug.

    Imported here, after the failure: the command that raised has imported its module.
    """
    from service.auth import service as auth_service
    from service.calendar.rules import CalendarError
    from service.checklists import service as checklists_service
    from service.checklists.format import ChecklistError
    from service.cli_support import CliError
    from service.config import ConfigError
    from service.scoring import service as scoring_service
    from service.scoring.policy import PolicyError
    from service.standards.catalogue import CatalogueError

    if isinstance(
        exc, (CliError, ConfigError, CatalogueError, ChecklistError, CalendarError, PolicyError)
    ):
        return str(exc)
    if isinstance(
        exc,
        (
            auth_service.UserExists,
            auth_service.EmailConfusable,
            auth_service.PasswordTooShort,
            checklists_service.ChecklistVersionExists,
            scoring_service.PolicyExists,
        ),
    ):
        return exc.detail
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == SERVE and argv is None:
        # Before anything allocates: glibc reads MALLOC_ARENA_MAX only at process start.
        serving.reexec_with_malloc_arenas(sys.argv[1:])
    try:
        args.command.load()(args)
    except Exception as exc:
        message = _said_to_user(exc)
        if message is None:
            raise
        print(f"mshop: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
