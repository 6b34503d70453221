"""Hostile YAML: refused fast, with a small answer, while the process keeps serving others."""

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistError
from service.checklists.loader import MAX_ERRORS_SHOWN, read_yaml
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.main import create_app
from tests.conftest import SECRET, FrozenClock
from tests.fixtures.db import migrated_engine
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import make_user


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": ``width ** levels`` strings (387 million here) in ~1 KB."""
    lines = ["lol: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"lol{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_the_bomb_is_small() -> None:
    assert len(alias_bomb().encode()) < 3 * 1024


class TestReadYaml:
    def test_an_alias_bomb_is_refused_before_anything_is_built(self) -> None:
        started = time.monotonic()
        with pytest.raises(ChecklistError, match="more than 50000 values once aliases"):
            read_yaml(alias_bomb(), "bomb")
        assert time.monotonic() - started < 1

    def test_shared_option_lists_still_read(self) -> None:
        data = read_yaml("a: &opts [yes, no]\nb: *opts\nc: *opts\n", "ok")
        assert data == {"a": ["yes", "no"], "b": ["yes", "no"], "c": ["yes", "no"]}

    def test_a_recursive_alias_is_refused(self) -> None:
        with pytest.raises(ChecklistError, match="once aliases are expanded"):
            read_yaml("a: &loop [1, *loop]\n", "loop")

    def test_too_many_values_are_refused(self) -> None:
        with pytest.raises(ChecklistError, match="more than 100 values"):
            read_yaml("[" + ", ".join(["1"] * 200) + "]", "wide", max_nodes=100)

    def test_deep_nesting_is_refused_not_crashed(self) -> None:
        with pytest.raises(ChecklistError, match="nested too deeply|cannot read YAML"):
            read_yaml("[" * 100_000 + "]" * 100_000, "deep", max_bytes=1_000_000)

    def test_size_is_bounded(self) -> None:
        with pytest.raises(ChecklistError, match="larger than 10 characters"):
            read_yaml("a: 123456789", "big", max_bytes=10)


def test_a_422_names_a_bounded_number_of_problems() -> None:
    raw = {
        "channel": "egov",
        "sections": [{"code": f"s{i}"} for i in range(40)],  # each misses several fields
    }
    with pytest.raises(checklists_service.ChecklistInvalid) as caught:
        checklists_service.parse_template_data(raw)
    detail = caught.value.detail
    assert detail.count(";") <= MAX_ERRORS_SHOWN
    assert "more problems" in detail
    assert len(detail) < 8_000


@pytest.mark.slow  # serves the app with uvicorn
def test_a_served_process_answers_healthz_while_refusing_a_bomb(
    tmp_path: Path, clock: FrozenClock
) -> None:
    url = f"sqlite:///{tmp_path / 'yaml.db'}"
    engine = migrated_engine(url)
    with Session(engine) as session:
        coordinator = make_user(session, Role.coordinator)
        session.commit()
        headers = bearer(coordinator, clock)
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    slowest: list[float] = []
    stop = threading.Event()

    with running(create_app(settings, clock=clock)) as base:
        address = urlsplit(base)

        def poll() -> None:
            conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
            try:
                while not stop.is_set():
                    started = time.monotonic()
                    conn.request("GET", "/healthz")
                    reply = conn.getresponse()
                    assert reply.status == 200
                    reply.read()
                    slowest.append(time.monotonic() - started)
                    time.sleep(0.005)
            finally:
                conn.close()

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            while len(slowest) < 5:
                time.sleep(0.01)
            # What this machine's load alone costs a poll, so a busy CI box does not read as a stall.
            baseline = max(slowest)
            conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
            started = time.monotonic()
            conn.request(
                "POST",
                api_path("publish_checklist"),
                body=alias_bomb().encode(),
                headers=headers | {"Content-Type": "application/yaml"},
            )
            reply = conn.getresponse()
            body = reply.read()
            elapsed = time.monotonic() - started
            conn.close()
            polled_before = len(slowest)
            time.sleep(0.1)
        finally:
            stop.set()
            poller.join(10)

    assert reply.status == 422, body
    problem = json.loads(body)
    assert problem["code"] == "checklist-invalid"
    assert "once aliases are expanded" in problem["detail"]
    assert len(body) < 2_000
    assert elapsed < 2, f"the bomb took {elapsed:.2f} s to refuse"
    assert len(slowest) > polled_before  # healthz kept answering after it
    # A frozen loop (the bomb parsed on it) delays every poll for seconds; a busy 2-core CI box
    # can delay one poll on its own, so one late poll is tolerated, a run of them is not.
    late = [round(t * 1000) for t in slowest if t > 0.1 + baseline]
    assert len(late) <= 1, f"/healthz polls over 100 ms: {late} ms (alone: {baseline * 1000:.0f})"
    assert max(slowest) < 1, f"/healthz waited {max(slowest) * 1000:.0f} ms"
