"""Storing an object while its bytes arrive (service/storage/streaming.py), on SeaweedFS."""

import hashlib
import os
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from service.storage.client import make_s3_client
from service.storage.deadline import Deadlines
from service.storage.local import LocalStore
from service.storage.pipe import BodyPipe
from service.storage.s3 import S3Store
from service.storage.streaming import StreamFailed, StreamingPut
from tests.fixtures.s3 import S3Endpoint
from tests.fixtures.waiting import wait_for

PATIENT = Deadlines(operation_seconds=30.0, upload_seconds=60.0, check_seconds=30.0)


@pytest.fixture
def store(seaweed: S3Endpoint, s3_bucket: str) -> S3Store:
    made = S3Store(
        make_s3_client(seaweed.settings(s3_bucket)),
        s3_bucket,
        create_bucket=True,
        deadlines=PATIENT,
        streams=2,
    )
    made.ensure_ready()
    return made


def started(store: S3Store, key: str, data: bytes, *, sha_of: bytes | None = None) -> StreamingPut:
    stream = store.start_stream(
        key,
        content_type="image/jpeg",
        size=len(data),
        sha256=hashlib.sha256(data if sha_of is None else sha_of).hexdigest(),
    )
    assert stream is not None
    return stream


def feed(stream: StreamingPut, data: bytes, pieces: int = 7) -> None:
    """Write as a request's chunks arrive: in pieces, from the caller's thread."""
    step = len(data) // pieces + 1
    for at in range(0, len(data), step):
        stream.write(data[at : at + step])


pytestmark = pytest.mark.s3


def test_the_object_is_stored_with_its_checksum_once_the_last_byte_is_written(
    store: S3Store,
) -> None:
    data = os.urandom(300_000)
    stream = started(store, "photos/v/p/original", data)
    feed(stream, data)
    stream.finish()
    stream.wait()
    with store.open("photos/v/p/original") as stored:
        assert stored.read() == data
    head = store.head("photos/v/p/original")
    assert head is not None
    assert (head.size, head.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_the_store_takes_the_bytes_before_the_last_one_is_written(store: S3Store) -> None:
    data = os.urandom(400_000)
    stream = started(store, "photos/v/early/original", data)
    stream.write(data[:200_000])
    wait_for(lambda: stream.sent == 200_000, "the PUT took the first 200,000 bytes")
    stream.write(data[200_000:])
    stream.finish()
    stream.wait()
    with store.open("photos/v/early/original") as stored:
        assert stored.read() == data


def test_a_stream_cut_short_stores_nothing(store: S3Store) -> None:
    data = os.urandom(200_000)
    stream = started(store, "photos/v/cut/original", data)
    stream.write(data[:50_000])
    stream.abort("the client went away")
    assert stream.ended(timeout=30)  # the PUT failed on the abort, not on the wait below
    with pytest.raises(StreamFailed, match="was not sent whole"):
        stream.wait()
    assert store.head("photos/v/cut/original") is None


def test_bytes_other_than_the_declared_ones_are_refused_by_the_store(store: S3Store) -> None:
    data = os.urandom(100_000)
    stream = started(store, "photos/v/wrong/original", data, sha_of=b"something else")
    feed(stream, data)
    stream.finish()
    with pytest.raises(StreamFailed, match="cannot store photos/v/wrong/original"):
        stream.wait()
    assert store.head("photos/v/wrong/original") is None


def test_past_its_slots_the_store_streams_nothing_until_one_ends(store: S3Store) -> None:
    data = b"x" * 1000
    first = started(store, "photos/v/1/original", data)
    second = started(store, "photos/v/2/original", data)
    assert (
        store.start_stream(
            "photos/v/3/original",
            content_type="image/jpeg",
            size=1000,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        is None
    )
    for stream in (first, second):
        stream.write(data)
        stream.finish()
        stream.wait()
    freed = threading.Event()
    for _ in range(100):  # the slot is given back just after the PUT's thread ends
        third = store.start_stream(
            "photos/v/3/original",
            content_type="image/jpeg",
            size=1000,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        if third is not None:
            third.abort("only checking the slot")
            freed.set()
            break
        freed.wait(0.05)
    assert freed.is_set()


def test_a_store_without_slots_or_a_local_folder_streams_nothing(
    seaweed: S3Endpoint, s3_bucket: str, tmp_path: Path
) -> None:
    none = S3Store(make_s3_client(seaweed.settings(s3_bucket)), s3_bucket, create_bucket=True)
    local = LocalStore(tmp_path)
    for store in (none, local):
        assert store.start_stream("k", content_type="image/jpeg", size=1, sha256="0" * 64) is None


def test_a_stream_aborted_after_its_last_byte_may_be_stored_and_says_so(store: S3Store) -> None:
    """A phone that sent every byte but hung up before the form's end: the PUT had them all,
    so the object may be stored; ``settle`` says it must be deleted."""
    data = os.urandom(100_000)
    stream = started(store, "photos/v/whole/original", data)
    feed(stream, data)
    wait_for(lambda: stream.sent == len(data), "the PUT took every byte")
    stream.abort("the closing boundary never came")
    assert stream.settle()
    assert store.head("photos/v/whole/original") is not None


def test_a_stream_cut_before_its_last_byte_needs_no_delete(store: S3Store) -> None:
    data = os.urandom(100_000)
    stream = started(store, "photos/v/half/original", data)
    stream.write(data[:10_000])
    stream.abort("the client went away")
    assert not stream.settle()
    assert store.head("photos/v/half/original") is None


def test_once_the_put_failed_the_rest_of_the_body_is_dropped(store: S3Store) -> None:
    data = os.urandom(100_000)
    stream = started(store, "photos/v/refused/original", data, sha_of=b"other")
    feed(stream, data)
    stream.finish()
    with pytest.raises(StreamFailed):
        stream.wait()
    stream.write(b"late bytes")  # neither kept nor an error
    assert store.head("photos/v/refused/original") is None


def test_a_missed_deadline_is_reported_to_the_store() -> None:
    """The store's cool-down starts as for any call that missed its deadline."""
    missed: list[bool] = []
    never: Future[None] = Future()
    stream = StreamingPut("k", BodyPipe(1), never, 0.01, on_missed=lambda: missed.append(True))
    stream.write(b"x")
    stream.finish()
    with pytest.raises(StreamFailed) as failed:
        stream.wait()
    assert failed.value.timed_out
    assert missed == [True]
