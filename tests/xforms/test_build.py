"""build_xform: what each checklist feature becomes in the XForm, and stable bytes."""

import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from pyxform.xls2xform import convert

from service.xforms import XForm, build_xform, form_id_for, version_for
from service.xforms.build import render, workbook
from service.xforms.survey import sheets
from tests.xforms.collect import XF
from tests.xforms.forms import ROOT, checklist, xform
from tests.xforms.test_instance import every_kind

H = "{http://www.w3.org/1999/xhtml}"
JR = "{http://openrosa.org/javarosa}"
ORX = "{http://openrosa.org/xforms}"
ODK = "{http://www.opendatakit.org/xforms}"
LANGUAGES = ["Russian (ru)", "Kazakh (kk)", "English (en)"]


def _tree(form: XForm) -> ET.Element:
    return ET.fromstring(form.xml)


def _bind(root: ET.Element, name: str) -> ET.Element:
    return next(b for b in root.iter(f"{XF}bind") if b.get("nodeset", "").endswith(f"/{name}"))


def _texts(root: ET.Element, text_id: str) -> dict[str, str]:
    """An itext entry in every language: ``{lang: value}``."""
    found = {}
    for translation in root.iter(f"{XF}translation"):
        for text in translation.iter(f"{XF}text"):
            if text.get("id") == text_id:
                value = text.find(f"{XF}value")
                found[translation.get("lang", "")] = "" if value is None else value.text or ""
    return found


def _choices(root: ET.Element, list_name: str) -> list[str]:
    instance = next(i for i in root.iter(f"{XF}instance") if i.get("id") == list_name)
    return [n.text or "" for n in instance.iter(f"{XF}name")]


