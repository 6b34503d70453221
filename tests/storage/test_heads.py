"""HEADs sent through a signed URL answer what ``head_object`` answers, and fail as it would."""

import base64
import hashlib
import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from service.storage.client import make_s3_client
from service.storage.heads import Head, HeadFailed, SignedHeads
from service.storage.objects import StorageUnavailable, StoredObject
from service.storage.s3 import S3Store
from tests.fixtures.s3 import S3Endpoint, free_ports

pytestmark = pytest.mark.s3


def stored_with_checksum(store: S3Store, key: str, body: bytes) -> str:
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    store.client.put_object(Bucket=store.bucket, Key=key, Body=body, ChecksumSHA256=sha)
    return sha


class Failing:
    """A loopback front for the store that answers 503 to the first ``failures`` HEADs and
    passes the rest on unchanged (the Host header too, so the signature still holds)."""

    def __init__(self, target: str, failures: int) -> None:
        self.target = urlsplit(target)
        self.failures = failures
        self.seen = 0

    @contextmanager
    def serving(self) -> Iterator[str]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                front.seen += 1
                if front.seen <= front.failures:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection(
                    front.target.hostname or "", front.target.port, timeout=10
                )
                upstream.request("HEAD", self.path, headers=dict(self.headers.items()))
                answer = upstream.getresponse()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    self.send_header(name, value)
                self.end_headers()
                upstream.close()

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def test_a_signed_head_answers_what_head_object_answers(s3_store: S3Store) -> None:
    sha = stored_with_checksum(s3_store, "a/original", b"photo bytes" * 100)
    heads = SignedHeads(s3_store.client, s3_store.bucket)

    head = heads.head("a/original")

    plain = s3_store.client.head_object(
        Bucket=s3_store.bucket, Key="a/original", ChecksumMode="ENABLED"
    )
    assert head == Head(
        size=plain["ContentLength"],
        checksum_sha256=plain["ChecksumSHA256"],
        checksum_type=plain.get("ChecksumType"),
    )
    assert head is not None
    assert head.checksum_sha256 == sha
    assert head.size == 1100
    assert heads.head("a/missing") is None
    assert s3_store.head("a/original") == StoredObject(
        size=1100, sha256=hashlib.sha256(b"photo bytes" * 100).hexdigest()
    )


def test_keys_that_need_quoting_are_found(s3_store: S3Store) -> None:
    key = "visits/ünï code/a b+c/original"
    stored_with_checksum(s3_store, key, b"x" * 10)

    assert s3_store.head(key) is not None
    assert s3_store.size(key) == 10


def test_a_refused_signature_is_the_store_unavailable_at_once(
    seaweed: S3Endpoint, s3_store: S3Store
) -> None:
    stored_with_checksum(s3_store, "b/original", b"bytes")
    wrong = make_s3_client(seaweed.settings(s3_store.bucket, secret_access_key="wrong"))

    with pytest.raises(HeadFailed, match="HTTP 403"):
        SignedHeads(wrong, s3_store.bucket).head("b/original")
    with pytest.raises(StorageUnavailable, match="b/original"):
        S3Store(wrong, s3_store.bucket, create_bucket=False).head("b/original")


def test_an_endpoint_that_is_down_is_the_store_unavailable() -> None:
    (port,) = free_ports(1)  # free, so nothing listens there
    settings = S3Endpoint(f"http://127.0.0.1:{port}").settings(
        "mshop", connect_timeout_seconds=0.5, read_timeout_seconds=0.5
    )
    store = S3Store(make_s3_client(settings), "mshop", create_bucket=False)

    with pytest.raises(HeadFailed, match="Could not connect"):
        SignedHeads(store.client, "mshop").head("k")
    with pytest.raises(StorageUnavailable, match="cannot check k"):
        store.head_many(["k"])


@pytest.mark.parametrize(("failures", "found"), [(1, True), (2, False)])
def test_a_transient_failure_is_tried_again_up_to_the_clients_attempts(
    seaweed: S3Endpoint, s3_store: S3Store, failures: int, found: bool
) -> None:
    stored_with_checksum(s3_store, "c/original", b"c" * 7)
    front = Failing(seaweed.endpoint_url, failures)
    with front.serving() as url:
        # max_attempts counts the first try: two attempts, as botocore's would be.
        settings = S3Endpoint(url).settings(s3_store.bucket, max_attempts=2)
        heads = SignedHeads(make_s3_client(settings), s3_store.bucket)
        assert heads.attempts == 2
        if found:
            head = heads.head("c/original")
            assert head is not None
            assert head.size == 7
        else:
            with pytest.raises(HeadFailed, match="HTTP 503"):
                heads.head("c/original")
    assert front.seen == 2
