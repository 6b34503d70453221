"""Collect's audit.csv read as time on form (pure)."""

import pytest

from service.openrosa.facts import MAX_AUDIT_BYTES, time_on_form_seconds

HEADER = b"event,node,start,end\n"


@pytest.mark.parametrize(
    ("audit", "seconds"),
    [
        (HEADER + b"form start,,1000,\nform exit,,61500,\n", 60.5),
        (HEADER + b"question,/data/a,1000,5000\nquestion,/data/b,6000,9000\n", 8.0),
        (HEADER + b"form start,,,\n", None),
        (HEADER, None),
        (b"\xff\xfe not text", None),
        (b"x" * (MAX_AUDIT_BYTES + 1), None),
    ],
)
def test_time_on_form(audit: bytes, seconds: float | None) -> None:
    assert time_on_form_seconds(audit) == seconds
