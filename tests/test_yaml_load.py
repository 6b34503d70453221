"""The shipped YAML reads the same through libyaml's parser as through PyYAML's own."""

from pathlib import Path

import pytest
import yaml

from service import yaml_load
from service.config import PROJECT_ROOT

SHIPPED = sorted((PROJECT_ROOT / "checklists").rglob("*.yaml"))


def test_the_parser_is_libyamls_where_pyyaml_has_it() -> None:
    # The wheels of PyYAML on PyPI are built with libyaml: a pure-Python fallback here
    # would make every catalogue load several times slower without failing anything else.
    assert yaml.__with_libyaml__
    assert issubclass(yaml_load.SafeLoader, yaml.CSafeLoader)


def test_there_are_shipped_files_to_compare() -> None:
    assert len(SHIPPED) >= 10
    assert {p.name for p in SHIPPED} >= {"grading.yaml", "messages.yaml", "programme.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(Path(p).relative_to(PROJECT_ROOT)))
def test_every_shipped_file_reads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml_load.safe_load(text) == yaml.safe_load(text)


def test_yaml_11_values_resolve_as_pyyaml_resolves_them() -> None:
    text = "a: yes\nb: 2026-01-02\nc: '007'\nd: 1_000\ne: ~\n"
    loaded = yaml_load.safe_load(text)
    assert loaded == yaml.safe_load(text)
    assert loaded["a"] is True
    assert loaded["e"] is None
    assert loaded["d"] == 1000


def test_a_syntax_error_is_pyyamls_error() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml_load.safe_load("a: [1, 2\n")
