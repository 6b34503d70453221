"""What the start page (``/``) says, in Russian, Kazakh and English.

HTML fragments: each is inserted as it is, so a text may hold markup and must escape ``<``.
``{docs}`` stands for the link to the API documentation.
"""

from service.languages import Language

START_TEXTS: dict[Language, dict[str, str]] = {
    "ru": {
        "intro": "API mshop: мониторинг государственных услуг Казахстана методом "
        "«тайного покупателя».",
        "docs": "Документация API (Swagger UI: попробуйте API; вход — кнопка <em>Authorize</em>)",
        "redoc": "Справочник API (ReDoc)",
        "openapi": "Документ OpenAPI",
        "healthz": "Работоспособность",
        "readyz": "Готовность (<code>/readyz</code>: база данных и хранилище файлов)",
        "console": "Консоль для координаторов и аналитиков",
        "console_missing": "скоро, пока недоступна",
        "sign_in": "Первый шаг: вход",
        "token": "Получите токен по e-mail и паролю учётной записи (<code>mshop serve "
        "--demo</code> создаёт <code>shopper1@demo.kz</code> с паролем <code>demo</code>) "
        "или нажмите <em>Authorize</em> в {docs}:",
        "docs_link": "документации API",
        "bearer": "Затем передавайте <code>Authorization: Bearer &lt;access_token&gt;</code> "
        "с каждым запросом.",
    },
    "kk": {
        "intro": "mshop API: Қазақстанның мемлекеттік қызметтерін «жасырын сатып алушы» "
        "әдісімен мониторингтеу.",
        "docs": "API құжаттамасы (Swagger UI: API-ді байқап көріңіз; кіру — "
        "<em>Authorize</em> батырмасы)",
        "redoc": "API анықтамалығы (ReDoc)",
        "openapi": "OpenAPI құжаты",
        "healthz": "Жұмысқа қабілеттілік",
        "readyz": "Дайындық (<code>/readyz</code>: дерекқор және файл қоймасы)",
        "console": "Үйлестірушілер мен талдаушыларға арналған консоль",
        "console_missing": "жақында, әзірге қолжетімсіз",
        "sign_in": "Алғашқы қадам: кіру",
        "token": "Тіркелгінің e-mail мекенжайы мен құпиясөзі бойынша токен алыңыз "
        "(<code>mshop serve --demo</code> құпиясөзі <code>demo</code> болатын "
        "<code>shopper1@demo.kz</code> тіркелгісін жасайды) немесе {docs} "
        "<em>Authorize</em> батырмасын басыңыз:",
        "docs_link": "API құжаттамасында",
        "bearer": "Содан кейін әр сұраныспен <code>Authorization: Bearer "
        "&lt;access_token&gt;</code> жіберіңіз.",
    },
    "en": {
        "intro": "The mshop API: mystery-shopper monitoring of Kazakhstan's public services.",
        "docs": "API documentation (Swagger UI: try the API, <em>Authorize</em> to sign in)",
        "redoc": "API reference (ReDoc)",
        "openapi": "OpenAPI document",
        "healthz": "Liveness",
        "readyz": "Readiness (<code>/readyz</code>: database and file store)",
        "console": "Console for coordinators and analysts",
        "console_missing": "coming, not yet available",
        "sign_in": "First step: sign in",
        "token": "Get a token with an account's e-mail and password (<code>mshop serve "
        "--demo</code> makes <code>shopper1@demo.kz</code> with password <code>demo</code>), "
        "or press <em>Authorize</em> in the {docs}:",
        "docs_link": "API documentation",
        "bearer": "Then send <code>Authorization: Bearer &lt;access_token&gt;</code> with "
        "each request.",
    },
}
