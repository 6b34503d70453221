"""Waits the standards set no norm for, judged against the programme's (pure).

The wait the queue system records against the real wait (report line 2625: the system would
show "не больше 20 минут", the real wait was "более 35 минут"), and a 1414 caller's hold while
transferred (line 2608: 8 minutes, then the call was cut). Both norms are the monitoring
programme's (``checklists/programme.yaml``), and the findings say so.
"""

from collections.abc import Mapping

from pydantic import JsonValue

from service.scoring.results import Judged
from service.standards.programme import ProgrammeNorms

RECORDED_WAIT, HOLD = "queue_recorded_wait", "hold_duration"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


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
    gap = _num(actual - minutes)
    en = f"The queue system recorded a wait of {_num(minutes)} min, the real wait was "
    en += f"{_num(actual)} min ({gap} min hidden; the monitoring programme tolerates "
    en += f"{tolerance} min)."
    ru = f"Система очереди учла ожидание {_num(minutes)} мин, фактически {_num(actual)} мин "
    ru += f"(скрыто {gap} мин; допуск программы мониторинга {tolerance} мин)."
    clause = f"checklists/programme.yaml: recorded_wait_tolerance_minutes = {tolerance}"
    clause += " (норма программы; отчёт, строка 2625)"
    j.add("queue-recorded-wait-understated", [RECORDED_WAIT, "service_started_at"], en, ru, clause)


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
    en = f"On hold {_num(held / 60)} min while transferred (the monitoring programme's norm: "
    en += f"{limit} min; the standards set none)."
    ru = f"Ожидание при переводе {_num(held / 60)} мин (норма программы мониторинга: {limit} "
    ru += "мин; стандарты её не устанавливают)."
    clause = f"checklists/programme.yaml: max_transfer_hold_minutes = {limit} (норма программы)"
    j.add("call-hold-over-norm", ["call_transferred", HOLD], en, ru, clause, minor=True)
