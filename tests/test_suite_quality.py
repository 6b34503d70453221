"""The suite's own rule: a test asserts behaviour (a body, a row, an object), not only a status.

A status code alone passes when the body is wrong or empty, so a test function whose every
``assert`` compares a ``.status_code`` (and that calls no ``assert_*`` helper nor
``pytest.raises``) fails here.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).parent

# Tests where the status alone is the behaviour, with the reason. Empty today: even a 204 or
# 304 asserts its empty body.
STATUS_IS_THE_BEHAVIOUR: dict[str, str] = {}


def _compares_status(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and any(
        isinstance(side, ast.Attribute) and side.attr == "status_code"
        for side in (test.left, *test.comparators)
    )


def _calls_a_checker(function: ast.AST) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name.startswith("assert") or name == "raises":
                return True
    return False


def status_only_tests(source: str) -> list[str]:
    """Names of the test functions in ``source`` whose only assertions are on a status code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            asserts = [n for n in ast.walk(node) if isinstance(n, ast.Assert)]
            if (
                asserts
                and all(_compares_status(a.test) for a in asserts)
                and not _calls_a_checker(node)
            ):
                found.append(node.name)
    return found


def test_no_test_asserts_only_a_status_code() -> None:
    found = [
        f"{path.relative_to(TESTS.parent)}::{name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for name in status_only_tests(path.read_text(encoding="utf-8"))
    ]
    assert [f for f in found if f not in STATUS_IS_THE_BEHAVIOUR] == []
    assert set(STATUS_IS_THE_BEHAVIOUR) <= set(found), "an allow-list entry no longer applies"


def test_the_checker_tells_a_status_only_test_from_a_real_one() -> None:
    source = """
def test_status_only(client):
    assert client.get("/x").status_code == 200

def test_with_body(client):
    response = client.get("/x")
    assert response.status_code == 200
    assert response.json() == {"a": 1}

def test_with_helper(client):
    assert_problem(client.get("/x"), 404, "not-found")
"""
    assert status_only_tests(source) == ["test_status_only"]
