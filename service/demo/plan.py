"""What demo visits are drawn from: the catalogue loaded, the demo's offices, accounts and
every service's checklists (``prepare``), each in a short transaction of its own.

Used by ``generate`` (the visits), ``accounts`` (the demo accounts' own offices) and
``startup`` (the catalogue, and how many visits the generator has made).
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from service.auth import repository as auth_repository
from service.auth.models import User
from service.auth.roles import Role
from service.calendar import service as calendar_service
from service.calendar.rules import WorkingCalendar
from service.checklists import service as checklists_service
from service.checklists.builder import channels_for
from service.checklists.format import ResolvedChecklist
from service.checklists.schemas import TemplateLoadReport
from service.config import Settings
from service.db import transaction
from service.offices import repository as offices_repository
from service.offices import service as offices_service
from service.offices.models import Office
from service.offices.regions import REGION_NAMES_RU, Region
from service.standards import service as standards_service
from service.standards.catalogue import StandardBody
from service.standards.schemas import LoadReport
from service.visits.models import Visit

TODAY = dt.date(2026, 7, 1)
NOW = dt.datetime(2026, 7, 1, 4, 0, tzinfo=dt.UTC)
SHOPPERS = 12
GENERATOR_COORDINATOR = "demo-coordinator@demo.kz"
PREFIX = "Демо"


@dataclass
class Service:
    code: str
    body: StandardBody
    difficulty: float
    checklists: dict[str, tuple[int, int, ResolvedChecklist]] = field(default_factory=dict)


@dataclass
class Plan:
    services: list[Service]
    in_person: list[tuple[int, float]]
    remote: dict[str, tuple[int, float]]
    # Which application channels each office is, as the scoring service reads them.
    office_channels: dict[int, frozenset[str]]
    shoppers: list[uuid.UUID]
    coordinator: uuid.UUID
    calendar: WorkingCalendar
    existing: int


def _user(session: Session, email: str, name: str, role: Role) -> uuid.UUID:
    user = auth_repository.get_by_email(session, email)
    if user is None:
        # "!" is no argon2 hash, so generated accounts hold data but cannot sign in.
        user = auth_repository.add(
            session,
            User(email=email, full_name=name, role=role, hashed_password="!", created_at=NOW),
        )
    return user.id


def find_or_add_office(session: Session, name: str, kind: str, region: Region) -> int:
    """The id of the demo office of that name, added if missing (found again on a rerun)."""
    office = session.exec(select(Office).where(col(Office.name) == name)).first()
    if office is None:
        city = REGION_NAMES_RU[region]
        office = offices_repository.add(
            session,
            Office(name=name, kind=kind, region=region.value, city=city, created_at=NOW),
        )
    assert office.id is not None
    return office.id


def load_catalogue(
    engine: Engine, settings: Settings, *, now: dt.datetime
) -> tuple[LoadReport, TemplateLoadReport]:
    """Load the service standards and publish the checklist templates not loaded yet.

    A transaction for each, so a server answering requests meanwhile waits for neither long.
    """
    with transaction(engine) as session:
        standards = standards_service.load_standards(session, settings.catalogue_dir, now=now)
    with transaction(engine) as session:
        templates = checklists_service.load_template_files(session, settings.templates_dir, now=now)
    return standards, templates


def _coordinator(session: Session) -> uuid.UUID:
    return _user(session, GENERATOR_COORDINATOR, "Демо координатор", Role.coordinator)


def generated_visits(session: Session) -> int:
    """How many visits the generator has made in this database (its coordinator assigned them)."""
    coordinator = auth_repository.get_by_email(session, GENERATOR_COORDINATOR)
    if coordinator is None:
        return 0
    statement = select(func.count()).where(col(Visit.created_by_id) == coordinator.id)
    return session.exec(statement).one()


def prepare(engine: Engine, seed: int) -> Plan:
    """Offices, accounts and every service's checklists, in short transactions of their own.

    The catalogue must be loaded. Each service's checklists are resolved (built and stored
    through the checklists service) in a transaction of their own, so a server answering
    requests meanwhile never waits long for SQLite's write lock.
    """

    def quality(office_id: int) -> float:
        return random.Random(f"{seed}:office:{office_id}").uniform(0.55, 0.97)

    with transaction(engine) as session:
        in_person = []
        for region in Region:
            for kind, label in (("con", "ЦОН"), ("agency_office", "офис услугодателя")):
                office_id = find_or_add_office(
                    session, f"{PREFIX}: {label}, {REGION_NAMES_RU[region]}", kind, region
                )
                in_person.append((office_id, quality(office_id)))
        call = find_or_add_office(
            session, f"{PREFIX}: контакт-центр 1414", "call_centre", Region.astana
        )
        portal = find_or_add_office(session, f"{PREFIX}: портал egov.kz", "portal", Region.astana)
        shoppers = [_user(session, f"demo-shopper{n}@demo.kz", f"Демо тайный покупатель {n}",
                          Role.shopper) for n in range(1, SHOPPERS + 1)]  # fmt: skip
        coordinator = _coordinator(session)
        in_force = [
            (row.service_code, standards_service.body_of(row))
            for row in standards_service.all_in_force(session, TODAY)
        ]
        calendar = calendar_service.working_calendar(session)
        existing = session.exec(select(func.count()).select_from(Visit)).one()
        office_channels = {
            office_id: offices_service.application_channels(session, office_id)
            for office_id in [o for o, _ in in_person] + [call, portal]
        }
    services = []
    for code, body in in_force:
        difficulty = random.Random(f"{seed}:service:{code}").uniform(-0.15, 0.05)
        service = Service(code, body, difficulty)
        with transaction(engine) as session:
            for channel in channels_for(body):
                checklist = checklists_service.resolve(session, code, channel, TODAY, now=NOW)
                assert checklist.id is not None
                parsed = ResolvedChecklist.model_validate(checklist.body)
                service.checklists[channel.value] = (checklist.id, checklist.standard_id, parsed)
        services.append(service)
    return Plan(
        services=services,
        in_person=in_person,
        remote={"call_1414": (call, quality(call)), "egov": (portal, quality(portal))},
        office_channels=office_channels,
        shoppers=shoppers,
        coordinator=coordinator,
        calendar=calendar,
        existing=existing,
    )
