"""What the timed norms read and say alike (pure).

The items each measured interval starts and ends at (by their scoring role, ``SCORING_ROLES``),
the answered moments and days, the interval between two moments (a negative or absurd one is
refused with a note), minutes as findings print them, and the clause a programme norm rests on.
"""

import datetime as dt
from collections.abc import Mapping

from pydantic import JsonValue

from service.checklists.vocabulary import SCORING_ROLES, ScoringRole
from service.scoring.judged import Judged
from service.scoring.messages import Params, message
from service.scoring.results import ScoringConfig
from service.scoring.sources import Source
from service.standards.programme import ProgrammeNorms

R = ScoringRole
CODE = {role: code for role, (code, _) in SCORING_ROLES.items()}
TICKET, CALLED = CODE[R.queue_wait_start], CODE[R.queue_wait_end]
STARTED, ENDED = CODE[R.service_start], CODE[R.service_end]
DIALLED, CONNECTED = CODE[R.call_wait_start], CODE[R.call_wait_end]
SUBMITTED, PROMISED, RECEIVED, READY = (
    CODE[R.deadline_start],
    CODE[R.deadline_promised],
    CODE[R.deadline_end],
    CODE[R.deadline_ready],
)
Interval = tuple[float, str, str]  # minutes, start and end as ISO date-times


def tenth(x: float) -> float:
    """Minutes (or seconds) as a finding prints them: to a tenth."""
    return round(x, 1)


def moment(values: Mapping[str, JsonValue], code: str) -> dt.datetime | None:
    value = values.get(code)
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def day(values: Mapping[str, JsonValue], code: str) -> dt.date | None:
    value = values.get(code)
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


# What each of the programme's norms (checklists/programme.yaml) is called where a finding cites
# it; a standard's own norm in its place is called the same.
NORM_NAMES = {
    "max_wait_minutes": "norm-name.wait",
    "max_service_minutes": "norm-name.service",
    "max_transfer_hold_minutes": "norm-name.transfer_hold",
    "recorded_wait_tolerance_minutes": "norm-name.recorded_wait_tolerance",
}


def programme_source(programme: ProgrammeNorms, field: str, value: int) -> Source:
    """What a finding against one of the programme's own norms rests on, said as such."""
    params: Params = {"norm": message(NORM_NAMES[field]), "value": value}
    return Source.of("programme", "programme-norm", params, line=programme.lines.get(field))


class Reader:
    """Reads intervals between answered timestamps, refusing negative or absurd ones."""

    def __init__(self, j: Judged, values: Mapping[str, JsonValue], config: ScoringConfig) -> None:
        self.j, self.values, self.config = j, values, config

    def interval(self, start_code: str, end_code: str, what: str) -> Interval | None:
        """Minutes between two answered moments, with the moments; ``what`` names the
        interval in notes (``interval.*`` in the catalogue)."""
        start, end = moment(self.values, start_code), moment(self.values, end_code)
        if start is None or end is None:
            return None
        minutes = (end - start).total_seconds() / 60
        first, last = start.isoformat(), end.isoformat()
        named = message(f"interval.{what}")
        if minutes < 0:
            self.j.note("interval-negative", {"what": named, "start": first, "end": last})
            return None
        if minutes > self.config.max_plausible_minutes:
            params: Params = {"what": named, "minutes": tenth(minutes), "start": first, "end": last}
            self.j.note("interval-implausible", params)
            return None
        return minutes, first, last
