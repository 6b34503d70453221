"""A Collect submission against the JSON API for the same content, round by round.

The content is one finished visit: its answers and one 3 MB JPEG. ODK Collect sends it as one
OpenRosa submission (``HEAD .../submission``, then ``POST .../submission``: the instance XML
and the photo in one multipart body); a phone on the JSON API sends the same answers
(``PUT /visits/{id}/answers``) and the same photo (``POST /visits/{id}/photos``, multipart).
Each round times both sides on fresh visits, in a random order, and the ratio is the
submission's throughput against the JSON path's (1.0 = the same pace; medians over the
rounds), with the server's CPU per side.

Which visit: Collect only sends a finished form, and the server submits it, so the instance
must answer every required question and carry every required photo. No shipped checklist is
finished with 40 answers (a call: 19 and no photo; online: 23 or 24 and one photo; in person:
111 or 112 and four photos), so the bench publishes, in its own database only, the shipped
online-service checklist with one more section of plain required questions (``--answers``,
40 by default, in all) and fills it for S04: 40 answers and the one required photo, the visit
complete.

Photo jobs are left queued (``MSHOP_JOBS__IN_PROCESS=false``), as in ``photos.py``: neither side
waits for the decoder, and neither submits (the visit is submitted once its photo job is done,
on either path). Each round's two visits belong to two new shoppers, so no earlier round's
submission waits for the next HEAD. The client costs little CPU: every body is built before
the rounds, then sent on one keep-alive ``http.client`` connection per side. The database is
new and uniquely named (a SQLite file in a temporary folder, or ``mshop_t_<8 hex>_bench_openrosa``
on the PostgreSQL server at ``--postgres``), and dropped at the end.

    python bench/openrosa.py [--sqlite | --postgres URL] [--rounds 15] [--photo-mb 3]
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import start  # noqa: E402
from bench.photos import noisy_jpeg  # noqa: E402
from bench.sync import cpu_seconds, load  # noqa: E402
from service.auth.roles import Role  # noqa: E402
from service.checklists import service as checklists_service  # noqa: E402
from service.checklists.format import ChecklistChannel, ResolvedChecklist  # noqa: E402
from service.checklists.pinned import checklist_for_visit  # noqa: E402
from service.config import Settings  # noqa: E402
from service.openrosa import tokens  # noqa: E402
from service.standards import service as standards_service  # noqa: E402
from service.xforms import XForm, build_xform, form_id_for, version_for  # noqa: E402
from tests.conftest import NOW, SECRET, FrozenClock  # noqa: E402
from tests.fixtures.db import migrated_engine, scratch_database  # noqa: E402
from tests.fixtures.factories import complete_answers, make_visit  # noqa: E402
from tests.fixtures.http import bearer  # noqa: E402
from tests.fixtures.photo_forms import photo_form  # noqa: E402
from tests.fixtures.server import free_port  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402
from tests.xforms.collect import fields, instance_xml  # noqa: E402

SERVICE, CHANNEL = "S04", ChecklistChannel.egov
EXTRA_SECTION = "bench_extra"
SHIPPED_ANSWERS = 23  # what the shipped egov checklist takes for S04 to be finished
PHOTO_ITEM = "failure_screenshots"  # its one required photo (answers say the portal failed)
PHOTO_NAME = "1764500000000.jpg"  # as Collect names a photo: the time it was taken
SIDES = ("openrosa", "json")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status: int


@dataclass(frozen=True)
class Round:
    """One round: the same content for a visit on each side (each its own shopper)."""

    openrosa_visit: uuid.UUID
    app_token: str
    json_visit: uuid.UUID
    bearer: dict[str, str]


@dataclass(frozen=True)
class Content:
    checklist: ResolvedChecklist
    form: XForm
    answers: list[dict[str, Any]]
    staff: dict[str, str]  # a coordinator, to read both sides' visits back


def with_answers(answers: int) -> dict[str, Any]:
    """The shipped egov template, one version up, with required questions added so that a
    finished visit has ``answers`` answers (the shipped one has 23 for S04)."""
    body: dict[str, Any] = yaml.safe_load((Settings().templates_dir / "egov.yaml").read_text())
    extra = answers - SHIPPED_ANSWERS
    if extra < 0:
        raise SystemExit(f"--answers must be at least {SHIPPED_ANSWERS}")
    body["version"] += 1
    body["sections"].append(
        {
            "code": EXTRA_SECTION,
            "title_ru": "Дополнительно",
            "title_en": "More",
            "weight": 1,
            "items": [
                {
                    "code": f"bench_extra_{n}",
                    "kind": "number",
                    "text_ru": f"Вопрос {n}",
                    "text_en": f"Question {n}",
                    "unit": "attempts",
                    "min": 0,
                    "max": 1000,
                }
                for n in range(extra)
            ],
        }
    )
    return body


def prepare(url: str, rounds: int, answers: int) -> tuple[Content, list[Round]]:
    """Two fresh shoppers with a visit each per round (and a warm-up round); the content."""
    engine = migrated_engine(url)
    clock = FrozenClock(dt.datetime.now(dt.UTC))  # the server runs on the real clock
    made = []
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        template = checklists_service.parse_template_data(with_answers(answers))
        checklists_service.publish_template(session, template, now=NOW)
        coordinator = make_user(session, Role.coordinator)
        for _ in range(rounds + 1):
            collector, phone = make_user(session, Role.shopper), make_user(session, Role.shopper)
            collected = make_visit(
                session, shopper=collector, service_code=SERVICE, channel=CHANNEL
            )
            synced = make_visit(session, shopper=phone, service_code=SERVICE, channel=CHANNEL)
            _, token, _ = tokens.create(
                session,
                collector,
                coordinator,
                client_id=uuid.uuid4(),
                label="bench",
                key=SECRET.encode(),
                now=clock(),
                limit=5,
            )
            made.append(Round(collected.id, token, synced.id, bearer(phone, clock)))
        checklist = checklist_for_visit(session, collected)
        staff = bearer(coordinator, clock)
        session.commit()
    engine.dispose()
    form = build_xform(
        checklist,
        form_id=form_id_for(checklist),
        version=version_for(checklist),
        title=checklist.title_ru,
    )
    # Every required question, each shown (the portal failed: its screenshot is required).
    content = complete_answers(checklist.model_dump(mode="json"))
    if len(content) != answers:
        raise RuntimeError(f"the visit is finished with {len(content)} answers, not {answers}")
    return Content(checklist, form, content, staff), made


def form_data(parts: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body of file parts (name, file name, media type, bytes)."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
        + data
        + b"\r\n"
        for name, filename, media_type, data in parts
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def collect_side(content: Content, one: Round, photo: bytes) -> list[Request]:
    """What Collect sends: HEAD, then the instance and its photo in one multipart POST."""
    values = fields(
        content.form,
        content.checklist,
        {a["item_code"]: (a["value"], False) for a in content.answers},
    )
    values["visit"] = str(one.openrosa_visit)
    values[f"{PHOTO_ITEM}__photo_1"] = PHOTO_NAME
    xml = instance_xml(content.form, values, instance_id=f"uuid:{uuid.uuid4()}")
    body, media_type = form_data(
        [
            ("xml_submission_file", "submission.xml", "text/xml", xml),
            (PHOTO_NAME, PHOTO_NAME, "image/jpeg", photo),
        ]
    )
    path = f"/openrosa/key/{one.app_token}/submission"
    headers = {"X-OpenRosa-Version": "1.0", "Accept-Language": "ru-RU"}
    return [
        Request("HEAD", path, headers, None, 204),
        Request("POST", path, headers | {"Content-Type": media_type}, body, 201),
    ]


def json_side(content: Content, one: Round, photo: bytes) -> list[Request]:
    """What a phone on the JSON API sends: the answers, then the photo."""
    batch = {"answers": [a | {"client_id": str(uuid.uuid4())} for a in content.answers]}
    body, media_type = photo_form(
        photo,
        {
            "item_code": PHOTO_ITEM,
            "taken_at": "2026-03-18T10:15:30+05:00",
            "client_id": str(uuid.uuid4()),
        },
    )
    visit = f"/api/v1/visits/{one.json_visit}"
    return [
        Request(
            "PUT",
            f"{visit}/answers",
            one.bearer | {"Content-Type": "application/json"},
            json.dumps(batch).encode(),
            200,
        ),
        Request("POST", f"{visit}/photos", one.bearer | {"Content-Type": media_type}, body, 201),
    ]


def send(connection: http.client.HTTPConnection, requests: list[Request]) -> float:
    """Send the requests in turn; the seconds they took. Any unexpected status stops the run."""
    started = time.perf_counter()
    for r in requests:
        connection.request(r.method, r.path, body=r.body, headers=r.headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != r.status:
            raise RuntimeError(f"{r.method} {r.path}: {response.status} {answer[:300]!r}")
    return time.perf_counter() - started


def counts(port: int, one: Round, staff: dict[str, str]) -> tuple[tuple[int, int], ...]:
    """Each side's visit: how many answers and photos the server holds (the same content)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for visit in (one.openrosa_visit, one.json_visit):
        held = []
        for what in ("answers", "photos"):
            connection.request("GET", f"/api/v1/visits/{visit}/{what}", headers=staff)
            response = connection.getresponse()
            data = json.loads(response.read())
            held.append(len(data["items" if what == "answers" else "photos"]))
        out.append((held[0], held[1]))
    connection.close()
    return tuple(out)


