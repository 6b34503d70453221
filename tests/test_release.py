"""The running code's digest: the same for the same files, another for any change."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from service import release


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "reports").mkdir()
    (tmp_path / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (tmp_path / "reports" / "words.py").write_text('NAME = "Астана"\n')
    monkeypatch.setattr(release, "_PACKAGE", tmp_path)
    release.code_digest.cache_clear()
    yield tmp_path
    release.code_digest.cache_clear()


def test_the_same_files_give_the_same_digest(package: Path) -> None:
    first = release.code_digest()
    assert len(first) == 16
    assert int(first, 16) >= 0
    release.code_digest.cache_clear()
    assert release.code_digest() == first


def test_a_changed_or_moved_file_changes_it(package: Path) -> None:
    first = release.code_digest()
    release.code_digest.cache_clear()
    (package / "reports" / "words.py").write_text('NAME = "Астана қаласы"\n')
    changed = release.code_digest()
    assert changed != first
    release.code_digest.cache_clear()
    (package / "reports" / "words.py").rename(package / "reports" / "names.py")
    assert release.code_digest() not in {first, changed}


def test_the_real_package_has_one() -> None:
    release.code_digest.cache_clear()
    assert len(release.code_digest()) == 16
