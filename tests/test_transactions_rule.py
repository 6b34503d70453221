"""Transactions begin and end in service/db/ only; app state is read by dependencies only.

Parsed, not imported: every module under service/ is walked with ``ast`` and each call that
controls a transaction (commit, rollback, begin, savepoints, own sessions and connections,
read-only options) is reported unless it is in ``service/db/``. The named phases there
(``released``, ``savepoint``, ``own_transaction``, ``transaction``, ...) are what the rest
uses; docs/architecture.md "Transactions" says when to use each.
"""

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
HOME = SERVICE / "db"

# Methods that begin or end a transaction, whatever they are called on.
CONTROL_METHODS = frozenset({"commit", "rollback", "begin", "begin_nested", "begin_twophase"})
# Opening a session or connection of one's own.
OPENERS = frozenset({"Session", "sessionmaker", "scoped_session"})
# Methods that are transaction control when called on a session, connection or engine.
RESOURCE_METHODS = frozenset({"close", "connect", "release", "invalidate", "detach"})
RESOURCE_HINTS = ("session", "conn", "engine", "db")
# Old names of the phases, gone from db/; a bare call to them is a phase done by hand.
BARE_CALLS = frozenset({"release"})


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    if isinstance(node, ast.Call):
        return _receiver(node.func)
    return ""


def violations(source: str) -> list[str]:
    """Each transaction-control call in ``source``, as ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value == "sqlite_begin":
            found.append(f"{node.lineno}: the sqlite_begin option")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if any(k.arg == "execution_options" for k in node.keywords):
            found.append(f"{node.lineno}: execution_options= (use db.read_only / ReadSessionDep)")
        if isinstance(func, ast.Name) and func.id in OPENERS | BARE_CALLS:
            found.append(f"{node.lineno}: {func.id}(...)")
        if isinstance(func, ast.Attribute):
            receiver = _receiver(func.value)
            if func.attr in CONTROL_METHODS:
                found.append(f"{node.lineno}: .{func.attr}()")
            elif func.attr in OPENERS:
                found.append(f"{node.lineno}: {func.attr}(...)")
            elif func.attr in RESOURCE_METHODS and any(h in receiver for h in RESOURCE_HINTS):
                found.append(f"{node.lineno}: {receiver}.{func.attr}()")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SERVICE.rglob("*.py") if HOME not in p.parents)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SERVICE)))
def test_no_transaction_control_outside_db(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_db_holds_the_phases() -> None:
    # The rule is not vacuous: the home of the phases is what it would report elsewhere.
    found = [
        f for p in sorted(HOME.glob("*.py")) for f in violations(p.read_text(encoding="utf-8"))
    ]
    assert any(".commit()" in f for f in found)
    assert any(".begin_nested()" in f for f in found)
    assert any("Session(...)" in f for f in found)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("session.commit()", ".commit()"),
        ("self.session.rollback()", ".rollback()"),
        ("with session.begin_nested():\n    pass", ".begin_nested()"),
        ("with engine.begin() as conn:\n    pass", ".begin()"),
        ("with Session(engine) as s:\n    pass", "Session(...)"),
        ("session.close()", "session.close()"),
        ("with engine.connect() as c:\n    pass", "engine.connect()"),
        ("release(session)", "release(...)"),
        ("db.release(session)", "db.release()"),
        ("session.connection(execution_options=X)", "execution_options="),
        ("x = {'sqlite_begin': 'DEFERRED'}", "sqlite_begin"),
    ],
)
def test_the_rule_catches(source: str, what: str) -> None:
    found = violations(source)
    assert len(found) == 1
    assert what in found[0]


@pytest.mark.parametrize(
    "source",
    [
        "writer.close()",
        "source.close()",
        "result.close()",
        "semaphore.release()",
        "session.flush()",
        "session.connection().execute(q.execution_options(yield_per=500))",
        "with db.savepoint(session):\n    pass",
    ],
)
def test_the_rule_lets_ordinary_calls_through(source: str) -> None:
    assert violations(source) == []


# The dependencies that read app state (each once), and the factory that sets it.
APP_STATE_READERS = {
    "main.py": "create_app sets the state",
    "deps.py": "SettingsDep, StoreDep, state_dependency (auth's ThrottleDep)",
    "db/engine.py": "EngineDep",
    "clock.py": "ClockDep",
    "problems.py": "caches the path table of 405 answers on the app, not a dependency",
}


def test_no_router_reads_app_state() -> None:
    # router.py in each domain; visits/ serves the routes of several (routes_*.py).
    routers = sorted([*SERVICE.rglob("router.py"), *SERVICE.rglob("routes_*.py")])
    assert any(p.name.startswith("routes_") for p in routers)
    assert [str(p) for p in routers if "app.state" in p.read_text(encoding="utf-8")] == []


def test_only_dependencies_read_app_state() -> None:
    readers = sorted(
        str(p.relative_to(SERVICE))
        for p in SERVICE.rglob("*.py")
        if "app.state" in p.read_text(encoding="utf-8")
    )
    assert readers == sorted(APP_STATE_READERS)
