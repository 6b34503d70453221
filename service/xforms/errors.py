"""Why a submitted instance cannot be read, in words a shopper understands (ru, kk, en).

Pure. Collect shows an OpenRosa response's message to the shopper as it is, so each reason
has a stable ``code`` for logs and tests and a text in every language the forms speak.
"""

from collections.abc import Mapping

from service.xforms.labels import LANGUAGES

MESSAGES: dict[str, dict[str, str]] = {
    "not-xml": {
        "ru": "Анкета повреждена и не читается. Отправьте её ещё раз.",
        "kk": "Сауалнама зақымдалған, оқылмайды. Оны қайта жіберіңіз.",
        "en": "The form is damaged and cannot be read. Send it again.",
    },
    "no-form-id": {
        "ru": "Анкета не указывает, к какой форме она относится.",
        "kk": "Сауалнамада оның қай формаға жататыны көрсетілмеген.",
        "en": "The form does not say which form it belongs to.",
    },
    "no-instance-id": {
        "ru": "У анкеты нет идентификатора (instanceID). Обновите приложение и заполните заново.",
        "kk": (
            "Сауалнаманың идентификаторы (instanceID) жоқ. Қолданбаны жаңартып, қайта толтырыңыз."
        ),
        "en": "The form has no instance ID. Update the app and fill the form in again.",
    },
    "repeated-element": {
        "ru": "В анкете дважды встречается поле «{name}».",
        "kk": "Сауалнамада «{name}» өрісі екі рет кездеседі.",
        "en": 'The form has the field "{name}" twice.',
    },
    "bad-value": {
        "ru": "Ответ на вопрос «{item}» не подходит: {detail}. Исправьте его и отправьте снова.",
        "kk": "«{item}» сұрағына жауап сәйкес емес: {detail}. Түзетіп, қайта жіберіңіз.",
        "en": 'The answer to "{item}" does not fit: {detail}. Correct it and send again.',
    },
    "bad-attachment-name": {
        "ru": "Недопустимое имя файла вложения: «{name}».",
        "kk": "Тіркеме файлының аты жарамсыз: «{name}».",
        "en": 'Not an allowed attachment file name: "{name}".',
    },
    "bad-geopoint": {
        "ru": "Координаты начала визита не читаются.",
        "kk": "Сапар басындағы координаттар оқылмайды.",
        "en": "The location recorded at the start of the visit cannot be read.",
    },
}
LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)


class InstanceError(ValueError):
    """A submitted instance cannot be read; ``text(lang)`` says why to the shopper.

    Attributes:
        code: stable reason (a key of ``MESSAGES``).
        item: the item code when one answer is at fault, else None.
        question: that item's question in each language, for the message.
    """

    def __init__(
        self,
        code: str,
        *,
        item: str | None = None,
        question: Mapping[str, str] | None = None,
        **values: str,
    ) -> None:
        self.code = code
        self.item = item
        # The question as the shopper read it on the phone, in each language; else the code.
        self.question = dict(question or {})
        self.values = {"detail": "", **values}
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``ru``, ``kk`` or ``en``; Russian for any other)."""
        lang = lang if lang in MESSAGES[self.code] else "ru"
        item = self.question.get(lang) or self.item or ""
        return MESSAGES[self.code][lang].format(item=item, **self.values)
