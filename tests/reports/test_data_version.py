"""The report data version moves with every write a report reads, and only with those.

Charts are cached under it (``reports/cache.py``): a write that changed a figure without
moving it would leave a stale chart. The triggers of migration 0009 bump it on SQLite and
PostgreSQL alike, whatever wrote the row (the ORM, Core bulk inserts, raw SQL).

On PostgreSQL a visit's status change bumps it at the commit (a deferred trigger), so a long
transaction holds no lock on the version row meanwhile. Tests run inside one transaction that
is never committed: ``immediate`` makes those triggers fire at once there, and the last test
commits for real on a database of its own.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlmodel import Session, col

from service.answers.models import Answer
from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import Settings
from service.offices.models import Office
from service.reports import repository
from service.scoring.models import VisitCriterion, VisitFinding, VisitScore
from service.standards import service as standards_service
from service.standards.models import ServiceStandard
from service.visits.models import Visit
from service.visits.transitions import VisitStatus
from tests.conftest import NOW
from tests.fixtures.db import migrated_engine, postgres_url_or_skip
from tests.fixtures.factories import make_visit
from tests.fixtures.users import make_user
from tests.reports.data import VISITS, Dataset, add_rating, add_visit


@pytest.fixture(autouse=True)
def immediate(connection: Connection) -> None:
    """Fire PostgreSQL's deferred triggers at once: the test's transaction never commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def version(session: Session) -> int:
    session.flush()
    return repository.data_version(session)[1]


def visit(session: Session, data: Dataset, key: str) -> Visit:
    found = session.get(Visit, data.visits[key])
    assert found is not None
    return found


def approve_v7(session: Session, data: Dataset) -> None:
    row = visit(session, data, "V7")
    row.status = VisitStatus.approved
    session.add(row)


def add_v12(session: Session, data: Dataset) -> None:
    add_visit(session, data, "V12", VISITS["V1"])


def move_period(session: Session, data: Dataset) -> None:
    row = visit(session, data, "V1")
    row.window_start_at = row.window_start_at + dt.timedelta(days=1)
    session.add(row)


def regrade(session: Session, data: Dataset) -> None:
    score = session.get(VisitScore, data.visits["V1"])
    assert score is not None
    score.grade = 2
    session.add(score)


def drop_findings(session: Session, data: Dataset) -> None:
    session.execute(delete(VisitFinding).where(col(VisitFinding.visit_id) == data.visits["V2"]))


def add_criterion(session: Session, data: Dataset) -> None:
    session.add(
        VisitCriterion(
            visit_id=data.visits["V1"], criterion="information", earned=1.0, applicable=2.0
        )
    )


def rename_office(session: Session, data: Dataset) -> None:
    session.execute(
        update(Office).where(col(Office.id) == data.offices["A"]).values(name="ЦОН №2 Астана")
    )


def rename_standard(session: Session, data: Dataset) -> None:
    newest = session.execute(
        select(col(ServiceStandard.id)).where(col(ServiceStandard.service_code) == "S33")
    ).scalars()
    session.execute(
        update(ServiceStandard)
        .where(col(ServiceStandard.id).in_(list(newest)))
        .values(name_ru="Новое название")
    )


def bulk_scores(session: Session, data: Dataset) -> None:
    # The demo generator's way: Core executemany, no ORM events.
    session.execute(delete(VisitScore).where(col(VisitScore.visit_id) == data.visits["V8"]))
    session.execute(
        insert(VisitScore),
        [
            {
                "visit_id": data.visits["V8"],
                "rules_version": "2026.1",
                "grade": 4,
                "result": {},
                "computed_at": dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
            }
        ],
    )


def rate_v8(session: Session, data: Dataset) -> None:
    add_rating(session, data, "V8", 4)


def rerate_v1(session: Session, data: Dataset) -> None:
    # A newer answer retires the current one (what a phone's sync does).
    session.execute(
        update(Answer)
        .where(col(Answer.visit_id) == data.visits["V1"], col(Answer.item_code) == "overall_rating")
        .values(is_current=False)
    )
    add_rating(session, data, "V1", 2)


