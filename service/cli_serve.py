"""``mshop serve``: the API server, one process or several, with the demo's data if asked."""

import argparse
import ipaddress
import os
import secrets

import uvicorn
from pydantic import SecretStr

from service import serving
from service.cli_support import CliError, session_of, upgrade, validated
from service.clock import now_utc
from service.config import ServerSettings, Settings, check_settings
from service.demo import startup as demo_startup
from service.demo.accounts import DEMO_ACCOUNTS
from service.main import create_app
from service.observability import logs


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def chosen_log_format(args: argparse.Namespace, settings: Settings) -> logs.LogFormat:
    """The flag if given, else MSHOP_LOG_FORMAT, else auto (text on a terminal, JSON otherwise)."""
    return logs.LogFormat(args.log_format) if args.log_format else settings.log_format


def cmd_serve(args: argparse.Namespace) -> None:
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
    log_format = chosen_log_format(args, settings)
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
