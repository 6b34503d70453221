"""Presigned URLs of one bucket's objects for the price of the signature alone.

``generate_presigned_url`` runs botocore's whole per-call pipeline to sign a URL: parameter
validation, serialisation, the endpoint rules, events; on the bench machine about 0.5-0.6 ms
of CPU a URL, where the SigV4 signature itself costs about 0.15 ms. A direct upload signs a
PUT a photo (tickets) and a HEAD a photo (complete). ``UrlSigner`` signs the same request the
client would send, with the client's own signer (its credentials, refreshed as the client
refreshes them, and its region), so the URL is the one ``generate_presigned_url`` makes for
the same parameters in the same second (tests/storage/test_signing.py compares them).
"""

from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSRequest
from botocore.utils import percent_encode

from service.storage.checksums import sha256_base64
from service.storage.objects import PresignedPut

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# SigV4 presigned URLs may not outlive a week.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


def expiry(seconds: int) -> int:
    """``seconds`` when a presigned URL may live that long; else ValueError."""
    if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"expires_seconds must be between 1 and {MAX_PRESIGN_SECONDS}")
    return seconds


class UrlSigner:
    """SigV4 query-signed URLs of ``bucket``'s objects, addressed path-style as our clients
    are (``storage.client.make_s3_client``)."""

    def __init__(self, client: "S3Client", bucket: str) -> None:
        s3_options = getattr(client.meta.config, "s3", None) or {}
        if s3_options.get("addressing_style") != "path":
            raise ValueError("UrlSigner signs path-style URLs; the client must address so")
        # The client's signer: not in boto3's public surface, but it is what
        # generate_presigned_url signs with, credentials and their refresh included.
        self._signer: Any = getattr(client, "_request_signer")  # noqa: B009
        self._region = client.meta.region_name
        self._base = f"{client.meta.endpoint_url.rstrip('/')}/{percent_encode(bucket)}/"

    def url(self, method: str, key: str, headers: dict[str, str], expires_seconds: int) -> str:
        """A URL for ``method`` on ``key`` valid ``expires_seconds``; ``headers`` are signed
        into it, so the request must send each of them unchanged."""
        # Keys are encoded as botocore encodes S3's {Key+} label: '/' and '~' stay as they are.
        request = AWSRequest(method, self._base + percent_encode(key, safe="/~"), headers=headers)
        auth = self._signer.get_auth_instance(
            "s3", self._region, signature_version="s3v4-query", expires=expires_seconds
        )
        auth.add_auth(request)
        url = request.url
        if url is None:  # botocore-stubs allow it; a request made with a URL keeps it
            raise ValueError(f"no URL was signed for {key!r}")
        return url

    def put_url(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        sha256: str,
        expires_seconds: int,
    ) -> PresignedPut:
        """A PUT that can only create ``key``, once, with exactly these bytes.

        Bound into the signature, so the client must send each of ``headers`` unchanged
        (403 otherwise): the content type and exact length (the upload cannot outgrow what
        was allowed), ``x-amz-checksum-sha256`` (the store refuses other bytes, 400
        BadDigest, and keeps the checksum for ``head``) and ``If-None-Match: *`` (a PUT to a
        key that already holds an object is refused, 412: a replayed URL cannot replace or
        re-create checked evidence). Checked against SeaweedFS in tests/storage.
        """
        if content_length < 0:
            raise ValueError("content_length must not be negative")
        checksum = sha256_base64(sha256)
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(content_length),
            "x-amz-checksum-sha256": checksum,
            "If-None-Match": "*",
        }
        # The URL put_object's generate_presigned_url makes, at a quarter of its CPU.
        url = self.url("PUT", key, headers, expiry(expires_seconds))
        return PresignedPut(url=url, headers=headers)
