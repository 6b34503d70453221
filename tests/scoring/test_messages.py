"""The message catalogue: complete in ru, kk and en, plural forms by CLDR, and every key the
scorer uses renders through the real scorer with the parameters the catalogue declares."""

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from service.scoring import messages
from service.scoring.messages import LANGS, MessageError, message, plural_categories, render
from service.scoring.results import Finding, FindingCode, Note, NoteCode, ScoreResult
from tests.scoring.test_rules import CALL, EGOV, Visit, at

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = messages.default_catalogue()


def test_every_key_has_every_language_and_only_its_declared_params() -> None:
    raw = yaml.safe_load(messages.CATALOGUE_PATH.read_text(encoding="utf-8"))
    for key, template in raw["messages"].items():
        assert set(template) - {"params"} == set(LANGS), key
        declared = set(template.get("params", []))
        for lang in LANGS:
            text = template[lang]
            assert set(messages.placeholders(text)) == declared, (key, lang)
            # No brace is left that is not a placeholder (a typo would print as it is).
            assert not {"{", "}"} & set(messages.without_placeholders(text)), (key, lang)


@pytest.mark.parametrize(("lang", "categories"), [
    ("ru", {"one", "few", "many", "other"}), ("kk", {"one", "other"}), ("en", {"one", "other"}),
])  # fmt: skip
def test_every_plural_word_has_the_forms_cldr_asks_of_each_language(
    lang: messages.Lang, categories: set[str]
) -> None:
    assert plural_categories(lang) == categories
    for word, forms in CATALOGUE.plurals.items():
        assert set(forms[lang]) >= categories, (word, lang)


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        # Issue 16, item 9: «1 вариантов срока», "1 deadline cases".
        ("ru", 1, "В стандарте 1 вариант срока;"),
        ("ru", 3, "В стандарте 3 варианта срока;"),
        ("ru", 5, "В стандарте 5 вариантов срока;"),
        ("ru", 21, "В стандарте 21 вариант срока;"),
        ("ru", 12, "В стандарте 12 вариантов срока;"),
        ("en", 1, "The standard has 1 deadline case;"),
        ("en", 2, "The standard has 2 deadline cases;"),
        # A Kazakh noun after a numeral stays singular.
        ("kk", 1, "Стандартта мерзімнің 1 нұсқасы бар;"),
        ("kk", 4, "Стандартта мерзімнің 4 нұсқасы бар;"),
    ],
)
def test_plural_forms_follow_the_number(lang: messages.Lang, n: int, expected: str) -> None:
    assert render("deadline-case-ambiguous", {"cases": n}, lang).startswith(expected)


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("ru", 1, "1 рабочий день"),
        ("ru", 2, "2 рабочих дня"),
        ("ru", 11, "11 рабочих дней"),
        ("ru", 1.5, "1,5 рабочего дня"),
        ("kk", 3, "3 жұмыс күні"),
        ("en", 1, "1 working day"),
        ("en", 1.5, "1.5 working days"),
    ],
)
def test_amounts_take_the_languages_number_format_and_form(
    lang: messages.Lang, n: float, expected: str
) -> None:
    assert render("amount.working_days", {"n": n}, lang) == expected


def test_times_are_shown_on_kazakhstans_clock_and_dates_in_the_languages_form() -> None:
    # Issue 16, item 9: 05:06+00:00 is 10:06 in Astana.
    params = {"end": "2026-02-02T05:06:00+00:00", "start": "2026-02-02T10:20:00+05:00"}
    assert render("deadline.duration.reversed", params, "ru") == (
        "Окончание 10:06 раньше начала 10:20"
    )
    day = {"today": "2026-03-02", "late": 2}
    assert render("deadline.overdue", day, "en").startswith("no result as of March 2, 2026:")
    assert render("deadline.overdue", day, "ru").startswith("на 2 марта 2026\u202fг. результата")
    assert render("deadline.overdue", day, "kk").startswith("2026\u202fж. 2 наурыз күнгі")


