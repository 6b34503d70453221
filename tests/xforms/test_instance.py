"""read_instance: what Collect sends comes back as the answers the JSON API would store."""

import datetime as dt
import random
from typing import Any

import pytest

from service.answers.values import normalize
from service.checklists.format import ResolvedChecklist
from service.checklists.kinds import KINDS, kind_of
from service.xforms import Instance, InstanceError, XForm, build_xform, read_header, read_instance
from tests.checklists.test_kinds import SeededDraw
from tests.xforms.collect import fields, instance_xml
from tests.xforms.forms import checklist, checklists, xform

AT = dt.datetime(2026, 3, 18, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=5)))
OPTIONS = [
    {"code": "good", "text_ru": "Хорошо", "text_en": "Good", "compliant": True},
    {"code": "bad", "text_ru": "Плохо", "text_en": "Bad", "compliant": False},
]
EVERY_KIND: list[dict[str, Any]] = [
    {"code": "k_yes_no", "kind": "yes_no", "compliant_answer": "yes", "photo": "optional"},
    {"code": "k_choice", "kind": "choice", "options": OPTIONS},
    {"code": "k_multi", "kind": "multi_choice", "options": OPTIONS},
    {"code": "k_number", "kind": "number", "unit": "people", "min": 0, "max": 50},
    {"code": "k_decimal", "kind": "number", "unit": "kzt", "integer": False, "min": 0.5},
    {"code": "k_duration", "kind": "duration", "min": 0, "max": 7200},
    {"code": "k_timestamp", "kind": "timestamp"},
    {"code": "k_date", "kind": "date"},
    {"code": "k_text", "kind": "text", "max_length": 200},
    {"code": "k_photo", "kind": "photo", "min_count": 1, "max_count": 3},
    {
        "code": "k_documents",
        "kind": "documents",
        "options": [
            {"code": "doc_1", "text_ru": "Паспорт", "text_en": "Passport"},
            {"code": "doc_2", "text_ru": "Справка", "text_en": "Certificate"},
        ],
    },
    {"code": "k_rating", "kind": "rating"},
]


def every_kind(*, allow_na: bool = False, **changes: Any) -> ResolvedChecklist:
    """A checklist with one item of every kind (two numbers: whole and decimal)."""
    items = [
        {"text_ru": f"Вопрос {i['code']}", "text_en": f"Question {i['code']}", **i}
        | ({"allow_na": True} if allow_na and i["kind"] != "photo" else {})
        for i in EVERY_KIND
    ]
    return ResolvedChecklist.model_validate(
        {
            "service_code": "S26",
            "channel": "in_person",
            "template_version": 1,
            "standard_effective_from": "2026-01-01",
            "standard_digest": "0" * 64,
            "title_ru": "Проверка",
            "title_en": "Check",
            "sections": [{"code": "all", "title_ru": "Всё", "title_en": "All", "items": items}],
        }
        | changes
    )


def _form(checklist: ResolvedChecklist) -> XForm:
    return build_xform(checklist, form_id="S26-in_person", version="7", title="t")


def _values(instance: Instance) -> dict[str, Any]:
    return {a.item_code: a.value for a in instance.answers}


def _round_trip(checklist: ResolvedChecklist, raw: dict[str, Any]) -> Instance:
    """Answer ``raw`` (API-style values) as Collect would and read the instance back."""
    form = xform(checklist)
    hidden = frozenset(i.code for i in checklist.items()) - checklist.visible(raw)
    values = fields(form, checklist, {c: (v, False) for c, v in raw.items() if c not in hidden})
    return read_instance(checklist, instance_xml(form, values, hidden=hidden))


def _expected(checklist: ResolvedChecklist, raw: dict[str, Any]) -> dict[str, Any]:
    shown = checklist.visible(raw)
    return {c: normalize(checklist.item(c), v) for c, v in raw.items() if c in shown}


