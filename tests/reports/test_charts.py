"""Charts: valid PNGs of a sensible size, Cyrillic drawn without missing glyphs.

pytest turns warnings into errors, so a label matplotlib cannot draw (it warns "Glyph ...
missing from font") fails these tests; the last test shows such a label does warn.
"""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.auth.roles import Role
from service.reports import charts
from service.reports import service as reports_service
from service.reports import words as reports_words
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KAZAKH = "Әлеуметтік көмек — Ұлттық банк, Қызылорда"
RU = reports_words.WORDS["ru"]


def image(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(png))
    picture.verify()
    return Image.open(io.BytesIO(png))


class TestBarChart:
    def test_cyrillic_and_kazakh_labels(self) -> None:
        bars = [
            charts.Bar("S33 Назначение пособий на рождение ребенка", 4.25, 50.0),
            charts.Bar(KAZAKH, 3.0, None),
            charts.Bar("S39 без оценок", None, None),
        ]
        png = charts.bar_chart_png(
            bars,
            title="Рейтинг услуг",
            value_label="Оценка",
            value_max=5,
            second_label="Доля",
            words=RU,
        )
        picture = image(png)
        assert picture.format == "PNG"
        assert picture.width >= 600
        assert picture.height >= 200

    def test_more_rows_make_a_taller_chart(self) -> None:
        def height(n: int) -> int:
            bars = [charts.Bar(f"Услуга {i}", i % 5 + 1, 20.0) for i in range(n)]
            png = charts.bar_chart_png(
                bars, title="Т", value_label="О", value_max=5, second_label="Д", words=RU
            )
            return image(png).height

        assert height(60) > height(5) * 3

    def test_no_rows_still_draws(self) -> None:
        png = charts.bar_chart_png(
            [], title="Пусто", value_label="О", value_max=5, second_label="Д", words=RU
        )
        assert image(png).width >= 600

    def test_long_labels_are_shortened(self) -> None:
        label = "Выдача " + "очень " * 40 + "длинного названия"
        assert len(charts._short(label)) == charts.MAX_LABEL

    def test_a_glyph_the_font_lacks_would_be_caught(self) -> None:
        with pytest.warns(UserWarning, match="missing from font"):
            charts.bar_chart_png(
                [charts.Bar("漢字", 1.0)],
                title="x",
                value_label="x",
                value_max=5,
                second_label="x",
                words=RU,
            )


@pytest.mark.usefixtures("report_data")
class TestChartRoutes:
    @pytest.mark.parametrize("route", ["chart_services", "chart_criteria"])
    def test_png(self, client: TestClient, auth_headers: AuthHeaders, route: str) -> None:
        response = client.get(
            api_path(route),
            params={"status": "approved,submitted"},
            headers=auth_headers(Role.analyst),
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert image(response.content).width >= 600

    def test_filters_are_validated(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        response = client.get(
            api_path("chart_services"),
            params={"region": "atlantis"},
            headers=auth_headers(Role.analyst),
        )
        assert_problem(response, 422, "validation-failed", field="region")


@pytest.mark.usefixtures("report_data")
class TestChartLanguages:
    """A chart is drawn in the reader's language: its title, axes, names and total row."""

    @pytest.mark.parametrize(
        ("route", "language", "title", "first_label", "last_label"),
        [
            ("chart_services", "en", "Services ranking: satisfaction", "S", "Total"),
            ("chart_services", "kk", "Қызметтер рейтингі", "S", "Барлығы"),
            ("chart_services", "ru", "Рейтинг услуг", "S", "Всего"),
            (
                "chart_criteria",
                "en",
                "Quality criteria",
                "Queue and waiting",
                "1414 contact centre",
            ),
            ("chart_criteria", "kk", "Сапа өлшемдері", "Кезек және күту", "1414 байланыс орталығы"),
        ],
    )
    def test_texts_follow_lang_and_each_language_has_its_own_etag(
        self,
        client: TestClient,
        auth_headers: AuthHeaders,
        monkeypatch: pytest.MonkeyPatch,
        route: str,
        language: str,
        title: str,
        first_label: str,
        last_label: str,
    ) -> None:
        drawn: list[dict[str, object]] = []
        draw = charts.bar_chart_png

        def recording(bars: list[charts.Bar], **texts: Any) -> bytes:
            drawn.append({"labels": [bar.label for bar in bars], **texts})
            return draw(bars, **texts)  # the real drawing: a glyph missing fails the test

        monkeypatch.setattr(charts, "bar_chart_png", recording)
        headers = auth_headers(Role.analyst)
        response = client.get(api_path(route), params={"lang": language}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-language"] == language
        assert image(response.content).width >= 600
        [texts] = drawn
        assert str(texts["title"]).startswith(title)
        labels = [str(label) for label in texts["labels"]]  # type: ignore[attr-defined]
        assert labels[0].startswith(first_label)
        assert labels[-1].endswith(last_label)
        russian = client.get(api_path(route), params={"lang": "ru"}, headers=headers)
        assert (russian.headers["etag"] == response.headers["etag"]) == (language == "ru")

    def test_english_names_services_and_criteria_from_the_catalogue(
        self, client: TestClient, auth_headers: AuthHeaders, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        drawn: list[list[str]] = []
        draw = charts.bar_chart_png

        def recording(bars: list[charts.Bar], **texts: Any) -> bytes:
            drawn.append([bar.label for bar in bars])
            return draw(bars, **texts)

        monkeypatch.setattr(charts, "bar_chart_png", recording)
        headers = auth_headers(Role.analyst) | {"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"}
        client.get(api_path("chart_services"), headers=headers)
        client.get(api_path("chart_criteria"), headers=headers)
        services, criteria = drawn
        assert "S33 Assignment of childbirth and childcare allowances" in services
        assert "Staff" in criteria


@pytest.mark.parametrize(
    ("language", "mean", "share"),
    [("ru", "4,05", "62"), ("kk", "4,05", "62"), ("en", "4.05", "62")],
)
def test_numbers_are_written_as_the_readers_locale_writes_them(
    language: str, mean: str, share: str
) -> None:
    words = reports_words.WORDS[language]  # type: ignore[index]
    assert words.number(4.049, 2) == mean
    assert words.number(61.6, 0) == share
    # The words are drawn: a glyph the font lacks would fail here (warnings are errors).
    charts.bar_chart_png(
        [charts.Bar("x", None)],
        title="t",
        value_label="v",
        value_max=5,
        second_label="s",
        words=words,
    )


@pytest.mark.parametrize("kind", list(reports_service.ChartKind))
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_title_stays_inside_the_image_beside_the_longest_labels(
    kind: reports_service.ChartKind, language: str
) -> None:
    # The Kazakh title ran past the right edge: centred over the axes, which the longest
    # row labels push to the right. The image's edge columns stay background (white).
    chart = reports_service.CHARTS[kind]
    texts = chart.texts[language]  # type: ignore[index]
    wide = [charts.Bar("Ш" * 200, 4.1, 50.0, n=12345) for _ in range(5)]
    png = charts.bar_chart_png(
        wide,
        title=texts.title,
        value_label=texts.value_label,
        value_max=chart.value_max,
        second_label=texts.second_label,
        words=reports_words.WORDS[language],  # type: ignore[index]
    )
    picture = image(png).convert("L")
    width = picture.width
    for left in (0, width - 4):
        edge = picture.crop((left, 0, left + 4, 60))
        assert edge.getextrema() == (255, 255), (kind, language, left)
