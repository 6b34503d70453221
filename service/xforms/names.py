"""Element names of a generated form, shared by the writer (``survey.py``) and the reader.

Pure. An item's value question is named by its code, so a submission reads like the JSON API;
the parts an item adds around it take the code plus a ``__`` suffix, which checklist codes
are not expected to use (``survey.py`` refuses a form whose names collide).
"""

VISIT = "visit"
START_GEOPOINT = "start_geopoint"
AUDIT = "audit"
VISITS_CSV = "visits.csv"
AUDIT_FILE = "audit.csv"
# The N/A choice of a select_one and the value of the N/A box: option codes begin with a
# letter, so no option can be mistaken for it.
NA = "_na"
# The documents list's "none of the above", so an empty list is an answer, not a skip.
NONE = "_none"


def section(code: str) -> str:
    return f"sec__{code}"


def group(code: str) -> str:
    """The field-list group holding an item's parts, so they share one screen."""
    return f"{code}__item"


def na(code: str) -> str:
    return f"{code}__na"


def extras(code: str) -> str:
    return f"{code}__extras"


def tap(code: str) -> str:
    return f"{code}__tap"


def options(code: str) -> str:
    """The item's choice list: a secondary instance beside ``visits`` and the shared lists."""
    return f"{code}__options"


def photo(code: str, n: int) -> str:
    return f"{code}__photo_{n}"
