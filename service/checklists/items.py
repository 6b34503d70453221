"""Checklist items: one model per answer kind, discriminated by ``kind``.

Pure Pydantic: no web, database or storage imports. An item validates only its own fields;
rules that span items (unique codes, ``show_if`` targets) live in ``format.py``.
"""

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from service.checklists.vocabulary import (
    Code,
    Criterion,
    ObservableId,
    OptionCode,
    PhotoPolicy,
    ScoringRole,
    Strict,
    Text,
    YesNo,
)

# Photos an item with a photo policy (not a photo item, which sets its own counts) may take.
MAX_PHOTOS = 5


class ShowIf(Strict):
    """Show the item only when an earlier answer ``equals`` a value or is ``in`` a list."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    item: Code
    equals: OptionCode | None = None
    in_: list[OptionCode] | None = Field(default=None, alias="in", min_length=1)

    @model_validator(mode="after")
    def _one_test(self) -> "ShowIf":
        if (self.equals is None) == (self.in_ is None):
            raise ValueError("needs exactly one of 'equals' or 'in'")
        return self

    def values(self) -> list[str]:
        """The answer codes that make the item visible."""
        return [self.equals] if self.equals is not None else list(self.in_ or [])


class Option(Strict):
    """One answer of a choice; ``score`` (0..1) wins over ``compliant`` when both are set."""

    code: OptionCode
    text_ru: Text
    text_en: Text
    text_kk: Text | None = None
    compliant: bool | None = None
    score: float | None = Field(default=None, ge=0, le=1)

    def fraction(self) -> float | None:
        """How far choosing this option complies, 0..1, or None when it is informational."""
        if self.score is not None:
            return self.score
        return None if self.compliant is None else float(self.compliant)


class ItemBase(Strict):
    """Fields every item has; their meaning is documented in ``checklists/README.md``."""

    code: Code
    text_ru: Text
    text_en: Text
    text_kk: Text | None = None
    help_ru: Text | None = None
    help_en: Text | None = None
    help_kk: Text | None = None
    required: bool = True
    weight: float = Field(default=0, ge=0, le=100)
    critical: bool = False
    allow_na: bool = False
    photo: PhotoPolicy = PhotoPolicy.none
    show_if: ShowIf | None = None
    observables: list[ObservableId] = Field(default_factory=list, max_length=20)
    criterion: Criterion | None = None
    scoring: ScoringRole | None = None

    def answer_codes(self) -> list[str] | None:
        """Answers a ``show_if`` may test, or None when the kind cannot be tested."""
        return None

    def option(self, code: object) -> "Option | None":
        """This item's option ``code`` (a choice's, a multi-choice's or a documents item's),
        or None when it has none such."""
        options: Sequence[Option] = getattr(self, "options", ())
        return next((o for o in options if o.code == code), None)

    def photo_bounds(self) -> tuple[int, int] | None:
        """(fewest, most) photos the item takes, or None when it takes no photos."""
        if self.photo is PhotoPolicy.required:
            return 1, MAX_PHOTOS
        if self.photo is PhotoPolicy.optional:
            return 0, MAX_PHOTOS
        return None

    def photos_required(self) -> int:
        """Photos a submit needs when the item is shown: its fewest, if the item is required."""
        bounds = self.photo_bounds()
        return bounds[0] if bounds is not None and self.required else 0

    def can_fail(self) -> bool:
        """Whether some answer is defined as non-compliant (needed for ``critical``)."""
        return False

    def scorable(self) -> bool:
        """Whether a weight means something: the answer can be compared with a norm."""
        return self.scoring is not None or self.can_fail()

    @model_validator(mode="after")
    def _consistent(self) -> "ItemBase":
        if len(set(self.observables)) != len(self.observables):
            raise ValueError("observables must not repeat")
        if self.critical and not self.can_fail():
            raise ValueError("a critical item needs an answer marked non-compliant")
        if self.weight > 0 and not self.scorable():
            raise ValueError("weight > 0 but no answer is marked compliant or scored")
        return self


class YesNoItem(ItemBase):
    kind: Literal["yes_no"]
    compliant_answer: YesNo | None = None

    def answer_codes(self) -> list[str] | None:
        return ["yes", "no"]

    def can_fail(self) -> bool:
        return self.compliant_answer is not None


def _check_options(options: list[Option], minimum: int) -> None:
    if len(options) < minimum:
        raise ValueError(f"needs at least {minimum} options, has {len(options)}")
    codes = [o.code for o in options]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise ValueError(f"duplicate option codes: {', '.join(repeated)}")


class ChoiceItem(ItemBase):
    """One answer out of ``options``; ``options_from`` asks the builder to fill them."""

    kind: Literal["choice"]
    options: list[Option] = Field(default_factory=list, max_length=100)
    options_from: Literal["deadline_cases"] | None = None

    @model_validator(mode="after")
    def _options(self) -> "ChoiceItem":
        # A template leaves builder-filled options empty; a resolved item must have them.
        _check_options(self.options, 0 if self.options_from and not self.options else 2)
        return self

    def answer_codes(self) -> list[str] | None:
        return None if self.options_from else [o.code for o in self.options]

    def can_fail(self) -> bool:
        return any(o.compliant is False or o.score is not None for o in self.options)

    def scorable(self) -> bool:
        return super().scorable() or any(o.compliant is not None for o in self.options)


class MultiChoiceItem(ItemBase):
    kind: Literal["multi_choice"]
    options: list[Option] = Field(max_length=100)

    @model_validator(mode="after")
    def _options(self) -> "MultiChoiceItem":
        _check_options(self.options, 2)
        return self

    def answer_codes(self) -> list[str] | None:
        return [o.code for o in self.options]

    def can_fail(self) -> bool:
        return any(o.compliant is False or o.score is not None for o in self.options)


class NumberItem(ItemBase):
    kind: Literal["number"]
    unit: Code
    min: float | None = None
    max: float | None = None
    integer: bool = True

    @model_validator(mode="after")
    def _range(self) -> "NumberItem":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class DurationItem(ItemBase):
    """A length of time, answered in seconds (phones may show minutes)."""

    kind: Literal["duration"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> "DurationItem":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class TimestampItem(ItemBase):
    """The moment something happened, answered as a timezone-aware ISO datetime."""

    kind: Literal["timestamp"]


class DateItem(ItemBase):
    kind: Literal["date"]


class TextItem(ItemBase):
    kind: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=10_000)


class PhotoItem(ItemBase):
    kind: Literal["photo"]
    min_count: int = Field(default=1, ge=0, le=20)
    max_count: int = Field(default=5, ge=1, le=20)

    def photo_bounds(self) -> tuple[int, int] | None:
        return self.min_count, self.max_count

    @model_validator(mode="after")
    def _counts(self) -> "PhotoItem":
        if self.min_count > self.max_count:
            raise ValueError(
                f"min_count {self.min_count} is greater than max_count {self.max_count}"
            )
        return self


class DocumentsItem(ItemBase):
    """Documents demanded: the standard's list as options plus up to ``max_extras`` free texts.

    Templates leave ``options`` empty; the builder fills them from the standard, so the item
    stays usable (extras only) when the standard lists no documents.
    """

    kind: Literal["documents"]
    options: list[Option] = Field(default_factory=list, max_length=200)
    max_extras: int = Field(default=20, ge=1, le=100)

    @model_validator(mode="after")
    def _options(self) -> "DocumentsItem":
        _check_options(self.options, 0)
        return self

    def scorable(self) -> bool:
        return True


class RatingItem(ItemBase):
    """The report's 1-5 scale: 1 is very poor, 5 is fully satisfied."""

    kind: Literal["rating"]

    def scorable(self) -> bool:
        return True


Item = Annotated[
    YesNoItem
    | ChoiceItem
    | MultiChoiceItem
    | NumberItem
    | DurationItem
    | TimestampItem
    | DateItem
    | TextItem
    | PhotoItem
    | DocumentsItem
    | RatingItem,
    Field(discriminator="kind"),
]
