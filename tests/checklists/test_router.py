import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from service.auth.roles import Role
from service.config import Settings
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path


@pytest.fixture
def shopper(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.shopper)


@pytest.fixture
def coordinator(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.coordinator)


def template(channel: str = "call_1414") -> dict[str, Any]:
    path: Path = Settings().templates_dir / f"{channel}.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


# The next version of the published 1414 template, whatever the file's is today.
NEXT = template()["version"] + 1


class TestListChecklists:
    def test_s26_in_person(self, client: TestClient, shopper: dict[str, str]) -> None:
        body = client.get(
            api_path("list_checklists") + "?service=S26&channel=in_person", headers=shopper
        ).json()
        assert body["total"] == 1
        item = body["items"][0]
        assert (item["service_code"], item["channel"]) == ("S26", "in_person")
        assert (item["template_version"], item["standard_version"]) == (
            template("in_person")["version"],
            1,
        )
        assert len(item["content_hash"]) == 64

    def test_channels_of_a_service(self, client: TestClient, shopper: dict[str, str]) -> None:
        s26 = client.get(api_path("list_checklists") + "?service=S26", headers=shopper).json()[
            "items"
        ]
        s27 = client.get(api_path("list_checklists") + "?service=S27", headers=shopper).json()[
            "items"
        ]
        assert [i["channel"] for i in s26] == ["in_person", "call_1414"]
        assert [i["channel"] for i in s27] == ["in_person", "call_1414", "egov"]

    def test_every_service_has_an_in_person_checklist(
        self, client: TestClient, shopper: dict[str, str]
    ) -> None:
        body = client.get(
            api_path("list_checklists") + "?channel=in_person&limit=200", headers=shopper
        ).json()
        assert [i["service_code"] for i in body["items"]] == [f"S{n:02d}" for n in range(1, 61)]

    def test_listing_twice_resolves_once(self, client: TestClient, shopper: dict[str, str]) -> None:
        first = client.get(api_path("list_checklists") + "?service=S17", headers=shopper).json()
        again = client.get(api_path("list_checklists") + "?service=S17", headers=shopper).json()
        assert first["items"] == again["items"]

    def test_channel_not_offered(self, client: TestClient, shopper: dict[str, str]) -> None:
        response = client.get(
            api_path("list_checklists") + "?service=S26&channel=egov", headers=shopper
        )
        assert response.status_code == 200
        assert response.json()["total"] == 0

    @pytest.mark.parametrize(
        ("query", "status", "code"),
        [
            ("service=S99", 404, "service-not-found"),
            ("service=26", 422, "validation-failed"),
            ("channel=fax", 422, "validation-failed"),
            ("service=S26&on=2001-01-01", 404, "standard-not-in-force"),
        ],
    )
    def test_bad_queries(
        self, client: TestClient, shopper: dict[str, str], query: str, status: int, code: str
    ) -> None:
        response = client.get(api_path("list_checklists") + f"?{query}", headers=shopper)
        assert response.status_code == status
        assert response.json()["code"] == code


def s26_in_person_id(client: TestClient, headers: dict[str, str]) -> int:
    body = client.get(
        api_path("list_checklists") + "?service=S26&channel=in_person", headers=headers
    ).json()
    return int(body["items"][0]["id"])


class TestReadChecklist:
    def test_whole_checklist_with_etag(self, client: TestClient, shopper: dict[str, str]) -> None:
        checklist_id = s26_in_person_id(client, shopper)
        response = client.get(
            api_path("read_checklist", checklist_id=checklist_id), headers=shopper
        )
        assert response.status_code == 200
        body = response.json()
        assert response.headers["ETag"] == f'"{body["content_hash"]}"'
        codes = [i["code"] for s in body["checklist"]["sections"] for i in s["items"]]
        assert {"ticket_taken_at", "number_called_at", "documents_demanded"} <= set(codes)
        assert "deadline_case" not in codes  # S26 has a single deadline

    def test_s17_asks_which_deadline_case(
        self, client: TestClient, shopper: dict[str, str]
    ) -> None:
        listed = client.get(
            api_path("list_checklists") + "?service=S17&channel=in_person", headers=shopper
        )
        checklist_id = listed.json()["items"][0]["id"]
        body = client.get(
            api_path("read_checklist", checklist_id=checklist_id), headers=shopper
        ).json()
        items = {i["code"]: i for s in body["checklist"]["sections"] for i in s["items"]}
        assert len(items["deadline_case"]["options"]) == 4

    def test_304_when_unchanged(self, client: TestClient, shopper: dict[str, str]) -> None:
        checklist_id = s26_in_person_id(client, shopper)
        etag = client.get(
            api_path("read_checklist", checklist_id=checklist_id), headers=shopper
        ).headers["ETag"]
        response = client.get(
            api_path("read_checklist", checklist_id=checklist_id),
            headers=shopper | {"If-None-Match": etag},
        )
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["ETag"] == etag

    def test_200_when_the_phone_has_another_version(
        self, client: TestClient, shopper: dict[str, str]
    ) -> None:
        checklist_id = s26_in_person_id(client, shopper)
        response = client.get(
            api_path("read_checklist", checklist_id=checklist_id),
            headers=shopper | {"If-None-Match": '"old"'},
        )
        assert response.status_code == 200
        assert response.headers["ETag"] != '"old"'
        assert response.json()["checklist"]["sections"]

    def test_unknown_id(self, client: TestClient, shopper: dict[str, str]) -> None:
        response = client.get(api_path("read_checklist", checklist_id=999999), headers=shopper)
        assert response.status_code == 404
        assert response.json()["code"] == "checklist-not-found"