class TestRoundTrip:
    def test_every_kind_of_the_registry_is_in_the_table(self) -> None:
        assert {i["kind"] for i in EVERY_KIND} == set(KINDS)

    def test_every_kind_comes_back_as_normalize_stores_it(self) -> None:
        target = every_kind()
        raw = {i.code: kind_of(i).example(i, AT) for i in target.items() if kind_of(i).takes_value}
        raw |= {"k_duration": 754, "k_decimal": 12.75, "k_multi": ["good", "bad"]}
        raw["k_documents"] = {"selected": ["doc_2"], "extras": ["Справка о браке", "Фото 3x4"]}
        instance = _round_trip(target, raw)
        assert _values(instance) == _expected(target, raw)
        assert not any(a.na for a in instance.answers)
        assert [a.item_code for a in instance.answers] == list(raw)  # checklist order
        assert _values(instance)["k_timestamp"] == "2026-03-18T05:05:00+00:00"
        assert _values(instance)["k_duration"] == 754

    @pytest.mark.parametrize(
        "form", ["S01-in_person", "S04-in_person", "S04-egov", "S26-call_1414", "S33-egov"]
    )
    def test_a_careful_shoppers_visit_with_photos(self, form: str) -> None:
        # Deadline cases or none, the standard's documents or none, every channel.
        target = checklist(*form.split("-", 1))
        raw: dict[str, Any] = {}
        for item in target.shown_items(raw):
            if kind_of(item).takes_value:
                raw[item.code] = kind_of(item).example(item, AT)
        shown = target.visible(raw)
        hidden = frozenset(i.code for i in target.items()) - shown
        values = fields(xform(target), target, {c: (v, False) for c, v in raw.items()})
        photos = {
            i.code: [f"{i.code} фото {n}.jpg" for n in range(1, max(bounds[0], 1) + 1)]
            for i in target.items()
            if i.code in shown and (bounds := i.photo_bounds())
        }
        for code, files in photos.items():
            values |= {f"{code}__photo_{n}": name for n, name in enumerate(files, 1)}
        instance = read_instance(target, instance_xml(xform(target), values, hidden=hidden))
        assert _values(instance) == _expected(target, raw)
        assert instance.attachments == photos

    @pytest.mark.parametrize("seed", range(5))
    def test_made_up_visits_of_shipped_checklists_come_back_whole(self, seed: int) -> None:
        rng = random.Random(seed)
        target = rng.choice(checklists())
        draw = SeededDraw(rng, quality=seed / 4)
        raw: dict[str, Any] = {}
        for item in target.shown_items(raw):  # answers as a phone does, item by item
            value = kind_of(item).sample(item, draw)
            if value is not None:
                raw[item.code] = value
        instance = _round_trip(target, raw)
        assert _values(instance) == _expected(target, raw)

    def test_na_answers_of_every_kind(self) -> None:
        target = every_kind(allow_na=True)
        form = _form(target)
        answers = {i.code: (None, True) for i in target.items() if kind_of(i).takes_value}
        instance = read_instance(target, instance_xml(form, fields(form, target, answers)))
        assert [(a.item_code, a.value, a.na) for a in instance.answers] == [
            (code, None, True) for code in answers
        ]
        for answer in instance.answers:
            assert normalize(target.item(answer.item_code), None, na=True) is None

    def test_photos_by_item_in_slot_order_with_cyrillic_names(self) -> None:
        target = every_kind()
        form = _form(target)
        values = {
            "k_photo__photo_1": "Очередь у окна 3.jpg",
            "k_photo__photo_2": "1764490000123.jpg",
            "k_yes_no__photo_1": "вход.jpg",
            "k_yes_no": "yes",
        }
        instance = read_instance(target, instance_xml(form, values))
        assert instance.attachments == {
            "k_yes_no": ["вход.jpg"],
            "k_photo": ["Очередь у окна 3.jpg", "1764490000123.jpg"],
        }

    def test_metadata(self) -> None:
        target = checklist("S26", "in_person")
        form = xform(target)
        values = {"visit": "v-118", "start_geopoint": "43.238949 76.889709 812.3 4.5"}
        values["audit"] = "audit.csv"
        xml = instance_xml(form, values, instance_id="uuid:b", deprecated_id="uuid:a")
        instance = read_instance(target, xml)
        assert (instance.form_id, instance.version) == (form.form_id, form.version)
        assert (instance.instance_id, instance.deprecated_id) == ("uuid:b", "uuid:a")
        assert instance.visit_id == "v-118"
        assert instance.start_geopoint == (43.238949, 76.889709)
        assert instance.audit_file == "audit.csv"
        assert (instance.answers, instance.attachments, instance.incomplete) == ((), {}, False)
        assert read_header(xml).deprecated_id == "uuid:a"

    def test_a_default_namespace_reads_alike(self) -> None:
        target = every_kind()
        xml = instance_xml(_form(target), {"k_rating": "4"})
        namespaced = xml.replace(b"<data ", b'<data xmlns="http://www.w3.org/2002/xforms" ')
        assert read_instance(target, namespaced).answers == read_instance(target, xml).answers
        assert read_instance(target, namespaced).answers[0].value == 4


