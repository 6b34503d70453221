"""Submissions from Collect: split uploads, resends, conflicts, edits, refusals.

Modelled on the cases of ODK Central's submission tests (test/integration/api/submissions.js),
written afresh for mshop: each submission must end in the same rows the JSON API makes.
"""

import datetime as dt
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role
from service.openrosa.models import OpenRosaSubmission, SubmissionState
from service.openrosa.service import derived_id
from service.photos.models import Photo
from service.visits import lifecycle, repository
from service.visits.models import Visit
from service.visits.schemas import SubmitRequest
from service.visits.transitions import VisitStatus
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.openrosa.collect import Collect, message
from tests.openrosa.conftest import BASE, app_token, bearer
from tests.openrosa.filling import Filled, download, fill, stored


def _send_all(collect: Collect, filled: Filled) -> None:
    response = collect.submit(filled.xml, filled.attachments())
    assert response.status_code == 201, response.text


def _submitted(
    collect: Collect, session: Session, visit: Visit, drain: Callable[[], int]
) -> Filled:
    """Send a complete form, let the photo jobs run, and let Collect's next HEAD submit it."""
    filled = fill(collect, session, visit)
    _send_all(collect, filled)
    drain()
    assert collect.head_submission().status_code == 204
    session.refresh(visit)
    assert visit.status == VisitStatus.submitted
    return filled


