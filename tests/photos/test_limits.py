"""What an upload may cost and what a served photo may do, over HTTP on both stores."""

import io
import urllib.request
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.photos.models import Photo
from tests.conftest import FrozenClock
from tests.fixtures import images, memory
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.photos.test_router import post_photo, stored_keys

# A JPEG that is also an HTML page: JPEG decoders stop at the end-of-image marker, and a
# browser sniffing the bytes would find the markup.
POLYGLOT_TAIL = b"<html><body><script>alert(document.cookie)</script></body></html>"


def fetch_raw(client: TestClient, photo_id: str, variant: str, headers: dict[str, str]) -> Any:
    """Status, response headers and bytes, following an S3 redirect to the store itself."""
    response = client.get(
        api_path("read_photo_content", photo_id=photo_id) + f"?variant={variant}",
        headers=headers,
        follow_redirects=False,
    )
    if response.status_code == 307:
        with urllib.request.urlopen(response.headers["location"], timeout=10) as stored:
            return stored.status, {k.lower(): v for k, v in stored.headers.items()}, stored.read()
    return response.status_code, response.headers, response.content


class TestDecodeCost:
    def test_a_one_bit_png_bomb_is_refused_without_memory_growth(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        bomb = images.encode(Image.new("1", (6324, 6324)), "PNG")  # 40 MP in ~5 KB
        visit = make_visit(session, shopper=shopper)
        reset = memory.reset_peak()
        before = memory.peak() if reset else memory.rss()

        response = post_photo(client, visit.id, bearer(shopper, clock), bomb, name="p.png")

        grown = (memory.peak() if reset else memory.rss()) - before
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "image-too-compressed"
        assert "6324x6324" in body["detail"]
        assert grown < 100 * memory.MB, f"RSS grew {grown / memory.MB:.0f} MB"
        assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []
        assert stored_keys(app) == []

    def test_a_48_megapixel_phone_photo_is_stored(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        picture = Image.linear_gradient("L").resize((8000, 6000)).convert("RGB")
        data = images.encode(picture, "JPEG", quality=30)
        del picture
        visit = make_visit(session, shopper=shopper)

        response = post_photo(client, visit.id, bearer(shopper, clock), data)

        assert response.status_code == 201, response.text
        assert (response.json()["width"], response.json()["height"]) == (8000, 6000)

    def test_a_fake_heic_is_refused_without_leaking_object_reprs(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        fake = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heicmif1" + b"\xde\xad\xbe\xef" * 256
        visit = make_visit(session, shopper=shopper)

        response = post_photo(client, visit.id, bearer(shopper, clock), fake, name="p.heic")

        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "image-corrupt"
        assert body["detail"] == "the image cannot be decoded"
        assert "object at 0x" not in response.text


class TestServedHeaders:
    def test_a_polyglot_original_is_an_attachment_never_sniffed(
        self, backend: str, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        polyglot = images.photo() + POLYGLOT_TAIL
        assert Image.open(io.BytesIO(polyglot)).format == "JPEG"
        visit = make_visit(session, shopper=shopper)
        posted = post_photo(client, visit.id, bearer(shopper, clock), polyglot)
        assert posted.status_code == 201, posted.text
        photo_id = posted.json()["id"]
        coordinator = bearer(make_user(session, Role.coordinator), clock)

        status, headers, content = fetch_raw(client, photo_id, "original", coordinator)

        assert (status, content) == (200, polyglot)  # kept byte for byte, as evidence
        assert headers["content-disposition"].startswith("attachment;")
        assert f"photo-{photo_id}.jpg" in headers["content-disposition"]
        assert headers["content-type"] == "image/jpeg"
        # S3 cannot be told to add nosniff to a presigned GET; attachment is what protects there.
        if backend == "local":
            assert headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize("variant", ["thumb", "display"])
    def test_variants_are_served_with_nosniff(
        self,
        backend: str,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        variant: str,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        photo_id = post_photo(client, visit.id, phone, images.photo()).json()["id"]

        status, headers, content = fetch_raw(client, photo_id, variant, phone)

        assert status == 200
        assert Image.open(io.BytesIO(content)).format == "JPEG"
        if backend == "local":
            assert headers["x-content-type-options"] == "nosniff"
            assert "content-disposition" not in headers