def _error(target: ResolvedChecklist, xml: bytes) -> InstanceError:
    with pytest.raises(InstanceError) as caught:
        read_instance(target, xml)
    return caught.value


class TestBadInstances:
    def test_not_xml(self) -> None:
        assert _error(every_kind(), b"\x89PNG\r\n").code == "not-xml"

    def test_entities_are_refused(self) -> None:
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]><data id="x">&a;</data>'
        )
        assert _error(every_kind(), bomb).code == "not-xml"

    def test_no_instance_id(self) -> None:
        xml = instance_xml(_form(every_kind()), {}, instance_id="")
        assert _error(every_kind(), xml).code == "no-instance-id"

    def test_no_form_id(self) -> None:
        xml = instance_xml(_form(every_kind()), {}).replace(b' id="S26-in_person"', b"")
        assert _error(every_kind(), xml).code == "no-form-id"

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("k_number", "51"),
            ("k_number", "2.5"),
            ("k_choice", "maybe"),
            ("k_yes_no", "_na"),  # N/A where the item does not allow it
            ("k_multi", "good good"),
            ("k_timestamp", "10:05"),
            ("k_date", "18.03.2026"),
            ("k_rating", "6"),
            ("k_duration", "-1"),
            ("k_documents", "doc_9"),
        ],
    )
    def test_a_value_that_does_not_fit_its_item(self, name: str, text: str) -> None:
        error = _error(every_kind(), instance_xml(_form(every_kind()), {name: text}))
        assert (error.code, error.item) == ("bad-value", name)
        question = every_kind().item(name)
        assert f"«{question.text_ru}»" in error.text("ru")
        assert f"«{question.text_ru}»" in error.text("kk")  # no Kazakh text: the Russian
        assert f'"{question.text_en}"' in str(error)
        assert len({error.text(lang) for lang in ("ru", "kk", "en")}) == 3

    @pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.jpg", "..", "x\\y.jpg"])
    def test_an_attachment_name_that_is_not_a_bare_file_name(self, name: str) -> None:
        xml = instance_xml(_form(every_kind()), {"k_photo__photo_1": name})
        assert _error(every_kind(), xml).code == "bad-attachment-name"

    def test_a_location_that_is_not_one(self) -> None:
        xml = instance_xml(_form(every_kind()), {"start_geopoint": "north 76.9"})
        assert _error(every_kind(), xml).code == "bad-geopoint"

    def test_a_repeated_element(self) -> None:
        xml = instance_xml(_form(every_kind()), {"k_rating": "4"})
        xml = xml.replace(
            b"<k_rating>4</k_rating>", b"<k_rating>4</k_rating><k_rating>1</k_rating>"
        )
        assert _error(every_kind(), xml).code == "repeated-element"
