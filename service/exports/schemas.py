"""The export formats and the stable columns of each export (documented in docs/exports.md)."""

from enum import StrEnum

from service.exports.writers import Column, Kind


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.parquet: "application/vnd.apache.parquet",
}

T, INT, N, B, TS, D = Kind.text, Kind.integer, Kind.number, Kind.boolean, Kind.timestamp, Kind.date

# Order and names are a contract: add columns at the end, never rename or drop one.
VISIT_COLUMNS: tuple[Column, ...] = (
    Column("visit_id", T, "Visit id (UUID)"),
    Column("service_code", T, "Service code, S01..S60"),
    Column("service_name_ru", T, "Service name in the standard version the visit pinned"),
    Column("agency", T, "Agency abbreviation in that standard"),
    Column("level", T, "central or local"),
    Column("region", T, "Region code of the office"),
    Column("office_id", INT, "Office id"),
    Column("office_name", T, "Office name"),
    Column("office_kind", T, "con, agency_office, call_centre or portal"),
    Column("channel", T, "in_person, call_1414 or egov"),
    Column("wave", T, "Monitoring wave, empty when none"),
    Column("window_start_at", TS, "Start of the visit window, UTC"),
    Column("window_end_at", TS, "End of the visit window, UTC"),
    Column(
        "status", T, "assigned, in_progress, submitted, approved, returned, rejected or cancelled"
    ),
    Column("shopper_id", T, "Shopper's user id (no names or contacts are exported)"),
    Column("started_at", TS, "When the shopper started, UTC"),
    Column("submitted_at", TS, "When the server received the submission, UTC"),
    Column("reviewed_at", TS, "When a coordinator last reviewed it, UTC"),
    Column("rules_version", T, "Scoring rules that produced the score; empty when unscored"),
    Column("score", N, "Score 0-100 against the standard"),
    Column(
        "grade",
        INT,
        "Compliance grade 1-5 under the grading policy "
        "(bands 90/75/60/40, capped by findings; see `docs/scoring.md`)",
    ),
    Column("critical_failed", B, "A critical item failed (e.g. an informal payment)"),
    Column("deadline_status", T, "on_time, late, pending, overdue or unknown"),
    Column("deadline_due_on", D, "Last day the result was due"),
    Column("late_working_days", INT, "Working days late"),
    Column("wait_minutes", N, "Queue wait, minutes"),
    Column("service_minutes", N, "Service time at the desk, minutes"),
    Column("call_connect_seconds", N, "1414 time to connect, seconds"),
    Column("findings_critical", INT, "Critical findings"),
    Column("findings_major", INT, "Major findings"),
    Column("findings_minor", INT, "Minor findings"),
    Column("scored_at", TS, "When the score was computed, UTC"),
)

ANSWER_COLUMNS: tuple[Column, ...] = (
    Column("visit_id", T, "Visit id (UUID)"),
    Column("service_code", T, "Service code, S01..S60"),
    Column("item_code", T, "Checklist item code"),
    Column("value", T, "The answer as JSON text; empty when N/A"),
    Column("na", B, "Answered not applicable"),
    Column("answered_at", TS, "Phone's clock when answered, UTC"),
    Column("received_at", TS, "Server's clock when received, UTC"),
    Column("withheld", B, "Free text an analyst does not read: value left empty"),
)
