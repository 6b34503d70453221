"""Object stores: one behaviour table for the local folder and real SeaweedFS, then S3 extras."""

import datetime as dt
import hashlib
import io
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from service.storage.client import make_s3_client
from service.storage.local import LocalStore
from service.storage.objects import (
    ObjectNotFound,
    ObjectStore,
    PresignedPut,
    StorageUnavailable,
    StoredObject,
    content_disposition,
)
from service.storage.s3 import S3Store
from tests.fixtures import s3 as s3_fixtures
from tests.fixtures.images import as_binary
from tests.fixtures.s3 import S3Endpoint, SeaweedError, assert_loopback, free_ports

MIB = 1024 * 1024
# No proxy may stand between the tests and the loopback server.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LazyStream(io.RawIOBase):
    """``total`` deterministic bytes made on each read, never held whole; records read sizes."""

    def __init__(self, total: int, *, fail_after: int | None = None) -> None:
        self.total = total
        self.fail_after = fail_after
        self.position = 0
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), self.total - self.position)
        if self.fail_after is not None and self.position + count > self.fail_after:
            raise OSError("client went away")
        pattern = bytes((self.position + i) % 251 for i in range(251))
        for start in range(0, count, 251):
            end = min(start + 251, count)
            view[start:end] = pattern[: end - start]
        self.position += count
        self.largest_read = max(self.largest_read, count)
        return count


def sha256_of(stream: BinaryIO | io.RawIOBase) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(MIB):
        digest.update(chunk)
    return digest.hexdigest()


SHA_X = hashlib.sha256(b"x").hexdigest()


def presign(store: S3Store, key: str, body: bytes, *, expires_seconds: int = 300) -> PresignedPut:
    return store.presign_put(
        key,
        content_type="image/jpeg",
        content_length=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        expires_seconds=expires_seconds,
    )


def put_bytes(store: ObjectStore, key: str, data: bytes, content_type: str = "text/plain") -> None:
    store.put(key, io.BytesIO(data), content_type=content_type)


def read(store: ObjectStore, key: str) -> bytes:
    with store.open(key) as stream:
        return stream.read()


