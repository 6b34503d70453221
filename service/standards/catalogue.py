"""Pure model and loader of the service-standard catalogue (no web, DB or S3 imports).

A standard is one version of a public service's rules: deadlines, required documents,
channels, cost and queue norms. Files under ``checklists/standards/`` hold one version each.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from service import yaml_load
from service.isotime import IsoDate
from service.standards.terms import Bound as Bound
from service.standards.terms import Deadline as Deadline
from service.standards.terms import DeadlineCase as DeadlineCase
from service.standards.terms import DeadlineUnit as DeadlineUnit
from service.standards.terms import UpperBound as UpperBound
from service.standards.terms import chain_problem, deadline_cases

CODE_PATTERN = r"^S(0[1-9]|[1-9][0-9])$"


class Level(StrEnum):
    central = "central"
    local = "local"


# Not the channel a visit is made through (ChecklistChannel: in person, 1414, egov); the
# docstring below is the spec's description, so the distinction is kept here.
class ApplicationChannel(StrEnum):
    """Where the standard says applications are accepted."""

    gov_agency = "gov_agency"
    goscorp_con = "goscorp_con"
    egov_portal = "egov_portal"
    elicense_portal = "elicense_portal"
    other = "other"


# The published spec names this schema "Channel"; Pydantic takes an enum's schema name from
# its class name, so the Python name changed without renaming the schema clients know.
ApplicationChannel.__name__ = ApplicationChannel.__qualname__ = "Channel"


class Payment(StrEnum):
    free = "free"
    paid = "paid"
    conditional = "conditional"


Text = Annotated[str, Field(min_length=1, max_length=2000)]


@dataclass(frozen=True)
class Names:
    """A service's, agency's or document's name in Russian and, where the catalogue gives
    it, English."""

    ru: str
    en: str | None = None

    def in_language(self, language: str) -> str:
        """The name a reader of ``language`` reads: no Kazakh name is in the catalogue (the
        2018 report is in Russian), so Kazakh, like any language without one, reads Russian."""
        return self.en or self.ru if language == "en" else self.ru


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    name_ru: Text
    name_en: Text | None = None


class FeeUnit(StrEnum):
    tenge = "tenge"
    # The monthly calculation index: a tariff in МРП is worth the year's value in tenge
    # (checklists/mrp.yaml), so the same standard costs more each year.
    mrp = "mrp"


class Tariff(_Strict):
    """One price the standard names, for the case ``case_ru`` (null when there is one)."""

    case_ru: Text | None = None
    case_en: Text | None = None
    amount: float = Field(gt=0, le=1_000_000)
    unit: FeeUnit


class Cost(_Strict):
    """What the standard says the service costs; ``tariffs`` only where it names prices.

    ``free`` means nothing may be asked; ``paid`` without tariffs cannot be checked against
    an amount. ``line`` is the report line of the cost sentence.
    """

    payment: Payment | None = None
    text_ru: Text | None = None
    tariffs: list[Tariff] = Field(default_factory=list, max_length=50)
    line: StrictInt | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _tariffs_need_payment(self) -> "Cost":
        if self.tariffs and self.payment not in (Payment.paid, Payment.conditional):
            raise ValueError("tariffs need payment paid or conditional")
        return self


class QueueNorms(_Strict):
    """The wait and service-time norms the standard itself states, with the report line.

    None where the standard is silent (every 2018 standard is, for the wait): the monitoring
    programme's own norms apply then (``checklists/programme.yaml``), and findings say so.
    A standard whose deadline is in minutes (S27, S48, S54) states its service time there.
    """

    max_wait_minutes: StrictInt | None = Field(default=None, gt=0, le=1440)
    max_service_minutes: StrictInt | None = Field(default=None, gt=0, le=1440)
    line: StrictInt | None = Field(default=None, ge=1)


class Agency(_Strict):
    abbr: Annotated[str, Field(min_length=1, max_length=32)]
    name_ru: Text
    name_en: Text | None = None


class Source(_Strict):
    """Where the facts come from, so a reader can check them against the report."""

    document: Text = "report-2018.txt"
    section_line: StrictInt | None = Field(default=None, ge=1)
    deadline_line: StrictInt | None = Field(default=None, ge=1)


class StandardBody(_Strict):
    """A standard version as an admin sends it: everything but the service code."""

    effective_from: IsoDate
    name_ru: Text
    name_en: Text | None = None
    agency: Agency
    level: Level
    channels: list[ApplicationChannel] = Field(min_length=1, max_length=len(ApplicationChannel))
    deadlines: list[Deadline] = Field(default_factory=list, max_length=50)
    documents: list[Document] = Field(default_factory=list, max_length=200)
    # Where the list comes from, or why it is empty (the report quotes no standard's list).
    documents_note_ru: Text | None = None
    cost: Cost = Cost()
    queue: QueueNorms = QueueNorms()
    result_ru: Text | None = None
    source: Source | None = None

    @model_validator(mode="after")
    def _unique_channels(self) -> "StandardBody":
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        return self

    @field_validator("deadlines")
    @classmethod
    def _deadlines_read_as_cases(cls, deadlines: list[Deadline]) -> list[Deadline]:
        problem = chain_problem(deadlines)
        if problem is not None:
            raise ValueError(problem)
        return deadlines

    def deadline_cases(self) -> list[DeadlineCase]:
        """The standard's deadline cases (see ``deadline_cases``)."""
        return deadline_cases(self.deadlines)

    def digest(self) -> str:
        """Sha256 of the canonical JSON form: equal content gives an equal hash."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class StandardFile(StandardBody):
    """One file of the catalogue: a standard version with its service code."""

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    section_no: int = Field(ge=1, le=99)

    @model_validator(mode="after")
    def _code_matches_section(self) -> "StandardFile":
        if int(self.code[1:]) != self.section_no:
            raise ValueError(f"code {self.code} does not match section_no {self.section_no}")
        return self

    def body(self) -> StandardBody:
        return StandardBody.model_validate(
            self.model_dump(exclude={"code", "section_no"}, mode="python")
        )


class CatalogueError(ValueError):
    """A catalogue file is broken; the message names the file and the field."""


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(file)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_standard(path: Path) -> StandardFile:
    """Read and validate one catalogue file, or raise ``CatalogueError`` naming path and field."""
    try:
        raw: Any = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected a mapping at the top level")
    try:
        standard = StandardFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {_describe(exc)}") from exc
    stem_code = re.match(r"^(S\d\d)", path.stem)
    if stem_code and stem_code.group(1) != standard.code:
        raise CatalogueError(f"{path}: code: {standard.code} does not match the file name")
    return standard


def load_catalogue(directory: Path) -> list[StandardFile]:
    """Load every ``*.yaml`` under ``directory``, sorted by code then date; refuse duplicates."""
    if not directory.is_dir():
        raise CatalogueError(f"{directory}: not a directory")
    standards = [parse_standard(p) for p in sorted(directory.glob("*.yaml"))]
    if not standards:
        raise CatalogueError(f"{directory}: no *.yaml standard files")
    seen: dict[tuple[str, dt.date], str] = {}
    for std in standards:
        key = (std.code, std.effective_from)
        if key in seen:
            raise CatalogueError(
                f"{directory}: {std.code} has two versions effective from {std.effective_from}"
            )
        seen[key] = std.code
    return sorted(standards, key=lambda s: (s.code, s.effective_from))
