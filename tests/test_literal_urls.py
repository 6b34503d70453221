"""Tests call API routes by name (tests/fixtures/routes.py), not by literal /api/v1 URLs.

A literal path breaks silently when a route moves and hides which operation a test calls.
Only the literals that are themselves under test stay, each listed here with its reason.
"""

import ast
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PREFIX = "/api/v1"

ALLOWED = {
    # An unknown path under the prefix: its 404, and the instance the problem echoes back.
    "test_problems.py": 2,
    # The route template is the label the metrics export.
    "observability/test_observability.py": 1,
    # The start page's curl example is text on the page.
    "test_docs_pages.py": 1,
}


def literal_urls(source: str) -> int:
    """How many string or bytes literals (f-strings included, docstrings not) hold the prefix."""
    tree = ast.parse(source)
    # A docstring is a bare string statement; an f-string's parts count once, as the f-string.
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr | ast.JoinedStr)
        for child in ast.iter_child_nodes(node)
    }
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            count += any(isinstance(part, str) and PREFIX in part for part in parts)
        elif isinstance(node, ast.Constant) and id(node) not in skipped:
            value = node.value
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            count += isinstance(value, str) and PREFIX in value
    return count


def test_counts_literals_not_docstrings() -> None:
    source = (
        '"""About /api/v1."""\n'
        'a = "/api/v1/me"\n'
        'b = f"{base}/api/v1/visits/{v}"\n'
        'c = b"GET /api/v1/me HTTP/1.1"\n'
        'd = api_path("read_me")\n'
    )
    assert literal_urls(source) == 3


def test_only_listed_literal_urls_remain() -> None:
    found = Counter(
        {
            path.relative_to(TESTS).as_posix(): n
            for path in TESTS.rglob("*.py")
            if path != Path(__file__).resolve() and (n := literal_urls(path.read_text()))
        }
    )
    over = {name: n for name, n in found.items() if n > ALLOWED.get(name, 0)}
    assert over == {}, "call the route by name: api_path() in tests/fixtures/routes.py"
