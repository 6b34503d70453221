"""The garbage collector's settings of a started process (``service/collector.py``).

Each case runs in a fresh interpreter: the settings are the process's, decided once, and a
test process has had them decided by the first app any test started.
"""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SECRET

pytestmark = pytest.mark.slow  # each case starts an interpreter

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    frozen: int  # objects frozen out of the collector's walks
    threshold: list[int]  # the three generations'
    seen: dict[str, Any]  # what the code recorded in ``seen``


def run(code: str, env: dict[str, str] | None = None) -> Outcome:
    """Run ``code`` in a new interpreter; the collector's state when it is done."""
    report = (
        "\nimport gc, json\nprint(json.dumps([gc.get_freeze_count(), gc.get_threshold(), seen]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + report],
        cwd=ROOT,
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, threshold, seen = json.loads(done.stdout.strip().splitlines()[-1])
    return Outcome(frozen, threshold, seen)


def test_the_first_call_freezes_and_sets_the_young_threshold_later_ones_do_nothing() -> None:
    out = run(
        """
        import gc
        from service import collector
        before = gc.get_threshold()
        seen = {
            "before": before,
            "first": collector.settle_after_start(freeze=True, young_threshold=5000),
            "second": collector.settle_after_start(freeze=False, young_threshold=900),
        }
        """
    )
    before = out.seen["before"]
    assert out.seen["first"] is True
    assert out.seen["second"] is False
    assert out.frozen > 1000  # the interpreter's and the imported modules' objects
    # Only the youngest generation's threshold changes.
    assert out.threshold == [5000, before[1], before[2]]


def test_without_freezing_only_the_threshold_changes() -> None:
    out = run(
        """
        from service import collector
        seen = {"first": collector.settle_after_start(freeze=False, young_threshold=2500)}
        """
    )
    assert out.seen["first"] is True
    assert out.frozen == 0
    assert out.threshold[0] == 2500


@pytest.mark.parametrize(("freeze", "frozen"), [("true", True), ("false", False)])
def test_a_started_app_settles_the_collector_as_configured(
    tmp_path: Path, freeze: str, frozen: bool
) -> None:
    env = {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp_path / 'app.db'}",
        "MSHOP_STORAGE__LOCAL_DIR": str(tmp_path / "blobs"),
        "MSHOP_AUTH__SECRET_KEY": SECRET,
        "MSHOP_JOBS__IN_PROCESS": "false",
        "MSHOP_SERVER__GC_FREEZE": freeze,
        "MSHOP_SERVER__GC_YOUNG_THRESHOLD": "1234",
    }
    out = run(
        """
        import gc
        from fastapi.testclient import TestClient
        from service.main import create_app
        app = create_app()
        seen = {"before_start": gc.get_freeze_count()}
        with TestClient(app) as client:
            seen["healthz"] = client.get("/healthz").status_code
        """,
        env,
    )
    assert out.seen == {"before_start": 0, "healthz": 200}
    assert (out.frozen > 50_000) is frozen  # a started app holds far more
    assert out.threshold[0] == 1234
