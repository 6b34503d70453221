"""Attachments as ODK Central takes them: topped up by later POSTs of the same XML with or
without ``*isIncomplete*``, and files the instance does not name ignored."""

from sqlmodel import Session, select

from service.auth.models import User
from service.openrosa.models import SubmissionState
from service.photos.models import Photo
from tests.fixtures.factories import make_visit
from tests.openrosa.collect import Collect
from tests.openrosa.filling import fill, stored


class TestAttachments:
    def test_a_later_post_of_the_same_xml_tops_up_without_the_incomplete_flag(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        names = sorted(filled.photos)

        first = collect.submit(filled.xml, filled.attachments(names[:1]))
        _, photos, (row,) = stored(session, visit)
        assert first.status_code == 201
        assert (photos, row.state) == (1, SubmissionState.partial)

        second = collect.submit(filled.xml, filled.attachments(names[1:]))

        assert second.status_code == 201
        _, photos, (row,) = stored(session, visit)
        assert (photos, row.state) == (4, SubmissionState.received)

    def test_files_the_instance_does_not_name_are_ignored(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        filled = fill(collect, session, visit)
        extra = {
            "some_random_file": (b"not a photo at all", "application/octet-stream"),
            "другое фото.jpg": (next(iter(filled.photos.values())), "image/jpeg"),
        }

        response = collect.submit(filled.xml, filled.attachments() | extra)

        assert response.status_code == 201
        session.expire_all()
        items = session.exec(select(Photo.item_code).where(Photo.visit_id == visit.id)).all()
        assert len(items) == len(filled.photos) == 4
