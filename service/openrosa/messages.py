"""What Collect shows the shopper, in Russian, Kazakh or English (pure).

English takes the problem's own detail (the most precise text we have); Russian and Kazakh
take the sentence for its code here, else the one for its status.
"""

from service.error_codes import ErrorCode

_BY_CODE: dict[str, dict[str, str]] = {
    "openrosa-version-missing": {
        "ru": "Запрос без заголовка X-OpenRosa-Version: 1.0. Используйте ODK Collect.",
        "kk": "X-OpenRosa-Version: 1.0 тақырыбы жоқ сұрау. ODK Collect қолданыңыз.",
    },
    "not-authenticated": {
        "ru": "Войдите: укажите e-mail и пароль в настройках сервера.",
        "kk": "Кіріңіз: сервер баптауларында e-mail мен құпиясөзді көрсетіңіз.",
    },
    "invalid-credentials": {
        "ru": "Неверный e-mail или пароль.",
        "kk": "E-mail немесе құпиясөз қате.",
    },
    "app-token-revoked": {
        "ru": "Эта ссылка на сервер больше не действует; попросите координатора новый QR-код.",
        "kk": "Бұл сервер сілтемесі енді жарамсыз; үйлестірушіден жаңа QR-код сұраңыз.",
    },
    "forbidden": {
        "ru": "Доступ только для тайных покупателей.",
        "kk": "Тек жасырын сатып алушыларға рұқсат.",
    },
    "form-not-found": {
        "ru": "Такой формы нет среди ваших визитов. Обновите список форм.",
        "kk": "Мұндай форма сіздің сапарларыңызда жоқ. Формалар тізімін жаңартыңыз.",
    },
    "visit-not-found": {
        "ru": "Этот визит вам не назначен. Обновите список форм.",
        "kk": "Бұл сапар сізге тағайындалмаған. Формалар тізімін жаңартыңыз.",
    },
    "visit-not-editable": {
        "ru": "Визит уже отправлен или закрыт; изменения не принимаются.",
        "kk": "Сапар жіберілген немесе жабылған; өзгерістер қабылданбайды.",
    },
    "submission-conflict": {
        "ru": "Эта анкета уже получена с другим содержимым. Создайте новую анкету.",
        "kk": "Бұл сауалнама басқа мазмұнмен алынған. Жаңа сауалнама жасаңыз.",
    },
    "submission-invalid": {
        "ru": "Анкета не читается. Обновите форму и заполните заново.",
        "kk": "Сауалнама оқылмайды. Форманы жаңартып, қайта толтырыңыз.",
    },
    "answers-invalid": {
        "ru": "Некоторые ответы не подходят к вопросам визита. Проверьте анкету.",
        "kk": "Кейбір жауаптар сапар сұрақтарына сәйкес емес. Сауалнаманы тексеріңіз.",
    },
    "submission-incomplete": {
        "ru": "Не хватает обязательных ответов или фото. Дополните анкету.",
        "kk": "Міндетті жауаптар немесе фото жетіспейді. Сауалнаманы толықтырыңыз.",
    },
    "unsupported-media-type": {
        "ru": "Вложение не является фотографией (JPEG, PNG, WebP, HEIC); ничего не сохранено.",
        "kk": "Тіркеме фотосурет емес (JPEG, PNG, WebP, HEIC); ештеңе сақталмады.",
    },
    "payload-too-large": {
        # The body, a photo, the form's XML or the count of attachments: all the same to
        # the shopper, who can only send smaller photos or ask.
        "ru": "Отправка больше, чем принимает сервер. Уменьшите размер фото; если не "
        "поможет, сообщите координатору.",
        "kk": "Жіберілім сервер қабылдайтыннан үлкен. Фото өлшемін азайтыңыз; көмектеспесе, "
        "үйлестірушіге хабарлаңыз.",
    },
}

_BY_STATUS: dict[int, dict[str, str]] = {
    400: {"ru": "Сервер не понял запрос.", "kk": "Сервер сұрауды түсінбеді."},
    401: _BY_CODE["not-authenticated"],
    403: _BY_CODE["forbidden"],
    404: {"ru": "Не найдено.", "kk": "Табылмады."},
    409: {"ru": "Конфликт с уже полученными данными.", "kk": "Алынған деректермен қайшылық."},
    413: _BY_CODE["payload-too-large"],
    415: {"ru": "Неподдерживаемый тип данных.", "kk": "Қолдау көрсетілмейтін дерек түрі."},
    422: {"ru": "Данные не приняты; проверьте анкету.", "kk": "Деректер қабылданбады."},
    503: {
        "ru": "Сервер занят; отправка будет повторена позже.",
        "kk": "Сервер бос емес; жіберу кейін қайталанады.",
    },
}
_FALLBACK = {"ru": "Ошибка сервера; попробуйте позже.", "kk": "Сервер қатесі; кейін көріңіз."}


def message(language: str, *, status: int, code: ErrorCode | str, detail: str) -> str:
    """The sentence for the shopper; ``detail`` (English) stays in English and as a fallback."""
    if language == "en":
        return detail
    texts = _BY_CODE.get(code) or _BY_STATUS.get(status) or _FALLBACK
    return texts.get(language, detail)


RECEIVED = {
    "ru": "Анкета получена.",
    "kk": "Сауалнама алынды.",
    "en": "The form was received.",
}
SUBMITTED = {
    "ru": "Анкета получена, визит отправлен на проверку.",
    "kk": "Сауалнама алынды, сапар тексеруге жіберілді.",
    "en": "The form was received and the visit sent for review.",
}
PARTIAL = {
    "ru": "Часть анкеты получена; отправьте остальные вложения.",
    "kk": "Сауалнаманың бір бөлігі алынды; қалған тіркемелерді жіберіңіз.",
    "en": "Part of the form was received; send the remaining attachments.",
}
