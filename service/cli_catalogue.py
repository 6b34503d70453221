"""``mshop standards``, ``checklists``, ``calendar`` and ``grading``: the catalogue a wave is
judged against, loaded and published from files."""

import argparse
from pathlib import Path
from typing import Any

from service.calendar import service as calendar_service
from service.checklists import service as checklists_service
from service.checklists.imports import import_documents
from service.cli_support import CliError, read_text, session_of, upgrade
from service.clock import now_utc
from service.config import Settings
from service.errors import ServiceError
from service.scoring import service as scoring_service
from service.scoring.policy import read_policy
from service.standards import service as standards_service
from service.standards.documents import parse_documents_csv


def add_commands(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add ``standards``, ``calendar``, ``checklists`` and ``grading`` to the ``mshop`` parser."""
    standards = subcommands.add_parser("standards", help="service standards catalogue")
    std_sub = standards.add_subparsers(dest="action", required=True)
    load = std_sub.add_parser("load", help="load checklists/standards into the database")
    load.add_argument("--dir", help="folder of standard YAML files")
    load.set_defaults(func=cmd_standards_load)
    imp = std_sub.add_parser(
        "import-documents", help="load document lists from a CSV, one version per service"
    )
    imp.add_argument("file", help="CSV: code,effective_from,name_ru[,name_en][,note_ru]")
    imp.set_defaults(func=cmd_standards_import_documents)

    calendar = subcommands.add_parser("calendar", help="the working calendar used for deadlines")
    cal_sub = calendar.add_subparsers(dest="action", required=True)
    show = cal_sub.add_parser("show", help="print a year's days off and working weekends")
    show.add_argument("year", type=int)
    show.set_defaults(func=cmd_calendar_show)
    cal_load = cal_sub.add_parser("load", help="load a decree's overrides from a YAML file")
    cal_load.add_argument("file")
    cal_load.set_defaults(func=cmd_calendar_load)

    checklists = subcommands.add_parser("checklists", help="checklist templates")
    cl_sub = checklists.add_subparsers(dest="action", required=True)
    cl_load = cl_sub.add_parser("load", help="publish checklists/templates not published yet")
    cl_load.add_argument("--dir", help="folder of <channel>.yaml templates")
    cl_load.set_defaults(func=cmd_checklists_load)

    grading = subcommands.add_parser("grading", help="grading policies")
    gr_sub = grading.add_subparsers(dest="action", required=True)
    gr_publish = gr_sub.add_parser("publish", help="publish a new grading policy version")
    gr_publish.add_argument("file", help="a policy YAML file like checklists/grading.yaml")
    gr_publish.set_defaults(func=cmd_grading_publish)


def load_standards(settings: Settings) -> str:
    """Load the standards of ``settings.catalogue_dir``; the line that says what changed."""
    with session_of(settings) as session:
        report = standards_service.load_standards(session, settings.catalogue_dir, now=now_utc())
    line = f"standards: {report.created} added, {report.unchanged} already loaded"
    if report.corrected:
        line += f"; corrected (new assignments use them): {', '.join(report.corrected)}"
    return line


def load_templates(settings: Settings) -> str:
    """Publish the templates of ``settings.templates_dir``; the line that says what changed."""
    with session_of(settings) as session:
        report = checklists_service.load_template_files(
            session, settings.templates_dir, now=now_utc()
        )
    return f"checklists: {report.created} published, {report.unchanged} already published"


def cmd_standards_load(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.dir:
        settings = settings.model_copy(update={"catalogue_dir": Path(args.dir)})
    upgrade(settings)
    print(load_standards(settings))


def cmd_standards_import_documents(args: argparse.Namespace) -> None:
    settings = Settings()
    path = Path(args.file)
    text = read_text(path)
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
    print(load_templates(settings))


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
    text = read_text(Path(args.file))
    with session_of(settings) as session:
        report = calendar_service.load_overrides(session, text, now=now_utc())
    print(f"calendar: {report.days_off} days off, {report.working_days} working days loaded")


def cmd_grading_publish(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    text = read_text(Path(args.file))
    # Validated here first, so a broken file names its problems before the database opens.
    body = read_policy(text).model_dump(mode="json")
    with session_of(settings) as session:
        published, created = scoring_service.publish_policy(session, body, now=now_utc(), by=None)
    if created:
        print(f"grading policy {published.version} published; new scores and rescores use it")
    else:
        print(f"grading policy {published.version} was published with this content already")
