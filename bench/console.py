"""Console benchmark: the review screen and the services report page against their JSON.

Generates N demo visits (the demo generator: answers, scores, findings) into a fresh SQLite
file, signs a coordinator and an analyst in to the console through its forms, then times
through the ASGI app (TestClient):

- the review page of a submitted visit against the JSON a client would fetch to show the same
  (the visit, its answers, photos, score and history: five requests);
- the services report page (table, figures, links) against ``GET /reports/services``;
- the printable wave report (Tables 1-3, the second wave compared with the first) against
  the three rankings behind it: services, agencies and regions (``level=local``).

The two sides of a ratio run in turn, round by round (``bench/reports.py interleaved``); the
ratio is the median of the rounds' quotients; page weights are printed in KB. Asserts nothing
about time.

    python bench/console.py [--visits 50000] [--seed 1] [--repeat 15] [--sqlite-file PATH]
"""

import argparse
import re
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reports import interleaved, line, load  # noqa: E402
from service import migrate  # noqa: E402
from service.auth.roles import Role  # noqa: E402
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings  # noqa: E402
from service.console.session import CSRF_FIELD  # noqa: E402
from service.db import create_db_engine  # noqa: E402
from service.demo.generate import generate  # noqa: E402
from service.main import create_app  # noqa: E402
from tests.fixtures.routes import api_path  # noqa: E402
from tests.fixtures.users import PASSWORD, make_user  # noqa: E402

TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


def console_client(client: TestClient, email: str) -> None:
    """Sign ``client`` in to the console as a browser does (form, token, post)."""
    form = client.get("/console/signin").text
    token = TOKEN.search(form)
    assert token is not None
    data = {"email": email, "password": PASSWORD, CSRF_FIELD: token.group(1)}
    response = client.post("/console/signin", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text


def api_headers(client: TestClient, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = client.post(api_path("login"), data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def review_json(client: TestClient, visit_id: str, headers: dict[str, str]) -> int:
    """The five JSON reads behind the review page; their total size in bytes."""
    paths = [
        api_path("read_visit", visit_id=visit_id),
        api_path("list_answers", visit_id=visit_id) + "?limit=500",
        api_path("list_photos", visit_id=visit_id),
        api_path("read_score", visit_id=visit_id),
        api_path("read_visit_history", visit_id=visit_id),
    ]
    size = 0
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        size += len(response.content)
    return size


def page(client: TestClient, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return len(response.content)


def json_get(client: TestClient, path: str, headers: dict[str, str]) -> int:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return len(response.content)


# The demo's second wave against its first (service/demo/generate.py WAVES).
WAVE_QUERY = {
    "wave": "2026-2",
    "from": "2026-04-01",
    "to": "2026-06-30",
    "compare_from": "2026-01-01",
    "compare_to": "2026-03-31",
}


def wave_json(client: TestClient, headers: dict[str, str]) -> int:
    """The three rankings behind the wave report page; their total size in bytes."""
    compared = urlencode(WAVE_QUERY)
    plain = urlencode({k: v for k, v in WAVE_QUERY.items() if not k.startswith("compare")})
    paths = [
        f"{api_path('rank_services')}?{plain}",
        f"{api_path('rank_agencies')}?{compared}",
        f"{api_path('rank_regions')}?{compared}&level=local",
    ]
    return sum(json_get(client, path, headers) for path in paths)


def bench(url: str, args: argparse.Namespace) -> None:
    engine = create_db_engine(DatabaseSettings(url=url))
    migrate.upgrade(engine)
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=Path(tempfile.mkdtemp()) / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(secrets.token_urlsafe(48))),
    )
    with engine.connect() as conn:
        existing = conn.execute(text("SELECT COUNT(*) FROM visits")).scalar_one()
    if not existing:
        started = time.perf_counter()
        generate(engine, settings, visits=args.visits, seed=args.seed)
        print(
            f"== {args.visits} visits generated in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    with Session(engine) as session:
        coordinator = make_user(session, Role.coordinator).email
        analyst = make_user(session, Role.analyst).email
        session.commit()
    with engine.connect() as conn:
        visit_id = conn.execute(
            text("SELECT v.id FROM visits v JOIN visit_scores s ON s.visit_id = v.id LIMIT 1")
        ).scalar_one()
        total = conn.execute(text("SELECT COUNT(*) FROM visits")).scalar_one()
    visit = str(uuid.UUID(str(visit_id)))  # SQLite keeps the 32 hex digits only
    app = create_app(settings)
    print(f"== {total} visits in the database; -- before: {load()}")
    widths = (22, 10, 10, 7, 10, 10)
    print(line("screen", "page ms", "JSON ms", "ratio", "page KB", "JSON KB", widths=widths))
    with (
        TestClient(app, base_url="http://127.0.0.1") as staff,
        TestClient(app, base_url="http://127.0.0.1") as reader,
    ):
        console_client(staff, coordinator)
        console_client(reader, analyst)
        headers = api_headers(staff, coordinator)
        cases: list[tuple[str, Any, Any]] = [
            (
                "review",
                lambda: page(staff, f"/console/visits/{visit}"),
                lambda: review_json(staff, visit, headers),
            ),
            (
                "services report",
                lambda: page(reader, "/console/reports/services"),
                lambda: json_get(reader, api_path("rank_services"), headers),
            ),
            (
                "wave report",
                lambda: page(reader, f"/console/reports/wave?{urlencode(WAVE_QUERY)}"),
                lambda: wave_json(reader, headers),
            ),
        ]
        for name, html, data in cases:
            timings, sizes = interleaved({"page": html, "json": data}, args.repeat)
            cells = (timings.ms("page"), timings.ms("json"), f"{timings.ratio('page', 'json'):.2f}")
            kb = (f"{sizes['page'] / 1024:.1f}", f"{sizes['json'] / 1024:.1f}")
            print(line(name, *cells, *kb, widths=widths))
    print(f"-- after: {load()}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds per ratio")
    parser.add_argument(
        "--sqlite-file", type=Path, help="SQLite file to use and keep (generated into when empty)"
    )
    args = parser.parse_args()
    if args.sqlite_file is not None:
        bench(f"sqlite:///{args.sqlite_file.resolve()}", args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/bench.db", args)


if __name__ == "__main__":
    main()
