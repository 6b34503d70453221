"""Which of ru, kk and en a request asks for: one reading for the console, the reports, the
OpenRosa messages and the start page."""

import pytest

from service.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MAX_ACCEPTED_ENTRIES,
    accepted,
    chosen,
    language_of,
    negotiated,
)


def test_russian_first_and_the_default() -> None:
    assert LANGUAGES == ("ru", "kk", "en")
    assert DEFAULT_LANGUAGE == "ru"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("kk", "kk"),
        ("kk-KZ,kk;q=0.9,ru;q=0.8", "kk"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.5,kk;q=0.7", "kk"),  # by quality, not by order
        ("en;q=0.5, kk;q=0.5", "en"),  # a tie: the header's order
        ("KK", "kk"),
        ("de, fr;q=0.9, en;q=0.1", "en"),
        (" ru ; q=1 ", "ru"),
    ],
)
def test_the_best_of_ours_the_header_asks_for(header: str, expected: str) -> None:
    assert accepted(header) == expected
    assert negotiated(header) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "de", "*", "kk;q=0", "en;q=abc", "kk;q=-1", ",,,", "k", "eng"],
)
def test_none_of_ours_is_the_default(header: str | None) -> None:
    assert accepted(header) is None
    assert negotiated(header) == "ru"


def test_a_long_header_is_read_up_to_its_limit() -> None:
    filler = ",".join(["de"] * (MAX_ACCEPTED_ENTRIES - 1))
    assert accepted(f"{filler},kk") == "kk"
    assert accepted(f"{filler},de,kk") is None


@pytest.mark.parametrize(("value", "expected"), [("kk", "kk"), ("en", "en"), ("KK", "ru")])
def test_language_of_takes_a_code_exactly(value: str, expected: str) -> None:
    assert language_of(value) == expected


@pytest.mark.parametrize(
    ("asked", "header", "expected"),
    [
        ("kk", "en", "kk"),  # a choice made beats the browser's
        ("fr", "en", "en"),  # not one of ours: the header decides
        (None, "kk-KZ, ru;q=0.5", "kk"),
        ("", None, "ru"),
        ("KK", None, "ru"),  # codes are taken exactly, as ``lang`` is written
    ],
)
def test_chosen_prefers_what_was_asked_then_the_header(
    asked: str | None, header: str | None, expected: str
) -> None:
    assert chosen(asked, header) == expected
