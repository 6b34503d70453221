"""``UrlSigner`` makes the URL ``generate_presigned_url`` makes; the store takes it (test_objects,
test_heads and tests/photos/test_direct send them to SeaweedFS)."""

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from pydantic import SecretStr

from service.config import S3Settings
from service.storage.client import make_s3_client
from service.storage.signing import UrlSigner

SETTINGS = S3Settings(
    endpoint_url="http://127.0.0.1:9/store/",  # nothing listens: signing sends nothing
    region="kz-central-1",
    access_key_id=SecretStr("access"),
    secret_access_key=SecretStr("secret"),
)
SHA = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
KEYS = ["photos/1/2/original", "photos/a b/ü~x+y/display.jpg"]


def same_second(sign: Callable[[], str], reference: Callable[[], str]) -> tuple[str, str]:
    """Both URLs, signed within one second (a signature covers its second)."""
    for _ in range(5):
        ours, theirs = sign(), reference()
        if (
            parse_qs(urlsplit(ours).query)["X-Amz-Date"]
            == parse_qs(urlsplit(theirs).query)["X-Amz-Date"]
        ):
            return ours, theirs
    raise AssertionError("could not sign twice within one second")


@pytest.mark.parametrize("key", KEYS)
def test_a_put_url_is_the_one_generate_presigned_url_makes(key: str) -> None:
    client = make_s3_client(SETTINGS)
    signer = UrlSigner(client, "mshop")
    headers = {
        "Content-Type": "image/jpeg",
        "Content-Length": "3145728",
        "x-amz-checksum-sha256": SHA,
        "If-None-Match": "*",
    }
    params = {
        "Bucket": "mshop",
        "Key": key,
        "ContentType": "image/jpeg",
        "ContentLength": 3145728,
        "ChecksumSHA256": SHA,
        "IfNoneMatch": "*",
    }

    ours, theirs = same_second(
        lambda: signer.url("PUT", key, headers, 900),
        lambda: client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=900, HttpMethod="PUT"
        ),
    )

    assert ours == theirs
    query = parse_qs(urlsplit(ours).query)
    assert query["X-Amz-SignedHeaders"] == [
        "content-length;content-type;host;if-none-match;x-amz-checksum-sha256"
    ]
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Credential"][0].startswith("access/")
    assert "/kz-central-1/s3/aws4_request" in query["X-Amz-Credential"][0]
    assert urlsplit(ours).path.startswith("/store/mshop/photos/")


@pytest.mark.parametrize("key", KEYS)
def test_a_head_url_is_the_one_generate_presigned_url_makes(key: str) -> None:
    client = make_s3_client(SETTINGS)
    signer = UrlSigner(client, "mshop")

    ours, theirs = same_second(
        lambda: signer.url("HEAD", key, {"x-amz-checksum-mode": "ENABLED"}, 60),
        lambda: client.generate_presigned_url(
            "head_object",
            Params={"Bucket": "mshop", "Key": key, "ChecksumMode": "ENABLED"},
            ExpiresIn=60,
            HttpMethod="HEAD",
        ),
    )

    assert ours == theirs


def test_a_client_addressing_buckets_by_host_is_refused() -> None:
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="access",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )

    with pytest.raises(ValueError, match="path-style"):
        UrlSigner(client, "mshop")
