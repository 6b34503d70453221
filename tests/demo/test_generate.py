"""The demo generator: plausible, really scored, deterministic data, in a database of its own.

The generator commits, so these tests never use the shared per-test-rollback database: each
gets a fresh SQLite file, or a fresh PostgreSQL database when the run asks for PostgreSQL.
"""

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from service.answers.models import Answer
from service.checklists.builder import channels_for
from service.checklists.items import PhotoItem
from service.checklists.pinned import checklist_for_visit
from service.config import DatabaseSettings, Settings
from service.db import create_db_engine
from service.demo import generate as demo
from service.demo import plan as demo_plan
from service.exports import service as exports_service
from service.exports.schemas import ExportFormat
from service.offices.models import Office
from service.offices.regions import Region
from service.photos import reads as photo_reads
from service.reports import rankings
from service.reports.schemas import RankBy, ReportFilters
from service.scoring import service as scoring_service
from service.scoring.models import VisitCriterion, VisitFinding, VisitScore
from service.standards import service as standards_service
from service.visits.models import Visit
from service.visits.transitions import VisitStatus
from tests.fixtures.db import database_url_for

VISITS = 400


def fresh_url(tmp: Path, name: str) -> str:
    return database_url_for(f"demo_{name}", tmp / f"{name}.db")


def generated(url: str, visits: int, seed: int) -> tuple[Engine, str]:
    message = demo.run_demo_generate(Settings(database=DatabaseSettings(url=url)), visits, seed)
    return create_db_engine(DatabaseSettings(url=url)), message


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    engine, message = generated(fresh_url(tmp_path_factory.mktemp("demo"), "one"), VISITS, 3)
    yield engine, message
    engine.dispose()


@pytest.fixture
def session(demo_db: tuple[Engine, str]) -> Iterator[Session]:
    with Session(demo_db[0]) as s:
        yield s


def test_message_says_what_was_made(demo_db: tuple[Engine, str]) -> None:
    assert demo_db[1].startswith(f"demo: {VISITS} visits (")
    assert "answers" in demo_db[1]


def test_statuses_mix(session: Session) -> None:
    statuses = Counter(session.exec(select(Visit.status)).all())
    assert sum(statuses.values()) == VISITS
    assert set(statuses) == {"assigned", "submitted", "approved"}
    assert statuses["approved"] > statuses["submitted"] > 0


def test_offices_in_every_region(session: Session) -> None:
    regions = session.exec(select(Office.region).where(col(Office.kind) == "con")).all()
    assert set(regions) == {r.value for r in Region}


def test_channels_are_offered_by_each_service(session: Session) -> None:
    for visit in session.exec(select(Visit)).all():
        standard = standards_service.get_standard_by_id(session, visit.standard_id)
        offered = [c.value for c in channels_for(standards_service.body_of(standard))]
        assert visit.channel in offered


def test_answers_and_scores_only_for_visits_done(session: Session) -> None:
    answered = set(session.exec(select(Answer.visit_id).distinct()).all())
    scored = set(session.exec(select(VisitScore.visit_id)).all())
    done = set(
        session.exec(select(Visit.id).where(col(Visit.status) != VisitStatus.assigned)).all()
    )
    assert answered == scored == done
    per_visit = session.exec(select(func.count()).select_from(Answer)).one() / len(done)
    assert 25 < per_visit < 80
    assert session.exec(select(func.count()).select_from(VisitCriterion)).one() > len(done)


def test_plausible_mix_of_results(session: Session) -> None:
    grades = Counter(session.exec(select(VisitScore.grade)).all())
    assert {1, 3, 4, 5} <= set(grades)
    deadlines = Counter(session.exec(select(VisitScore.deadline_status)).all())
    assert {"on_time", "late"} <= set(deadlines)
    codes = set(session.exec(select(VisitFinding.code)).all())
    assert {"documents-beyond-standard", "queue-wait-over-norm"} <= codes
    long_waits = session.exec(
        select(func.count()).select_from(VisitScore).where(col(VisitScore.wait_minutes) > 15)
    ).one()
    assert long_waits > 0


