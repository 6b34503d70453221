"""Texts a checklist quotes from the service standard: deadlines, documents, cost, channels.

Pure: a ``StandardBody`` in, strings out. The builder puts these into placeholders and into
the options of the ``deadline_case`` item.
"""

import re
from dataclasses import dataclass

from service.standards.catalogue import (
    ApplicationChannel,
    Bound,
    Deadline,
    DeadlineUnit,
    Names,
    Payment,
    StandardBody,
)

# Russian needs three plural forms: 1 день, 2 дня, 5 дней.
_UNIT_RU = {
    DeadlineUnit.minutes: ("минута", "минуты", "минут"),
    DeadlineUnit.hours: ("час", "часа", "часов"),
    DeadlineUnit.working_days: ("рабочий день", "рабочих дня", "рабочих дней"),
    DeadlineUnit.calendar_days: ("календарный день", "календарных дня", "календарных дней"),
    DeadlineUnit.months: ("месяц", "месяца", "месяцев"),
}
# Kazakh does not inflect a noun after a numeral: «1 жұмыс күні», «5 жұмыс күні».
_UNIT_KK = {
    DeadlineUnit.minutes: "минут",
    DeadlineUnit.hours: "сағат",
    DeadlineUnit.working_days: "жұмыс күні",
    DeadlineUnit.calendar_days: "күнтізбелік күн",
    DeadlineUnit.months: "ай",
}
_UNIT_EN = {
    DeadlineUnit.minutes: ("minute", "minutes"),
    DeadlineUnit.hours: ("hour", "hours"),
    DeadlineUnit.working_days: ("working day", "working days"),
    DeadlineUnit.calendar_days: ("calendar day", "calendar days"),
    DeadlineUnit.months: ("month", "months"),
}
# Case texts such as «продлевается не более чем на» read on into the amount.
_LEAD_WORDS = frozenset({"до", "на", "более", "чем", "to", "than", "by"})
# The Russian words of such a case that state its limit, dropped where Kazakh says the limit.
_LEAD_TAIL_RU = re.compile(r"\s*(?:не более(?: чем)?(?: на)?|до|на)$", re.IGNORECASE)
_BOUND = {
    "ru": {Bound.min: "минимум", Bound.max: "максимум"},
    "en": {Bound.min: "at least", Bound.max: "at most"},
    "kk": {Bound.min: "кемінде", Bound.max: "ең көбі"},
}
_EXTENSION = {
    "ru": " [продление: учитывается, только если орган его объявил]",
    "en": " [extension: counts only if the office declared it]",
    "kk": " [ұзарту: орган оны жариялаған жағдайда ғана есептеледі]",
}
_MAIN_TERM = {"ru": "основной срок", "en": "standard term", "kk": "негізгі мерзім"}
_TOTAL = {"ru": "всего не более", "en": "in all at most", "kk": "барлығы ең көбі"}
_UP_TO = {"ru": "не более чем на", "en": "by at most", "kk": "ең көбі"}
_NO_DEADLINE = {
    "ru": "в стандарте срок не указан",
    "en": "the standard states no deadline",
    "kk": "стандартта мерзім көрсетілмеген",
}
_NO_DOCUMENTS = {
    "ru": "в каталоге стандартов перечень не приведён; сверьтесь с описанием услуги на egov.kz",
    "en": "the catalogue gives no list for this service; compare with its description on egov.kz",
    "kk": "стандарттар каталогында тізбе берілмеген; egov.kz сайтындағы қызмет сипаттамасымен "
    "салыстырыңыз",
}
_COST = {
    "ru": {
        Payment.free: "бесплатно",
        Payment.paid: "платно",
        Payment.conditional: "платно в отдельных случаях",
        None: "в стандарте не указано",
    },
    "en": {
        Payment.free: "free of charge",
        Payment.paid: "paid",
        Payment.conditional: "paid in some cases",
        None: "not stated in the standard",
    },
    "kk": {
        Payment.free: "тегін",
        Payment.paid: "ақылы",
        Payment.conditional: "жекелеген жағдайларда ақылы",
        None: "стандартта көрсетілмеген",
    },
}
_CHANNELS = {
    "ru": {
        ApplicationChannel.gov_agency: "офис услугодателя",
        ApplicationChannel.goscorp_con: "ЦОН (Госкорпорация «Правительство для граждан»)",
        ApplicationChannel.egov_portal: "портал egov.kz",
        ApplicationChannel.elicense_portal: "портал elicense.kz",
        ApplicationChannel.other: "иной канал, указанный в стандарте",
    },
    "en": {
        ApplicationChannel.gov_agency: "the provider's office",
        ApplicationChannel.goscorp_con: "a public service centre (ЦОН, State Corporation)",
        ApplicationChannel.egov_portal: "the egov.kz portal",
        ApplicationChannel.elicense_portal: "the elicense.kz portal",
        ApplicationChannel.other: "another channel named in the standard",
    },
    "kk": {
        ApplicationChannel.gov_agency: "көрсетілетін қызметті берушінің кеңсесі",
        ApplicationChannel.goscorp_con: (
            "ХҚКО («Азаматтарға арналған үкімет» мемлекеттік корпорациясы)"
        ),
        ApplicationChannel.egov_portal: "egov.kz порталы",
        ApplicationChannel.elicense_portal: "elicense.kz порталы",
        ApplicationChannel.other: "стандартта көрсетілген басқа арна",
    },
}


def amount_ru(amount: int, unit: DeadlineUnit) -> str:
    """``amount`` with the Russian plural form of ``unit``: «1 рабочий день», «5 рабочих дней»."""
    one, few, many = _UNIT_RU[unit]
    if amount % 10 == 1 and amount % 100 != 11:
        return f"{amount} {one}"
    if 2 <= amount % 10 <= 4 and not 12 <= amount % 100 <= 14:
        return f"{amount} {few}"
    return f"{amount} {many}"


