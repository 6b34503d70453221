"""The byte pipe between a request's body and a store thread's PUT (service/storage/pipe.py)."""

import threading

import pytest

from service.storage.pipe import BodyPipe, PipeAborted


def read_all(pipe: BodyPipe, size: int) -> bytes:
    out = bytearray()
    while chunk := pipe.read(size):
        out += chunk
    return bytes(out)


def test_reads_return_the_written_bytes_in_order_in_pieces_of_at_most_size() -> None:
    pipe = BodyPipe()
    pipe.write(b"abcdef")
    pipe.write(memoryview(b"ghij"))
    pipe.write(b"")  # nothing: not the end
    assert pipe.read(4) == b"abcd"
    assert pipe.read(4) == b"efgh"
    pipe.finish()
    assert pipe.read(4) == b"ij"
    assert pipe.read(4) == b""
    assert pipe.tell() == 10


def test_a_read_waits_for_a_write_from_another_thread() -> None:
    pipe = BodyPipe()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(read_all(pipe, 3)))
    reader.start()
    for piece in (b"one ", b"two ", b"three"):
        pipe.write(piece)
    pipe.finish()
    reader.join(timeout=10)
    assert got == [b"one two three"]


def test_read_without_size_takes_everything_written() -> None:
    pipe = BodyPipe()
    pipe.write(b"ab")
    pipe.write(b"cd")
    assert pipe.read() == b"abcd"


def test_an_abort_fails_the_waiting_reader_and_drops_what_was_unread() -> None:
    pipe = BodyPipe()
    pipe.write(b"kept?")
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            read_all(pipe, 100)
        except PipeAborted as exc:
            failures.append(exc)

    pipe.abort("client went away")
    thread = threading.Thread(target=reader)
    thread.start()
    thread.join(timeout=10)
    assert [str(e) for e in failures] == ["client went away"]
    with pytest.raises(ValueError, match="closed pipe"):
        pipe.write(b"more")


def test_an_abort_after_the_end_changes_nothing() -> None:
    pipe = BodyPipe()
    pipe.write(b"whole")
    pipe.finish()
    pipe.abort("too late")
    assert read_all(pipe, 2) == b"whole"


def test_it_seeks_only_to_where_it_is() -> None:
    """botocore rewinds a body before a retry: a pipe cannot be read again, so it says so."""
    pipe = BodyPipe()
    assert pipe.seek(0) == 0  # nothing read yet
    pipe.write(b"abc")
    pipe.read(2)
    assert pipe.seek(2) == 2
    with pytest.raises(OSError, match="cannot be read again"):
        pipe.seek(0)
    assert not pipe.seekable()
