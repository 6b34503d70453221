"""Photo jobs: uploads answer ``processing``; a job makes the photo ``ready`` or ``rejected``.

The app's runner thread is off in tests (it would not see the test's uncommitted rows): each
test runs the queue itself on the test's connection, as the runner would, with the frozen
clock moved by hand for leases.
"""

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import Settings
from service.db import transaction
from service.observability import metrics
from service.photos import jobs
from service.photos.models import Photo, PhotoJob, PhotoStatus
from service.photos.processing import queue_probe
from service.photos.service import keys_for
from service.standards import service as standards_service
from tests.conftest import NOW, FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.db import migrated_engine, postgres_url_or_skip
from tests.fixtures.factories import complete_answers, make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.photos.test_router import fetch, post_photo, stored_keys


def listed(client: TestClient, visit_id: object, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        api_path("list_photos", visit_id=visit_id), headers=headers
    ).json()
    return body


def rows(session: Session, model: Any) -> list[Any]:
    session.expire_all()
    return list(session.exec(select(model)).all())


class TestProcessing:
    def test_an_upload_answered_processing_becomes_ready(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        drain_photo_jobs: Any,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)

        answer = post_photo(client, visit.id, phone, images.photo(), process=False)

        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert (body["status"], body["flags"], body["rejected_reason"]) == ("processing", [], None)
        # What the header told is there at once: size, type, EXIF time.
        assert (body["mime"], body["width"], body["height"]) == ("image/jpeg", 640, 480)
        assert body["exif_taken_at"] is not None
        original, thumb, display = keys_for(visit.id, uuid.UUID(body["id"]))
        assert stored_keys(app) == [original]  # the copies come with the job
        assert_problem(
            client.get(
                api_path("read_photo_content", photo_id=body["id"]) + "?variant=display",
                headers=phone,
            ),
            409,
            "photo-processing",
        )
        (job,) = rows(session, PhotoJob)
        assert (job.photo_id, job.attempts, job.locked_by) == (uuid.UUID(body["id"]), 0, None)

        assert drain_photo_jobs() == 1

        (photo,) = listed(client, visit.id, phone)["photos"]
        assert photo["id"] == body["id"]
        assert photo["status"] == "ready"
        assert photo["sha256"] == body["sha256"]
        assert sorted(stored_keys(app)) == sorted([original, thumb, display])
        status, content = fetch(client, body["id"], "display", phone)
        assert status == 200
        assert content.startswith(b"\xff\xd8")
        assert rows(session, PhotoJob) == []
        assert drain_photo_jobs() == 0

    def test_a_truncated_jpeg_is_rejected_with_its_reason_and_never_served(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        drain_photo_jobs: Any,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        # The header is whole: only decoding the body finds the missing part.
        answer = post_photo(
            client, visit.id, phone, images.truncated(images.photo()), process=False
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "processing"
        photo_id = answer.json()["id"]

        assert drain_photo_jobs() == 1

        listing = listed(client, visit.id, phone)
        (photo,) = listing["photos"]
        assert photo["status"] == "rejected"
        assert photo["rejected_reason"].startswith("image-corrupt: ")
        assert all(i["received"] == 0 for i in listing["items"])  # no evidence
        for variant, who in (("display", phone), ("thumb", phone), ("original", coordinator)):
            response = client.get(
                api_path("read_photo_content", photo_id=photo_id) + f"?variant={variant}",
                headers=who,
                follow_redirects=False,
            )
            assert_problem(response, 409, "photo-rejected")
            assert "image-corrupt" in response.json()["detail"]
        original, _, _ = keys_for(visit.id, uuid.UUID(photo_id))
        assert stored_keys(app) == [original]  # no copy was ever made
        assert rows(session, PhotoJob) == []
        # The phone sends a good photo for the item: accepted, the rejected one not counted.
        again = post_photo(client, visit.id, phone, images.photo(seed=3))
        assert again.json()["status"] == "ready"

    def test_a_job_whose_worker_died_is_taken_again_and_runs_once(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        connection: Connection,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        photo_id = post_photo(client, visit.id, phone, images.photo(), process=False).json()["id"]
        dead = photo_jobs.processor(app, connection, clock, worker="dead-worker")
        alive = photo_jobs.processor(app, connection, clock, worker="alive-worker")
        lease = app.state.settings.jobs.lease_seconds

        claimed = dead.claim()  # ... and the process is killed before it finishes
        assert claimed is not None
        assert claimed.photo_id == uuid.UUID(photo_id)
        assert alive.run_once() == 0  # leased: nobody else takes it
        clock.advance(seconds=lease - 1)
        assert alive.run_once() == 0
        clock.advance(seconds=2)  # the lease has passed

        assert alive.run_once() == 1

        session.expire_all()
        photo = session.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        assert photo.status == PhotoStatus.ready
        ready_at = photo.completed_at
        assert ready_at == clock()
        assert len(stored_keys(app)) == 3  # one original, one set of copies
        assert rows(session, PhotoJob) == []
        # The dead worker's claim, finished late (a paused process waking up), changes nothing.
        clock.advance(seconds=5)
        assert dead.process(claimed) == "skipped"
        session.expire_all()
        photo = session.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        assert (photo.status, photo.completed_at) == (
            PhotoStatus.ready,
            ready_at,
        )
        assert len(stored_keys(app)) == 3

    def test_a_failing_store_retries_then_rejects_after_max_attempts(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        connection: Connection,
        clock: FrozenClock,
        shopper: User,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        app.state.settings.jobs.max_attempts = 2
        app.state.settings.jobs.retry_seconds = 10
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        photo_id = post_photo(client, visit.id, phone, images.photo(), process=False).json()["id"]
        worker = photo_jobs.processor(app, connection, clock)

        def down(*_args: Any, **_kwargs: Any) -> Any:
            raise OSError("the store went away")

        monkeypatch.setattr(app.state.store, "open", down)
        assert worker.run_once() == 1
        (job,) = rows(session, PhotoJob)
        assert (job.attempts, job.locked_by) == (1, None)
        assert job.last_error == "OSError: the store went away"
        assert worker.run_once() == 0  # not due yet
        clock.advance(seconds=10)
        assert worker.run_once() == 1
        assert rows(session, PhotoJob) == []
        photo = session.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        assert photo.status == PhotoStatus.rejected
        assert photo.rejected_reason == "processing-failed: OSError: the store went away"


class TestSubmit:
    def test_submit_waits_for_processing_required_photos(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        drain_photo_jobs: Any,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        checklist = client.get(
            api_path("read_checklist", checklist_id=visit.checklist_id), headers=phone
        ).json()
        client.put(
            api_path("sync_answers", visit_id=visit.id),
            json={"answers": complete_answers(checklist["checklist"])},
            headers=phone,
        )
        sent = []
        for n, row in enumerate(listed(client, visit.id, phone)["items"]):
            for m in range(row["missing"]):
                data = images.photo(seed=200 + 10 * n + m)
                answer = post_photo(
                    client, visit.id, phone, data, item=row["item_code"], process=False
                )
                sent.append({"item_code": row["item_code"], "photo_id": answer.json()["id"]})
        assert sent
        submit = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T09:30:00Z"}

        waiting = client.post(
            api_path("submit_visit", visit_id=visit.id), json=submit, headers=phone
        )

        assert_problem(waiting, 409, "photos-processing")
        key = lambda e: (e["item_code"], e["photo_id"])  # noqa: E731
        assert sorted(waiting.json()["errors"], key=key) == sorted(sent, key=key)
        assert waiting.headers["Retry-After"] == "2"
        assert drain_photo_jobs() == len(sent)
        accepted = client.post(
            api_path("submit_visit", visit_id=visit.id), json=submit, headers=phone
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "submitted"

    def test_a_rejected_required_photo_leaves_the_item_missing(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        drain_photo_jobs: Any,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        checklist = client.get(
            api_path("read_checklist", checklist_id=visit.checklist_id), headers=phone
        ).json()
        client.put(
            api_path("sync_answers", visit_id=visit.id),
            json={"answers": complete_answers(checklist["checklist"])},
            headers=phone,
        )
        post_photo(client, visit.id, phone, images.truncated(images.photo()))
        submit = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T09:30:00Z"}
        refused = client.post(
            api_path("submit_visit", visit_id=visit.id), json=submit, headers=phone
        )
        assert_problem(refused, 422, "submission-incomplete")
        assert {"item_code": "ticket_photo", "missing": "photo"} in refused.json()["errors"]


class TestMetrics:
    def test_queue_depth_and_oldest_age_are_gauges(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        connection: Connection,
        clock: FrozenClock,
        shopper: User,
        drain_photo_jobs: Any,
        request: pytest.FixtureRequest,
    ) -> None:
        # The app's probe reads through the engine; the test's rows are on its connection
        # (this probe runs after the app's, so its values are the ones scraped).
        remove = metrics.add_probe(queue_probe(connection, clock))
        request.addfinalizer(remove)
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        post_photo(client, visit.id, phone, images.photo(), process=False)
        clock.advance(seconds=30)
        post_photo(client, visit.id, phone, images.photo(seed=2), process=False)
        clock.advance(seconds=12)

        text = client.get("/metrics").text

        assert "mshop_photo_jobs_queued 2.0" in text
        assert "mshop_photo_job_oldest_seconds 42.0" in text
        drain_photo_jobs()
        text = client.get("/metrics").text
        assert "mshop_photo_jobs_queued 0.0" in text
        assert "mshop_photo_job_oldest_seconds 0.0" in text


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_url_or_skip("photo_jobs")


def test_two_workers_on_one_postgresql_never_take_the_same_job(pg_url: str) -> None:
    engine = migrated_engine(pg_url)
    try:
        settings = Settings()
        with transaction(engine) as session:
            standards_service.load_standards(session, settings.catalogue_dir, now=NOW)
            checklists_service.load_template_files(session, settings.templates_dir, now=NOW)
        with transaction(engine) as session:
            shopper = make_user(session, Role.shopper)
            visit = make_visit(session, shopper=shopper)
            for _n in range(40):
                photo_id = uuid.uuid4()
                original, thumb, display = keys_for(visit.id, photo_id)
                session.add(
                    Photo(
                        id=photo_id,
                        client_id=uuid.uuid4(),
                        visit_id=visit.id,
                        item_code="ticket_photo",
                        status=PhotoStatus.processing,
                        taken_at=NOW,
                        original_key=original,
                        thumb_key=thumb,
                        display_key=display,
                        uploaded_by_id=shopper.id,
                        created_at=NOW,
                    )
                )
                session.flush()
                jobs.enqueue(session, photo_id, NOW)
        start = threading.Barrier(2)
        taken: dict[str, list[uuid.UUID]] = {"a": [], "b": []}

        def work(name: str) -> None:
            start.wait()
            while (job := jobs.claim(engine, name, now=NOW, lease_seconds=60)) is not None:
                taken[name].append(job.job_id)

        threads = [threading.Thread(target=work, args=(name,)) for name in taken]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert not set(taken["a"]) & set(taken["b"])
        assert len(taken["a"]) + len(taken["b"]) == 40
        with transaction(engine, read=True) as session:
            claimed = session.exec(select(PhotoJob)).all()
            assert {j.locked_by for j in claimed} <= {"a", "b"}
            assert all(j.attempts == 1 for j in claimed)
    finally:
        engine.dispose()
