"""ODK XForms from checklists, and submitted instances read back (pure: no web, DB or S3).

``build_xform`` turns a published checklist into the XForm Collect downloads; ``read_instance``
turns what Collect sends back into answers, photo names and metadata. The OpenRosa routes
(``service/openrosa``) serve the one and feed the other to the ordinary sync and submit.
"""

from service.xforms.build import (
    DEFAULT_PHOTO_MAX_SIDE,
    XForm,
    build_xform,
    form_id_for,
    version_for,
)
from service.xforms.errors import InstanceError
from service.xforms.instance import (
    Instance,
    InstanceAnswer,
    InstanceHeader,
    read_header,
    read_instance,
)
from service.xforms.names import AUDIT_FILE, VISITS_CSV

__all__ = [
    "AUDIT_FILE",
    "DEFAULT_PHOTO_MAX_SIDE",
    "VISITS_CSV",
    "Instance",
    "InstanceAnswer",
    "InstanceError",
    "InstanceHeader",
    "XForm",
    "build_xform",
    "form_id_for",
    "read_header",
    "read_instance",
    "version_for",
]
