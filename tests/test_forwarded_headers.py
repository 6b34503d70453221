"""X-Forwarded-For is believed only from configured proxies; by default from nobody.

uvicorn on its own believes it from 127.0.0.1 (or $FORWARDED_ALLOW_IPS): behind a
pass-through proxy on the same host, every client could then name its own address and
step around the per-address login limit. ``mshop serve`` turns that off unless
``MSHOP_SERVER__FORWARDED_ALLOW_IPS`` / ``--forwarded-allow-ips`` names the proxy.
"""

import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.cli import build_parser
from service.config import ServerSettings, Settings
from service.serving import proxy_options, uvicorn_options
from tests.fixtures.routes import api_path
from tests.test_cli import STRONG, running_server

PER_ADDRESS = 3
PROXY_VARIABLE = "MSHOP_SERVER__FORWARDED_ALLOW_IPS"


def failed_login(base: str, forwarded_for: str) -> tuple[int, str]:
    """A login with a wrong password, claiming ``forwarded_for``; its status and code."""
    data = urllib.parse.urlencode(
        {"username": f"nobody-{forwarded_for}@example.kz", "password": "wrong password"}
    ).encode()
    request = urllib.request.Request(
        base + api_path("login"), data=data, headers={"X-Forwarded-For": forwarded_for}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, "ok"
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())["code"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")}
    return clean | {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "MSHOP_STORAGE__LOCAL_DIR": str(tmp_path / "blobs"),
        "MSHOP_AUTH__SECRET_KEY": STRONG,
        "MSHOP_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS": str(PER_ADDRESS),
        # uvicorn's own fallback: ignored by mshop serve, which decides for itself.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


@pytest.mark.slow  # starts `mshop serve`
def test_by_default_forwarded_for_does_not_change_the_address(
    env: dict[str, str], tmp_path: Path
) -> None:
    with running_server(env, tmp_path) as base:
        answers = [failed_login(base, f"203.0.113.{i}") for i in range(PER_ADDRESS + 1)]
    # Every attempt counted against 127.0.0.1, whatever address it claimed.
    assert answers == [(401, "invalid-credentials")] * PER_ADDRESS + [(429, "too-many-requests")]


@pytest.mark.slow  # starts `mshop serve`
@pytest.mark.parametrize("how", ["flag", "setting"])
def test_a_configured_proxy_is_believed(env: dict[str, str], tmp_path: Path, how: str) -> None:
    args: tuple[str, ...] = ()
    if how == "flag":
        args = ("--forwarded-allow-ips", "127.0.0.1")
    else:
        env = env | {PROXY_VARIABLE: "127.0.0.0/8, ::1"}
    with running_server(env, tmp_path, *args) as base:
        same = [failed_login(base, "203.0.113.7") for _ in range(PER_ADDRESS + 1)]
        other = failed_login(base, "198.51.100.9")
    # The limit now counts the forwarded address: 203.0.113.7 is stopped, another is not.
    assert same == [(401, "invalid-credentials")] * PER_ADDRESS + [(429, "too-many-requests")]
    assert other == (401, "invalid-credentials")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {"proxy_headers": False}),
        ("10.0.0.5", {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}),
        (
            " 10.0.0.5 , 192.168.1.0/24,::1",
            {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,192.168.1.0/24,::1"},
        ),
        ("*", {"proxy_headers": True, "forwarded_allow_ips": "*"}),
    ],
)
def test_the_setting_becomes_uvicorns_options(value: str, expected: dict[str, object]) -> None:
    server = ServerSettings(forwarded_allow_ips=value)
    assert proxy_options(server.forwarded_allow_ips) == expected
    options = uvicorn_options(server)
    assert {k: options.get(k) for k in expected} == expected
    if not value:
        assert "forwarded_allow_ips" not in options


def test_the_default_trusts_no_proxy() -> None:
    assert Settings().server.forwarded_allow_ips == ""
    assert uvicorn_options(ServerSettings())["proxy_headers"] is False


@pytest.mark.parametrize("value", ["proxy.local", "10.0.0.300", "10.0.0.5,", "127.0.0.1;rm"])
def test_a_value_that_is_no_address_is_refused(value: str) -> None:
    if value == "10.0.0.5,":  # a trailing comma is only untidy
        assert ServerSettings(forwarded_allow_ips=value).forwarded_allow_ips == "10.0.0.5"
        return
    with pytest.raises(ValidationError, match="is not an IP address or network"):
        ServerSettings(forwarded_allow_ips=value)


def test_the_flag_is_parsed() -> None:
    args = build_parser().parse_args(["serve", "--forwarded-allow-ips", "10.0.0.5"])
    assert args.forwarded_allow_ips == "10.0.0.5"
    assert build_parser().parse_args(["serve"]).forwarded_allow_ips is None


@pytest.mark.slow  # runs the image's start command in a shell, with stand-ins for the tools
def test_the_docker_image_trusts_only_the_configured_proxy(tmp_path: Path) -> None:
    """The image starts ``mshop serve``, which reads ``MSHOP_SERVER__FORWARDED_ALLOW_IPS``
    itself (``test_a_configured_proxy_is_believed[setting]``): the command adds no trust of
    its own, and uvicorn's $FORWARDED_ALLOW_IPS is never consulted."""
    dockerfile = (Path(__file__).resolve().parents[1] / "docker" / "Dockerfile").read_text()
    # No blanket trust baked into the image (it set FORWARDED_ALLOW_IPS=127.0.0.1).
    assert not re.search(r"(?<![A-Z_])FORWARDED_ALLOW_IPS", dockerfile)
    command = _start_command(dockerfile)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("mshop", "uvicorn"):
        stand_in = bin_dir / tool
        stand_in.write_text(f'#!/bin/sh\necho {tool} "$@" >> "{tmp_path}/calls"\n')
        stand_in.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        PROXY_VARIABLE: "10.0.0.5",
    }
    subprocess.run(["sh", "-c", command], env=env, check=True, timeout=30)
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[-1] == "mshop serve --host 0.0.0.0 --port 8000 --workers 4"
    assert not any(call.startswith("uvicorn") for call in calls)


def _start_command(dockerfile: str) -> str:
    line = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    shell, flag, command = json.loads(line.removeprefix("CMD "))
    assert (shell, flag) == ("sh", "-c")
    return str(command)