def test_russian_documents_message_agrees_with_any_documents_gender() -> None:
    # Issue 16, item 9: «Потребовали «справка…», которого нет».
    text = render("documents-beyond-standard", {"extra": "справка", "n": 1, "list": "x"}, "ru")
    assert (
        text == "Потребовали «справка»: этого документа нет в перечне стандарта из 1 документа (x)."
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"cases": 2, "extra": 1}, {"case": 2}],
    ids=["missing", "extra", "misspelt"],
)
def test_params_other_than_the_declared_ones_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(MessageError):
        render("deadline-case-ambiguous", params, "en")


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(MessageError, match="no message"):
        render("finding-from-the-future", {}, "kk")


def test_a_catalogue_missing_a_language_or_a_plural_form_does_not_load(tmp_path: Path) -> None:
    bad = {"version": 1, "plurals": {}, "messages": {"x": {"en": "a", "ru": "b"}}}
    path = tmp_path / "messages.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="kk"):
        messages.load(path)
    bad = {"version": 1, "plurals": {"day": {"en": {"one": "day", "other": "days"},
           "kk": {"one": "күн", "other": "күн"}, "ru": {"one": "день", "other": "дня"}}},
           "messages": {}}  # fmt: skip
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="few"):
        messages.load(path)


# Visits that between them make every finding and note the scorer writes from its own rules,
# each row what one behaviour produces (tests/scoring/test_rules.py's perfect visit, changed).
SCENARIOS: list[tuple[str, Any]] = [
    ("S33 long wait, late result, extra documents, low courtesy", lambda: Visit("S33").set(
        documents_demanded={"selected": ["doc_1"], "extras": ["справка"]},
        ticket_taken_at=at("10:05"), number_called_at=at("10:45"),
        service_started_at=at("10:46"), service_ended_at=at("11:16"),
        result_promised_on="2026-02-20", result_received_on="2026-02-13",
        notification_received_on="2026-02-13", staff_politeness=2, help_desk_courtesy=1,
    )),
    ("S45 ticket sought, recorded wait, refusals, stands", lambda: Visit("S45").set(
        ticket_sought_at=at("09:12"), queue_recorded_wait=600, application_refused="yes",
        refusal_reason="нет справки", stand_present="no", badge_worn="no",
        rudeness_seen="yes", rudeness_quote="Ждите", informal_payment_asked="yes",
    ).drop("result_received_on", "notification_received_on")),
    ("S26 fee for a free service, overdue", lambda: Visit("S26").set(
        fee_paid="yes", fee_amount=5000, stand_matches_standard="differs",
        application_submitted_on="2026-01-05",
    ).drop("result_received_on", "notification_received_on")),
    ("S26 paid without amount, negative interval", lambda: Visit("S26").set(
        fee_paid="yes", number_called_at=at("09:00"), stand_matches_standard="partly_shown",
    ).drop("fee_amount")),
    ("S48 service in minutes", lambda: Visit("S48").set(service_ended_at=at("11:16"))),
    ("S59 МРП tariff", lambda: Visit("S59").set(fee_paid="yes", fee_amount=50000)),
    ("S33 implausible wait, no submission date", lambda: Visit("S33").set(
        number_called_at="2026-02-03T10:05:00+05:00",
    ).drop("application_submitted_on")),
    ("1414 call", lambda: Visit("S33", CALL).set(
        call_connected_at=at("10:05"), call_transferred="yes", transfer_count=3,
        hold_duration=480, answer_documents_match="mismatch", answer_cost_match="partial",
        answer_deadline_match="no_answer", call_notes="Нужна справка", operator_politeness=1,
        redirected_elsewhere="yes",
    )),
    ("egov", lambda: Visit("S33", EGOV).set(
        info_matches_standard="no", technical_failure="yes", failure_details="502",
    )),
]  # fmt: skip


@pytest.fixture(scope="module")
def scored() -> list[ScoreResult]:
    return [make().score(today=dt.date(2026, 3, 2)) for _, make in SCENARIOS]


def _keys(value: Any) -> set[str]:
    """Every message key inside a finding's parameters (nested messages)."""
    if isinstance(value, dict):
        inner = set().union(*(_keys(v) for v in value.values())) if value else set()
        return inner | ({value["key"]} if "key" in value else set())
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_the_scorer_renders_each_finding_and_note_in_three_languages(
    scored: list[ScoreResult],
) -> None:
    for result in scored:
        said_all: list[Finding | Note] = [*result.findings, *result.notes]
        for said in said_all:
            assert said.message_key in CATALOGUE.messages
            for lang in LANGS:
                text = getattr(said, f"message_{lang}")
                assert text == render(said.message_key, said.params, lang)
                assert text, (said.code, lang)
                assert "{" not in text, (said.code, lang, text)


