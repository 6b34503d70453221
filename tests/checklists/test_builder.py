"""The builder: every service gets its checklists, resolved from the standard."""

import re
from pathlib import Path
from typing import Any

import pytest

from service.checklists import texts
from service.checklists.builder import build_checklist, build_service_checklists, channels_for
from service.checklists.format import (
    PLACEHOLDER_RE,
    ChecklistChannel,
    ChecklistError,
    ChecklistTemplate,
    ResolvedChecklist,
)
from service.checklists.items import ChoiceItem, DocumentsItem
from service.checklists.loader import load_templates, parse_template
from service.standards.catalogue import (
    Bound,
    Deadline,
    DeadlineUnit,
    StandardFile,
    load_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = load_templates(ROOT / "checklists" / "templates")
CATALOGUE = {s.code: s for s in load_catalogue(ROOT / "checklists" / "standards")}
IN_PERSON = TEMPLATES[ChecklistChannel.in_person]

IP, CALL, EGOV = ChecklistChannel.in_person, ChecklistChannel.call_1414, ChecklistChannel.egov


def _texts(checklist: ResolvedChecklist) -> list[str]:
    found = [checklist.title_ru, checklist.title_en]
    for section in checklist.sections:
        found += [section.title_ru, section.title_en]
        for item in section.items:
            found += [v for k, v in item if k.startswith(("text_", "help_")) and v]
            for option in getattr(item, "options", []):
                found += [option.text_ru, option.text_en]
    return found


@pytest.mark.parametrize("code", [f"S{n:02d}" for n in range(1, 61)])
def test_every_service_builds_its_channels(code: str) -> None:
    standard = CATALOGUE[code]
    checklists = build_service_checklists(TEMPLATES, standard)
    channels = [c.channel for c in checklists]
    assert channels[:2] == [IP, CALL]
    portal = {"egov_portal", "elicense_portal"} & {c.value for c in standard.channels}
    assert (EGOV in channels) == bool(portal)
    for checklist in checklists:
        assert checklist.service_code == code
        assert checklist.standard_digest == standard.body().digest()
        leftovers = [t for t in _texts(checklist) if PLACEHOLDER_RE.search(t)]
        assert leftovers == []
        assert ResolvedChecklist.model_validate_json(checklist.canonical_json()) == checklist


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("S26", [IP, CALL]),  # provider's office only
        ("S55", [IP, CALL]),  # "other" channel only
        ("S31", [IP, CALL, EGOV]),  # portal only: still visited and called
        ("S23", [IP, CALL, EGOV]),  # elicense.kz
        ("S10", [IP, CALL, EGOV]),
    ],
)
def test_channels_for(code: str, expected: list[ChecklistChannel]) -> None:
    assert channels_for(CATALOGUE[code]) == expected


@pytest.mark.parametrize(
    ("code", "options"),
    [
        ("S17", []),
        ("S26", []),
        # Lines 2966 and 3749 are not the standards' texts: no list until a programme loads one.
        ("S33", []),
        ("S45", []),
        (
            "S04",
            [
                (
                    "doc_1",
                    "документ, удостоверяющий личность гражданина Республики Казахстан, "
                    "содержащий ИИН",
                )
            ],
        ),
    ],
)
def test_documents_item_lists_the_standard(code: str, options: list[tuple[str, str]]) -> None:
    item = build_checklist(IN_PERSON, CATALOGUE[code]).item("documents_demanded")
    assert isinstance(item, DocumentsItem)
    assert [(o.code, o.text_ru) for o in item.options] == options
    # Extras are always possible, so the item is usable with an empty list too.
    assert item.max_extras >= 1
    assert item.help_ru is not None
    assert ("egov.kz" in item.help_ru) == (not options)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "S17",
            [
                ("case_1", "юридические лица: 30 календарных дней"),
                ("case_2", "физические лица: 10 календарных дней"),
                (
                    "case_3",
                    "в случае изменения фамилии, имени, отчества физического лица и (или) "
                    "наименования и места нахождения: 20 календарных дней",
                ),
                ("case_4", "в случае утери свидетельства об аккредитации: 15 календарных дней"),
            ],
        ),
        ("S26", None),  # a single case
        ("S11", None),  # one range, 15-180 days
        ("S06", None),  # no deadline in the standard
        ("S30", [("case_1", "основной срок: 25 рабочих дней"), ("case_2", None)]),
    ],
)
def test_deadline_case_options(code: str, expected: list[tuple[str, str | None]] | None) -> None:
    checklist = build_checklist(IN_PERSON, CATALOGUE[code])
    if expected is None:
        with pytest.raises(KeyError):
            checklist.item("deadline_case")
        return
    item = checklist.item("deadline_case")
    assert isinstance(item, ChoiceItem)
    assert [o.code for o in item.options] == [c for c, _ in expected]
    for option, (_, text) in zip(item.options, expected, strict=True):
        if text is not None:
            assert option.text_ru == text


