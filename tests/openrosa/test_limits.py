"""The submission's limits of parts, as Collect meets them: a 413 whose message names the
limit (in English, the setting too), and nothing kept."""

import pytest
from sqlmodel import Session, select

from service.config import Settings
from service.openrosa.models import OpenRosaSubmission
from tests.openrosa.collect import Collect, message

INSTANCE = b"<data id='x'><meta><instanceID>uuid:1</instanceID></meta></data>"
TOO_LARGE_RU = (
    "Отправка больше, чем принимает сервер. Уменьшите размер фото; если не поможет, "
    "сообщите координатору."
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    limits = {"max_attachments": 2, "max_instance_bytes": 1024}
    return settings.model_copy(update={"openrosa": settings.openrosa.model_copy(update=limits)})


def _post(collect: Collect, xml: bytes, photos: int, language: str) -> tuple[int, str]:
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    files += [(f"p{i}.jpg", (f"p{i}.jpg", b"\xff\xd8\xff", "image/jpeg")) for i in range(photos)]
    response = collect.request(
        "POST", "/submission", files=files, headers={"Accept-Language": language}
    )
    assert response.headers["x-openrosa-version"] == "1.0"
    return response.status_code, message(response)


def test_more_attachments_than_allowed_is_a_413_naming_the_limit(
    collect: Collect, session: Session
) -> None:
    assert _post(collect, INSTANCE, 3, "ru") == (413, TOO_LARGE_RU)
    status, english = _post(collect, INSTANCE, 3, "en")
    assert status == 413
    assert "at most 2 attachments (MSHOP_OPENROSA__MAX_ATTACHMENTS)" in english
    assert session.exec(select(OpenRosaSubmission)).all() == []


def test_an_instance_over_its_limit_is_a_413_naming_the_limit(
    collect: Collect, session: Session
) -> None:
    large = INSTANCE.replace(b"</data>", b"<note>" + b"x" * 1024 + b"</note></data>")
    assert _post(collect, large, 0, "ru") == (413, TOO_LARGE_RU)
    status, english = _post(collect, large, 0, "en")
    assert status == 413
    assert "over 1024 bytes (MSHOP_OPENROSA__MAX_INSTANCE_BYTES)" in english
    assert session.exec(select(OpenRosaSubmission)).all() == []


def test_at_the_limits_the_parts_are_read(collect: Collect) -> None:
    # Two attachments and an instance of the limit's size pass the parts' check and reach
    # the instance's own (this one is no visit's form): the limits are not off by one.
    exact = INSTANCE.replace(
        b"</data>", b"<n>" + b"x" * (1024 - len(INSTANCE) - 7) + b"</n></data>"
    )
    assert len(exact) == 1024
    status, _ = _post(collect, exact, 2, "en")
    assert status not in (413, 500)
