"""``mshop standards``, ``checklists``, ``calendar`` and ``grading``: the catalogue a wave is
judged against, loaded and published from files."""

import argparse
from pathlib import Path

from service.calendar import service as calendar_service
from service.calendar.rules import check_year
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
    check_year(args.year)
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