def test_extension_cases_say_they_need_a_declaration() -> None:
    item = build_checklist(IN_PERSON, CATALOGUE["S32"]).item("deadline_case")
    assert isinstance(item, ChoiceItem)
    marked = [o.code for o in item.options if "только если орган его объявил" in o.text_ru]
    assert marked == ["case_2", "case_3"]
    assert all("only if the office declared" in o.text_en for o in item.options[1:])


@pytest.mark.parametrize(
    ("code", "ru", "en"),
    [
        ("S26", "7 рабочих дней", "7 working days"),
        ("S48", "не более 60 минут", "no more than 60 minutes"),
        ("S11", "отличаются по видам возврата: 15–180 календарных дней", None),
        ("S06", "в стандарте срок не указан", "the standard states no deadline"),
    ],
)
def test_deadline_text(code: str, ru: str, en: str | None) -> None:
    assert texts.deadline_text(CATALOGUE[code], "ru") == ru
    if en is not None:
        assert texts.deadline_text(CATALOGUE[code], "en") == en


@pytest.mark.parametrize(
    ("amount", "ru"),
    [
        (1, "1 рабочий день"),
        (2, "2 рабочих дня"),
        (5, "5 рабочих дней"),
        (11, "11 рабочих дней"),
        (21, "21 рабочий день"),
        (22, "22 рабочих дня"),
        (112, "112 рабочих дней"),
    ],
)
def test_russian_plural(amount: int, ru: str) -> None:
    assert texts.amount_ru(amount, DeadlineUnit.working_days) == ru


@pytest.mark.parametrize(
    ("code", "kk"),
    [
        ("S26", "7 жұмыс күні"),
        ("S06", "стандартта мерзім көрсетілмеген"),
        # The case's words are the catalogue's Russian; the term is Kazakh.
        ("S11", "отличаются по видам возврата: 15–180 күнтізбелік күн"),
        # Russian that would run on into the amount («не более», «до») is said in Kazakh.
        ("S48", "ең көбі 60 минут"),
    ],
)
def test_deadline_text_in_kazakh(code: str, kk: str) -> None:
    assert texts.deadline_text(CATALOGUE[code], "kk") == kk


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("S30", "срок продлевается: ең көбі 4 ай"),
        ("S37", "обследования продлевается: ең көбі 48 жұмыс күні (барлығы ең көбі 99"),
    ],
)
def test_kazakh_extension_states_its_limit_in_kazakh(code: str, part: str) -> None:
    assert part in texts.deadline_text(CATALOGUE[code], "kk")


def _case(*entries: Deadline) -> texts.DeadlineCase:
    return texts.DeadlineCase(0, entries)


def _term(case_ru: str | None, amount: int = 10, **more: Any) -> Deadline:
    return Deadline(case_ru=case_ru, amount=amount, unit=DeadlineUnit.working_days, **more)


