"""The audit-time calculation is read in the reader's language, whoever computed it and in whatever
language: its justification, warnings and the reasons each site was chosen."""

from django.urls import reverse
from django.utils import translation

from audits.documents import calculation_in_language, plan_data


def test_the_stored_calculation_holds_the_words_in_every_language(onsite_audit):
    wording = onsite_audit.time_calculation["wording"]

    assert set(wording) == {"en", "sv"}
    assert wording["en"]["justification"][0].startswith("Effective personnel")
    assert wording["sv"]["justification"] != wording["en"]["justification"]
    assert len(wording["sv"]["justification"]) == len(wording["en"]["justification"])


def test_a_swedish_reader_sees_the_justification_and_reasons_in_swedish(login, cast, onsite_audit):
    cast.staff.language = "sv"
    cast.staff.save()

    page = login(cast.staff).get(reverse("audits:audit-time", args=[onsite_audit.pk])).content.decode()

    for line in onsite_audit.time_calculation["wording"]["sv"]["justification"]:
        assert line.replace("'", "&#x27;").replace(">", "&gt;") in page
    assert "Effective personnel" not in page
    with translation.override("sv"):
        central = str(translation.gettext("central function"))
    assert f"<strong>Stockholm</strong>: {central}" in page
    assert central != "central function"


def test_the_random_reason_keeps_its_seed_in_any_language(onsite_audit):
    calculation = {"selected_sites": [{"id": 1, "name": "Malmö", "reason": "random (seed 20262)"}]}

    with translation.override("sv"):
        reason = calculation_in_language(calculation)["selected_sites"][0]["reason"]

    assert "20262" in reason
    assert reason != "random (seed 20262)"


def test_a_record_from_before_the_wording_was_kept_reads_as_stored(onsite_audit):
    calculation = {"justification": ["Old line."], "warnings": ["Old warning."], "selected_sites": []}

    with translation.override("sv"):
        worded = calculation_in_language(calculation)

    assert worded["justification"] == ["Old line."]
    assert worded["warnings"] == ["Old warning."]


def test_the_plan_pdf_data_follows_the_language(onsite_audit):
    with translation.override("sv"):
        swedish = plan_data(onsite_audit)["justification"]
    with translation.override("en"):
        english = plan_data(onsite_audit)["justification"]

    assert swedish == onsite_audit.time_calculation["wording"]["sv"]["justification"]
    assert english == onsite_audit.time_calculation["wording"]["en"]["justification"]