class TestPublishChecklist:
    def test_new_version_is_used_from_then_on(
        self, client: TestClient, coordinator: dict[str, str]
    ) -> None:
        before = client.get(
            api_path("list_checklists") + "?service=S26&channel=call_1414", headers=coordinator
        )
        data = template() | {
            "version": NEXT,
            "title_en": "Contact-centre call, revised: {service_name_en}",
        }
        response = client.post(api_path("publish_checklist"), json=data, headers=coordinator)
        assert response.status_code == 201, response.text
        assert (response.json()["channel"], response.json()["version"]) == ("call_1414", NEXT)
        after = client.get(
            api_path("list_checklists") + "?service=S26&channel=call_1414", headers=coordinator
        )
        old, new = before.json()["items"][0], after.json()["items"][0]
        assert new["template_version"] == NEXT
        assert new["id"] != old["id"]
        assert new["content_hash"] != old["content_hash"]
        # The old version stays readable, unchanged, for visits that pinned it.
        kept = client.get(
            api_path("read_checklist", checklist_id=old["id"]), headers=coordinator
        ).json()
        assert kept["content_hash"] == old["content_hash"]

    def test_yaml_body(self, client: TestClient, coordinator: dict[str, str]) -> None:
        text = yaml.safe_dump(template() | {"version": NEXT + 1}, allow_unicode=True)
        response = client.post(
            api_path("publish_checklist"),
            content=text.encode(),
            headers=coordinator | {"content-type": "application/yaml"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["version"] == NEXT + 1

    def test_same_version_same_content_is_a_no_op(
        self, client: TestClient, coordinator: dict[str, str]
    ) -> None:
        response = client.post(api_path("publish_checklist"), json=template(), headers=coordinator)
        assert response.status_code == 200
        assert response.json()["version"] == NEXT - 1

    def test_published_version_is_immutable(
        self, client: TestClient, coordinator: dict[str, str]
    ) -> None:
        data = template() | {"title_ru": "Изменённый заголовок: {service_name_ru}"}
        response = client.post(api_path("publish_checklist"), json=data, headers=coordinator)
        assert response.status_code == 409
        assert response.json()["code"] == "checklist-version-exists"

    def test_version_must_grow(self, client: TestClient, coordinator: dict[str, str]) -> None:
        # Past the shipped template's version, then back to one between the two.
        client.post(
            api_path("publish_checklist"),
            json=template() | {"version": NEXT + 1},
            headers=coordinator,
        )
        response = client.post(
            api_path("publish_checklist"), json=template() | {"version": NEXT}, headers=coordinator
        )
        assert response.status_code == 409
        assert f"version {NEXT + 1}" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda t: t["sections"][0]["items"][0].update(kind="essay"), "kind"),
            (lambda t: t["sections"][0]["items"][0].update(weight=-1), "weight"),
            (lambda t: t["sections"][0]["items"][0].pop("text_ru"), "text_ru"),
            (
                lambda t: t["sections"][0]["items"].append(t["sections"][0]["items"][0]),
                "line_called",
            ),
        ],
    )
    def test_invalid_template_is_422_and_nothing_is_published(
        self, client: TestClient, coordinator: dict[str, str], change: Any, message: str
    ) -> None:
        data = template() | {"version": NEXT}
        change(data)
        response = client.post(api_path("publish_checklist"), json=data, headers=coordinator)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "checklist-invalid"
        assert message in response.json()["detail"]
        listed = client.get(
            api_path("list_checklists") + "?service=S26&channel=call_1414", headers=coordinator
        )
        assert listed.json()["items"][0]["template_version"] == NEXT - 1

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"{broken", "application/json"),
            (b"key: [unclosed", "application/yaml"),
            (b"[1, 2]", "application/json"),
        ],
    )
    def test_unreadable_body_is_422(
        self, client: TestClient, coordinator: dict[str, str], content: bytes, content_type: str
    ) -> None:
        response = client.post(
            api_path("publish_checklist"),
            content=content,
            headers=coordinator | {"content-type": content_type},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "checklist-invalid"

    def test_form_body_is_415(self, client: TestClient, coordinator: dict[str, str]) -> None:
        response = client.post(api_path("publish_checklist"), data={"a": "b"}, headers=coordinator)
        assert_problem(response, 415, "unsupported-media-type")

    def test_shopper_cannot_publish(self, client: TestClient, shopper: dict[str, str]) -> None:
        response = client.post(
            api_path("publish_checklist"),
            content=json.dumps(template()),
            headers=shopper | {"content-type": "application/json"},
        )
        assert_problem(response, 403, "forbidden")