@pytest.mark.parametrize(
    ("entries", "kk"),
    [
        # An upper limit in Russian words is said in Kazakh; the rest of the label quoted.
        ((_term("выдача до"),), "выдача: ең көбі 10 жұмыс күні"),
        ((_term("не более"),), "ең көбі 10 жұмыс күні"),
        ((_term("срок не более чем на", bound=Bound.max),), "срок: ең көбі 10 жұмыс күні"),
        # A lower limit, or a limit word the Kazakh cannot say for it, stays a quote: the
        # amount after it keeps its own bound, never «ең көбі».
        ((_term("не менее чем"),), "не менее чем: 10 жұмыс күні"),
        ((_term("не ранее чем на", bound=Bound.min),), "не ранее чем на: 10 жұмыс күні (кемінде)"),
        ((_term("выдача до", bound=Bound.min),), "выдача до: 10 жұмыс күні (кемінде)"),
        (
            (_term("возврат до", 15, bound=Bound.min), _term("возврат до", 180, bound=Bound.max)),
            "возврат до: 15–180 жұмыс күні",
        ),
    ],
)
def test_kazakh_quotes_russian_limits_by_what_they_mean(
    entries: tuple[Deadline, ...], kk: str
) -> None:
    case = _case(*entries)
    assert case.text("kk", several=False) == kk
    # Russian reads on as before.
    assert case.text("ru", several=False).startswith(entries[0].case_ru or "")


def test_a_label_stripped_to_nothing_is_not_called_the_main_term() -> None:
    case = _case(_term("не более"))
    assert case.text("kk", several=True) == "ең көбі 10 жұмыс күні"
    assert _case(_term(None)).text("kk", several=True) == "негізгі мерзім: 10 жұмыс күні"


def test_no_kazakh_deadline_runs_russian_into_an_amount() -> None:
    # A Russian limit word right before a Kazakh amount (quoted Russian with its own Russian
    # amount, as S32's case says «до 5 или 30 рабочих дней», is a quote and stays).
    run_on = re.compile(
        r"\b(?:до|на|более|чем) \d+(?:–\d+)? (?:жұмыс|күнтізбелік|сағат|ай\b|минут)"
    )
    assert run_on.search("продлевается до 48 жұмыс күні")  # what it finds
    found = {
        code: text
        for code, standard in CATALOGUE.items()
        if run_on.search(text := texts.deadline_text(standard, "kk"))
    }
    assert found == {}


def test_kazakh_texts_are_filled_from_the_programs_own_kazakh() -> None:
    # S30: two cases, the first with no label of its own; S33: no document list, free.
    s30 = build_checklist(IN_PERSON, CATALOGUE["S30"]).item("deadline_case")
    assert isinstance(s30, ChoiceItem)
    assert s30.options[0].text_kk == "негізгі мерзім: 25 жұмыс күні"
    call = build_checklist(TEMPLATES[CALL], CATALOGUE["S33"])
    assert "тізбе берілмеген" in (call.item("answer_documents_match").help_kk or "")
    assert "7 жұмыс күні" in (call.item("answer_deadline_match").help_kk or "")
    assert "тегін" in (call.item("answer_cost_match").help_kk or "")
    wait = build_checklist(IN_PERSON, CATALOGUE["S33"]).item("number_called_at")
    assert "мониторинг бағдарламасының нормасы: 15 минут" in (wait.help_kk or "")


def test_call_checklist_shows_the_standard_in_help() -> None:
    call = build_checklist(TEMPLATES[CALL], CATALOGUE["S33"])
    assert "перечень не приведён" in (call.item("answer_documents_match").help_ru or "")
    assert "7 рабочих дней" in (call.item("answer_deadline_match").help_ru or "")
    assert "бесплатно" in (call.item("answer_cost_match").help_ru or "")


def test_scoring_codes_and_critical_items() -> None:
    checklist = build_checklist(IN_PERSON, CATALOGUE["S17"])
    roles = {item.code: item.scoring for item in checklist.items() if item.scoring}
    assert set(roles) == {
        "ticket_taken_at", "number_called_at", "service_started_at", "service_ended_at",
        "application_submitted_on", "result_promised_on", "result_received_on",
        "notification_received_on", "deadline_case", "documents_demanded",
    }  # fmt: skip
    critical = {item.code for item in checklist.items() if item.critical}
    assert critical == {"informal_payment_asked", "pressure_to_falsify", "acquaintance_offer"}


