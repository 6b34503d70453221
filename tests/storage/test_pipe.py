"""The byte pipe between a request's body and a store thread's PUT (service/storage/pipe.py)."""

import threading
import time

import pytest

from service.storage.pipe import BodyPipe, PipeAborted


def read_all(pipe: BodyPipe, size: int) -> bytes:
    out = bytearray()
    while chunk := pipe.read(size):
        out += chunk
    return bytes(out)


def test_reads_return_the_written_bytes_in_order_in_pieces_of_at_most_size() -> None:
    pipe = BodyPipe(10)
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
    pipe = BodyPipe(13)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(read_all(pipe, 3)))
    reader.start()
    for piece in (b"one ", b"two ", b"three"):
        pipe.write(piece)
    pipe.finish()
    reader.join(timeout=10)
    assert got == [b"one two three"]


def test_read_without_size_takes_everything_written() -> None:
    pipe = BodyPipe(10)
    pipe.write(b"ab")
    pipe.write(b"cd")
    assert pipe.read() == b"abcd"


def test_an_abort_wakes_the_waiting_reader_and_drops_what_was_unread() -> None:
    pipe = BodyPipe(100)
    failures: list[BaseException] = []
    reading = threading.Event()

    def reader() -> None:
        reading.set()
        try:
            read_all(pipe, 100)
        except PipeAborted as exc:
            failures.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    reading.wait(10)
    time.sleep(0.05)  # let it block in read (the test holds either way)
    pipe.write(b"kept?")
    pipe.abort("client went away")
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert [str(e) for e in failures] == ["client went away"]
    with pytest.raises(ValueError, match="closed pipe"):
        pipe.write(b"more")


def test_once_every_byte_is_read_the_pipe_is_at_its_end_whatever_follows() -> None:
    """The store has the whole object then: an abort cannot take it back (it is deleted)."""
    pipe = BodyPipe(6)
    pipe.write(b"abcdef")
    assert pipe.read(100) == b"abcdef"
    pipe.abort("the closing boundary never came")
    assert pipe.read(100) == b""


def test_it_carries_no_more_than_its_size() -> None:
    pipe = BodyPipe(4)
    pipe.write(b"abc")
    with pytest.raises(ValueError, match="more than the 4 bytes"):
        pipe.write(b"de")


def test_a_body_finished_short_of_its_size_is_an_abort() -> None:
    pipe = BodyPipe(10)
    pipe.write(b"abc")
    pipe.finish()
    with pytest.raises(PipeAborted, match="after 3 of 10 bytes"):
        pipe.read(100)


def test_an_abort_after_the_end_changes_nothing() -> None:
    pipe = BodyPipe(5)
    pipe.write(b"whole")
    pipe.finish()
    pipe.abort("too late")
    assert read_all(pipe, 2) == b"whole"


def test_it_seeks_only_to_where_it_is() -> None:
    """botocore rewinds a body before a retry: a pipe cannot be read again, so it says so."""
    pipe = BodyPipe(3)
    assert pipe.seek(0) == 0  # nothing read yet
    pipe.write(b"abc")
    pipe.read(2)
    assert pipe.seek(2) == 2
    with pytest.raises(OSError, match="cannot be read again"):
        pipe.seek(0)
    assert not pipe.seekable()
