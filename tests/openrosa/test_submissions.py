"""Submissions from Collect: split uploads, resends, conflicts, edits, refusals.

Modelled on the cases of ODK Central's submission tests (test/integration/api/submissions.js),
written afresh for mshop: each submission must end in the same rows the JSON API makes.
"""

from collections.abc import Callable

import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.answers.models import Answer
from service.auth.models import User
from service.auth.roles import Role
from service.config import Settings
from service.openrosa.models import OpenRosaSubmission, SubmissionState
from service.photos.models import Photo
from service.visits.models import Visit
from service.visits.transitions import VisitStatus
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.openrosa.collect import Collect, message
from tests.openrosa.conftest import BASE, app_token, bearer
from tests.openrosa.filling import Filled, download, fill


def _rows(session: Session, visit: Visit) -> tuple[int, int, list[OpenRosaSubmission]]:
    session.expire_all()
    answers = session.exec(select(Answer).where(Answer.visit_id == visit.id)).all()
    photos = session.exec(select(Photo).where(Photo.visit_id == visit.id)).all()
    sent = session.exec(
        select(OpenRosaSubmission).where(OpenRosaSubmission.visit_id == visit.id)
    ).all()
    return len(answers), len(photos), list(sent)


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
        answers, photos, (row,) = _rows(session, visit)
        assert first.status_code == 201
        assert message(first).startswith("Часть анкеты получена")
        assert (photos, row.state) == (2, SubmissionState.partial)
        assert answers > 20

        second = collect.submit(filled.xml, filled.attachments(names[2:]))
        assert second.status_code == 201
        assert message(second) == "Анкета получена."
        _, photos, (row,) = _rows(session, visit)
        assert (photos, row.state) == (4, SubmissionState.received)

        drain_photo_jobs()
        assert collect.head_submission().status_code == 204

        _, _, (row,) = _rows(session, visit)
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
        assert _rows(session, visit) == (0, 0, [])

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
        before = _rows(session, visit)

        again = collect.submit(filled.xml, filled.attachments())

        assert again.status_code == 201
        after = _rows(session, visit)
        assert after[:2] == before[:2]
        assert [r.id for r in after[2]] == [r.id for r in before[2]]

    def test_other_xml_under_the_same_instance_id_is_409(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        _send_all(collect, filled)
        before = _rows(session, visit)
        changed = fill(
            collect, session, visit, instance_id=filled.instance_id, changes={"badge_worn": "no"}
        )

        response = collect.submit(changed.xml, changed.attachments())

        assert response.status_code == 409
        assert message(response).startswith("Эта анкета уже получена с другим содержимым")
        assert _rows(session, visit)[:2] == before[:2]


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
            json={"action": "return", "comment": "Сфотографируйте бейдж ближе"},
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
        _, _, rows = _rows(session, visit)
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
        _, _, rows = _rows(session, visit)
        assert [r.state for r in rows] == [SubmissionState.submitted]

    def test_a_stale_deprecated_id_is_409(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)

        edited = fill(collect, session, visit, deprecated_id="uuid:not-the-current-one")
        response = collect.submit(edited.xml, edited.attachments())

        assert response.status_code == 409
        assert message(response).startswith("Эта анкета уже получена")
        assert _rows(session, visit) == (0, 0, [])


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
        assert _rows(session, visit) == (0, 0, [])


class TestOlderFormVersion:
    def test_an_instance_of_the_visits_older_checklist_is_accepted(
        self,
        client: TestClient,
        collect: Collect,
        session: Session,
        shopper: User,
        coordinator: User,
        drain_photo_jobs: Callable[[], int],
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        old_form = download(collect)
        path = Settings().templates_dir / "in_person.yaml"
        revised = yaml.safe_load(path.read_text(encoding="utf-8")) | {
            "version": 2,
            "title_en": "In-person visit, revised: {service_name_en}",
        }
        published = client.post(
            api_path("publish_checklist"), json=revised, headers=bearer(coordinator)
        )
        assert published.status_code == 201, published.text
        newer = make_visit(session, shopper=shopper)
        assert newer.checklist_id != visit.checklist_id
        (listed,) = collect.form_list()
        assert listed.version == str(newer.checklist_id) != old_form.version

        filled = fill(collect, session, visit, form=old_form)
        response = collect.submit(filled.xml, filled.attachments())
        drain_photo_jobs()
        collect.head_submission()

        assert response.status_code == 201, response.text
        session.refresh(visit)
        assert visit.status == VisitStatus.submitted
        _, _, (row,) = _rows(session, visit)
        assert (row.form_version, row.state) == (old_form.version, SubmissionState.submitted)


class TestCollectFacts:
    def test_start_location_and_time_on_form_reach_the_visits_history(
        self,
        client: TestClient,
        collect: Collect,
        session: Session,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(
            collect,
            session,
            visit,
            # Opened in Almaty, the office is in Astana.
            changes={"start_geopoint": "43.238949 76.889709 700 8", "audit": "audit.csv"},
        )
        audit = (
            b"event,node,start,end\n"
            b"form start,,1773811800000,\n"
            b"question,/data/visit,1773811805000,1773811810000\n"
            b"form exit,,1773812700000,\n"
        )
        attachments = filled.attachments() | {"audit.csv": (audit, "text/csv")}

        response = collect.submit(filled.xml, attachments)

        assert response.status_code == 201, response.text
        history = client.get(
            api_path("read_visit_history", visit_id=visit.id), headers=bearer(coordinator)
        )
        assert history.status_code == 200, history.text
        (event,) = [e for e in history.json() if e["action"] == "collect"]
        # Astana to Almaty is about 970 km as the crow flies.
        assert 960_000 < event["detail"].pop("distance_from_office_m") < 980_000
        assert event["detail"] == {
            "instance_id": filled.instance_id,
            "start_geopoint": [43.238949, 76.889709],
            "far_from_office": True,
            "time_on_form_seconds": 900.0,
        }
