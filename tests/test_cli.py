"""The mshop command, run as a user runs it: a real process, real HTTP on loopback."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from service.checklists.format import ChecklistChannel
from service.cli import build_parser
from service.cli_serve import chosen_log_format
from service.config import Settings
from service.observability.logs import LogFormat
from tests.fixtures.routes import api_path

MSHOP = [sys.executable, "-m", "service"]
# Every test runs the CLI as a process of its own.
pytestmark = pytest.mark.slow
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


@contextmanager
def running_server(env: dict[str, str], tmp_path: Path, *args: str) -> Iterator[str]:
    """``mshop serve ARGS`` on a free loopback port, output in tmp_path/serve.log."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*MSHOP, "serve", *args, "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # A demo start migrates, loads the catalogue and writes visits: slow on a busy machine.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                get_json(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    pytest.fail(f"server exited: {log.read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail("server did not answer /healthz within 120 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until_ready(base: str) -> None:
    """The demo data loads after the server is up; /readyz answers 200 once it is in."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            get_json(f"{base}/readyz")
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                raise
            time.sleep(0.2)
    pytest.fail("the demo data did not load within 120 s")


@pytest.fixture
def demo_server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with running_server(env, tmp_path, "--demo", "--demo-visits", "200") as base:
        wait_until_ready(base)
        yield base


def test_demo_serves_and_logs_in_a_shopper(demo_server: str) -> None:
    assert get_json(f"{demo_server}/healthz")["status"] == "ok"
    form = urllib.parse.urlencode({"username": "shopper1@demo.kz", "password": "demo"}).encode()
    tokens = get_json(demo_server + api_path("login"), data=form)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert get_json(demo_server + api_path("read_me"), headers=auth)["role"] == "shopper"
    assert get_json(demo_server + api_path("list_services"), headers=auth)["total"] == 60


def login(base: str, email: str) -> dict[str, str]:
    form = urllib.parse.urlencode({"username": email, "password": "demo"}).encode()
    tokens = get_json(base + api_path("login"), data=form)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_demo_accounts_have_visits_of_their_own(demo_server: str) -> None:
    shopper = login(demo_server, "shopper1@demo.kz")
    mine = get_json(demo_server + api_path("list_visits"), headers=shopper)["items"]
    assert {"assigned", "in_progress", "returned", "submitted"} <= {v["status"] for v in mine}
    returned = next(v for v in mine if v["status"] == "returned")
    assert returned["review_comment"]
    coordinator = login(demo_server, "coordinator@demo.kz")
    queue = get_json(
        demo_server + api_path("list_visits") + "?status=submitted", headers=coordinator
    )
    assert queue["total"] > 0
    assert {v["status"] for v in queue["items"]} == {"submitted"}


def test_demo_has_visits_for_the_reports(demo_server: str) -> None:
    form = urllib.parse.urlencode({"username": "analyst@demo.kz", "password": "demo"}).encode()
    tokens = get_json(demo_server + api_path("login"), data=form)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    # Rankings count one channel at a time (Table 1 is in person): add up the three.
    rankings = [
        get_json(f"{demo_server}{api_path('rank_services')}?channel={channel}", headers=auth)
        for channel in ChecklistChannel
    ]
    graded = sum(ranking["total"]["graded"] for ranking in rankings)
    # 200 visits, about three in four approved and scored.
    assert 100 < graded < 200
    rows = [row for ranking in rankings for row in ranking["items"] if row["graded"]]
    assert rows
    assert all(1 <= row["mean_grade"] <= 5 for row in rows)


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


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        # No terminal to prompt on (the input is a pipe), and no flag to read the pipe.
        ((), "standard input is not a terminal: pass the password with --password-stdin"),
        (("--password-stdin",), "no password on standard input"),
    ],
)
def test_users_create_says_when_there_is_no_password(
    env: dict[str, str], flags: tuple[str, ...], said: str
) -> None:
    args = ("users", "create", "--email", "x@example.kz", "--role", "shopper", *flags)
    result = run(env, *args, stdin="")
    assert result.returncode == 2
    assert result.stderr.strip() == f"mshop: {said}"


def _account(env: dict[str, str], email: str) -> tuple[bool, str, int, object]:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["MSHOP_DATABASE__URL"])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT is_active, hashed_password, token_version, login_reset_at "
                    "FROM users WHERE email = :email"
                ),
                {"email": email},
            ).one()
    finally:
        engine.dispose()
    return bool(row[0]), str(row[1]), int(row[2]), row[3]


def test_users_life_cycle(env: dict[str, str]) -> None:
    from service.auth.security import verify_password

    email = "aigerim@example.kz"
    create = ("users", "create", "--email", email, "--role", "shopper", "--password-stdin")
    assert run(env, *create, stdin="first password\n").returncode == 0
    run(
        env,
        "users",
        "create",
        "--email",
        "boss@example.kz",
        "--role",
        "admin",
        "--password-stdin",
        stdin="boss password\n",
    )

    listed = run(env, "users", "list", "--role", "shopper")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()] == [
        [email, "shopper", "active"]
    ]
    assert listed.stderr.strip() == "1 user(s)"
    by_email = run(env, "users", "list", "--email", " AIGERIM@Example.KZ ")
    assert [line.split("\t")[0] for line in by_email.stdout.splitlines()] == [email]
    assert len(run(env, "users", "list").stdout.splitlines()) == 2

    short = run(env, "users", "set-password", "--email", email, "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr
    changed = run(
        env,
        "users",
        "set-password",
        "--email",
        email,
        "--password-stdin",
        stdin="second password\n",
    )
    assert changed.returncode == 0, changed.stderr
    _, hashed, version, _ = _account(env, email)
    assert verify_password("second password", hashed)
    assert version == 1

    assert run(env, "users", "deactivate", "--email", email).stdout.startswith("deactivated")
    assert _account(env, email)[0] is False
    assert "disabled" in run(env, "users", "list", "--email", email).stdout
    assert run(env, "users", "activate", "--email", email).returncode == 0
    assert _account(env, email)[0] is True

    assert _account(env, email)[3] is None
    unlocked = run(env, "users", "unlock", "--email", email)
    assert unlocked.returncode == 0, unlocked.stderr
    assert _account(env, email)[3] is not None

    for action in ("deactivate", "activate", "unlock"):
        missing = run(env, "users", action, "--email", "nobody@example.kz")
        assert missing.returncode == 2
        assert "there is no user nobody@example.kz" in missing.stderr


def test_standards_load_is_idempotent(env: dict[str, str]) -> None:
    first = run(env, "standards", "load")
    assert first.returncode == 0, first.stderr
    # 61 versions: S02 changed in November 2018 (report line 874).
    assert "61 added, 0 already loaded" in first.stdout
    second = run(env, "standards", "load")
    assert "0 added, 61 already loaded" in second.stdout


def test_standards_load_takes_a_fixed_file_as_a_correction(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "standards", "load").returncode == 0
    fixed = tmp_path / "standards"
    shutil.copytree(Path(__file__).resolve().parents[1] / "checklists" / "standards", fixed)
    s26 = fixed / "S26.yaml"
    s26.write_text(s26.read_text("utf-8").replace("  amount: 7\n", "  amount: 9\n"), "utf-8")
    loaded = run(env, "standards", "load", "--dir", str(fixed))
    assert loaded.returncode == 0, loaded.stderr
    assert "1 added, 60 already loaded" in loaded.stdout
    assert "corrected (new assignments use them): S26@2018-01-01" in loaded.stdout


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
    for year in ("0", "1800", "10000"):
        refused = run(env, "calendar", "show", year)
        assert refused.returncode == 2
        said = f"mshop: year must be between 1991 and 2100, not {year}"
        assert refused.stderr.strip() == said


def test_calendar_show_lists_transferred_working_saturdays(env: dict[str, str]) -> None:
    shown = run(env, "calendar", "show", "2024")
    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line for line in shown.stdout.splitlines() if line.startswith("  ")}
    # Saturday 2024-05-04 was worked in exchange for Wednesday 2024-05-08, the bridge between
    # Defender of the Fatherland Day and Victory Day; plain weekends are not listed.
    assert lines["2024-05-04"].split(maxsplit=3) == [
        "2024-05-04", "Sat", "working", "transferred working day"
    ]  # fmt: skip
    assert "day off  Day off (substituted from 05/04/2024)" in lines["2024-05-08"]
    assert "2024-05-05" not in lines
    assert "2024-05-11" not in lines


def test_calendar_load_refuses_a_broken_file(env: dict[str, str], tmp_path: Path) -> None:
    decree = tmp_path / "decree.yaml"
    decree.write_text("year: 2026\ndays_off: [2027-01-01]\n", encoding="utf-8")
    result = run(env, "calendar", "load", str(decree))
    assert result.returncode == 2
    assert "outside the declared year" in result.stderr


@pytest.mark.parametrize(
    "command",
    [("calendar", "load"), ("grading", "publish"), ("standards", "import-documents")],
    ids=lambda command: "-".join(command),
)
def test_commands_that_read_a_file_say_when_they_cannot(
    env: dict[str, str], tmp_path: Path, command: tuple[str, str]
) -> None:
    missing = tmp_path / "absent.yaml"
    gone = run(env, *command, str(missing))
    assert gone.returncode == 2
    assert f"cannot read {missing}: " in gone.stderr
    assert "Traceback" not in gone.stderr
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("Справка".encode("cp1251"))  # a spreadsheet's export, not UTF-8
    undecodable = run(env, *command, str(latin))
    assert undecodable.returncode == 2
    assert f"cannot read {latin}: 'utf-8' codec can't decode" in undecodable.stderr


def test_photos_cleanup(env: dict[str, str]) -> None:
    result = run(env, "photos", "cleanup")
    assert result.returncode == 0, result.stderr
    assert "0 expired uploads, 0 orphan objects and 0 partial files removed" in result.stdout
    negative = run(env, "photos", "cleanup", "--grace-minutes", "-5")
    assert negative.returncode == 2
    assert negative.stderr.strip() == "mshop: --grace-minutes must not be negative, not -5"


def test_worker_once_processes_what_is_due(env: dict[str, str]) -> None:
    result = run(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "photo jobs: 0 processed"


def test_worker_refuses_a_heartbeat_it_cannot_write(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    beat = blocker / "worker.alive"
    result = run(env | {"MSHOP_JOBS__HEARTBEAT_FILE": str(beat)}, "worker")
    assert result.returncode == 2
    assert f"cannot write the heartbeat file {beat}" in result.stderr
    assert blocker.read_text() == "not a folder"


def test_worker_refuses_a_metrics_port_already_taken(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(env | {"MSHOP_JOBS__METRICS_PORT": str(port)}, "worker")
    # Refused at start, not after a round: a worker the health check cannot see is no worker.
    assert result.returncode == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.stderr


class TestLogFormat:
    @pytest.mark.parametrize("value", ["json", "text", "auto"])
    def test_flag_is_parsed(self, value: str) -> None:
        args = build_parser().parse_args(["serve", "--log-format", value])
        assert chosen_log_format(args, Settings()) is LogFormat(value)

    def test_flag_wins_over_the_setting_and_the_setting_over_auto(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MSHOP_LOG_FORMAT", "json")
        settings = Settings()
        assert settings.log_format is LogFormat.json
        flagged = build_parser().parse_args(["serve", "--log-format", "text"])
        assert chosen_log_format(flagged, settings) is LogFormat.text
        bare = build_parser().parse_args(["serve"])
        assert chosen_log_format(bare, settings) is LogFormat.json
        monkeypatch.delenv("MSHOP_LOG_FORMAT")
        assert chosen_log_format(bare, Settings()) is LogFormat.auto

    def test_unknown_format_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args(["serve", "--log-format", "yaml"])
        assert exit_info.value.code == 2
        assert "invalid choice: 'yaml'" in capsys.readouterr().err

    def test_serve_writes_text_lines(self, env: dict[str, str], tmp_path: Path) -> None:
        env = env | {"MSHOP_AUTH__SECRET_KEY": STRONG, "MSHOP_LOG_FORMAT": "json"}
        with running_server(env, tmp_path, "--log-format", "text") as base:
            get_json(f"{base}/healthz")
        lines = (tmp_path / "serve.log").read_text().splitlines()
        assert lines
        assert not any(line.startswith("{") for line in lines)
        access = next(line for line in lines if "GET /healthz 200" in line)
        # time, level, [request id], message, key=value extras
        shape = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z INFO +\[[\w-]{8,}\] GET /healthz 200 "
        assert re.match(shape, access), access
        assert {"status=200", "path=/healthz"} <= set(access.split(" "))


def test_grading_publish_validates_and_never_replaces_a_version(
    env: dict[str, str], tmp_path: Path
) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "checklists" / "grading.yaml").read_text()
    policy = tmp_path / "grading.yaml"
    policy.write_text(shipped.replace('version: "2026.1"', 'version: "2027.1"'), "utf-8")
    published = run(env, "grading", "publish", str(policy))
    assert published.returncode == 0, published.stderr
    assert "grading policy 2027.1 published" in published.stdout
    again = run(env, "grading", "publish", str(policy))  # a retry of the same file
    assert again.returncode == 0, again.stderr
    assert "2027.1 was published with this content already" in again.stdout
    changed = shipped.replace('version: "2026.1"', 'version: "2027.1"')
    policy.write_text(changed.replace("max_grade: 2", "max_grade: 1"), "utf-8")
    other = run(env, "grading", "publish", str(policy))
    assert (other.returncode, "'2027.1' exists with other content" in other.stderr) == (2, True)
    policy.write_text(shipped.replace("max_grade: 2", "max_grade: 9"), "utf-8")
    broken = run(env, "grading", "publish", str(policy))
    assert broken.returncode == 2
    assert "caps.critical.max_grade: Input should be less than or equal to 5" in broken.stderr


def test_standards_import_documents(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "standards", "load").returncode == 0
    lists = tmp_path / "lists.csv"
    lists.write_text(
        "code,effective_from,name_ru\nS33,2026-01-01,удостоверение личности\n", encoding="utf-8"
    )
    first = run(env, "standards", "import-documents", str(lists))
    assert first.returncode == 0, first.stderr
    assert "1 versions added, 0 already loaded" in first.stdout
    assert (
        "0 versions added, 1 already loaded"
        in run(env, "standards", "import-documents", str(lists)).stdout
    )
    lists.write_text("code,effective_from,name_ru\nS99,2026-01-01,x\n", encoding="utf-8")
    unknown = run(env, "standards", "import-documents", str(lists))
    assert (unknown.returncode, "There is no service S99" in unknown.stderr) == (2, True)