def http(url: str, *, method: str = "GET", data: bytes | None = None, **headers: str) -> Any:
    """Status, headers and body of a plain HTTP call, as a browser or phone would make it."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with HTTP.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class TestBothBackends:
    def test_ensure_ready_creates_the_bucket_or_folder(self, store: ObjectStore) -> None:
        with pytest.raises(StorageUnavailable):
            store.check()

        store.ensure_ready()
        store.ensure_ready()  # twice is fine

        store.check()

    def test_put_streams_and_get_returns_identical_bytes(self, store: ObjectStore) -> None:
        store.ensure_ready()
        upload = LazyStream(20 * MIB)

        store.put(
            "visits/1/photos/big.bin", as_binary(upload), content_type="application/octet-stream"
        )

        assert upload.largest_read <= 8 * MIB
        assert store.size("visits/1/photos/big.bin") == 20 * MIB
        with store.open("visits/1/photos/big.bin") as stored:
            assert sha256_of(stored) == sha256_of(LazyStream(20 * MIB))

    def test_head_many_tells_each_key_in_order(self, store: ObjectStore) -> None:
        store.ensure_ready()
        put_bytes(store, "a.jpg", b"a" * 10)
        put_bytes(store, "c.jpg", b"c" * 30)

        found = store.head_many(["c.jpg", "missing.jpg", "a.jpg"])

        assert [f.size if f else None for f in found] == [30, None, 10]

    def test_put_replaces_an_object(self, store: ObjectStore) -> None:
        store.ensure_ready()
        put_bytes(store, "a.txt", b"first")

        put_bytes(store, "a.txt", b"second")

        assert read(store, "a.txt") == b"second"

    def test_exists_and_size(self, store: ObjectStore) -> None:
        store.ensure_ready()
        assert (store.exists("k/one"), store.size("k/one")) == (False, None)

        put_bytes(store, "k/one", b"12345")

        assert (store.exists("k/one"), store.size("k/one")) == (True, 5)
        assert store.exists("k") is False  # a prefix is not an object

    def test_open_of_a_missing_object_says_so(self, store: ObjectStore) -> None:
        store.ensure_ready()

        with pytest.raises(ObjectNotFound):
            store.open("nothing/here")

    def test_delete_is_idempotent(self, store: ObjectStore) -> None:
        store.ensure_ready()
        put_bytes(store, "gone.txt", b"x")

        store.delete("gone.txt")
        store.delete("gone.txt")
        store.delete("never-was.txt")

        assert not store.exists("gone.txt")

    def test_delete_many(self, store: ObjectStore) -> None:
        store.ensure_ready()
        for key in ("p/a", "p/b", "p/c"):
            put_bytes(store, key, key.encode())

        store.delete_many(["p/a", "p/b", "p/missing"])
        store.delete_many([])

        assert [store.exists(key) for key in ("p/a", "p/b", "p/c")] == [False, False, True]


class TestLocalStore:
    @pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "", ".", "a/.."])
    def test_refuses_keys_escaping_its_folder(self, tmp_path: Path, key: str) -> None:
        store = LocalStore(tmp_path / "objects")
        store.ensure_ready()

        with pytest.raises(ValueError, match="escapes"):
            put_bytes(store, key, b"x")
        with pytest.raises(ValueError, match="escapes"):
            store.delete_many(["fine", key])

    def test_check_fails_when_the_folder_is_gone(self, tmp_path: Path) -> None:
        store = LocalStore(tmp_path / "objects")
        store.ensure_ready()
        (tmp_path / "objects").rmdir()

        with pytest.raises(StorageUnavailable, match="does not exist"):
            store.check()

    @pytest.mark.parametrize("fault", ["missing", "a-file"])
    def test_a_missing_or_unreadable_folder_is_the_store_down_not_a_missing_object(
        self, tmp_path: Path, fault: str
    ) -> None:
        root = tmp_path / "objects"
        store = LocalStore(root)
        store.ensure_ready()
        put_bytes(store, "photos/v/p/thumb.jpg", b"thumb")
        shutil.rmtree(root)
        if fault == "a-file":  # e.g. a mount point gone wrong: reading under it is ENOTDIR
            root.write_bytes(b"")

        with pytest.raises(StorageUnavailable):
            store.open("photos/v/p/thumb.jpg")
        with pytest.raises(StorageUnavailable):
            store.head("photos/v/p/thumb.jpg")
        with pytest.raises(StorageUnavailable):
            put_bytes(store, "photos/v/p/display.jpg", b"display")
        # Nothing was quietly recreated in its place.
        assert root.is_dir() is False

    def test_head_and_open_of_a_missing_object_in_a_present_folder(self, tmp_path: Path) -> None:
        store = LocalStore(tmp_path / "objects")
        store.ensure_ready()
        put_bytes(store, "photos/v/p/thumb.jpg", b"thumb")

        assert store.head("photos/v/p/thumb.jpg") == StoredObject(size=5)
        assert store.head("photos/v/p/display.jpg") is None
        assert store.head("photos/v/p") is None  # a folder is not an object
        with pytest.raises(ObjectNotFound):
            store.open("photos/v/p/display.jpg")

    def test_a_failed_upload_leaves_nothing_behind(self, tmp_path: Path) -> None:
        store = LocalStore(tmp_path / "objects")
        store.ensure_ready()

        with pytest.raises(OSError, match="went away"):
            store.put(
                "half.bin", as_binary(LazyStream(4 * MIB, fail_after=2 * MIB)), content_type="x/y"
            )

        assert list((tmp_path / "objects").iterdir()) == []

    def test_clean_up_removes_stale_partial_files_only(self, tmp_path: Path) -> None:
        store = LocalStore(tmp_path / "objects")
        store.ensure_ready()
        store.put("photos/v/p/original", io.BytesIO(b"kept"), content_type="image/jpeg")
        folder = tmp_path / "objects" / "photos" / "v" / "p"
        stale = folder / ".original.0123abcd.partial"  # a writer killed mid-copy
        fresh = folder / ".display.jpg.4567ef01.partial"  # a writer still copying
        stale.write_bytes(b"half")
        fresh.write_bytes(b"growing")
        hour_ago = time.time() - 3600
        os.utime(stale, (hour_ago, hour_ago))
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)

        assert store.remove_partials(cutoff) == 1

        assert sorted(p.name for p in folder.iterdir()) == [fresh.name, "original"]
        with store.open("photos/v/p/original") as kept:
            assert kept.read() == b"kept"
        assert store.remove_partials(cutoff) == 0

    def test_has_no_urls_of_its_own(self, tmp_path: Path) -> None:
        store: ObjectStore = LocalStore(tmp_path)  # as the app sees it

        put = store.presign_put(
            "k", content_type="image/jpeg", content_length=1, sha256=SHA_X, expires_seconds=60
        )

        assert put is None
        assert store.presign_get("k", expires_seconds=60) is None


def unreachable_store(**overrides: Any) -> S3Store:
    (port,) = free_ports(1)  # free, so nothing listens there
    endpoint = S3Endpoint(f"http://127.0.0.1:{port}")
    settings = endpoint.settings("mshop", **overrides)
    return S3Store(make_s3_client(settings), "mshop", create_bucket=True)


@pytest.mark.s3
class TestS3Store:
    def test_check_fails_when_the_endpoint_is_down(self) -> None:
        store = unreachable_store(connect_timeout_seconds=0.5, read_timeout_seconds=0.5)

        with pytest.raises(StorageUnavailable, match="unreachable"):
            store.check()
        with pytest.raises(StorageUnavailable, match="unreachable"):
            store.ensure_ready()

    def test_check_fails_with_wrong_credentials(
        self, seaweed: S3Endpoint, s3_store: S3Store
    ) -> None:
        settings = seaweed.settings(s3_store.bucket, secret_access_key="wrong-secret")
        store = S3Store(make_s3_client(settings), s3_store.bucket, create_bucket=True)

        with pytest.raises(StorageUnavailable):
            store.check()

    def test_put_keeps_the_content_type(self, s3_store: S3Store) -> None:
        put_bytes(s3_store, "photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")

        head = s3_store.client.head_object(Bucket=s3_store.bucket, Key="photo.jpg")

        assert head["ContentType"] == "image/jpeg"

    def test_presigned_put_uploads_and_presigned_get_reads_back(self, s3_store: S3Store) -> None:
        body = b"\xff\xd8\xff" + bytes(range(256)) * 40
        put = presign(s3_store, "visits/7/photo.jpg", body)

        status, _, _ = http(put.url, method="PUT", data=body, **put.headers)

        assert status == 200
        assert read(s3_store, "visits/7/photo.jpg") == body
        name = 'Справка ЦОН №5 "Астана".jpg'
        status, headers, got = http(
            s3_store.presign_get("visits/7/photo.jpg", expires_seconds=300, filename=name)
        )
        assert (status, got) == (200, body)
        assert headers["Content-Disposition"] == content_disposition(name)
        assert headers["Content-Type"] == "image/jpeg"

    def test_head_tells_the_size_and_the_checksum_the_put_was_bound_to(
        self, s3_store: S3Store
    ) -> None:
        body = b"evidence" * 100
        put = presign(s3_store, "p.jpg", body)
        assert s3_store.head("p.jpg") is None

        assert http(put.url, method="PUT", data=body, **put.headers)[0] == 200

        assert s3_store.head("p.jpg") == StoredObject(
            size=len(body), sha256=hashlib.sha256(body).hexdigest()
        )
        put_bytes(s3_store, "plain.txt", b"no checksum sent")
        assert s3_store.head("plain.txt") == StoredObject(size=16, sha256=None)

    @pytest.mark.parametrize("holder", ["memory", "file"])
    def test_a_put_of_known_size_and_hash_is_one_put_the_store_checked(
        self, s3_store: S3Store, tmp_path: Path, holder: str
    ) -> None:
        body = b"\xff\xd8\xff" + bytes(range(256)) * 4000
        source: BinaryIO = io.BytesIO(body)
        if holder == "file":
            (tmp_path / "photo").write_bytes(body)
            source = (tmp_path / "photo").open("rb")
        calls: list[str] = []
        s3_store.client.meta.events.register(
            "before-call.s3", lambda model, **_: calls.append(model.name)
        )
        sha = hashlib.sha256(body).hexdigest()

        s3_store.put("p.jpg", source, content_type="image/jpeg", size=len(body), sha256=sha)

        assert calls == ["PutObject"]
        assert s3_store.head("p.jpg") == StoredObject(size=len(body), sha256=sha)
        assert read(s3_store, "p.jpg") == body
        source.close()

    def test_a_put_whose_bytes_are_not_its_hash_is_refused_and_leaves_nothing(
        self, s3_store: S3Store
    ) -> None:
        body = b"evidence" * 1000
        wrong = hashlib.sha256(b"other evidence").hexdigest()

        with pytest.raises(StorageUnavailable):
            s3_store.put(
                "p.jpg", io.BytesIO(body), content_type="image/jpeg", size=len(body), sha256=wrong
            )

        assert s3_store.head("p.jpg") is None

    @pytest.mark.parametrize(
        ("data", "content_type"),
        [
            pytest.param(b"x" * 101, "image/jpeg", id="longer-than-signed"),
            pytest.param(b"x" * 99, "image/jpeg", id="shorter-than-signed"),
            pytest.param(b"x" * 100, "text/html", id="other-content-type"),
        ],
    )
    def test_presigned_put_refuses_what_was_not_signed(
        self, s3_store: S3Store, data: bytes, content_type: str
    ) -> None:
        put = presign(s3_store, "p.jpg", b"x" * 100)
        headers = put.headers | {"Content-Type": content_type, "Content-Length": str(len(data))}

        status, _, body = http(put.url, method="PUT", data=data, **headers)

        assert status == 403
        assert b"SignatureDoesNotMatch" in body
        assert not s3_store.exists("p.jpg")

    @pytest.mark.parametrize("header", ["x-amz-checksum-sha256", "If-None-Match"])
    def test_presigned_put_refuses_a_request_without_a_signed_header(
        self, s3_store: S3Store, header: str
    ) -> None:
        body = b"x" * 100
        put = presign(s3_store, "p.jpg", body)
        headers = {k: v for k, v in put.headers.items() if k != header}

        status, _, answer = http(put.url, method="PUT", data=body, **headers)

        assert status == 403
        assert b"SignatureDoesNotMatch" in answer
        assert not s3_store.exists("p.jpg")

    def test_presigned_put_refuses_other_bytes_of_the_declared_length(
        self, s3_store: S3Store
    ) -> None:
        declared, sent = b"a" * 100, b"b" * 100
        put = presign(s3_store, "p.jpg", declared)

        status, _, body = http(put.url, method="PUT", data=sent, **put.headers)

        # SeaweedFS checks the bound x-amz-checksum-sha256 against the bytes it received.
        assert status == 400
        assert b"BadDigest" in body
        assert not s3_store.exists("p.jpg")

    def test_presigned_put_cannot_replace_an_object(self, s3_store: S3Store) -> None:
        body = b"x" * 100
        put = presign(s3_store, "p.jpg", body)
        assert http(put.url, method="PUT", data=body, **put.headers)[0] == 200

        status, _, answer = http(put.url, method="PUT", data=body, **put.headers)
        # A fresh URL for the same key and bytes is refused too: the key is taken.
        again = presign(s3_store, "p.jpg", body)
        second_status, _, _ = http(again.url, method="PUT", data=body, **again.headers)

        assert (status, second_status) == (412, 412)
        assert b"PreconditionFailed" in answer
        assert s3_store.head("p.jpg") == StoredObject(100, hashlib.sha256(body).hexdigest())

    def test_presigned_put_refuses_another_key(self, s3_store: S3Store) -> None:
        put = presign(s3_store, "mine.jpg", b"x")

        status, _, _ = http(
            put.url.replace("mine.jpg", "theirs.jpg"), method="PUT", data=b"x", **put.headers
        )

        assert status == 403
        assert not s3_store.exists("theirs.jpg")

    def test_presigned_urls_expire(self, s3_store: S3Store) -> None:
        put_bytes(s3_store, "old.jpg", b"x")
        put = presign(s3_store, "new.jpg", b"x", expires_seconds=1)
        get = s3_store.presign_get("old.jpg", expires_seconds=1)
        time.sleep(2.1)

        put_status, _, put_body = http(put.url, method="PUT", data=b"x", **put.headers)
        get_status, _, _ = http(get)

        assert (put_status, get_status) == (403, 403)
        assert b"expired" in put_body
        assert not s3_store.exists("new.jpg")

    def test_presign_refuses_impossible_requests(self) -> None:
        store = unreachable_store()

        with pytest.raises(ValueError, match="expires_seconds"):
            store.presign_get("k", expires_seconds=8 * 24 * 3600)
        with pytest.raises(ValueError, match="expires_seconds"):
            store.presign_put(
                "k", content_type="a/b", content_length=1, sha256=SHA_X, expires_seconds=0
            )
        with pytest.raises(ValueError, match="content_length"):
            store.presign_put(
                "k", content_type="a/b", content_length=-1, sha256=SHA_X, expires_seconds=60
            )
        with pytest.raises(ValueError, match="sha256"):
            store.presign_put(
                "k", content_type="a/b", content_length=1, sha256="abc", expires_seconds=60
            )


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("photo.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"),
        ('a"b/c.jpg', "attachment; filename=\"a_b_c.jpg\"; filename*=UTF-8''a%22b_c.jpg"),
        ("ЦОН.jpg", "attachment; filename=\"___.jpg\"; filename*=UTF-8''%D0%A6%D0%9E%D0%9D.jpg"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
    ids=["ascii", "quote-and-slash", "cyrillic", "empty"],
)
def test_content_disposition(filename: str, header: str) -> None:
    assert content_disposition(filename) == header


class TestSeaweedFixture:
    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:8333", "http://localhost:1", "http://[::1]:1", "http://127.9.9.9"]
    )
    def test_accepts_loopback(self, url: str) -> None:
        assert_loopback(url)

    @pytest.mark.parametrize(
        "url", ["http://10.0.0.5:8333", "https://s3.amazonaws.com", "http://0.0.0.0:1", "s3"]
    )
    def test_refuses_any_other_endpoint(self, url: str) -> None:
        with pytest.raises(SeaweedError, match="non-loopback"):
            S3Endpoint(url)

    def test_a_weed_that_cannot_start_is_an_error_with_its_log(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(s3_fixtures, "weed_binary", lambda: Path("/bin/false"))

        with pytest.raises(SeaweedError, match="exited with status 1"):
            s3_fixtures.start_seaweed(tmp_path, timeout=10)
