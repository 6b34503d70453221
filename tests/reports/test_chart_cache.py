"""Charts are drawn once per data version: cached per process, tagged, answered 304 when current.

Drawing is counted by a spy on ``charts.bar_chart_png`` (never by timing): a request served
from the cache draws nothing.
"""

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from service import db
from service.auth.roles import Role
from service.config import ReportSettings, Settings
from service.db import new_session
from service.main import create_app
from service.reports import charts
from service.reports.cache import ChartCache, DataVersion, chart_etag, matches
from service.reports.schemas import ReportFilters
from service.visits.transitions import VisitStatus
from tests.conftest import AuthHeaders, FrozenClock
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class DrawSpy:
    """Counts calls of ``charts.bar_chart_png`` and keeps the bars each call drew."""

    drawn: list[list[charts.Bar]] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.drawn)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> DrawSpy:
    spy = DrawSpy()
    real = charts.bar_chart_png

    def counting(bars: Sequence[charts.Bar], **kwargs: Any) -> bytes:
        spy.drawn.append(list(bars))
        return real(bars, **kwargs)

    monkeypatch.setattr(charts, "bar_chart_png", counting)
    return spy


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def cache_of(app: FastAPI) -> ChartCache:
    cache = app.state.chart_cache
    assert isinstance(cache, ChartCache)
    return cache