def amount_kk(amount: int, unit: DeadlineUnit) -> str:
    """``amount`` with the Kazakh name of ``unit``, which a numeral leaves uninflected."""
    return f"{amount} {_UNIT_KK[unit]}"


def amount_in(lang: str, amount: int, unit: DeadlineUnit) -> str:
    """``amount`` of ``unit`` in ``lang`` (ru, kk or en)."""
    render = {"ru": amount_ru, "kk": amount_kk}.get(lang, amount_en)
    return render(amount, unit)


def amount_en(amount: int, unit: DeadlineUnit) -> str:
    """``amount`` with the English singular or plural of ``unit``."""
    one, many = _UNIT_EN[unit]
    return f"{amount} {one if amount == 1 else many}"


@dataclass(frozen=True)
class DeadlineCase:
    """One case a shopper can pick (``standards.terms.DeadlineCase``), with its texts.

    ``index`` is the 0-based position in ``StandardBody.deadlines`` of the entry that makes
    the case, so the option code ``case_{index + 1}`` names that entry.
    """

    index: int
    entries: tuple[Deadline, ...]

    @property
    def extension(self) -> bool:
        return any(e.extension for e in self.entries)

    @property
    def option_code(self) -> str:
        return f"case_{self.index + 1}"

    def text(self, lang: str, *, several: bool) -> str:
        """The case and its term in ``lang`` (ru, kk or en): stages and extensions added up.
        The case's own words are the catalogue's, which has no Kazakh: kk quotes Russian."""
        head, rest = self._head(), self.entries[len(self._head()) :]
        parts = [self._part(head, lang, several=several or bool(rest))]
        parts += [self._part((entry,), lang, several=False) for entry in rest]
        text = " + ".join(parts)
        units = {e.unit for e in self.entries if e.bound is not Bound.min}
        if rest and len(units) == 1 and DeadlineUnit.months not in units:
            total = sum(e.amount for e in self.entries if e.bound is not Bound.min)
            text += f" ({_TOTAL[lang]} {amount_in(lang, total, units.pop())})"
        return text + (_EXTENSION[lang] if self.extension else "")

    def _head(self) -> tuple[Deadline, ...]:
        first = self.entries[0]
        if (
            len(self.entries) > 1
            and first.bound is Bound.min
            and self.entries[1].bound is Bound.max
        ):
            return self.entries[:2]
        return self.entries[:1]

    @staticmethod
    def _part(entries: tuple[Deadline, ...], lang: str, *, several: bool) -> str:
        label = _label(entries, lang)
        first, last = entries[0], entries[-1]
        if len(entries) > 1:
            amount = f"{first.amount}–{amount_in(lang, last.amount, last.unit)}"
        else:
            amount = amount_in(lang, first.amount, first.unit)
        lead = bool(label) and label.split()[-1].lower() in _LEAD_WORDS
        labelled = bool(label)
        limited = False
        if lead and lang == "kk":
            # The case's words are the catalogue's Russian: run on into a Kazakh amount they
            # read as neither language, so kk quotes them before a colon. An upper limit they
            # end in («до», «не более чем на») is said in Kazakh before the amount instead;
            # any other («не менее чем») stays quoted, the amount after it as it is.
            lead = False
            stripped, limits = _LEAD_TAIL_RU.subn("", label)
            if limits and first.bound is not Bound.min and len(entries) == 1:
                label, amount, limited = stripped, f"{_UP_TO[lang]} {amount}", True
        if first.bound is not None and len(entries) == 1 and not lead and not limited:
            amount = f"{amount} ({_BOUND[lang][first.bound]})"
        if first.extension and not lead and not limited:
            amount = f"{_UP_TO[lang]} {amount}"
        if not labelled and several:
            label = _MAIN_TERM[lang]
        return f"{label} {amount}" if lead else f"{label}: {amount}" if label else amount


def _label(entries: tuple[Deadline, ...], lang: str) -> str:
    labels = [(d.case_en or d.case_ru) if lang == "en" else d.case_ru for d in entries]
    if len(labels) == 1 or None in labels:
        return labels[0] or ""
    # A range's two entries say "…: lower limit" and "…: upper limit"; keep the shared part.
    a, b = labels[0] or "", labels[1] or ""
    size = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return a[:size].rstrip(" :—-")


def deadline_cases(standard: StandardBody) -> list[DeadlineCase]:
    """The standard's deadline cases (``StandardBody.deadline_cases``), ready to render."""
    return [DeadlineCase(case.index, case.entries) for case in standard.deadline_cases()]


def deadline_text(standard: StandardBody, lang: str) -> str:
    """All deadline cases in one line, or a note that the standard gives none."""
    cases = deadline_cases(standard)
    if not cases:
        return _NO_DEADLINE[lang]
    return "; ".join(case.text(lang, several=len(cases) > 1) for case in cases)


def documents_text(standard: StandardBody, lang: str) -> str:
    """The standard's document list in one line, or where to look when it has none."""
    if not standard.documents:
        return _NO_DOCUMENTS[lang]
    names = [Names(d.name_ru, d.name_en).in_language(lang) for d in standard.documents]
    return "; ".join(names)


def cost_text(standard: StandardBody, lang: str) -> str:
    """Whether the service is free or paid, quoting the standard's sentence in Russian."""
    if lang == "ru" and standard.cost.text_ru:
        return standard.cost.text_ru
    return _COST[lang][standard.cost.payment]


def channels_text(standard: StandardBody, lang: str) -> str:
    """Where the standard says applications are accepted."""
    return ", ".join(_CHANNELS[lang][c] for c in standard.channels)
