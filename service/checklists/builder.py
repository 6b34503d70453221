"""Resolve a channel template against one service's standard into the checklist phones get.

Pure: a template and a ``StandardBody`` in, a ``ResolvedChecklist`` out. Per-service
checklists are generated on demand, so no service has its own copy of a template.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from service.checklists import texts
from service.checklists.format import (
    PLACEHOLDER_RE,
    PLACEHOLDERS,
    TEXT_FIELD_PREFIXES,
    ChecklistChannel,
    ChecklistError,
    ChecklistTemplate,
    ResolvedChecklist,
)
from service.checklists.items import ChoiceItem, DocumentsItem, ItemBase
from service.checklists.loader import describe_errors
from service.languages import LANGUAGES
from service.standards.catalogue import ApplicationChannel, Names, StandardBody, StandardFile
from service.standards.programme import AppliedNorm, default_programme, service_norm, wait_norm

_PORTALS = frozenset({ApplicationChannel.egov_portal, ApplicationChannel.elicense_portal})


def channels_for(standard: StandardBody) -> list[ChecklistChannel]:
    """The channels a shopper tests for a service.

    Every service gets ``in_person`` and ``call_1414``: 1414 is the e-government contact
    centre that answers questions on every public service, whatever its application channels.
    ``egov`` is added only when the standard accepts applications on egov.kz or elicense.kz.
    """
    channels = [ChecklistChannel.in_person, ChecklistChannel.call_1414]
    if _PORTALS.intersection(standard.channels):
        channels.append(ChecklistChannel.egov)
    return channels


def norms_of(standard: StandardBody) -> tuple[AppliedNorm, AppliedNorm]:
    """The wait and service-time norms a checklist of ``standard`` shows."""
    programme = default_programme()
    return wait_norm(standard, programme), service_norm(standard, programme)


def placeholder_values(standard: StandardBody) -> dict[str, str]:
    """The value of every placeholder a template may use, taken from ``standard``."""
    values = {
        "service_name_ru": standard.name_ru,
        "service_name_en": Names(standard.name_ru, standard.name_en).in_language("en"),
        "agency_name_ru": standard.agency.name_ru,
        "agency_name_en": Names(standard.agency.name_ru, standard.agency.name_en).in_language("en"),
    }
    # The norms in force: the standard's where it states them, else the programme's, and
    # the help text says whose (never "the standard's" for the programme's choice).
    wait, service = norms_of(standard)
    values["max_wait_minutes"], values["max_service_minutes"] = (
        str(wait.minutes),
        str(service.minutes),
    )
    for lang in LANGUAGES:
        values[f"deadline_text_{lang}"] = texts.deadline_text(standard, lang)
        values[f"documents_list_{lang}"] = texts.documents_text(standard, lang)
        values[f"cost_text_{lang}"] = texts.cost_text(standard, lang)
        values[f"channels_text_{lang}"] = texts.channels_text(standard, lang)
        values[f"wait_norm_{lang}"] = wait.label(lang)
        values[f"service_norm_{lang}"] = service.label(lang)
    assert values.keys() == PLACEHOLDERS, "placeholder_values and PLACEHOLDERS disagree"
    return values


def _fill(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, list):
        return [_fill(child, values) for child in node]
    if not isinstance(node, dict):
        return node
    filled: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith(TEXT_FIELD_PREFIXES) and isinstance(value, str):
            filled[key] = PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], value)
        else:
            filled[key] = _fill(value, values)
    return filled


def _resolve_item(item: ItemBase, standard: StandardBody) -> dict[str, Any] | None:
    """The item as data with builder-filled options, or None when it does not apply."""
    data = item.model_dump(mode="json", by_alias=True)
    if isinstance(item, DocumentsItem):
        data["options"] = [
            {
                "code": f"doc_{n}",
                "text_ru": doc.name_ru,
                "text_en": Names(doc.name_ru, doc.name_en).in_language("en"),
            }
            for n, doc in enumerate(standard.documents, start=1)
        ]
    elif isinstance(item, ChoiceItem) and item.options_from == "deadline_cases":
        cases = texts.deadline_cases(standard)
        # With one case there is nothing to choose: the scoring uses that deadline.
        if len(cases) < 2:
            return None
        data["options"] = [
            {
                "code": case.option_code,
                "text_ru": case.text("ru", several=True),
                "text_kk": case.text("kk", several=True),
                "text_en": case.text("en", several=True),
            }
            for case in cases
        ]
    return data


def _service_code(standard: StandardBody, service_code: str | None) -> str:
    if isinstance(standard, StandardFile):
        if service_code is not None and service_code != standard.code:
            raise ChecklistError(f"service code {service_code} does not match {standard.code}")
        return standard.code
    if service_code is None:
        raise ChecklistError("a StandardBody has no code: pass service_code")
    return service_code


def build_checklist(
    template: ChecklistTemplate,
    standard: StandardBody,
    *,
    service_code: str | None = None,
) -> ResolvedChecklist:
    """Resolve ``template`` for one service.

    Fills the placeholders, the ``documents`` item's options (``doc_1``.. from the standard's
    list) and the ``deadline_case`` options (``case_1``.. by position in the standard's
    deadlines), and drops ``deadline_case`` when the standard has a single case.

    Args:
        template: a validated channel template.
        standard: the standard version in force; a ``StandardFile`` carries its code.
        service_code: required with a bare ``StandardBody``; must agree with a file's code.

    Returns:
        The checklist, recording the template version and the standard's date and digest.

    Raises:
        ChecklistError: the codes disagree, or a filled text breaks a limit of the format.
    """
    code = _service_code(standard, service_code)
    values = placeholder_values(standard)
    sections = []
    for section in template.sections:
        items = [data for item in section.items if (data := _resolve_item(item, standard))]
        if items:
            head = section.model_dump(mode="json", by_alias=True, exclude={"items"})
            sections.append({**head, "items": items})
    raw = _fill(
        {
            "service_code": code,
            "channel": template.channel.value,
            "template_version": template.version,
            "standard_effective_from": standard.effective_from.isoformat(),
            "standard_digest": standard.body().digest()
            if isinstance(standard, StandardFile)
            else standard.digest(),
            "title_ru": template.title_ru,
            "title_en": template.title_en,
            "title_kk": template.title_kk,
            "sections": sections,
        },
        values,
    )
    try:
        return ResolvedChecklist.model_validate(raw)
    except ValidationError as exc:
        where = f"{template.channel.value} checklist for {code}"
        raise ChecklistError(f"{where}: {describe_errors(exc, raw)}") from exc


def build_service_checklists(
    templates: Mapping[ChecklistChannel, ChecklistTemplate],
    standard: StandardBody,
    *,
    service_code: str | None = None,
) -> list[ResolvedChecklist]:
    """Build the checklist of every channel in ``channels_for(standard)``.

    Raises:
        ChecklistError: a needed template is missing, or ``build_checklist`` refuses.
    """
    checklists = []
    for channel in channels_for(standard):
        if channel not in templates:
            raise ChecklistError(f"no template for channel {channel.value}")
        checklists.append(build_checklist(templates[channel], standard, service_code=service_code))
    return checklists