@pytest.mark.usefixtures("report_data")
class TestChartRoutes:
    @pytest.mark.parametrize("route", ["chart_services", "chart_criteria"])
    def test_second_request_is_served_from_the_cache(
        self, client: TestClient, analyst: dict[str, str], spy: DrawSpy, route: str
    ) -> None:
        first = client.get(api_path(route), headers=analyst)
        second = client.get(api_path(route), headers=analyst)
        assert first.status_code == second.status_code == 200
        assert first.content.startswith(PNG_SIGNATURE)
        assert second.content == first.content
        assert second.headers["content-type"] == "image/png"
        assert spy.calls == 1
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["cache-control"] == "private, no-cache"

    def test_etag_is_stable_and_names_what_is_drawn(
        self, client: TestClient, analyst: dict[str, str], spy: DrawSpy
    ) -> None:
        def etag(route: str, **params: str) -> str:
            response = client.get(api_path(route), params=params, headers=analyst)
            assert response.status_code == 200
            assert response.content.startswith(PNG_SIGNATURE)
            return str(response.headers["etag"])

        tag = etag("chart_services")
        assert len(tag) == 34
        assert tag[0] == tag[-1] == '"'
        assert etag("chart_services") == tag
        # The default filter written out, statuses in either order: the same picture.
        assert etag("chart_services", status="approved") == tag
        both = etag("chart_services", status="approved,submitted")
        assert etag("chart_services", status="submitted,approved") == both
        assert both != tag
        assert etag("chart_services", region="astana") != tag
        assert etag("chart_criteria") != tag
        assert spy.calls == 4  # default, both statuses, astana, criteria

    def test_if_none_match_is_answered_304_without_a_body(
        self, client: TestClient, analyst: dict[str, str], spy: DrawSpy
    ) -> None:
        first = client.get(api_path("chart_services"), headers=analyst)
        tag = first.headers["etag"]
        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = client.get(
                api_path("chart_services"), headers={**analyst, "If-None-Match": header}
            )
            assert again.status_code == 304, header
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert again.headers["cache-control"] == "private, no-cache"
        stale = client.get(
            api_path("chart_services"), headers={**analyst, "If-None-Match": '"stale"'}
        )
        assert stale.status_code == 200
        assert stale.content == first.content
        assert spy.calls == 1

    def test_304_still_needs_a_reader(
        self, client: TestClient, analyst: dict[str, str], auth_headers: AuthHeaders
    ) -> None:
        tag = client.get(api_path("chart_services"), headers=analyst).headers["etag"]
        anonymous = client.get(api_path("chart_services"), headers={"If-None-Match": tag})
        assert_problem(anonymous, 401, "not-authenticated")
        shopper = {**auth_headers(Role.shopper), "If-None-Match": tag}
        assert_problem(client.get(api_path("chart_services"), headers=shopper), 403, "forbidden")

    def test_an_approved_visit_changes_the_etag_and_the_picture(
        self,
        client: TestClient,
        analyst: dict[str, str],
        auth_headers: AuthHeaders,
        report_data: Dataset,
        spy: DrawSpy,
    ) -> None:
        before = client.get(api_path("chart_services"), headers=analyst)
        tag = before.headers["etag"]
        (bars_before,) = spy.drawn
        s39 = next(bar for bar in bars_before if bar.label.startswith("S39"))
        # Satisfaction, Table 1's measure: V6 rated 5, V11 3 (V7 is only submitted).
        assert (s39.value, s39.second, s39.n) == (4.0, 50.0, 2)
        # V7 (S39, submitted, scored 3 in the data set) is approved through the API.
        staff = auth_headers(Role.coordinator)
        approved = client.post(
            api_path("review_visit", visit_id=report_data.visits["V7"]),
            json={"client_id": str(uuid.uuid4()), "action": "approve"},
            headers=staff,
        )
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved"
        after = client.get(api_path("chart_services"), headers={**analyst, "If-None-Match": tag})
        assert after.status_code == 200
        assert after.headers["etag"] != tag
        assert after.content.startswith(PNG_SIGNATURE)
        assert after.content != before.content
        assert spy.calls == 2
        bars_after = spy.drawn[1]
        s39_after = next(bar for bar in bars_after if bar.label.startswith("S39"))
        assert (s39_after.value, s39_after.second, s39_after.n) == (4.33, 66.67, 3)
        assert bars_after != bars_before

    def test_drawing_holds_no_transaction(
        self, client: TestClient, analyst: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        released: list[bool] = []
        real_released = db.released

        @contextmanager
        def watched(session: Session) -> Iterator[None]:
            with real_released(session):
                released.append(not session.in_transaction())
                yield
                released.append(False)

        drawn_inside: list[bool] = []
        real_draw = charts.bar_chart_png

        def draw(bars: Sequence[charts.Bar], **kwargs: Any) -> bytes:
            drawn_inside.append(released[-1])
            return real_draw(bars, **kwargs)

        monkeypatch.setattr(db, "released", watched)
        monkeypatch.setattr(charts, "bar_chart_png", draw)
        response = client.get(api_path("chart_criteria"), headers=analyst)
        assert response.content.startswith(PNG_SIGNATURE)
        assert drawn_inside == [True]

    def test_another_worker_answers_304_for_the_same_data(
        self,
        client: TestClient,
        app: FastAPI,
        settings: Settings,
        clock: FrozenClock,
        analyst: dict[str, str],
    ) -> None:
        tag = client.get(api_path("chart_criteria"), headers=analyst).headers["etag"]
        other = create_app(settings, clock=clock)  # a second process: its own, empty cache
        other.dependency_overrides = dict(app.dependency_overrides)
        assert new_session in other.dependency_overrides
        with TestClient(other, base_url="http://127.0.0.1") as worker:
            again = worker.get(
                api_path("chart_criteria"), headers={**analyst, "If-None-Match": tag}
            )
        assert again.status_code == 304
        assert again.headers["etag"] == tag
        assert len(cache_of(other)) == 0


@pytest.mark.usefixtures("report_data")
class TestCacheSize:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"reports": ReportSettings(chart_cache_entries=2)})

    def test_the_setting_bounds_the_cache(
        self, client: TestClient, app: FastAPI, analyst: dict[str, str], spy: DrawSpy
    ) -> None:
        cache = cache_of(app)
        assert cache.entries == 2
        regions = ["astana", "almaty_city", "karaganda"]
        tags = []
        for region in regions:
            response = client.get(
                api_path("chart_services"), params={"region": region}, headers=analyst
            )
            assert response.content.startswith(PNG_SIGNATURE)
            tags.append(response.headers["etag"])
        assert spy.calls == 3
        assert len(cache) == 2
        assert tags[0] not in cache  # the least recently used went
        assert tags[1] in cache
        assert tags[2] in cache
        again = client.get(
            api_path("chart_services"), params={"region": "karaganda"}, headers=analyst
        )
        assert again.headers["etag"] == tags[2]
        assert spy.calls == 3
        client.get(api_path("chart_services"), params={"region": "astana"}, headers=analyst)
        assert spy.calls == 4
        assert len(cache) == 2