def test_no_grade_5_carries_a_major_or_critical_finding(session: Session) -> None:
    """Issue 16: 124 of 435 grade-5 demo visits carried a major finding before the policy."""
    fives = session.exec(select(VisitScore).where(col(VisitScore.grade) == 5)).all()
    assert len(fives) > 10
    assert all(s.findings_major == s.findings_critical == 0 for s in fives)
    assert {s.policy_version for s in fives} == {"2026.1"}
    capped = session.exec(
        select(func.count())
        .select_from(VisitScore)
        .where(col(VisitScore.findings_major) > 0, col(VisitScore.score) >= 90)
    ).one()
    assert capped > 0  # the points alone would have given these a 5


def test_stored_scores_are_what_the_scoring_service_computes(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No rule is copied: the scoring service, run again on a sample of generated visits,
    gives their stored score, findings and criteria rows field for field."""

    def photos_as_generated(session: Session, visit_id: uuid.UUID) -> dict[str, list[str]]:
        # The generator takes no pictures and treats required photos as sent; the service is
        # shown the same, and reads everything else (answers, checklist, standard) itself.
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return {
            item.code: [demo.PHOTO_PLACEHOLDER]
            for item in checklist_for_visit(session, visit).items()
            if isinstance(item, PhotoItem) and item.required and item.min_count
        }

    monkeypatch.setattr(photo_reads, "ids_by_item", photos_as_generated)
    visits = session.exec(
        select(Visit)
        .where(col(Visit.status) != VisitStatus.assigned)
        .order_by(col(Visit.id))
        .limit(40)
    ).all()
    assert {v.status for v in visits} == {"submitted", "approved"}
    for visit in visits:
        result = scoring_service.compute(session, visit, now=demo_plan.NOW)
        checklist = checklist_for_visit(session, visit)
        score, findings, criteria = scoring_service.stored_rows(
            visit.id, checklist, result, now=demo_plan.NOW
        )
        stored = session.get(VisitScore, visit.id)
        assert stored is not None
        assert stored.model_dump() == score.model_dump()
        stored_findings = session.exec(
            select(VisitFinding)
            .where(col(VisitFinding.visit_id) == visit.id)
            .order_by(col(VisitFinding.id))
        ).all()
        assert [f.model_dump(exclude={"id"}) for f in stored_findings] == [
            f.model_dump(exclude={"id"}) for f in findings
        ]
        stored_criteria = session.exec(
            select(VisitCriterion)
            .where(col(VisitCriterion.visit_id) == visit.id)
            .order_by(col(VisitCriterion.criterion))
        ).all()
        assert [c.model_dump() for c in stored_criteria] == [c.model_dump() for c in criteria]


def test_reports_show_real_figures(session: Session) -> None:
    report = rankings.services_report(session, ReportFilters(), RankBy.compliance)
    items = report.items
    assert items[0].rank == 1
    for position, (before, row) in enumerate(zip(items, items[1:], strict=False), start=2):
        tied = (row.mean_grade, row.share_grade_5) == (before.mean_grade, before.share_grade_5)
        assert row.rank == (before.rank if tied else position)
    assert all(r.mean_grade is None or 1 <= r.mean_grade <= 5 for r in report.items)
    assert (
        sum(r.visits for r in report.items)
        == session.exec(
            select(func.count()).select_from(Visit).where(col(Visit.status) == "approved")
        ).one()
    )


def test_deterministic_for_a_seed_and_adds_on_a_second_run(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        engine, _ = generated(fresh_url(tmp_path, name), 60, 11)
        with Session(engine) as s:
            runs.append(sorted(s.exec(select(VisitScore.visit_id, VisitScore.score)).all()))
        if name == "b":
            demo.generate(engine, Settings(), visits=20, seed=11)
            with Session(engine) as s:
                assert s.exec(select(func.count()).select_from(Visit)).one() == 80
        engine.dispose()
    assert runs[0] == runs[1]
    assert runs[0]


def test_an_export_in_progress_does_not_block_writers(demo_db: tuple[Engine, str]) -> None:
    """Half-way through a streamed export, a writer still gets the database at once."""
    engine = demo_db[0]
    with Session(engine) as reading:
        export = exports_service.export_visits(
            reading, ReportFilters(), ExportFormat.csv, now=demo_plan.NOW
        )
        head = next(export.chunks) + next(export.chunks)  # the query is open now
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=200")
            conn.execute(update(Visit).where(col(Visit.wave) == "none").values(notes="x"))
            conn.commit()
        rest = b"".join(export.chunks)
        approved = reading.exec(
            select(func.count()).select_from(Visit).where(col(Visit.status) == "approved")
        ).one()
    assert (head + rest).count(b"\r\n") == approved + 1
