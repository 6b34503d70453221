"""Waits the standards set no norm for, judged against the programme's (pure).

The wait the queue system records against the real wait (report line 2625: the system would
show "не больше 20 минут", the real wait was "более 35 минут"), and a 1414 caller's hold while
transferred (line 2608: 8 minutes, then the call was cut). Both norms are the monitoring
programme's (``checklists/programme.yaml``), and the findings say so.
"""

from collections.abc import Mapping

from pydantic import JsonValue

from service.scoring.judged import Judged
from service.scoring.measures import STARTED, programme_source, tenth
from service.scoring.messages import Params
from service.scoring.results import FindingCode
from service.standards.programme import ProgrammeNorms

RECORDED_WAIT, HOLD = "queue_recorded_wait", "hold_duration"


def judge_recorded_wait(
    j: Judged, values: Mapping[str, JsonValue], programme: ProgrammeNorms
) -> None:
    """A finding when the queue system's record of the wait falls short of the real wait by
    more than the programme's tolerance: the office's own statistics then hide the queue."""
    recorded, actual = values.get(RECORDED_WAIT), j.queue.actual_wait_minutes
    if not isinstance(recorded, int | float) or actual is None:
        return
    minutes, tolerance = recorded / 60, programme.recorded_wait_tolerance_minutes
    if actual - minutes <= tolerance:
        return
    params: Params = {
        "recorded": tenth(minutes),
        "actual": tenth(actual),
        "gap": tenth(actual - minutes),
        "tolerance": tolerance,
    }
    source = programme_source(programme, "recorded_wait_tolerance_minutes", tolerance)
    code: FindingCode = "queue-recorded-wait-understated"
    j.add(code, [RECORDED_WAIT, STARTED], code, params, source)


def judge_transfer_hold(
    j: Judged, values: Mapping[str, JsonValue], programme: ProgrammeNorms
) -> None:
    """A finding when a transferred 1414 caller was on hold longer than the programme's norm."""
    held = values.get(HOLD)
    if values.get("call_transferred") != "yes" or not isinstance(held, int | float):
        return
    limit = programme.max_transfer_hold_minutes
    if held <= limit * 60:
        return
    params: Params = {"held": tenth(held / 60), "limit": limit}
    source = programme_source(programme, "max_transfer_hold_minutes", limit)
    code: FindingCode = "call-hold-over-norm"
    j.add(code, ["call_transferred", HOLD], code, params, source, minor=True)
