"""The mshop command, run as a user runs it: a real process, real HTTP on loopback."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

MSHOP = [sys.executable, "-m", "service.cli"]
STRONG = "cli-test-secret-" + "z" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")}
    return clean | {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "MSHOP_STORAGE__LOCAL_DIR": str(tmp_path / "blobs"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MSHOP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def get_json(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.fixture
def demo_server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*MSHOP, "serve", "--demo", "--demo-visits", "200", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                get_json(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    pytest.fail(f"server exited: {log.read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail("demo server did not answer /healthz within 60 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_demo_serves_and_logs_in_a_shopper(demo_server: str) -> None:
    assert get_json(f"{demo_server}/healthz")["status"] == "ok"
    form = urllib.parse.urlencode({"username": "shopper1@demo.kz", "password": "demo"}).encode()
    tokens = get_json(f"{demo_server}/api/v1/auth/token", data=form)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert get_json(f"{demo_server}/api/v1/me", headers=auth)["role"] == "shopper"
    assert get_json(f"{demo_server}/api/v1/services", headers=auth)["total"] == 60


def test_demo_has_visits_for_the_reports(demo_server: str) -> None:
    form = urllib.parse.urlencode({"username": "analyst@demo.kz", "password": "demo"}).encode()
    tokens = get_json(f"{demo_server}/api/v1/auth/token", data=form)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    ranking = get_json(f"{demo_server}/api/v1/reports/services", headers=auth)["items"]
    graded = sum(row["graded"] for row in ranking)
    # 200 visits, about three in four approved and scored.
    assert 100 < graded < 200
    assert all(1 <= row["mean_grade"] <= 5 for row in ranking if row["graded"])


def test_demo_generate_adds_visits_and_refuses_a_bad_count(env: dict[str, str]) -> None:
    result = run(env, "demo", "generate", "--visits", "30", "--seed", "7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("demo: 30 visits (")
    assert "seed 7" in result.stdout
    for bad in ("0", "-5", "1000001"):
        refused = run(env, "demo", "generate", "--visits", bad)
        assert refused.returncode == 2
        assert "--visits must be between 1 and 1000000" in refused.stderr


def test_demo_refuses_a_public_address(env: dict[str, str]) -> None:
    result = run(env, "serve", "--demo", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "loopback only" in result.stderr


def test_serve_refuses_a_missing_secret(env: dict[str, str]) -> None:
    result = run(env, "serve")
    assert result.returncode == 2
    assert "MSHOP_AUTH__SECRET_KEY" in result.stderr


def test_users_create_reads_the_password_from_stdin(env: dict[str, str]) -> None:
    args = ("users", "create", "--email", "Lead@Example.kz", "--role", "coordinator")
    first = run(env, *args, "--password-stdin", stdin="a long password\n")
    assert first.returncode == 0, first.stderr
    assert "created coordinator lead@example.kz" in first.stdout
    again = run(env, *args, "--password-stdin", stdin="a long password\n")
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_users_create_refuses_a_short_password(env: dict[str, str]) -> None:
    result = run(
        env,
        "users",
        "create",
        "--email",
        "x@example.kz",
        "--role",
        "shopper",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.returncode == 2
    assert "password" in result.stderr


def test_standards_load_is_idempotent(env: dict[str, str]) -> None:
    first = run(env, "standards", "load")
    assert first.returncode == 0, first.stderr
    assert "60 added, 0 already loaded" in first.stdout
    second = run(env, "standards", "load")
    assert "0 added, 60 already loaded" in second.stdout


def test_standards_load_refuses_a_broken_folder(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "standards"
    broken.mkdir()
    (broken / "S01.yaml").write_text("code: S01\nsection_no: 1\n", encoding="utf-8")
    result = run(env, "standards", "load", "--dir", str(broken))
    assert result.returncode == 2
    assert "S01.yaml" in result.stderr
    assert "name_ru" in result.stderr


def test_db_upgrade(env: dict[str, str]) -> None:
    result = run(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_checklists_load_is_idempotent(env: dict[str, str]) -> None:
    assert run(env, "standards", "load").returncode == 0
    first = run(env, "checklists", "load")
    assert first.returncode == 0, first.stderr
    assert "3 published, 0 already published" in first.stdout
    assert "0 published, 3 already published" in run(env, "checklists", "load").stdout


def test_checklists_load_refuses_a_broken_template(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    for channel in ("in_person", "call_1414", "egov"):
        (folder / f"{channel}.yaml").write_text(f"channel: {channel}\nversion: 1\n", "utf-8")
    result = run(env, "checklists", "load", "--dir", str(folder))
    assert result.returncode == 2
    assert "in_person.yaml" in result.stderr


def test_calendar_show_and_load(env: dict[str, str], tmp_path: Path) -> None:
    shown = run(env, "calendar", "show", "2026")
    assert shown.returncode == 0, shown.stderr
    assert "2026-03-24" in shown.stdout
    assert "2026: 247 working days" in shown.stdout
    decree = tmp_path / "decree.yaml"
    decree.write_text("year: 2026\nworking_days: [2026-03-28]\n", encoding="utf-8")
    loaded = run(env, "calendar", "load", str(decree))
    assert "1 working days loaded" in loaded.stdout
    assert "2026: 248 working days" in run(env, "calendar", "show", "2026").stdout


def test_calendar_load_refuses_a_broken_file(env: dict[str, str], tmp_path: Path) -> None:
    decree = tmp_path / "decree.yaml"
    decree.write_text("year: 2026\ndays_off: [2027-01-01]\n", encoding="utf-8")
    result = run(env, "calendar", "load", str(decree))
    assert result.returncode == 2
    assert "outside the declared year" in result.stderr


def test_photos_cleanup(env: dict[str, str]) -> None:
    result = run(env, "photos", "cleanup")
    assert result.returncode == 0, result.stderr
    assert "0 expired uploads, 0 orphan objects and 0 partial files removed" in result.stdout
