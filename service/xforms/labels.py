"""The texts an XForm adds around a checklist's own, in the three languages phones offer.

Pure. Checklists carry Russian and English and sometimes Kazakh; where a checklist text has no
Kazakh, the Kazakh label is the Russian one (every shopper reads Russian), never empty.
"""

from collections.abc import Mapping

# XLSForm language names: the label in brackets is the code Collect matches against the
# device language, and the first is the default a phone in another language sees.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("ru", "Russian (ru)"),
    ("kk", "Kazakh (kk)"),
    ("en", "English (en)"),
)
DEFAULT_LANGUAGE = LANGUAGES[0][1]

Texts = Mapping[str, str]

FIXED: dict[str, Texts] = {
    "visit": {
        "ru": "Какой это визит?",
        "kk": "Бұл қай сапар?",
        "en": "Which visit is this?",
    },
    "visit_hint": {
        "ru": "Выберите из списка назначенный вам визит.",
        "kk": "Тізімнен сізге тағайындалған сапарды таңдаңыз.",
        "en": "Pick the visit you were assigned from the list.",
    },
    "yes": {"ru": "Да", "kk": "Иә", "en": "Yes"},
    "no": {"ru": "Нет", "kk": "Жоқ", "en": "No"},
    "na": {"ru": "Не применимо", "kk": "Қолданылмайды", "en": "Not applicable"},
    "none_of_these": {
        "ru": "Ничего из перечисленного",
        "kk": "Аталғандардың ешқайсысы",
        "en": "None of the above",
    },
    "none_asked": {
        "ru": "Никаких документов не потребовали",
        "kk": "Ешқандай құжат талап етілмеді",
        "en": "No documents were asked for",
    },
    "none_alone": {
        "ru": "«Ничего из перечисленного» нельзя выбрать вместе с документами",
        "kk": "«Аталғандардың ешқайсысы» құжаттармен бірге таңдалмайды",
        "en": '"None of the above" cannot be chosen together with documents',
    },
    "extras": {
        "ru": "Другие документы, которые у вас потребовали (каждый с новой строки)",
        "kk": "Сізден талап етілген басқа құжаттар (әрқайсысы жаңа жолдан)",
        "en": "Other documents you were asked for (one per line)",
    },
    "tap": {
        "ru": "Нажмите в тот момент, когда это происходит.",
        "kk": "Бұл болған сәтте басыңыз.",
        "en": "Tap at the moment it happens.",
    },
    "tapped_time": {
        "ru": "Время записано при нажатии; исправьте его, если нажали не вовремя.",
        "kk": "Уақыт басқан кезде жазылды; уақытында баспасаңыз, түзетіңіз.",
        "en": "Recorded when you tapped; correct it if you tapped late.",
    },
    "photo": {"ru": "Фото {n}", "kk": "Фото {n}", "en": "Photo {n}"},
    "minutes": {"ru": "В минутах.", "kk": "Минутпен.", "en": "In minutes."},
    "between": {
        "ru": "Введите число от {low} до {high}",
        "kk": "{low} мен {high} аралығындағы санды енгізіңіз",
        "en": "Enter a number from {low} to {high}",
    },
    "at_least": {
        "ru": "Введите число не меньше {low}",
        "kk": "Ең аз мәні: {low}",
        "en": "Enter a number of at least {low}",
    },
    "at_most": {
        "ru": "Введите число не больше {high}",
        "kk": "Ең көп мәні: {high}",
        "en": "Enter a number of at most {high}",
    },
    "extras_limit": {
        "ru": "Не больше {count} документов, до {chars} знаков в строке",
        "kk": "Ең көбі {count} құжат, жолда {chars} таңбаға дейін",
        "en": "At most {count} documents, up to {chars} characters a line",
    },
}


def fixed(key: str, **values: object) -> dict[str, str]:
    """The fixed text ``key`` in every language, with ``values`` filled in."""
    return {lang: text.format(**values) for lang, text in FIXED[key].items()}


def of(ru: str, en: str, kk: str | None) -> dict[str, str]:
    """A checklist text in every language, Kazakh falling back to Russian."""
    return {"ru": ru, "kk": kk or ru, "en": en}


def columns(column: str, texts: Texts) -> dict[str, str]:
    """XLSForm cells ``column::Language (xx)`` for ``texts``."""
    return {f"{column}::{name}": texts[lang] for lang, name in LANGUAGES}
