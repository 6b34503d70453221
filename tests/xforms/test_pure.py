"""service/xforms stays pure: no web, database or object-store code in any of its modules."""

from pathlib import Path

import pytest

from tests.test_imports import SERVICE, imported_modules

IMPURE = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "boto3", "botocore", "httpx")
IMPURE_SERVICE = ("service.db", "service.deps", "service.storage", "service.config")


@pytest.mark.parametrize("path", sorted((SERVICE / "xforms").glob("*.py")), ids=lambda p: p.name)
def test_no_web_database_or_storage_imports(path: Path) -> None:
    imported = set(imported_modules(path.read_text(encoding="utf-8"), "service.xforms"))
    bad = {
        m
        for m in imported
        if m.split(".")[0] in IMPURE
        or any(m == s or m.startswith(f"{s}.") for s in IMPURE_SERVICE)
        or m.endswith((".repository", ".router", ".models", ".service"))
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
