"""A Collect-faithful OpenRosa client, on httpx (the TestClient or a live server's client),
written from the OpenRosa spec pages (docs.getodk.org) and what ODK Collect sends: the
version header on every request, the device language, HEAD before a submission, multipart
with ``xml_submission_file`` and one part per attachment named as the XML references it, and
``*isIncomplete*=yes`` on all but the last POST of a split upload.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx

from service.openrosa.documents import FORM_LIST_NS, MANIFEST_NS, RESPONSE_NS

USER_AGENT = "Dalvik/2.1.0 (Linux; U; Android 13) org.odk.collect.android/v2024.3.1"


@dataclass(frozen=True)
class ListedForm:
    form_id: str
    name: str
    version: str
    hash: str
    download_url: str
    manifest_url: str


@dataclass(frozen=True)
class MediaFile:
    filename: str
    hash: str
    download_url: str


def message(response: httpx.Response) -> str:
    """The ``<message>`` of an OpenRosaResponse (what Collect shows)."""
    assert response.headers["content-type"].startswith("text/xml"), response.text
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{RESPONSE_NS}}}OpenRosaResponse"
    found = root.find(f"{{{RESPONSE_NS}}}message")
    assert found is not None
    return found.text or ""


class Collect:
    """One phone: a server URL (with the app token, or plain with Basic credentials)."""

    def __init__(
        self,
        client: httpx.Client,
        server_url: str,
        *,
        auth: tuple[str, str] | None = None,
        language: str = "ru-RU",
    ) -> None:
        self.client = client
        self.server_url = server_url.rstrip("/")
        self.auth = auth
        self.headers = {
            "X-OpenRosa-Version": "1.0",
            "Accept-Language": language,
            "User-Agent": USER_AGENT,
        }

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        if not url.startswith("http"):
            url = self.server_url + url
        headers = {**self.headers, **kw.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kw)
        if response.status_code == 401 and self.auth is not None:
            # Collect sends credentials only after the server's challenge.
            assert response.headers["www-authenticate"].startswith("Basic")
            response = self.client.request(method, url, headers=headers, auth=self.auth, **kw)
        return response

    def head_submission(self) -> httpx.Response:
        return self.request("HEAD", "/submission")

    def form_list(self) -> list[ListedForm]:
        response = self.request("GET", "/formList")
        assert response.status_code == 200, response.text
        root = ET.fromstring(response.content)
        assert root.tag == f"{{{FORM_LIST_NS}}}xforms"

        def text(form: ET.Element, tag: str) -> str:
            return form.findtext(f"{{{FORM_LIST_NS}}}{tag}") or ""

        return [
            ListedForm(
                form_id=text(form, "formID"),
                name=text(form, "name"),
                version=text(form, "version"),
                hash=text(form, "hash"),
                download_url=text(form, "downloadUrl"),
                manifest_url=text(form, "manifestUrl"),
            )
            for form in root.findall(f"{{{FORM_LIST_NS}}}xform")
        ]

    def manifest(self, url: str) -> list[MediaFile]:
        response = self.request("GET", url)
        assert response.status_code == 200, response.text
        root = ET.fromstring(response.content)
        assert root.tag == f"{{{MANIFEST_NS}}}manifest"
        return [
            MediaFile(
                filename=media.findtext(f"{{{MANIFEST_NS}}}filename") or "",
                hash=media.findtext(f"{{{MANIFEST_NS}}}hash") or "",
                download_url=media.findtext(f"{{{MANIFEST_NS}}}downloadUrl") or "",
            )
            for media in root.findall(f"{{{MANIFEST_NS}}}mediaFile")
        ]

    def submit(
        self,
        xml: bytes,
        attachments: dict[str, tuple[bytes, str]] | None = None,
        *,
        incomplete: bool = False,
    ) -> httpx.Response:
        """One submission POST; ``attachments``: file name -> (bytes, media type)."""
        files: list[tuple[str, tuple[str, bytes, str]]] = [
            ("xml_submission_file", ("submission.xml", xml, "text/xml"))
        ]
        for name, (content, media_type) in (attachments or {}).items():
            files.append((name, (name, content, media_type)))
        fields = {"*isIncomplete*": "yes"} if incomplete else None
        return self.request("POST", "/submission", files=files, data=fields)