class TestCacheSetting:
    def test_read_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MSHOP_REPORTS__CHART_CACHE_ENTRIES", "7")
        assert Settings().reports.chart_cache_entries == 7
        assert ReportSettings().chart_cache_entries == 64

    @pytest.mark.parametrize("value", ["-1", "10001", "many"])
    def test_bad_values_are_refused(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv("MSHOP_REPORTS__CHART_CACHE_ENTRIES", value)
        with pytest.raises(ValidationError, match="chart_cache_entries"):
            Settings()


def counted(png: bytes = b"png") -> tuple[list[int], Callable[[], bytes]]:
    calls: list[int] = []

    def draw() -> bytes:
        calls.append(1)
        return png

    return calls, draw


class TestChartCache:
    def test_least_recently_used_goes_first(self) -> None:
        cache = ChartCache(2)
        calls, draw = counted()
        cache.get_or_draw("a", draw)
        cache.get_or_draw("b", draw)
        cache.get_or_draw("a", draw)  # a is now the most recent
        cache.get_or_draw("c", draw)
        assert "b" not in cache
        assert "a" in cache
        assert "c" in cache
        assert len(cache) == 2
        assert len(calls) == 3

    def test_get_reads_without_drawing(self) -> None:
        cache = ChartCache(2)
        assert cache.get("a") is None
        cache.get_or_draw("a", counted(b"a")[1])
        cache.get_or_draw("b", counted(b"b")[1])
        assert cache.get("a") == b"a"  # now the most recent
        cache.get_or_draw("c", counted(b"c")[1])
        assert cache.get("b") is None
        assert cache.get("a") == b"a"

    def test_zero_entries_keeps_nothing(self) -> None:
        cache = ChartCache(0)
        calls, draw = counted()
        assert cache.get_or_draw("a", draw) == cache.get_or_draw("a", draw) == b"png"
        assert len(calls) == 2
        assert len(cache) == 0
        with pytest.raises(ValueError, match="0 or more"):
            ChartCache(-1)

    def test_a_failed_drawing_is_not_kept(self) -> None:
        cache = ChartCache(4)

        def broken() -> bytes:
            raise RuntimeError("matplotlib fell over")

        with pytest.raises(RuntimeError, match="fell over"):
            cache.get_or_draw("a", broken)
        calls, draw = counted(b"second try")
        assert cache.get_or_draw("a", draw) == b"second try"
        assert len(calls) == 1

    def test_concurrent_requests_for_one_chart_draw_it_once(self) -> None:
        cache = ChartCache(4)
        started, release = threading.Event(), threading.Event()
        calls: list[int] = []

        def slow() -> bytes:
            calls.append(1)
            started.set()
            assert release.wait(5)
            return b"drawn once"

        results: list[bytes] = []

        def request() -> None:
            results.append(cache.get_or_draw("a", slow))

        threads = [threading.Thread(target=request) for _ in range(4)]
        threads[0].start()
        assert started.wait(5)
        for thread in threads[1:]:
            thread.start()
        release.set()
        for thread in threads:
            thread.join(5)
        assert results == [b"drawn once"] * 4
        assert len(calls) == 1


class TestEtag:
    VERSION = DataVersion("epoch", 7)

    def test_each_part_changes_it(self) -> None:
        base = chart_etag("services", ReportFilters(), self.VERSION, "ru")
        assert chart_etag("services", ReportFilters(), self.VERSION, "ru") == base
        others = {
            chart_etag("criteria", ReportFilters(), self.VERSION, "ru"),
            chart_etag("services", ReportFilters(wave="w1"), self.VERSION, "ru"),
            chart_etag("services", ReportFilters(), DataVersion("epoch", 8), "ru"),
            chart_etag("services", ReportFilters(), DataVersion("other", 7), "ru"),
            chart_etag("services", ReportFilters(), self.VERSION, "kk"),
        }
        assert base not in others
        assert len(others) == 5

    def test_statuses_are_a_set(self) -> None:
        one = ReportFilters(statuses=[VisitStatus.approved, VisitStatus.submitted])
        other = ReportFilters(statuses=[VisitStatus.submitted, VisitStatus.approved])
        assert chart_etag("services", one, self.VERSION, "ru") == chart_etag(
            "services", other, self.VERSION, "ru"
        )

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, False),
            ('"a"', True),
            ('W/"a"', True),
            ('"b", "a"', True),
            ("*", True),
            ('"b"', False),
            ('"A"', False),
        ],
    )
    def test_if_none_match(self, header: str | None, expected: bool) -> None:
        assert matches(header, '"a"') is expected