def delete_visit(session: Session, data: Dataset) -> None:
    session.execute(delete(Visit).where(col(Visit.id) == data.visits["V8"]))


CHANGES: dict[str, Callable[[Session, Dataset], None]] = {
    "visit approved": approve_v7,
    "visit added": add_v12,
    "visit period moved": move_period,
    "score changed": regrade,
    "findings deleted": drop_findings,
    "criterion added": add_criterion,
    "office renamed": rename_office,
    "standard renamed": rename_standard,
    "score bulk-inserted": bulk_scores,
    "visit deleted": delete_visit,
    "satisfaction rated": rate_v8,
    "satisfaction rated again": rerate_v1,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_write_a_report_reads_moves_the_version(
    session: Session, report_data: Dataset, change: str
) -> None:
    before = version(session)
    CHANGES[change](session, report_data)
    assert version(session) > before


def test_visit_columns_no_report_reads_leave_it(session: Session, report_data: Dataset) -> None:
    before = version(session)
    row = visit(session, report_data, "V8")
    row.notes = "ring twice"
    row.version += 1
    row.started_at = dt.datetime(2026, 3, 7, 5, tzinfo=dt.UTC)
    session.add(row)
    assert version(session) == before


def test_answers_other_than_the_rating_leave_it(session: Session, report_data: Dataset) -> None:
    # A phone's sync of the other 40 answers takes no lock on the version row.
    before = version(session)
    assert report_data.shopper is not None
    session.add(
        Answer(
            client_id=uuid.uuid4(),
            visit_id=report_data.visits["V8"],
            item_code="queue_wait_minutes",
            value=12,
            answered_at=NOW,
            received_at=NOW,
            content_hash="0" * 64,
            is_current=True,
            author_id=report_data.shopper.id,
        )
    )
    assert version(session) == before


def test_a_rolled_back_write_leaves_it(session: Session, report_data: Dataset) -> None:
    before = version(session)
    nested = session.begin_nested()
    approve_v7(session, report_data)
    session.flush()
    assert version(session) > before
    nested.rollback()
    assert version(session) == before


def test_one_row_with_an_epoch(session: Session) -> None:
    rows = session.execute(text("SELECT id, epoch, version FROM report_data_version")).all()
    assert len(rows) == 1
    assert rows[0][0] == 1
    assert len(rows[0][1]) == 32
    assert repository.data_version(session) == (rows[0][1], rows[0][2])


@pytest.fixture
def committing() -> Iterator[Engine]:
    """A PostgreSQL database of its own, where transactions really commit."""
    for url in postgres_url_or_skip("report_version"):
        engine = migrated_engine(url)
        with Session(engine) as session:
            standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
            checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
            session.commit()
        yield engine
        engine.dispose()


def committed_version(engine: Engine) -> int:
    with Session(engine) as session:
        return repository.data_version(session)[1]


def test_a_status_change_bumps_at_commit_and_blocks_no_other_writer(committing: Engine) -> None:
    with Session(committing) as session:
        shopper = make_user(session, Role.shopper)
        first, second = (make_visit(session, shopper=shopper).id for _ in range(2))
        session.commit()
    before = committed_version(committing)
    start = update(Visit).values(status=VisitStatus.in_progress)
    with committing.connect() as one, committing.connect() as two:
        one.execute(start.where(col(Visit.id) == first))
        # Not bumped yet, so the version row is not locked by this open transaction...
        assert one.execute(text("SELECT version FROM report_data_version")).scalar() == before
        # ...and another writer's status change commits without waiting for it.
        two.execute(text("SET LOCAL lock_timeout = '2s'"))
        two.execute(start.where(col(Visit.id) == second))
        two.commit()
        assert committed_version(committing) == before + 1
        one.commit()
    assert committed_version(committing) == before + 2
