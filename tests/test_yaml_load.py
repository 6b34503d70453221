"""The shipped YAML reads the same through libyaml's parser as through PyYAML's own."""

from pathlib import Path

import pytest
import yaml

from service import yaml_load
from service.checklists.format import ChecklistError
from service.checklists.loader import read_yaml
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


def test_an_error_shows_the_lines_text_and_names_what_is_at_fault() -> None:
    # libyaml's own message has neither: the document is read again by PyYAML's parser.
    with pytest.raises(yaml.YAMLError) as caught:
        yaml_load.safe_load("a: 1\nb: *nope\n")
    message = str(caught.value)
    assert "found undefined alias 'nope'" in message
    assert "line 2, column 4:\n    b: *nope\n       ^" in message


def test_a_checklist_files_error_shows_the_line_and_names_the_alias() -> None:
    with pytest.raises(ChecklistError) as caught:
        read_yaml("code: x\noptions: *choices\n", "in_person.yaml")
    message = str(caught.value)
    assert message.startswith("in_person.yaml: cannot read YAML: found undefined alias 'choices'")
    assert "    options: *choices\n             ^" in message


def test_a_checklist_files_duplicate_key_shows_both_lines() -> None:
    with pytest.raises(ChecklistError) as caught:
        read_yaml("code: x\ncode: y\n", "t.yaml")
    message = str(caught.value)
    assert "duplicate key 'code'" in message
    assert "    code: x\n    ^" in message
    assert "    code: y\n    ^" in message


def test_a_checklist_file_reads_yaml_12_booleans_and_shared_lists() -> None:
    assert read_yaml("a: yes\nb: true\nc: &x [1]\nd: *x\n", "t.yaml") == {
        "a": "yes",
        "b": True,
        "c": [1],
        "d": [1],
    }
