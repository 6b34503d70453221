"""Every speed ratio of issue 15 in one run: each bench in turn, then the lines that matter.

Runs, one after the other (never side by side: each ratio is measured on a machine the others
leave alone), ``sync.py`` on SQLite and on PostgreSQL, ``photos.py``, ``openrosa.py`` on SQLite
and on PostgreSQL, ``reports.py`` and ``demo.py``, streaming their output; then prints a summary
of their ratio, statement-count, memory and start-up lines with the load average at each step's
end, so the whole picture fits one screen. Each bench creates uniquely named databases and drops
them (see each script).

    python bench/run.py [--quick] [--no-postgres] [--only sync,photos,...]

``--quick`` passes smaller sizes to each bench (a smoke run, not a measurement).
"""

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# A bench's line belongs in the summary when it states a ratio, a count or a peak; the last
# pattern is a row of reports.py's tables (a name, then timings and ratios).
SUMMARY = re.compile(
    r"ratio|goal|statements per sync|peak|RSS|x baseline|first report|\.png\s"
    r"|^\S.*\s\d+\.\d\d\s+\d+\.\d\d\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Step:
    name: str
    argv: tuple[str, ...]
    quick: tuple[str, ...]
    needs_postgres: bool = False
    # Run only when the PostgreSQL steps are not: the step that needs PostgreSQL covers it.
    without_postgres: bool = False


def steps(postgres: str) -> list[Step]:
    return [
        Step("sync-sqlite", ("sync.py", "--sqlite"), ("--rounds", "2", "--seconds", "2")),
        Step(
            "sync-postgres",
            ("sync.py", "--postgres", postgres),
            ("--rounds", "2", "--seconds", "2"),
            needs_postgres=True,
        ),
        Step("photos", ("photos.py",), ("--rounds", "3", "--burst", "4", "--burst-mb", "2")),
        Step("openrosa-sqlite", ("openrosa.py", "--sqlite"), ("--rounds", "3")),
        Step(
            "openrosa-postgres",
            ("openrosa.py", "--postgres", postgres),
            ("--rounds", "3"),
            needs_postgres=True,
        ),
        Step(
            "reports",
            ("reports.py", "--postgres", postgres, "--no-exports"),
            ("--visits", "2000", "--repeat", "3"),
            needs_postgres=True,
        ),
        Step(
            "reports-sqlite",
            ("reports.py", "--no-exports"),
            ("--visits", "2000", "--repeat", "3"),
            without_postgres=True,  # `reports` measures SQLite, then PostgreSQL
        ),
        Step("demo", ("demo.py",), ("--rounds", "1")),
    ]


def run(step: Step, quick: bool) -> tuple[int, list[str], float]:
    """Run one bench, echoing its output; its exit code, its summary lines and its seconds."""
    argv = [sys.executable, str(ROOT / "bench" / step.argv[0]), *step.argv[1:]]
    if quick:
        argv += step.quick
    print(f"\n===== {step.name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    kept: list[str] = []
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if SUMMARY.search(line):
                kept.append(line.rstrip())
    return process.returncode, kept, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--postgres", default=POSTGRES, help="server the benches make databases on")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL steps")
    parser.add_argument("--only", help="comma-separated step names")
    args = parser.parse_args()
    chosen = steps(args.postgres)
    if args.no_postgres:
        chosen = [s for s in chosen if not s.needs_postgres]
    elif not args.only:
        chosen = [s for s in chosen if not s.without_postgres]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in chosen}
        if unknown:
            parser.error(f"unknown steps {sorted(unknown)}; known: {[s.name for s in chosen]}")
        chosen = [s for s in chosen if s.name in wanted]
    results = []
    for step in chosen:
        code, kept, seconds = run(step, args.quick)
        results.append((step, code, kept, seconds, os.getloadavg()))
    print("\n===== summary" + (" (--quick: a smoke run, not a measurement)" if args.quick else ""))
    failed = 0
    for step, code, kept, seconds, load in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        failed += code != 0
        loads = " ".join(f"{x:.2f}" for x in load)
        print(f"-- {step.name}: {status} in {seconds:.0f} s; load after (1, 5, 15 min) {loads}")
        for line in kept:
            print(f"   {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
