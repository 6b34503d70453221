"""What reports and charts say in Russian, Kazakh and English besides the data itself."""

from service.checklists.vocabulary import Criterion
from service.languages import Language
from service.reports import charts

CRITERIA_RU: dict[Criterion, str] = {
    Criterion.information: "Информированность",
    Criterion.premises: "Помещение и удобства",
    Criterion.queue: "Очередь и ожидание",
    Criterion.staff: "Персонал",
    Criterion.documents: "Документы",
    Criterion.deadline: "Сроки",
    Criterion.integrity: "Честность",
    Criterion.technical: "Технические сбои",
    Criterion.call_centre: "Контакт-центр 1414",
    Criterion.portal: "Портал egov.kz",
    Criterion.overall: "Общая оценка",
}
# The criteria's names where a person reads them in Kazakh or English (the charts).
CRITERIA: dict[Language, dict[Criterion, str]] = {
    "ru": CRITERIA_RU,
    "kk": {
        Criterion.information: "Хабардарлық",
        Criterion.premises: "Үй-жай және ыңғайлылық",
        Criterion.queue: "Кезек және күту",
        Criterion.staff: "Қызметкерлер",
        Criterion.documents: "Құжаттар",
        Criterion.deadline: "Мерзімдер",
        Criterion.integrity: "Адалдық",
        Criterion.technical: "Техникалық ақаулар",
        Criterion.call_centre: "1414 байланыс орталығы",
        Criterion.portal: "egov.kz порталы",
        Criterion.overall: "Жалпы баға",
    },
    "en": {
        Criterion.information: "Information",
        Criterion.premises: "Premises and amenities",
        Criterion.queue: "Queue and waiting",
        Criterion.staff: "Staff",
        Criterion.documents: "Documents",
        Criterion.deadline: "Deadlines",
        Criterion.integrity: "Integrity",
        Criterion.technical: "Technical failures",
        Criterion.call_centre: "1414 contact centre",
        Criterion.portal: "egov.kz portal",
        Criterion.overall: "Overall rating",
    },
}


# The pooled row's label: the «Всего» row of the report's tables.
TOTAL: dict[Language, str] = {"ru": "Всего", "kk": "Барлығы", "en": "Total"}
# A chart with no rows, and a bar with no rating, in each language.
WORDS: dict[Language, charts.ChartWords] = {
    "ru": charts.ChartWords("Нет данных", "нет оценок", "ru"),
    "kk": charts.ChartWords("Деректер жоқ", "бағалар жоқ", "kk"),
    "en": charts.ChartWords("No data", "no ratings", "en"),
}
