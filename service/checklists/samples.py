"""How each item kind makes up a plausible answer: random ones for the demo, fixed ones for tests.

Pure: no web, database or storage imports. ``sample_*`` draw from a ``Draw`` (a seeded random
generator, a quality 0..1 that is the chance each scored item is answered the compliant way,
and the facts of one made-up visit), so the demo's visits of one seed are always the same.
``example_*`` give the one answer a careful shopper at a good office gives, the same every
time, so factories and tests can reason about it. Values are raw; ``normalize`` them to store.
"""

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any, Protocol

from service.checklists.items import (
    ChoiceItem,
    DateItem,
    DocumentsItem,
    DurationItem,
    ItemBase,
    MultiChoiceItem,
    NumberItem,
    Option,
    RatingItem,
    TextItem,
    TimestampItem,
    YesNoItem,
)

EXAMPLE_TEXT = "Всё в порядке"


class Draw(Protocol):
    """Randomness and the facts of one made-up visit, drawn once so answers agree."""

    @property
    def rng(self) -> random.Random: ...

    @property
    def quality(self) -> float: ...

    @property
    def comments(self) -> Sequence[str]:
        """Free texts a shopper might write."""
        ...

    @property
    def extra_documents(self) -> Sequence[str]:
        """Documents an office might demand beyond the standard's list."""
        ...

    def moment(self, code: str) -> dt.datetime:
        """When the timestamp item ``code`` happened in this visit."""
        ...

    def day(self, code: str) -> str | None:
        """The date item ``code`` as YYYY-MM-DD, or None when it has not happened yet."""
        ...

    def critical_failure(self, code: str) -> float:
        """The chance the critical item ``code`` is answered the non-compliant way."""
        ...


def _pick(draw: Draw, good: list[str], bad: list[str]) -> str:
    if bad and (not good or draw.rng.random() >= draw.quality):
        return draw.rng.choice(bad)
    return draw.rng.choice(good)


def sample_yes_no(item: YesNoItem, draw: Draw) -> Any:
    if item.compliant_answer is None:
        return "yes" if draw.rng.random() < 0.8 else "no"
    bad = "no" if item.compliant_answer == "yes" else "yes"
    if item.critical:
        # Critical failures (a bribe asked) follow their own rate, not the office's quality.
        failed = draw.rng.random() < draw.critical_failure(item.code)
        return bad if failed else item.compliant_answer
    return _pick(draw, [item.compliant_answer], [bad])


def _option(options: list[Option], draw: Draw) -> str:
    scored = [(o.code, s) for o in options if (s := o.fraction()) is not None]
    if not scored:
        return draw.rng.choice(options).code
    best = max(s for _, s in scored)
    good = [c for c, s in scored if s == best]
    return _pick(draw, good, [c for c, s in scored if s < best])


def sample_choice(item: ChoiceItem, draw: Draw) -> Any:
    return _option(item.options, draw)


def sample_multi_choice(item: MultiChoiceItem, draw: Draw) -> Any:
    return [_option(item.options, draw)]


def sample_number(item: NumberItem, draw: Draw) -> Any:
    low = int(item.min if item.min is not None else 0)
    return draw.rng.randint(low, max(low, min(int(item.max or low + 5), low + 5)))


def sample_duration(item: DurationItem, draw: Draw) -> Any:
    low = item.min or 0
    return draw.rng.randint(max(low, 30), max(low + 30, min(item.max or 900, 900)))


def sample_timestamp(item: TimestampItem, draw: Draw) -> Any:
    return draw.moment(item.code).replace(microsecond=0).isoformat()


def sample_date(item: DateItem, draw: Draw) -> Any:
    return draw.day(item.code)


def sample_text(item: TextItem, draw: Draw) -> Any:
    # Optional comments are mostly left empty, as shoppers do.
    return draw.rng.choice(draw.comments) if item.required or draw.rng.random() < 0.2 else None


def sample_documents(item: DocumentsItem, draw: Draw) -> Any:
    extras = draw.rng.random() < (1 - draw.quality) * 0.4
    count = draw.rng.choice((1, 1, 2)) if extras else 0
    return {
        "selected": [o.code for o in item.options],
        "extras": list(draw.extra_documents[:count]),
    }


def sample_rating(item: RatingItem, draw: Draw) -> Any:
    return 5 if draw.rng.random() < draw.quality else draw.rng.randint(1, 4)


def sample_nothing(item: ItemBase, draw: Draw) -> Any:
    """Kinds answered other than by a value (photos are uploaded)."""
    return None


def _first_not_failing(options: list[Option]) -> str:
    return next((o for o in options if o.compliant is not False), options[0]).code


def example_yes_no(item: YesNoItem, at: dt.datetime) -> Any:
    return item.compliant_answer or "yes"


def example_choice(item: ChoiceItem, at: dt.datetime) -> Any:
    return _first_not_failing(item.options)


def example_multi_choice(item: MultiChoiceItem, at: dt.datetime) -> Any:
    return [_first_not_failing(item.options)]


def example_number(item: NumberItem, at: dt.datetime) -> Any:
    return item.min or 0


def example_duration(item: DurationItem, at: dt.datetime) -> Any:
    return item.min or 60


def example_timestamp(item: TimestampItem, at: dt.datetime) -> Any:
    return at.isoformat()


def example_date(item: DateItem, at: dt.datetime) -> Any:
    return at.date().isoformat()


def example_text(item: TextItem, at: dt.datetime) -> Any:
    return EXAMPLE_TEXT


def example_documents(item: DocumentsItem, at: dt.datetime) -> Any:
    return {"selected": [o.code for o in item.options], "extras": []}


def example_rating(item: RatingItem, at: dt.datetime) -> Any:
    return 5


def example_nothing(item: ItemBase, at: dt.datetime) -> Any:
    return None