class TestSplitUpload:
    def test_two_posts_make_one_submitted_scored_visit(
        self,
        client: TestClient,
        collect: Collect,
        session: Session,
        shopper: User,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        names = sorted(filled.photos)
        assert len(names) == 4

        first = collect.submit(filled.xml, filled.attachments(names[:2]), incomplete=True)
        answers, photos, (row,) = stored(session, visit)
        assert first.status_code == 201
        assert message(first).startswith("Часть анкеты получена")
        assert (photos, row.state) == (2, SubmissionState.partial)
        assert answers > 20

        second = collect.submit(filled.xml, filled.attachments(names[2:]))
        assert second.status_code == 201
        assert message(second) == "Анкета получена."
        _, photos, (row,) = stored(session, visit)
        assert (photos, row.state) == (4, SubmissionState.received)

        drain_photo_jobs()
        assert collect.head_submission().status_code == 204

        _, _, (row,) = stored(session, visit)
        session.refresh(visit)
        assert visit.status == VisitStatus.submitted
        assert row.state == SubmissionState.submitted
        staff = bearer(make_user(session, Role.coordinator))
        api = client.get(api_path("list_answers", visit_id=visit.id), headers=staff).json()
        assert api["total"] == answers
        score = client.get(api_path("read_score", visit_id=visit.id), headers=staff)
        assert score.status_code == 200
        assert score.json()["service_code"] == "S26"
        assert score.json()["computed_at"] == "2026-03-18T09:30:00Z"

    def test_a_photo_that_is_no_image_stores_nothing(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        fake = sorted(filled.photos)[1]
        filled.photos[fake] = b"MZ\x90\x00 not a picture at all" * 50

        response = collect.submit(filled.xml, filled.attachments())

        assert response.status_code == 415
        assert message(response).startswith("Вложение не является фотографией")
        assert stored(session, visit) == (0, 0, [])

    def test_cyrillic_attachment_names_are_kept(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(
            collect, session, visit, photo_names={"ticket_photo": "талон в очереди №5.jpg"}
        )
        assert "талон в очереди №5.jpg" in filled.photos

        response = collect.submit(filled.xml, filled.attachments())

        assert response.status_code == 201
        session.expire_all()
        items = session.exec(select(Photo.item_code).where(Photo.visit_id == visit.id)).all()
        assert sorted(items) == sorted(
            ["working_hours_posted", "stand_present", "ticket_photo", "badge_worn"]
        )


class TestResend:
    def test_the_same_xml_again_is_201_and_duplicates_nothing(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        _send_all(collect, filled)
        before = stored(session, visit)

        again = collect.submit(filled.xml, filled.attachments())

        assert again.status_code == 201
        after = stored(session, visit)
        assert after[:2] == before[:2]
        assert [r.id for r in after[2]] == [r.id for r in before[2]]

    def test_other_xml_under_the_same_instance_id_is_409(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        _send_all(collect, filled)
        before = stored(session, visit)
        changed = fill(
            collect, session, visit, instance_id=filled.instance_id, changes={"badge_worn": "no"}
        )

        response = collect.submit(changed.xml, changed.attachments())

        assert response.status_code == 409
        assert message(response).startswith("Эта анкета уже получена с другим содержимым")
        assert stored(session, visit)[:2] == before[:2]


class TestEdit:
    def test_an_edit_after_return_replaces_the_answers_and_resubmits(
        self,
        client: TestClient,
        collect: Collect,
        session: Session,
        shopper: User,
        coordinator: User,
        clock: FrozenClock,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        visit = make_visit(session, shopper=shopper, coordinator=coordinator)
        form = download(collect)
        first = _submitted(collect, session, visit, drain_photo_jobs)
        returned = client.post(
            api_path("review_visit", visit_id=visit.id),
            json={
                "client_id": str(uuid.uuid4()),
                "action": "return",
                "comment": "Сфотографируйте бейдж ближе",
            },
            headers=bearer(coordinator),
        )
        assert returned.status_code == 200, returned.text
        clock.advance(hours=2)  # the shopper edits later; the newer answer wins
        edited = fill(
            collect,
            session,
            visit,
            form=form,
            deprecated_id=first.instance_id,
            changes={"badge_worn": "no"},
        )

        response = collect.submit(edited.xml, edited.attachments())
        drain_photo_jobs()
        collect.head_submission()

        assert response.status_code == 201, response.text
        session.refresh(visit)
        assert visit.status == VisitStatus.submitted
        _, _, rows = stored(session, visit)
        states = {r.instance_id: r.state for r in rows}
        assert states == {
            first.instance_id: SubmissionState.replaced,
            edited.instance_id: SubmissionState.submitted,
        }
        history = client.get(
            api_path("list_answers", visit_id=visit.id) + "?history=true",
            headers=bearer(coordinator, clock()),
        )
        assert history.status_code == 200, history.text
        badge = [a for a in history.json()["items"] if a["item_code"] == "badge_worn"]
        assert sorted((a["value"], a["is_current"]) for a in badge) == [
            ("no", True),
            ("yes", False),
        ]

    def test_an_edit_before_return_is_refused(
        self,
        collect: Collect,
        session: Session,
        shopper: User,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        form = download(collect)
        first = _submitted(collect, session, visit, drain_photo_jobs)
        # Collect keeps the form after the visit leaves the list, and can still edit a copy.
        edited = fill(collect, session, visit, form=form, deprecated_id=first.instance_id)

        response = collect.submit(edited.xml, edited.attachments())

        assert response.status_code == 409
        assert message(response) == "Визит уже отправлен или закрыт; изменения не принимаются."
        _, _, rows = stored(session, visit)
        assert [r.state for r in rows] == [SubmissionState.submitted]

    def test_a_stale_deprecated_id_is_409(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)

        edited = fill(collect, session, visit, deprecated_id="uuid:not-the-current-one")
        response = collect.submit(edited.xml, edited.attachments())

        assert response.status_code == 409
        assert message(response).startswith("Эта анкета уже получена")
        assert stored(session, visit) == (0, 0, [])


class TestOtherShoppers:
    def test_a_token_never_accepts_another_shoppers_visit(
        self,
        client: TestClient,
        collect: Collect,
        session: Session,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        other = make_user(session, Role.shopper)
        make_visit(session, shopper=other)
        theirs = Collect(client, f"{BASE}/openrosa/key/{app_token(session, other, coordinator)}")

        response = theirs.submit(filled.xml, filled.attachments())

        assert response.status_code == 404
        assert message(response).startswith("Этот визит вам не назначен")
        assert stored(session, visit) == (0, 0, [])


class TestSubmitTime:
    """Collect sends no submit time: the server's stands in, and is kept as neither the
    phone's time nor a clock skew, however long the photo jobs made the submit wait."""

    def test_no_phone_time_and_no_skew_after_a_long_wait(
        self,
        collect: Collect,
        session: Session,
        shopper: User,
        clock: FrozenClock,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        _send_all(collect, filled)
        drain_photo_jobs()
        clock.advance(minutes=10)  # Collect's next HEAD, which submits, comes much later
        assert collect.head_submission().status_code == 204
        session.refresh(visit)
        assert visit.status == VisitStatus.submitted
        assert visit.submitted_at == clock()
        assert (visit.device_submitted_at, visit.clock_skew_seconds) == (None, None)
        (event,) = [e for e in repository.events(session, visit.id) if e.action == "submit"]
        assert event.detail == {"clock_skew_seconds": None, "clock_skew_flagged": False}

    def test_a_second_finish_of_the_form_is_a_retry_whatever_the_time(
        self,
        collect: Collect,
        session: Session,
        shopper: User,
        clock: FrozenClock,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        # Two requests finishing one form (a HEAD and a resent POST) can both reach submit;
        # the second comes later, with its own time, and must not be a conflict.
        visit = make_visit(session, shopper=shopper)
        filled = _submitted(collect, session, visit, drain_photo_jobs)
        (row,) = session.exec(
            select(OpenRosaSubmission).where(col(OpenRosaSubmission.visit_id) == visit.id)
        ).all()
        assert row.instance_id == filled.instance_id
        clock.advance(minutes=3)
        again = lifecycle.submit(
            session,
            visit,
            shopper,
            SubmitRequest(client_id=derived_id(row.instance_id, "submit"), submitted_at=clock()),
            now=clock(),
            skew_warn_seconds=300,
            device_clock=False,
        )
        assert again.status == VisitStatus.submitted
        assert again.submitted_at == clock() - dt.timedelta(minutes=3)
        assert len([e for e in repository.events(session, visit.id) if e.action == "submit"]) == 1
