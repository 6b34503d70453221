"""The map from methodology observables (A1..I2) to the checklist items that ask them.

``checklists/observables.yaml`` is the index analysts read; the ``observables`` tags on the
items are what reports use. ``check_observables`` keeps the two in agreement.
"""

from collections.abc import Mapping
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from service.checklists.format import (
    ChecklistChannel,
    ChecklistError,
    ChecklistTemplate,
    ResolvedChecklist,
)
from service.checklists.loader import describe_errors, read_yaml
from service.checklists.vocabulary import Code, ObservableId

ObservableMap = dict[ObservableId, dict[ChecklistChannel, list[Code]]]
_ADAPTER: TypeAdapter[ObservableMap] = TypeAdapter(ObservableMap)


def load_observables(path: Path) -> ObservableMap:
    """Read and validate ``observables.yaml``.

    Raises:
        ChecklistError: the file cannot be read, or an ID, channel or code is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(f"{path}: cannot read: {exc}") from exc
    raw = read_yaml(text, str(path))
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        raise ChecklistError(f"{path}: {describe_errors(exc, raw)}") from exc


def check_observables(
    mapping: ObservableMap,
    checklists: Mapping[ChecklistChannel, ChecklistTemplate | ResolvedChecklist],
) -> list[str]:
    """Every disagreement between ``mapping`` and the items' tags, as readable lines.

    An entry must name an existing item of its channel that carries the tag, and every tag
    must appear in the map. An empty list means they agree.
    """
    problems: list[str] = []
    tagged: set[tuple[str, ChecklistChannel, str]] = set()
    for channel, checklist in checklists.items():
        for item in checklist.items():
            tagged.update((tag, channel, item.code) for tag in item.observables)
    for obs_id, by_channel in sorted(mapping.items()):
        if not any(by_channel.values()):
            problems.append(f"{obs_id}: mapped to no item")
        for channel, codes in by_channel.items():
            if channel not in checklists:
                problems.append(f"{obs_id}: no {channel.value} checklist to look in")
                continue
            known = {item.code for item in checklists[channel].items()}
            for code in codes:
                if code not in known:
                    problems.append(f"{obs_id}: {channel.value} has no item {code}")
                elif (obs_id, channel, code) not in tagged:
                    problems.append(f"{obs_id}: {channel.value} item {code} is not tagged {obs_id}")
    for obs_id, channel, code in sorted(tagged):
        if code not in mapping.get(obs_id, {}).get(channel, []):
            problems.append(
                f"{channel.value} item {code}: tagged {obs_id}, but observables.yaml does not map "
                f"{obs_id} to it"
            )
    return problems
