"""What ``mshop serve --demo`` does: the accounts before the server listens, the data after.

A newcomer's first requests are ``/healthz`` and a login, so the five demo accounts are made
before the server starts, with one argon2 hash for all (they share the password) that ships
here, made once: hashing it at each start cost 0.2 s before the server listened.

Everything else runs as a start-up job once the server is up, in a process of its own (see
``service.startup``): the catalogue, the accounts' own visits (first, so shopper1 soon has
something to do), then the generated visits batch by batch, each batch committed so reports
show what is in. ``/readyz`` answers 503 with the progress until the job is done.
"""

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from service.auth import repository as auth_repository
from service.auth.models import User
from service.auth.security import hash_password, needs_rehash
from service.config import Settings
from service.db import create_db_engine, transaction
from service.demo import generate, plan
from service.demo.accounts import COORDINATOR, DEMO_ACCOUNTS, seed_account_visits
from service.startup import JobControl, StartupJob
from service.storage.client import make_store
from service.visits.models import Visit

DEMO_PASSWORD = "demo"
# argon2id of DEMO_PASSWORD with the hasher's parameters (``hash_password``); a test checks
# both. A public password for loopback-only demo accounts: nothing here is a secret.
DEMO_PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$UUOthE4/ILwbiqxKoDFeLg"
    "$BSKC0zjEQHy72pK5SieLA22c45hz9ixFn7qkSNqn8yA"
)
JOB_NAME = "demo data"


def create_accounts(session: Session, *, now: dt.datetime) -> list[str]:
    """Add the demo accounts (``DEMO_ACCOUNTS``) that are missing; their e-mails.

    The password is shorter than the rules allow, on purpose: demo only.
    """
    missing = [a for a in DEMO_ACCOUNTS if auth_repository.get_by_email(session, a[0]) is None]
    if not missing:
        return []
    # Should the hasher's parameters change, the shipped hash is made again (and a test fails).
    hashed = (
        hash_password(DEMO_PASSWORD) if needs_rehash(DEMO_PASSWORD_HASH) else DEMO_PASSWORD_HASH
    )
    for email, name, role in missing:
        user = User(email=email, full_name=name, role=role, hashed_password=hashed, created_at=now)
        auth_repository.add(session, user)
    return [email for email, _, _ in missing]


def demo_job(
    settings: Settings,
    *,
    visits: int,
    seed: int,
    now: Callable[[], dt.datetime],
    own_process: bool = False,
) -> StartupJob:
    """The job that loads the demo data into the database of ``settings``; ``mshop serve``
    runs it in a process of its own, beside the server rather than between its requests."""
    return StartupJob(
        JOB_NAME,
        lambda job: load(job, settings, visits=visits, seed=seed, now=now),
        own_process=own_process,
    )


def load(
    job: JobControl, settings: Settings, *, visits: int, seed: int, now: Callable[[], dt.datetime]
) -> None:
    """Load the catalogue, the accounts' visits and up to ``visits`` generated visits.

    Each step is skipped when a previous start did it, so a restart finishes an interrupted
    load: the generator tops its visits up to ``visits``, unless the database holds visits
    the demo did not make (then it adds none, as before on a database in use).
    """
    engine = create_db_engine(settings.database)
    try:
        _load(job, engine, settings, visits=visits, seed=seed, now=now)
    finally:
        engine.dispose()


def _load(
    job: JobControl,
    engine: Engine,
    settings: Settings,
    *,
    visits: int,
    seed: int,
    now: Callable[[], dt.datetime],
) -> None:
    job.report("loading the service standards and checklist templates")
    standards, templates = plan.load_catalogue(engine, settings, now=now())
    job.report(
        f"standards: {standards.created} added, {standards.unchanged} already loaded; "
        f"checklists: {templates.created} published, {templates.unchanged} already published"
    )
    if job.stopping():
        return
    job.report("giving the demo accounts visits of their own")
    store = make_store(settings.storage, settings.s3)
    store.ensure_ready()
    with transaction(engine) as session:
        made = seed_account_visits(session, store, settings, now=now(), seed=seed)
    if made:
        job.report(
            "shopper1@demo.kz: assigned, in-progress, returned and submitted visits; "
            "coordinator@demo.kz: submitted visits to review"
        )
    with transaction(engine) as session:
        done, missing = _to_generate(session, visits)
    if job.stopping() or not missing:
        return
    job.report(f"generating visits: {done} of {visits}")
    for counts in generate.add_visits(engine, visits=missing, seed=seed):
        added = counts["assigned"] + counts["submitted"] + counts["approved"]
        job.report(f"generating visits: {done + added} of {visits}")
        if job.stopping():
            return


def _to_generate(session: Session, planned: int) -> tuple[int, int]:
    """Visits the generator has made, and how many more to make (none on a database in use)."""
    made = plan.generated_visits(session)
    coordinator = auth_repository.get_by_email(session, COORDINATOR)
    demo_creators = [coordinator.id] if coordinator is not None else []
    not_the_accounts = select(func.count()).where(col(Visit.created_by_id).not_in(demo_creators))
    foreign = session.exec(not_the_accounts).one() - made
    return made, 0 if foreign else max(0, planned - made)
