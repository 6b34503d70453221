"""Every methodology observable (section 7) is asked by a real item, and the index agrees."""

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from service.checklists.builder import build_service_checklists
from service.checklists.format import ChecklistChannel, ChecklistTemplate, ResolvedChecklist
from service.checklists.loader import load_templates
from service.checklists.observables import check_observables, load_observables
from service.standards.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
# Section 7 of the seed methodology, copied into the repository (tests/data/README.md says from where).
METHODOLOGY = ROOT / "tests" / "data" / "methodology-observables.md"
OBSERVABLES = load_observables(ROOT / "checklists" / "observables.yaml")
TEMPLATES = load_templates(ROOT / "checklists" / "templates")


def _methodology_ids() -> list[str]:
    text = METHODOLOGY.read_text(encoding="utf-8")
    return re.findall(r"^\|\s*([A-I]\d{1,2})\s*\|", text, flags=re.MULTILINE)


METHODOLOGY_IDS = _methodology_ids()


def _built(code: str) -> dict[ChecklistChannel, ResolvedChecklist]:
    standards = {s.code: s for s in load_catalogue(ROOT / "checklists" / "standards")}
    return {c.channel: c for c in build_service_checklists(TEMPLATES, standards[code])}


# S19 has every channel and several deadline cases, so no item is dropped.
BUILT = _built("S19")


def test_methodology_lists_all_groups() -> None:
    assert len(METHODOLOGY_IDS) == len(set(METHODOLOGY_IDS)) == 61
    assert {i[0] for i in METHODOLOGY_IDS} == set("ABCDEFGHI")


@pytest.mark.parametrize("obs_id", METHODOLOGY_IDS)
def test_observable_is_asked_by_a_built_item(obs_id: str) -> None:
    by_channel = OBSERVABLES.get(obs_id, {})
    asked = [(channel, code) for channel, codes in by_channel.items() for code in codes]
    assert asked, f"{obs_id} is not mapped to any item"
    for channel, code in asked:
        item = BUILT[channel].item(code)
        assert obs_id in item.observables


def test_no_invented_ids() -> None:
    assert set(OBSERVABLES) <= set(METHODOLOGY_IDS)


@pytest.mark.parametrize("checklists", [TEMPLATES, BUILT], ids=["templates", "built"])
def test_tags_agree_with_the_index(
    checklists: Mapping[ChecklistChannel, ChecklistTemplate | ResolvedChecklist],
) -> None:
    assert check_observables(OBSERVABLES, checklists) == []


def test_disagreements_are_reported() -> None:
    mapping = {k: {c: list(v) for c, v in by.items()} for k, by in OBSERVABLES.items()}
    mapping["C3"][ChecklistChannel.in_person].remove("display_matches_voice")
    mapping["C3"][ChecklistChannel.in_person].append("ghost_item")
    mapping["B2"][ChecklistChannel.in_person].append("stand_present")
    problems = check_observables(mapping, TEMPLATES)
    assert "C3: in_person has no item ghost_item" in problems
    assert "B2: in_person item stand_present is not tagged B2" in problems
    assert any(p.startswith("in_person item display_matches_voice: tagged C3") for p in problems)
