"""Demo start-up benchmark: how soon `mshop serve --demo` on an empty folder is of use.

Each round starts, in an empty temporary folder and on a free loopback port, first the
baseline, `mshop serve` without --demo (a secret key set, nothing else), then
`mshop serve --demo`, and times from launching the process:

- healthz: the first 200 from /healthz;
- login: then the first 200 from a shopper's login (demo only);
- report: then the first report request (an analyst's `GET /reports/services`) and its status,
  while the demo data may still be loading;
- full data: /readyz answering 200, the demo data all in.

It also reads the server's CPU seconds (user + system, from /proc) when /healthz first
answered, which depends far less on the machine's load than the wall clock. It prints the
median of each over the rounds and the demo's times as ratios of the baseline's time to
/healthz in the same run, with the machine's load average before and after. Asserts nothing
about time.

    python bench/demo.py [--rounds 3] [--visits 1000] [--module service]
"""

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sync import cpu_seconds  # noqa: E402  (the re-exec keeps the pid)
from tests.fixtures.routes import api_path  # noqa: E402

POLL_SECONDS = 0.02
# A start on a busy machine: beyond this the round is reported as failed.
GIVE_UP_SECONDS = 300.0


@dataclass
class Round:
    healthz: float = float("nan")
    cpu_at_healthz: float = float("nan")
    login: float = float("nan")
    report: float = float("nan")
    report_status: int = 0
    full: float = float("nan")
    log: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    port: int, method: str, path: str, body: str | None = None, token: str | None = None
) -> tuple[int, bytes]:
    """One request on a fresh connection; (0, b"") when nothing listens yet."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionError, OSError):
        return 0, b""
    finally:
        connection.close()


def login(port: int, email: str) -> tuple[int, str]:
    form = urllib.parse.urlencode({"username": email, "password": "demo"})
    status, body = request(port, "POST", api_path("login"), body=form)
    return status, json.loads(body)["access_token"] if status == 200 else ""


class Check:
    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path

    def __call__(self) -> bool:
        return request(self.port, "GET", self.path)[0] == 200


def until(started: float, check: Check) -> float:
    """Seconds from ``started`` until ``check()`` is true (polled), NaN when it never is."""
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        if check():
            return time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    return float("nan")


def serve(module: str, demo: bool, visits: int) -> Round:
    result = Round()
    with tempfile.TemporaryDirectory(prefix="mshop-demo-bench-") as folder:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")}
        env["PYTHONPATH"] = str(ROOT)
        args = [sys.executable, "-m", module, "serve", "--port", str(port)]
        if demo:
            args += ["--demo", "--demo-visits", str(visits)]
        else:
            env["MSHOP_AUTH__SECRET_KEY"] = secrets.token_urlsafe(48)
        log = Path(folder) / "serve.log"
        with log.open("w") as out:
            started = time.perf_counter()
            process = subprocess.Popen(
                args, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            result.healthz = until(started, Check(port, "/healthz"))
            result.cpu_at_healthz = cpu_seconds(process.pid)
            if demo:
                status, _ = login(port, "shopper1@demo.kz")
                result.login = time.perf_counter() - started if status == 200 else float("nan")
                _, token = login(port, "analyst@demo.kz")
                result.report_status, _ = request(
                    port, "GET", api_path("rank_services"), token=token
                )
                result.report = time.perf_counter() - started
                result.full = until(started, Check(port, "/readyz"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            result.log = log.read_text().splitlines()
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--visits", type=int, default=1000, help="--demo-visits")
    parser.add_argument(
        "--module", default="service", help="what `python -m` runs (service.cli: the old entry)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    baseline: list[Round] = []
    demo: list[Round] = []
    for n in range(1, args.rounds + 1):
        # Interleaved, so both sides see the same machine.
        baseline.append(serve(args.module, demo=False, visits=0))
        demo.append(serve(args.module, demo=True, visits=args.visits))
        b, d = baseline[-1], demo[-1]
        print(
            f"round {n}: baseline healthz {b.healthz:.2f} s (cpu {b.cpu_at_healthz:.2f}); "
            f"demo healthz {d.healthz:.2f} s (cpu {d.cpu_at_healthz:.2f}), login {d.login:.2f}, "
            f"report {d.report:.2f} ({d.report_status}), full data {d.full:.2f}"
        )
    base = median([r.healthz for r in baseline])
    rows = [
        ("healthz", median([r.healthz for r in demo])),
        ("login", median([r.login for r in demo])),
        ("first report", median([r.report for r in demo])),
        (f"full data ({args.visits} visits)", median([r.full for r in demo])),
    ]
    print(f"\nbaseline `mshop serve` to /healthz: {base:.2f} s (median of {args.rounds})")
    print(f"  server cpu at /healthz: {median([r.cpu_at_healthz for r in baseline]):.2f} s")
    print("`mshop serve --demo` on an empty folder:")
    for name, seconds in rows:
        print(f"  {name:28} {seconds:6.2f} s  {seconds / base:5.2f}x baseline")
    print(f"  server cpu at /healthz: {median([r.cpu_at_healthz for r in demo]):.2f} s")
    print(f"  first report statuses: {[r.report_status for r in demo]}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
