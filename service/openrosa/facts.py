"""What Collect tells besides the answers, kept for the reviewer's fraud checks.

``start-geopoint`` (where the form was opened) is compared with the office, with the photo
flags' own distance and radius (``photos.flags.distance_m``, ``upload.gps_radius_m``);
``audit.csv`` gives the time spent on the form. Both are recorded once per instance as a
``collect`` event in the visit's history, beside the photos' own flags.
"""

import csv
import datetime as dt
import io
from typing import Any

from sqlmodel import Session

from service.auth.models import User
from service.offices import service as offices_service
from service.photos.flags import distance_m
from service.visits import service as visits_service
from service.visits.models import Visit
from service.xforms import Instance

# audit.csv of a long visit is a few hundred lines; anything much larger is not one.
MAX_AUDIT_BYTES = 2 * 1024 * 1024


def time_on_form_seconds(audit: bytes) -> float | None:
    """Seconds from the first to the last event of Collect's ``audit.csv`` (pure).

    Its columns are ``event,node,start,end``, times in milliseconds since the epoch; a file
    that is not one gives None rather than an error: it is evidence, not a requirement.
    """
    if len(audit) > MAX_AUDIT_BYTES:
        return None
    try:
        rows = list(csv.DictReader(io.StringIO(audit.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error):
        return None
    moments = [
        int(value)
        for row in rows
        for value in (row.get("start"), row.get("end"))
        if value and value.strip().isdigit()
    ]
    if not moments:
        return None
    return round((max(moments) - min(moments)) / 1000, 1)


def record(
    session: Session,
    visit: Visit,
    shopper: User,
    instance: Instance,
    *,
    audit: bytes | None,
    radius_m: float,
    now: dt.datetime,
) -> dict[str, Any]:
    """Record the instance's location and time on form on the visit; the detail stored."""
    detail: dict[str, Any] = {"instance_id": instance.instance_id}
    if instance.start_geopoint is not None:
        detail["start_geopoint"] = list(instance.start_geopoint)
        office = offices_service.get_office(session, visit.office_id)
        if office.latitude is not None and office.longitude is not None:
            far = distance_m(instance.start_geopoint, (office.latitude, office.longitude))
            detail["distance_from_office_m"] = round(far)
            detail["far_from_office"] = far > radius_m
    if audit is not None:
        detail["time_on_form_seconds"] = time_on_form_seconds(audit)
    visits_service.record(session, visit, shopper, "collect", now=now, detail=detail)
    return detail
