"""Submissions against their forms: an older version of the visit's form, another service's
form, and what Collect tells besides the answers (start location, audit.csv)."""

from collections.abc import Callable

import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.checklists.format import ChecklistChannel
from service.checklists.pinned import checklist_for_visit
from service.config import Settings
from service.openrosa.models import SubmissionState
from service.visits.transitions import VisitStatus
from service.xforms import version_for
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path
from tests.openrosa.collect import Collect, message
from tests.openrosa.conftest import bearer
from tests.openrosa.filling import download, fill, stored


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
        shipped = yaml.safe_load(path.read_text(encoding="utf-8"))
        revised = shipped | {
            "version": shipped["version"] + 1,
            "title_en": "In-person visit, revised: {service_name_en}",
        }
        published = client.post(
            api_path("publish_checklist"), json=revised, headers=bearer(coordinator)
        )
        assert published.status_code == 201, published.text
        newer = make_visit(session, shopper=shopper)
        assert newer.checklist_id != visit.checklist_id
        (listed,) = collect.form_list()
        assert listed.version == version_for(checklist_for_visit(session, newer))
        assert listed.version != old_form.version

        filled = fill(collect, session, visit, form=old_form)
        response = collect.submit(filled.xml, filled.attachments())
        drain_photo_jobs()
        collect.head_submission()

        assert response.status_code == 201, response.text
        session.refresh(visit)
        assert visit.status == VisitStatus.submitted
        _, _, (row,) = stored(session, visit)
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


class TestWrongForm:
    def test_a_visit_sent_in_another_services_form_is_refused(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        other = make_visit(session, shopper=shopper, channel=ChecklistChannel.call_1414)
        form = download(collect, "S26-call_1414")
        filled = fill(collect, session, other, form=form, changes={"visit": str(visit.id)})

        response = collect.submit(filled.xml, filled.attachments())

        assert response.status_code == 400
        assert message(response) == "Анкета не читается. Обновите форму и заполните заново."
        assert stored(session, visit) == (0, 0, [])

    def test_a_version_none_of_the_shoppers_visits_pins_is_404(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        form = download(collect)
        filled = fill(collect, session, visit, form=form)
        forged = filled.xml.replace(
            f'version="{form.version}"'.encode(), b'version="0000000000000000-g1"'
        )
        assert forged != filled.xml

        response = collect.submit(forged, filled.attachments())

        assert response.status_code == 404
        assert message(response) == "Такой формы нет среди ваших визитов. Обновите список форм."
        assert stored(session, visit) == (0, 0, [])
