"""Filling a visit's form as Collect does: download it through the form list, answer every
required question (``tests/xforms/collect.py`` writes the instance as Collect would) and
take the required photos."""

import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, select

from service.answers.models import Answer
from service.checklists.pinned import checklist_for_visit
from service.openrosa.models import OpenRosaSubmission
from service.photos.models import Photo
from service.visits.models import Visit
from service.xforms import XForm
from tests.fixtures import images
from tests.fixtures.factories import complete_answers
from tests.openrosa.collect import Collect
from tests.xforms.collect import fields, instance_xml


@dataclass
class Filled:
    """One filled form: the instance XML and the photos it names (file name -> bytes)."""

    instance_id: str
    xml: bytes
    photos: dict[str, bytes] = field(default_factory=dict)

    def attachments(self, names: list[str] | None = None) -> dict[str, tuple[bytes, str]]:
        chosen = self.photos if names is None else {n: self.photos[n] for n in names}
        return {name: (data, "image/jpeg") for name, data in chosen.items()}


def download(collect: Collect, form_id: str | None = None) -> XForm:
    """The form as Collect downloads it (the only one listed, or ``form_id``)."""
    listed = [f for f in collect.form_list() if form_id in (None, f.form_id)]
    assert len(listed) == 1, listed
    response = collect.request("GET", listed[0].download_url)
    assert response.status_code == 200, response.text
    form = listed[0]
    return XForm(form.form_id, form.version, response.content, form.hash, ("visits.csv",))


def fill(
    collect: Collect,
    session: Session,
    visit: Visit,
    *,
    form: XForm | None = None,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
    changes: dict[str, str] | None = None,
    photo_names: dict[str, str] | None = None,
    seed: int = 0,
) -> Filled:
    """Answer every required question of ``visit``'s form and take its required photos.

    ``changes`` sets element texts by name after the answers; ``photo_names`` names the photo
    of an item (default ``<item>.jpg``).
    """
    form = form or download(collect)
    checklist = checklist_for_visit(session, visit)
    answers = {
        a["item_code"]: (a["value"], False)
        for a in complete_answers(checklist.model_dump(mode="json"))
    }
    values = fields(form, checklist, answers)
    values["visit"] = str(visit.id)
    photos: dict[str, bytes] = {}
    for n, item in enumerate(checklist.items()):
        bounds = item.photo_bounds()
        if bounds is None or bounds[0] == 0 or not item.required:
            continue
        name = (photo_names or {}).get(item.code, f"{item.code}.jpg")
        values[f"{item.code}__photo_1"] = name
        photos[name] = images.photo(seed=1000 * seed + n + 1)
    values.update(changes or {})
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    xml = instance_xml(form, values, instance_id=instance_id, deprecated_id=deprecated_id)
    return Filled(instance_id, xml, photos)


def stored(session: Session, visit: Visit) -> tuple[int, int, list[OpenRosaSubmission]]:
    """The visit's answers and photos (how many) and its submissions, read afresh."""
    session.expire_all()
    answers = session.exec(select(Answer).where(Answer.visit_id == visit.id)).all()
    photos = session.exec(select(Photo).where(Photo.visit_id == visit.id)).all()
    sent = session.exec(
        select(OpenRosaSubmission).where(OpenRosaSubmission.visit_id == visit.id)
    ).all()
    return len(answers), len(photos), list(sent)
