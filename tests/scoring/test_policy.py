"""The grading policy as data: the shipped file, validation, and how a grade is capped."""

from typing import Any, get_args

import pytest
import yaml

from service.scoring.deadlines import DeadlineStatus
from service.scoring.policy import (
    POLICY_FILE,
    PolicyError,
    SeverityRule,
    default_policy,
    parse_policy,
    read_policy,
    stored_policy,
)
from service.scoring.results import Finding, FindingCode, Severity
from service.scoring.sources import Source
from tests.scoring.test_rules import Visit, at

C, M, m = Severity.critical, Severity.major, Severity.minor


def shipped() -> dict[str, Any]:
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def finding(severity: Severity, code: FindingCode = "non-compliant-item") -> Finding:
    return Finding.of(
        code,
        severity,
        ["x"],
        "required-item-unanswered",
        {"items": ["x"]},
        Source(document="checklist", clause=""),
    )


def test_the_shipped_policy_gives_every_finding_code_a_severity_and_a_source() -> None:
    policy = default_policy()
    assert set(policy.severities) == set(get_args(FindingCode))
    assert all(rule.source.strip() for rule in policy.severities.values())
    assert (policy.caps[C].max_grade, policy.caps[M].max_grade) == (2, 4)
    assert policy.five.deadline_statuses == {DeadlineStatus.on_time, DeadlineStatus.pending}


@pytest.mark.parametrize(
    "code",
    [
        "refusal-for-non-standard-document",  # refusal for a document the standard omits
        "unofficial-charge",  # payment for a free service
        "fee-above-standard",  # payment above the tariff
        "deadline-late",  # deadline missed
        "deadline-overdue",
        "application-refused",  # service refused
    ],
)
def test_the_issues_critical_defaults_are_critical(code: str) -> None:
    assert default_policy().severities[code].severity is C


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"severities": {"queue-wait-too-long": {"severity": "major", "source": "x"}}},
         "unknown finding codes: queue-wait-too-long"),
        ({"bands": {"floors": [{"min_score": 60, "grade": 3}, {"min_score": 90, "grade": 5}],
                    "source": "x"}}, "strictly descend"),
        ({"caps": {"minor": {"max_grade": 4, "source": "x"}}}, "minor findings do not cap"),
        ({"caps": {"critical": {"max_grade": 2, "source": ""}}}, "caps.critical.source"),
        ({"version": "a b"}, "version: String should match pattern"),
        ({"five": {"deadline_statuses": ["soon"], "source": "x"}}, "five.deadline_statuses"),
    ],
)  # fmt: skip
def test_an_invalid_policy_is_refused_with_its_problem(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_policy(shipped() | change)


def test_a_policy_file_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(PolicyError, match="not YAML"):
        read_policy("version: [unclosed")


def test_a_stored_version_naming_a_removed_code_still_reads() -> None:
    body = shipped()
    body["severities"] = body["severities"] | {"code-removed-in-2030": {"severity": "minor"}}
    assert "code-removed-in-2030" not in stored_policy(body).severities
    with pytest.raises(PolicyError):
        parse_policy(body)


# (score, findings' severities, deadline status, critical item failed) -> (grade, capped_by)
GRADES = [
    (100.0, [], DeadlineStatus.on_time, False, 5, []),
    (100.0, [m, m], None, False, 5, []),
    (100.0, [M], DeadlineStatus.pending, False, 4, ["major-finding"]),
    (80.0, [M], None, False, 4, []),
    (65.0, [M], None, False, 3, []),
    (97.0, [C, M], None, False, 2, ["critical-finding", "major-finding"]),
    (30.0, [C], None, False, 1, []),
    (100.0, [], DeadlineStatus.unknown, False, 4, ["deadline"]),
    (100.0, [], DeadlineStatus.late, False, 4, ["deadline"]),
    (100.0, [C], None, True, 1, ["critical-finding", "critical-item"]),
    (None, [C], None, True, 1, ["critical-finding", "critical-item"]),
    (None, [M], None, False, None, []),
]


@pytest.mark.parametrize(
    ("score", "severities", "deadline", "critical_failed", "grade", "capped_by"), GRADES
)
def test_findings_and_the_deadline_cap_the_grade(
    score: float | None,
    severities: list[Severity],
    deadline: DeadlineStatus | None,
    critical_failed: bool,
    grade: int | None,
    capped_by: list[str],
) -> None:
    graded = default_policy().grade(
        score,
        [finding(s) for s in severities],
        deadline=deadline,
        critical_failed=critical_failed,
    )
    assert (graded.grade, graded.capped_by, graded.policy_version) == (grade, capped_by, "2026.1")


def test_a_published_policy_decides_severities_but_not_a_critical_items() -> None:
    lenient = default_policy().model_copy(
        update={
            "version": "lenient",
            "severities": default_policy().severities
            | {
                "queue-wait-over-norm": SeverityRule(severity=m, source="a test"),
                "informal-payment": SeverityRule(severity=m, source="a test"),
            },
        }
    )
    wait = {"ticket_taken_at": at("10:05"), "number_called_at": at("10:45")}
    wait |= {"service_started_at": at("10:46"), "service_ended_at": at("10:56")}
    long_wait = Visit("S33").set(**wait).score(policy=lenient)
    assert [(f.code, f.severity) for f in long_wait.findings] == [("queue-wait-over-norm", m)]
    assert (long_wait.grade, long_wait.policy_version) == (5, "lenient")
    # The checklist marks informal payment critical: no policy makes it milder.
    bribe = Visit("S33").set(informal_payment_asked="yes").score(policy=lenient)
    assert [(f.code, f.severity) for f in bribe.findings] == [("informal-payment", C)]
    assert bribe.grade == 1
