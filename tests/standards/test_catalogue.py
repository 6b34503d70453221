"""The catalogue files: valid, faithful to the report's facts, and refused precisely when broken."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import PROJECT_ROOT
from service.standards.catalogue import (
    CatalogueError,
    StandardFile,
    load_catalogue,
    parse_standard,
)

CATALOGUE = PROJECT_ROOT / "checklists" / "standards"
# The seed facts of report-2018.txt, copied into the repository (tests/data/README.md).
SEED = PROJECT_ROOT / "tests" / "data" / "services-facts.json"


@pytest.fixture(scope="module")
def catalogue() -> list[StandardFile]:
    return load_catalogue(CATALOGUE)


# Where the catalogue corrects the seed extraction's reading of a deadline's bound.
BOUND_CORRECTED: dict[str, list[tuple[int, str, str | None]]] = {
    # Line 1924, «по истечении 18 (восемнадцати) месяцев»: a minimum, not a maximum.
    "S18": [(18, "months", "min")],
    # Line 2758, «продлевается не более чем на четыре месяца»: an extension adds at most its
    # amount to the base; it is not the upper end of a range.
    "S30": [(25, "working_days", None), (4, "months", None)],
}


# Where the catalogue mends the report's own heading (a reader sees the name on every page).
NAME_CORRECTED = {
    # Line 2632 runs two words together: «Аккредитацияюридических лиц».
    "S28": ("Аккредитацияюридических", "Аккредитация юридических"),
}


def first_versions(catalogue: list[StandardFile]) -> list[StandardFile]:
    """The 2018 version of each service (the catalogue is sorted by code, then date)."""
    seen: dict[str, StandardFile] = {}
    for standard in catalogue:
        seen.setdefault(standard.code, standard)
    return list(seen.values())


def test_sixty_services(catalogue: list[StandardFile]) -> None:
    assert [s.code for s in first_versions(catalogue)] == [f"S{n:02d}" for n in range(1, 61)]


def test_only_s02_has_a_later_version(catalogue: list[StandardFile]) -> None:
    # Line 874: in November 2018 S02 was cut to 10 days, without the provider's channel.
    later = [
        (s.code, s.effective_from.isoformat())
        for s in catalogue
        if s.effective_from.year > 2018 or s.effective_from.month > 1
    ]
    assert later == [("S02", "2018-11-01")]


def test_only_s06_lacks_a_deadline(catalogue: list[StandardFile]) -> None:
    assert [s.code for s in catalogue if not s.deadlines] == ["S06"]


def test_s26_is_seven_working_days(catalogue: list[StandardFile]) -> None:
    s26 = next(s for s in catalogue if s.code == "S26")
    assert [(d.amount, d.unit.value) for d in s26.deadlines] == [(7, "working_days")]


def test_facts_match_the_seed(catalogue: list[StandardFile]) -> None:
    seed = {s["section_no"]: s for s in json.loads(SEED.read_text(encoding="utf-8"))}
    versions = first_versions(catalogue)
    assert sorted(seed) == sorted(s.section_no for s in versions) == list(range(1, 61))
    for standard in versions:
        source = seed[standard.section_no]
        wrong, right = NAME_CORRECTED.get(standard.code, ("", ""))
        assert standard.name_ru == source["name_ru"].replace(wrong, right)
        assert standard.level.value == source["level"]
        assert [c.value for c in standard.channels] == source["channels"]["codes"]
        seeded = [(d["amount"], d["unit"], d.get("bound")) for d in source["deadline"]]
        expected = BOUND_CORRECTED.get(standard.code, seeded)
        assert [(d.amount, d.unit.value, d.bound) for d in standard.deadlines] == expected, (
            standard.code
        )
        # S33 and S45's seed lists are the authors' summary (line 2966) and a shopper's quote
        # (line 3749), not the standard's text: the catalogue leaves them empty with a note.
        if standard.code in ("S33", "S45"):
            assert standard.documents == [], standard.code
            assert standard.documents_note_ru is not None
            assert "import-documents" in standard.documents_note_ru
        else:
            assert [d.name_ru for d in standard.documents] == source["documents_ru"]


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def valid() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CATALOGUE / "S26.yaml").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["deadlines"][0].update(unit="fortnights"), "deadlines.0.unit"),
        (lambda d: d["deadlines"][0].update(amount=0), "deadlines.0.amount"),
        (lambda d: d["deadlines"][0].update(amount="seven"), "deadlines.0.amount"),
        (lambda d: d.pop("name_ru"), "name_ru: Field required"),
        (lambda d: d.update(level="federal"), "level"),
        (lambda d: d.update(channels=[]), "channels"),
        (lambda d: d.update(channels=["gov_agency", "gov_agency"]), "channels must not repeat"),
        (lambda d: d.update(code="S27"), "does not match section_no"),
        (lambda d: d.update(code="X26"), "code"),
        (lambda d: d.update(effective_from="soon"), "effective_from"),
        (lambda d: d.update(queue={"max_wait_minutes": -5}), "queue.max_wait_minutes"),
        (lambda d: d["cost"].update(tariffs=[{"amount": 1, "unit": "mrp"}]), "tariffs need"),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
    ],
)
def test_broken_file_names_path_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = valid()
    change(data)
    path = write(tmp_path, "S26.yaml", data)
    with pytest.raises(CatalogueError) as err:
        parse_standard(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "S26.yaml"
    path.write_text("code: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match="cannot read YAML"):
        parse_standard(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "S26.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="expected a mapping"):
        parse_standard(path)


def test_file_name_must_match_code(tmp_path: Path) -> None:
    path = write(tmp_path, "S25.yaml", valid())
    with pytest.raises(CatalogueError, match="does not match the file name"):
        parse_standard(path)


def test_two_versions_on_one_date_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "S26.yaml", valid())
    write(tmp_path, "S26@copy.yaml", valid())
    with pytest.raises(CatalogueError, match="two versions effective from 2018-01-01"):
        load_catalogue(tmp_path)


def test_later_version_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "S26.yaml", valid())
    write(tmp_path, "S26@2027-01-01.yaml", valid() | {"effective_from": "2027-01-01"})
    assert [str(s.effective_from) for s in load_catalogue(tmp_path)] == ["2018-01-01", "2027-01-01"]


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no \\*.yaml"):
        load_catalogue(tmp_path)


def test_digest_ignores_key_order(catalogue: list[StandardFile]) -> None:
    body = catalogue[0].body()
    reordered = type(body).model_validate(dict(reversed(body.model_dump().items())))
    assert reordered.digest() == body.digest()
    changed = body.model_copy(update={"name_ru": body.name_ru + "!"})
    assert changed.digest() != body.digest()