def run(url: str, work: Path, args: argparse.Namespace) -> None:
    content, rounds = prepare(url, args.rounds, args.answers)
    answers = len(content.answers)
    photos = [noisy_jpeg(args.photo_mb, seed) for seed in range(len(rounds))]
    planned = [
        {"openrosa": collect_side(content, one, photo), "json": json_side(content, one, photo)}
        for one, photo in zip(rounds, photos, strict=True)
    ]
    env = os.environ | {
        "MSHOP_DATABASE__URL": url,
        "MSHOP_DATABASE__MIGRATE_ON_START": "false",
        "MSHOP_AUTH__SECRET_KEY": SECRET,
        "MSHOP_STORAGE__LOCAL_DIR": str(work / "blobs"),
        "MSHOP_JOBS__IN_PROCESS": "false",
        "MALLOC_ARENA_MAX": "2",
    }
    port = free_port()
    server = start(["--factory", "service.main:create_app", "--workers", "1"], env, port)
    try:
        connections = {
            side: http.client.HTTPConnection("127.0.0.1", port, timeout=120) for side in SIDES
        }
        for side in SIDES:  # warm-up, unmeasured: the first round's visits, caches
            send(connections[side], planned[0][side])
        times: dict[str, list[float]] = {side: [] for side in SIDES}
        cpu = dict.fromkeys(SIDES, 0.0)
        rng = random.Random(1)
        print(f"load at start (1, 5, 15 min): {load()}")
        for plan in planned[1:]:
            order = list(SIDES)
            rng.shuffle(order)  # interleaved: no side always runs on a warmer machine
            for side in order:
                before = cpu_seconds(server.pid)
                times[side].append(send(connections[side], plan[side]))
                cpu[side] += cpu_seconds(server.pid) - before
        for connection in connections.values():
            connection.close()
        held = counts(port, rounds[-1], content.staff)
        size_mb = statistics.mean(len(p) for p in photos) / 1024 / 1024
        print(
            f"{args.rounds} rounds of {answers} answers and one {size_mb:.1f} MB JPEG, "
            f"sides interleaved; the last round's visits hold (answers, photos): "
            f"openrosa {held[0]}, json {held[1]}"
        )
        assert held[0] == held[1] == (answers, 1), held
        labels = {
            "openrosa": "Collect: HEAD + POST /submission",
            "json": "JSON: PUT answers + POST photo",
        }
        for side in SIDES:
            print(
                f"  {labels[side]:<34} median {statistics.median(times[side]) * 1000:8.1f} ms, "
                f"server CPU {1000 * cpu[side] / args.rounds:6.1f} ms per visit"
            )
        ratio = statistics.median(times["json"]) / statistics.median(times["openrosa"])
        print(f"  ratio openrosa / json (throughput): {ratio:.2f} (1.0 = the same pace)")
        print(f"load at end (1, 5, 15 min): {load()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--answers", type=int, default=40, help="answers in the finished visit")
    parser.add_argument("--photo-mb", type=float, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mshop-openrosa-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        url = scratch_database(
            stack, work, "openrosa", postgres=None if args.sqlite else args.postgres
        )
        print(f"{'SQLite' if args.sqlite else 'PostgreSQL'}, uvicorn with one worker")
        run(url, work, args)


if __name__ == "__main__":
    main()