def test_the_scenarios_reach_most_finding_and_note_codes(scored: list[ScoreResult]) -> None:
    made = {f.code for r in scored for f in r.findings} | {n.code for r in scored for n in r.notes}
    # Codes the scenarios do not reach are still rendered by the key test below.
    assert len(made & set(get_args(FindingCode))) >= 20
    assert {"interval-negative", "interval-implausible", "deadline-unknown"} <= made
    assert set(get_args(NoteCode)) - made <= {
        "deadline-case-ambiguous", "documents-not-judged", "answer-invalid",
        "office-not-a-channel",  # tests/scoring/test_service.py, at a ЦОН the standard omits
    }  # fmt: skip


def _clause_name(node: ast.Call) -> ast.expr | None:
    """The clause a call names, without its ``source.`` prefix: ``Source.of(doc, "cost")``,
    ``source.citing("documents-list-of", ...)``."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "of" and getattr(func.value, "id", None) == "Source" and len(node.args) > 1:
        return node.args[1]
    if func.attr == "citing" and node.args:
        return node.args[0]
    return None


def _literal_keys() -> set[str]:
    """Message keys written as string literals in the scoring rules (``message("…")``,
    ``Finding.of(…, "key", …)``, ``add(code, items, "key", …)``, rule ``key=``), and the
    clauses named where a source is made (a rule's clause is counted from the rule)."""
    found: set[str] = set()
    for path in (ROOT / "service" / "scoring").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in CATALOGUE.messages:
                    found.add(node.value)
            elif isinstance(node, ast.Call):
                name = _clause_name(node)
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    found.add(f"source.{name.value}")
    return found


def test_every_catalogue_key_is_used_by_the_code() -> None:
    # A key no rule writes is dead text that translators would keep up for nothing; keys
    # built from a prefix (``amount.<unit>``, ``interval.<what>``, ...) count by prefix.
    built = (
        "amount.",
        "interval.",
        "wait-start.",
        "topic.",
        "asked.",
        "more.",
        "answer.",
        "source.cost.",
    )
    item_keys = {k for rules in _item_rules() for r in rules for k in _keys_of(r)}
    codes = set(get_args(FindingCode)) | set(get_args(NoteCode))
    unused = {
        key
        for key in CATALOGUE.messages
        if key not in _literal_keys() | item_keys | codes and not key.startswith(built)
    }
    assert unused == set()


def _item_rules() -> list[Any]:
    from service.scoring.item_rules import ITEM_FINDINGS

    return list(ITEM_FINDINGS.values())


def _keys_of(rule: Any) -> tuple[str, str]:
    """An item rule's message and its clause, as catalogue keys."""
    return rule.message_key, f"source.{rule.clause}"


def test_every_item_rule_names_a_catalogue_key() -> None:
    for rules in _item_rules():
        for rule in rules:
            assert set(_keys_of(rule)) <= set(CATALOGUE.messages), rule


def test_a_rules_clause_cites_an_observable_its_item_asks() -> None:
    # "(C3)" in a clause must be what checklists/observables.yaml tags the item with: a
    # help desk's courtesy once cited D2 (staff) where the item asks B5.
    tagged: dict[str, set[str]] = {}
    observables = yaml.safe_load((ROOT / "checklists" / "observables.yaml").read_text("utf-8"))
    for code, channels in observables.items():
        for items in (channels or {}).values():
            for item in items:
                tagged.setdefault(item, set()).add(code)
    from service.scoring.item_rules import ITEM_FINDINGS

    cited_any = 0
    for item, rules in ITEM_FINDINGS.items():
        for rule in rules:
            text = render(f"source.{rule.clause}", rule.clause_params, "en")
            cited = set(re.findall(r"\b([A-H]\d)\b", text))
            assert cited <= tagged.get(item, set()), (item, text)
            cited_any += bool(cited)
    assert cited_any >= 20


def test_each_finding_cites_its_clause_in_three_languages(scored: list[ScoreResult]) -> None:
    cited = set()
    for result in scored:
        for finding in result.findings:
            source = finding.source
            assert source.clause_key in CATALOGUE.messages, finding.code
            for lang in LANGS:
                text = getattr(source, f"clause_{lang}")
                assert text == render(source.clause_key, source.clause_params, lang)
                assert text, (finding.code, lang)
                assert "{" not in text, (finding.code, lang, text)
            # The English clause is the one snapshots stored before languages had.
            assert finding.clause == source.clause == source.clause_en
            cited.add(source.clause_key)
    assert len(cited) >= 10, cited


def test_nested_messages_in_a_finding_are_catalogue_keys(scored: list[ScoreResult]) -> None:
    for result in scored:
        for finding in result.findings:
            assert _keys(finding.params) <= set(CATALOGUE.messages)
    assert message("answer.yes") == {"key": "answer.yes", "params": {}}


def _rule_rows() -> list[Any]:
    from service.checklists.format import ChecklistChannel
    from service.scoring.item_rules import ITEM_FINDINGS
    from tests.scoring.test_rules import checklist

    rows = []
    for item_code, rules in ITEM_FINDINGS.items():
        channel = next(
            c
            for c in ChecklistChannel
            if item_code in {i.code for i in checklist("S33", c).items()}
        )
        for rule in rules:
            value = sorted(rule.when, key=str)[0]
            rows.append(
                pytest.param(
                    channel,
                    item_code,
                    value,
                    rule.message_key,
                    id=rule.message_key + "/" + item_code,
                )
            )
    return rows


# Answers that make an item visible (its ``show_if``).
SHOWN_BY = {
    "refusal_for_non_standard_document": {"application_refused": "yes"},
    "complaint_accepted": {"complaint_filed": "oral"},
}


@pytest.mark.parametrize(("channel", "item", "value", "key"), _rule_rows())
def test_each_item_rule_renders_through_the_scorer(
    channel: Any, item: str, value: Any, key: str
) -> None:
    result = Visit("S33", channel).set(**SHOWN_BY.get(item, {}), **{item: value}).score()
    made = [f for f in result.findings if f.message_key == key and item in f.item_codes]
    assert made, [f.message_key for f in result.findings]
    for lang in LANGS:
        assert getattr(made[0], f"message_{lang}") == render(key, made[0].params, lang)
    # Every finding rests on a report line: the standard's it is judged against, or the one
    # the checklist's question comes from.
    assert made[0].source.line is not None, made[0].source


@pytest.mark.parametrize(
    ("code", "channel", "answers", "finding", "source"),
    [
        # The programme's norms cite the line programme.yaml's `lines` gives them.
        ("S33", None, {"number_called_at": at("10:45"), "service_started_at": at("10:46"),
                       "service_ended_at": at("10:56")},
         "queue-wait-over-norm", ("programme", 3604)),
        ("S33", CALL, {"call_transferred": "yes", "hold_duration": 480},
         "call-hold-over-norm", ("programme", 2608)),
        ("S33", CALL, {"call_dialled_at": at("10:00"), "call_connected_at": at("10:05")},
         "call-not-connected-quickly", ("programme", 2608)),
        # The standard's deadline, cost and document list cite the standard's own lines.
        ("S33", None, {"result_received_on": "2026-02-13",
                       "notification_received_on": "2026-02-13"},
         "deadline-late", ("S33", 2934)),
        ("S59", None, {"fee_paid": "yes", "fee_amount": 50000}, "fee-above-standard",
         ("S59", 4691)),
        ("S33", None, {"documents_demanded": {"selected": [], "extras": ["справка"]}},
         "documents-beyond-standard", ("S33", 2929)),
        # A checklist question cites the report line it comes from, when it names one.
        ("S33", None, {"complaint_filed": "oral", "complaint_accepted": "no"},
         "complaint-not-accepted", ("checklist", 362)),
        ("S33", None, {"badge_worn": "no"}, "badge-missing", ("checklist", 3693)),
    ],
)  # fmt: skip
def test_a_finding_cites_its_document_and_report_line(
    code: str, channel: Any, answers: dict[str, Any], finding: str, source: tuple[Any, Any]
) -> None:
    visit = Visit(code, channel) if channel else Visit(code)
    made = next(f for f in visit.set(**answers).score().findings if f.code == finding)
    assert (made.source.document, made.source.line) == source
    assert made.clause == made.source.clause
