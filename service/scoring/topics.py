"""The standard's topics a finding rests on (documents, deadline, cost, channels): each
topic's quoted text and source line, and the two judged from the standard alone: the
documents demanded against its list, and an office the standard does not name.

Pure: plain values in and out; no web, database or storage imports.
"""

from collections.abc import Callable, Mapping

from pydantic import JsonValue

from service.checklists import texts
from service.checklists.items import DocumentsItem
from service.scoring import item_rules
from service.scoring.judged import Judged
from service.scoring.messages import Params, localized
from service.scoring.results import DocumentsFacts, FindingCode, Note
from service.scoring.sources import Source
from service.standards.catalogue import StandardBody


def _norm_name(name: str) -> str:
    return " ".join(name.casefold().split())


TEXTS: dict[item_rules.StandardTopic, Callable[[StandardBody, str], str]] = {
    "documents": texts.documents_text,
    "deadline": texts.deadline_text,
    "cost": texts.cost_text,
    "channels": texts.channels_text,
}


# Items whose finding assumes the office is one the standard takes applications at.
_CHANNEL_ITEMS = frozenset(
    code
    for code, rules in item_rules.ITEM_FINDINGS.items()
    if any(rule.on == "channels" for rule in rules)
)


def off_channel(
    standard: StandardBody,
    office_channels: frozenset[str],
    values: dict[str, JsonValue],
    na: set[str],
) -> list[Note]:
    """At an office the standard does not name (issue 16: "the office used is not checked
    against the standard's channels"), being sent elsewhere is no breach: its answer is
    taken as not applicable, and a note says why."""
    listed = {c.value for c in standard.channels}
    # "other" is a channel the extraction could not name: the office may well be it.
    if not office_channels or not listed or "other" in listed or office_channels & listed:
        return []
    answered = sorted(code for code in _CHANNEL_ITEMS if code in values)
    if not answered:
        return []
    for code in answered:
        del values[code]
        na.add(code)
    return [Note.of("office-not-a-channel", {"channels": topic_text(standard, "channels")})]


def topic_text(standard: StandardBody, topic: item_rules.StandardTopic) -> dict[str, JsonValue]:
    text = TEXTS[topic]
    # The messages end the quote with their own full stop. Kazakh quotes the standard's own
    # words (its documents, its cases) in Russian, as the catalogue has no Kazakh.
    ru, en, kk = (text(standard, lang).rstrip(".") for lang in ("ru", "en", "kk"))
    return localized(ru, en, kk)


def sources(code: str, standard: StandardBody) -> dict[item_rules.StandardTopic, Source]:
    """What a finding on each topic of the standard rests on: the standard and its line."""
    source = standard.source
    section = source.section_line if source else None
    deadline = source.deadline_line if source else None
    lines: dict[item_rules.StandardTopic, int | None] = {
        "documents": section,
        "deadline": deadline or section,
        "cost": standard.cost.line or section,
        "channels": section,
    }
    return {
        topic: Source.of(code, "standard-text", item_rules.standard_text(topic), line=line)
        for topic, line in lines.items()
    }


def judge_documents(
    j: Judged,
    item: DocumentsItem,
    value: JsonValue,
    standard: StandardBody,
    sources: Mapping[item_rules.StandardTopic, Source],
) -> None:
    """Compare the documents demanded with the standard's list: each extra is a finding."""
    if not isinstance(value, dict):
        return
    names = {o.code: o.text_ru for o in item.options}
    chosen, typed = (
        v if isinstance(v, list) else [] for v in (value.get("selected"), value.get("extras"))
    )
    demanded = [names[c] for c in chosen if isinstance(c, str) and c in names]
    on_list = {_norm_name(d.name_ru): d.name_ru for d in standard.documents}
    on_list |= {_norm_name(d.name_en): d.name_ru for d in standard.documents if d.name_en}
    extras: list[str] = []
    for extra in map(str, typed):
        # A shopper may type a listed document as an extra; it is then not beyond the list.
        known = on_list.get(_norm_name(extra))
        if known is None:
            extras.append(extra)
        elif known not in demanded:
            demanded.append(known)
    listed = [d.name_ru for d in standard.documents]
    j.documents = DocumentsFacts(
        judged=bool(listed), standard=listed, demanded=demanded, extras=extras
    )
    if not listed:
        j.note("documents-not-judged", {})
        return
    j.documents_fraction = 0.0 if extras else 1.0
    n = len(listed)
    source = sources["documents"].citing("documents-list-of", {"n": n})
    # One finding per document: each is a separate demand the law does not allow, and
    # reports count and name them.
    for extra in extras:
        params: Params = {"extra": extra, "n": n, "list": topic_text(standard, "documents")}
        code: FindingCode = "documents-beyond-standard"
        j.add(code, [item.code], code, params, source)
