"""``MSHOP_UPLOAD__MAX_CONCURRENT_PROCESSING``: at most that many photos decode at once in a
process, whatever the number of threads asking (the pixel budget aside)."""

import io
import threading
from typing import IO

import pytest

from service.config import UploadSettings
from service.photos import imaging, pipeline
from service.photos.header import ImageLimits
from service.photos.imaging import ProcessedImage
from tests.fixtures.images import photo

SLOTS = 2
THREADS = 6


def test_no_more_decode_at_once_than_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = UploadSettings(max_concurrent_processing=SLOTS)
    real = imaging.process_image
    inside, peak = 0, 0
    counting = threading.Lock()
    # Decoders meet in pairs: a full pair proves the slots let SLOTS in at once, and a third
    # let in while a pair waits would be counted before it could meet anyone.
    pairs = threading.Barrier(SLOTS, timeout=20)

    def watched(source: IO[bytes], limits: ImageLimits) -> ProcessedImage:
        nonlocal inside, peak
        with counting:
            inside += 1
            peak = max(peak, inside)
        try:
            pairs.wait()
            return real(source, limits)
        finally:
            with counting:
                inside -= 1

    monkeypatch.setattr(pipeline, "process_image", watched)
    done: list[ProcessedImage] = []
    failed: list[BaseException] = []

    def decode(seed: int) -> None:
        try:
            done.append(pipeline.decode(io.BytesIO(photo(seed=seed)), settings))
        except BaseException as exc:  # reported by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=decode, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failed == []
    assert peak == SLOTS
    assert len(done) == THREADS
    assert {d.info.width for d in done} == {640}  # each a real decode of its photo