class TestDeterminism:
    def test_same_inputs_same_bytes(self) -> None:
        target = checklist("S26", "in_person")
        first = render(target, form_id="S26-in_person", version="v", title="t")
        assert render(target, form_id="S26-in_person", version="v", title="t") == first
        built = build_xform(target, form_id="S26-in_person", version="v", title="t")
        assert built.xml == first
        assert built.md5 == "md5:" + hashlib.md5(first).hexdigest()
        assert build_xform(target, form_id="S26-in_person", version="v", title="t") is built

    @pytest.mark.slow
    def test_same_bytes_in_another_process_with_another_hash_seed(self) -> None:
        script = (
            "from tests.xforms.forms import checklist, xform;"
            "print(xform(checklist('S26', 'in_person')).md5)"
        )
        for seed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            result = subprocess.run(
                [sys.executable, "-c", script],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            assert result.stdout.strip() == xform(checklist("S26", "in_person")).md5

    def test_form_id_and_version_for_a_checklist(self) -> None:
        target = checklist("S04", "egov")
        assert form_id_for(target) == "S04-egov"
        assert version_for(target) == f"{target.content_hash()[:16]}-g1"
        assert version_for(checklist("S05", "egov")) != version_for(target)

    def test_another_version_or_content_is_another_form(self) -> None:
        target = checklist("S26", "in_person")
        one = build_xform(target, form_id="S26-in_person", version="v1", title="t")
        two = build_xform(target, form_id="S26-in_person", version="v2", title="t")
        assert one.md5 != two.md5
        other = checklist("S27", "in_person")
        assert build_xform(other, form_id="S26-in_person", version="v1", title="t").md5 != one.md5

    def test_the_xlsx_workbook_gives_the_same_form(self) -> None:
        target = checklist("S26", "call_1414")
        form = sheets(target, form_id="f", version="v", title="t", max_side=2048)
        from_xlsx = convert(workbook(form), form_name="data", file_type=".xlsx").xform
        direct = render(target, form_id="f", version="v", title="t")
        # pyxform orders a bind's attributes by column; canonical XML sorts them.
        assert ET.canonicalize(from_xlsx) == ET.canonicalize(direct.decode())


class TestForm:
    def test_identity_media_and_settings(self) -> None:
        form = xform(checklist("S26", "in_person"))
        root = _tree(form)
        data = next(i for i in root.iter(f"{XF}instance") if "id" not in i.attrib)[0]
        assert (data.tag, data.get("id"), data.get("version")) == (
            f"{XF}data",
            form.form_id,
            form.version,
        )
        assert form.media == ("visits.csv",)
        visits = next(i for i in root.iter(f"{XF}instance") if i.get("id") == "visits")
        assert visits.get("src") == "jr://file-csv/visits.csv"
        select = next(s for s in root.iter(f"{XF}select1") if s.get("ref") == "/data/visit")
        assert select.find(f"{XF}itemset") is not None
        submission = next(root.iter(f"{XF}submission"))
        assert submission.get(f"{ODK}client-editable") == "true"
        geopoint = next(root.iter(f"{ODK}setgeopoint"))
        assert (geopoint.get("ref"), geopoint.get("event")) == (
            "/data/start_geopoint",
            "odk-instance-first-load",
        )
        assert _bind(root, "audit").get("type") == "binary"
        assert _bind(root, "visit").get("required") == "true()"

    def test_three_languages_kazakh_falling_back_to_russian(self) -> None:
        target = checklist("S26", "in_person")
        root = _tree(xform(target))
        langs = [t.get("lang") for t in root.iter(f"{XF}translation")]
        assert langs == LANGUAGES
        assert next(root.iter(f"{XF}translation")).get("default") == "true()"
        item = next(target.items())
        label = _texts(root, f"/data/sec__preparation/{item.code}:label")
        assert label == {
            "Russian (ru)": item.text_ru,
            "Kazakh (kk)": item.text_kk,
            "English (en)": item.text_en,
        }
        assert item.text_kk is not None
        assert "сипаттамасын" in item.text_kk  # the shipped templates speak Kazakh
        assert _texts(root, "/data/visit:label")["Kazakh (kk)"] == "Бұл қай сапар?"
        # A checklist an admin published without Kazakh reads Russian in Kazakh.
        bare = _tree(build_xform(every_kind(), form_id="f", version="1", title="t"))
        assert _texts(bare, "/data/sec__all/k_date:label") == {
            "Russian (ru)": "Вопрос k_date",
            "Kazakh (kk)": "Вопрос k_date",
            "English (en)": "Question k_date",
        }

    def test_required_na_and_constraints(self) -> None:
        root = _tree(build_xform(every_kind(allow_na=True), form_id="f", version="1", title="t"))
        assert _choices(root, "yes_no_na") == ["yes", "no", "_na"]
        assert _choices(root, "k_choice__options") == ["good", "bad", "_na"]
        assert _choices(root, "na_box") == ["_na"]
        number = _bind(root, "k_number")
        assert (number.get("type"), number.get("required")) == ("int", "true()")
        assert number.get("constraint") == ". >= 0 and . <= 50"
        box = "/data/sec__all/k_number__item/k_number__na"
        assert number.get("relevant") == f"not(selected( {box} , '_na'))"
        message = _texts(root, "/data/sec__all/k_number__item/k_number:jr:constraintMsg")
        assert message["Russian (ru)"] == "Введите число от 0 до 50"
        assert message["English (en)"] == "Enter a number from 0 to 50"
        assert _bind(root, "k_decimal").get("type") == "decimal"
        assert _bind(root, "k_decimal").get("constraint") == ". >= 0.5"
        duration = _bind(root, "k_duration")
        assert (duration.get("type"), duration.get("constraint")) == (
            "decimal",
            ". >= 0 and . <= 120",
        )
        assert _bind(root, "k_text").get("constraint") == "string-length(.) <= 200"

    def test_documents_photos_timestamps_rating(self) -> None:
        root = _tree(build_xform(every_kind(), form_id="f", version="1", title="t"))
        assert _choices(root, "k_documents__options") == ["doc_1", "doc_2", "_none"]
        assert "count-selected(.) = 1" in (_bind(root, "k_documents").get("constraint") or "")
        extras = "/data/sec__all/k_documents__item/k_documents__extras"
        assert _bind(root, "k_documents").get("required") == f"string-length( {extras} ) = 0"
        assert _bind(root, "k_documents__extras").get("type") == "string"
        photos = [b for b in root.iter(f"{XF}bind") if "k_photo__photo_" in b.get("nodeset", "")]
        assert [b.get(f"{ORX}max-pixels") for b in photos] == ["2048"] * 3
        assert [b.get("required") for b in photos] == ["true()", None, None]
        assert photos[1].get("relevant") == " /data/sec__all/k_photo__item/k_photo__photo_1  != ''"
        tap = next(
            t for t in root.iter(f"{XF}trigger") if t.get("ref", "").endswith("k_timestamp__tap")
        )
        setvalue = tap.find(f"{XF}setvalue")
        assert setvalue is not None
        assert (setvalue.get("value"), setvalue.get("event")) == ("now()", "xforms-value-changed")
        assert (setvalue.get("ref") or "").endswith("/k_timestamp")
        assert _bind(root, "k_timestamp").get("type") == "dateTime"
        hint = _texts(root, "/data/sec__all/k_timestamp__item/k_timestamp__tap:hint")
        assert hint["Russian (ru)"] == "Нажмите в тот момент, когда это происходит."
        rating = next(r for r in root.iter(f"{XF}range"))
        assert (rating.get("start"), rating.get("end"), rating.get("step")) == ("1", "5", "1")

    def test_instance_name_is_the_visit_label(self) -> None:
        root = _tree(xform(checklist("S26", "call_1414")))
        bind = _bind(root, "instanceName")
        assert bind.get("calculate") == "instance('visits')/root/item[name =  /data/visit ]/label"

    def test_photo_max_side_is_a_parameter(self) -> None:
        form = build_xform(every_kind(), form_id="f", version="1", title="t", photo_max_side=1600)
        assert b'orx:max-pixels="1600"' in form.xml
        assert b'orx:max-pixels="2048"' not in form.xml

    def test_a_timestamps_help_stays_beside_the_button(self) -> None:
        target = checklist("S26", "in_person")
        item = target.item("ticket_taken_at")
        root = _tree(xform(target))
        hint = _texts(root, "/data/sec__queue/ticket_taken_at__item/ticket_taken_at__tap:hint")
        assert hint["Russian (ru)"] == f"Нажмите в тот момент, когда это происходит. {item.help_ru}"
        assert hint["English (en)"] == f"Tap at the moment it happens. {item.help_en}"

    def test_standard_documents_in_a_shipped_form(self) -> None:
        target = checklist("S26", "in_person")
        documents = target.item("documents_demanded")
        root = _tree(xform(target))
        options = [o.code for o in getattr(documents, "options", [])]
        assert _choices(root, "documents_demanded__options") == [*options, "_none"]

    def test_colliding_names_are_refused(self) -> None:
        data = every_kind().model_dump(mode="json", by_alias=True)
        data["sections"][0]["items"][0]["code"] = "visit"
        target = type(every_kind()).model_validate(data)
        with pytest.raises(ValueError, match="element names repeat: visit"):
            build_xform(target, form_id="f", version="1", title="t")