def _edited(template: ChecklistTemplate, old: str, new: str) -> ChecklistTemplate:
    text = (ROOT / "checklists" / "templates" / f"{template.channel.value}.yaml").read_text()
    assert old in text
    return parse_template(text.replace(old, new))


def test_content_hash_is_stable() -> None:
    first = build_checklist(IN_PERSON, CATALOGUE["S17"])
    second = build_checklist(IN_PERSON, CATALOGUE["S17"])
    assert first.content_hash() == second.content_hash()
    assert len(first.content_hash()) == 64


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Время получения талона", "Время выдачи талона"),
        ("text_en: Time the ticket was issued", "text_en: Time the ticket was printed"),
        ("weight: 3\n", "weight: 4\n"),
    ],
)
def test_content_hash_changes_with_the_template(old: str, new: str) -> None:
    before = build_checklist(IN_PERSON, CATALOGUE["S17"]).content_hash()
    after = build_checklist(_edited(IN_PERSON, old, new), CATALOGUE["S17"]).content_hash()
    assert before != after


def test_content_hash_changes_with_the_standard() -> None:
    standard = CATALOGUE["S33"]
    renamed = standard.model_copy(update={"name_ru": standard.name_ru + " (новая редакция)"})
    assert (
        build_checklist(IN_PERSON, standard).content_hash()
        != build_checklist(IN_PERSON, renamed).content_hash()
    )


def test_bare_standard_body_needs_a_code() -> None:
    body = CATALOGUE["S33"].body()
    with pytest.raises(ChecklistError, match="pass service_code"):
        build_checklist(IN_PERSON, body)
    built = build_checklist(IN_PERSON, body, service_code="S33")
    assert built == build_checklist(IN_PERSON, CATALOGUE["S33"])


def test_code_must_agree_with_the_file() -> None:
    standard: StandardFile = CATALOGUE["S33"]
    with pytest.raises(ChecklistError, match="S01 does not match S33"):
        build_checklist(IN_PERSON, standard, service_code="S01")


@pytest.mark.parametrize(
    ("code", "options"),
    [
        # Line 3758: stage 2 follows stage 1, so the shopper picks the whole, not a stage.
        (
            "S46",
            [
                ("case_1", "1 этап: 28 рабочих дней + 2 этап: 22 рабочих дня "
                 "(всего не более 50 рабочих дней)"),
                ("case_3", "отказ в рассмотрении заявления: 2 рабочих дня"),
                ("case_4", "отказ в оказании государственной услуги: 14 рабочих дней"),
            ],
        ),
        # Line 2861: «продлевается до 5 или 30 рабочих дней» adds to the base 10.
        (
            "S32",
            [
                ("case_1", "основной срок: 10 рабочих дней"),
                ("case_2", "основной срок: 10 рабочих дней + при необходимости срок оказания "
                 "продлевается до 5 или 30 рабочих дней: не более чем на 5 рабочих дней "
                 "(всего не более 15 рабочих дней)"),
                ("case_3", "основной срок: 10 рабочих дней + при необходимости срок оказания "
                 "продлевается до 5 или 30 рабочих дней: не более чем на 30 рабочих дней "
                 "(всего не более 40 рабочих дней)"),
            ],
        ),
    ],
)  # fmt: skip
def test_deadline_case_options_add_up_stages_and_extensions(
    code: str, options: list[tuple[str, str]]
) -> None:
    item = build_checklist(IN_PERSON, CATALOGUE[code]).item("deadline_case")
    assert isinstance(item, ChoiceItem)
    extension = " [продление: учитывается, только если орган его объявил]"
    got = [(o.code, o.text_ru.removesuffix(extension)) for o in item.options]
    assert got == options
