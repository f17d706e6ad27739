"""The plan PDF: what it says, stored once per confirmed plan, e-mailed once, downloaded by whom."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage

from accounts.roles import AUDITORS, role_group
from audits.documents import PLAN_TEMPLATE_VERSION, plan_document_create, plan_pdf_render
from audits.models import Audit, AuditDocument, AuditStatus, AuditType, DocumentKind, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_confirm,
    plan_day_add,
    plan_slot_add,
    team_member_add,
)
from audits.tasks import generate_plan_pdf
from core.actors import SYSTEM
from core.errors import ConflictError
from core.pdf import format_date
from tests.conftest import CAST_NAMES, download, pdf_text
from tests.factories import CompetenceFactory, UserFactory

TODAY = datetime.date(2026, 11, 27)
MON, TUE, WED = (datetime.date(2027, 2, day) for day in (1, 2, 3))


def t(hhmm: str) -> datetime.time:
    return datetime.time.fromisoformat(hhmm)


@pytest.fixture
def audit(cast):
    """Nordkontakt AB's stage 2, planned over three days with `lead` and Örjan; `auditor` is not on it."""
    cast.lead.first_name, cast.lead.last_name = "Lena", "Lindqvist"
    cast.lead.save()
    orjan = UserFactory(username="orjan", first_name="Örjan", last_name="Åberg")
    orjan.groups.add(role_group(AUDITORS))
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    CompetenceFactory(user=orjan, standard=cast.standard, role=TeamRole.AUDITOR)

    audit = Audit.objects.create(organization=cast.org_a, audit_type=AuditType.STAGE2)
    audit.standards.add(cast.standard)
    audit_update(
        actor=SYSTEM,
        audit=audit,
        start_date=MON,
        end_date=WED,
        objectives="Confirm the customer service system works as intended.",
        scope="Customer service by phone and chat.",
        language="Swedish",
    )
    lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    member = team_member_add(actor=SYSTEM, audit=audit, user=orjan, role=TeamRole.AUDITOR, today=TODAY)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=7)  # 3.0 days = 24 hours, all three sites
    complaints = cast.standard.clauses.get(number="4.1")
    communication = cast.standard.clauses.get(number="4.2")
    for date, name in ((MON, "Stockholm"), (TUE, "Göteborg"), (WED, "Malmö")):
        day = plan_day_add(actor=SYSTEM, audit=audit, date=date, site=cast.org_a.sites.get(name=name))
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=t("08:00"),
            end=t("12:00"),
            member=lead,
            activity=f"Leadership in {name}",
            clauses=[complaints],
        )
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=t("13:00"),
            end=t("17:00"),
            member=member,
            activity=f"Complaints handling in {name}",
            clauses=[communication, complaints],
        )
    return audit


@pytest.fixture
def confirmed(audit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan_confirm(actor=SYSTEM, audit=audit)
    audit.refresh_from_db()
    return audit


# -- The content --------------------------------------------------------------------------------


def test_it_renders_client_dates_sites_team_slots_and_clauses(cast, audit):
    content = plan_pdf_render(audit=audit)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for expected in [
        "Audit plan",
        "Nordkontakt AB",
        settings.CERTIFICATION_BODY_NAME,
        "ISO 18295-1:2017",
        "Stage 2",
        "Confirm the customer service system works as intended.",
        "Customer service by phone and chat.",
        "Swedish",
        format_date(MON),
        format_date(WED),
        "Stockholm",
        "Göteborg",
        "Malmö",
        "Lena Lindqvist",
        "Örjan Åberg",
        "Lead auditor",
        "08:00–12:00",
        "Leadership in Göteborg",
        "Complaints handling in Malmö",
        "4.1, 4.2",
        "Confidentiality",
        "Page 1 of",
    ]:
        assert expected in text, expected
    # The audit-time justification from the calculation is in the plan, line by line.
    assert audit.time_calculation["justification"][0].split(" ->")[0] in text


def test_it_keeps_markup_in_user_text_as_text(cast, audit):
    slot = audit.days.get(date=MON).slots.get(start=t("08:00"))
    slot.activity = "R&D <b>floor</b> visit"
    slot.save()
    text = pdf_text(plan_pdf_render(audit=audit))
    assert "R&D <b>floor</b> visit" in text


def test_it_adds_the_plan_justification_when_there_is_one(cast, audit):
    audit.plan_justification = "Malmö's records are kept centrally."
    audit.save()
    assert "Malmö's records are kept centrally." in pdf_text(plan_pdf_render(audit=audit))


def test_it_reads_the_plan_in_a_fixed_number_of_queries(cast, audit, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        plan_pdf_render(audit=audit)
    day = audit.days.get(date=MON)
    for hour in range(18, 22):
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(hour),
            end=datetime.time(hour, 30),
            member=audit.team.get(role=TeamRole.LEAD_AUDITOR),
            activity="Evening shift",
            clauses=list(cast.standard.clauses.filter(auditable=True)),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        plan_pdf_render(audit=audit)


# -- Stored and e-mailed on confirmation --------------------------------------------------------


def test_it_stores_the_plan_and_emails_it_once_on_confirmation(cast, confirmed):
    document = AuditDocument.objects.get()
    assert document.audit == confirmed
    assert document.kind == DocumentKind.PLAN
    assert document.template_version == PLAN_TEMPLATE_VERSION
    assert re.fullmatch(r"[0-9a-f]{64}", document.data_digest)
    assert re.fullmatch(rf"documents/audits/{confirmed.pk}/plan-\d{{8}}T\d{{12}}\w*\.pdf", document.file.name)
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert document.size == len(stored)
    assert "Leadership in Stockholm" in pdf_text(stored)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.org_a.contact_email]
    assert "Nordkontakt AB" in message.subject
    assert "\n" not in message.subject
    assert f"{settings.SITE_URL}/audits/{confirmed.pk}/" in message.body
    assert f"{format_date(MON)} – {format_date(WED)}" in message.body
    assert "Göteborg (Göteborg)" in message.body
    [(filename, attached, mimetype)] = message.attachments
    assert filename == f"plan-nordkontakt-ab-{confirmed.pk}.pdf"
    assert mimetype == "application/pdf"
    assert attached == stored


def test_it_stores_and_sends_nothing_new_when_the_task_runs_again(cast, confirmed):
    assert generate_plan_pdf.delay(confirmed.pk).get() is False
    assert AuditDocument.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_makes_and_sends_a_new_pdf_when_the_plan_changed(
    cast, confirmed, login, django_capture_on_commit_callbacks
):
    first = AuditDocument.objects.get()
    audit_update(actor=SYSTEM, audit=confirmed, scope="Customer service by phone, chat and e-mail.")
    # The e-mail is queued with the new PDF and sent once that commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert generate_plan_pdf.delay(confirmed.pk).get() is True
    assert AuditDocument.objects.count() == 2
    assert len(mail.outbox) == 2
    latest = AuditDocument.objects.exclude(pk=first.pk).get()
    assert latest.data_digest != first.data_digest
    # The download serves the newer plan; the older file stays as the record of what was sent.
    body = download(login(cast.client).get(f"/audits/{confirmed.pk}/plan.pdf"))
    assert "phone, chat and e-mail" in pdf_text(body)
    assert default_storage.exists(first.file.name)


def test_it_keeps_special_characters_in_the_email_as_typed(cast, audit, django_capture_on_commit_callbacks):
    cast.org_a.legal_name = "Nord & Kontakt AB"
    cast.org_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        plan_confirm(actor=SYSTEM, audit=audit)
    assert "Nord & Kontakt AB" in mail.outbox[0].subject
    assert "Nord & Kontakt AB" in mail.outbox[0].body


def test_it_stores_the_plan_but_emails_nobody_without_a_contact_email(
    cast, audit, caplog, django_capture_on_commit_callbacks
):
    cast.org_a.contact_email = ""
    cast.org_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        plan_confirm(actor=SYSTEM, audit=audit)
    assert AuditDocument.objects.count() == 1
    assert mail.outbox == []
    assert "has no contact e-mail" in caplog.text


def test_it_refuses_a_pdf_of_an_unconfirmed_plan(cast, audit):
    with pytest.raises(ConflictError, match="once the plan is confirmed"):
        plan_document_create(audit=audit)
    assert AuditDocument.objects.count() == 0


def test_it_does_nothing_for_an_audit_cancelled_since_confirmation(cast, confirmed):
    AuditDocument.objects.all().delete()
    Audit.objects.filter(pk=confirmed.pk).update(status=AuditStatus.CANCELLED)
    assert generate_plan_pdf.delay(confirmed.pk).get() is False
    assert generate_plan_pdf.delay(confirmed.pk + 1000).get() is False
    assert AuditDocument.objects.count() == 0
    assert len(mail.outbox) == 1  # only the one sent on confirmation


# -- Download -----------------------------------------------------------------------------------


def test_it_answers_each_cast_user_as_decided(cast, confirmed, login):
    url = f"/audits/{confirmed.pk}/plan.pdf"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(None).get(url).url.startswith("/login/")


def test_it_serves_the_stored_pdf_as_an_attachment(cast, confirmed, login):
    response = login(cast.client).get(f"/audits/{confirmed.pk}/plan.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="plan-nordkontakt-ab-{confirmed.pk}.pdf"'
    with AuditDocument.objects.get().file.open("rb") as handle:
        assert download(response) == handle.read()


def test_it_refuses_other_methods(cast, confirmed, login):
    assert login(cast.staff).post(f"/audits/{confirmed.pk}/plan.pdf").status_code == 405


def test_it_says_why_there_is_no_pdf_before_confirmation(cast, audit, login):
    response = login(cast.staff).get(f"/audits/{audit.pk}/plan.pdf")
    assert response.status_code == 404
    assert "made when the plan is confirmed" in response.content.decode()


def test_it_says_the_pdf_is_not_ready_when_a_confirmed_plan_has_none_yet(cast, confirmed, login):
    AuditDocument.objects.all().delete()
    response = login(cast.client).get(f"/audits/{confirmed.pk}/plan.pdf")
    assert response.status_code == 404
    assert "not ready yet" in response.content.decode()


def test_it_answers_404_not_500_when_the_stored_file_is_gone(cast, confirmed, login):
    default_storage.delete(AuditDocument.objects.get().file.name)
    response = login(cast.staff).get(f"/audits/{confirmed.pk}/plan.pdf")
    assert response.status_code == 404
    assert "missing from storage" in response.content.decode()


def test_it_answers_404_for_an_unknown_audit(cast, login):
    assert login(cast.staff).get("/audits/999999/plan.pdf").status_code == 404


# -- API ----------------------------------------------------------------------------------------


def test_it_answers_each_cast_user_over_the_api_as_decided(cast, confirmed, api):
    url = f"/api/v1/audits/{confirmed.pk}/plan.pdf/"
    got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [401, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))


def test_it_serves_the_pdf_over_the_api_to_a_client_asking_for_pdf(cast, confirmed, api):
    response = api(cast.client).get(f"/api/v1/audits/{confirmed.pk}/plan.pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert download(response).startswith(b"%PDF")


@pytest.mark.parametrize("accept", ["application/json", "application/pdf"])
def test_it_answers_the_api_with_a_json_404_before_confirmation(accept, cast, audit, api):
    response = api(cast.staff).get(f"/api/v1/audits/{audit.pk}/plan.pdf/", HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "made when the plan is confirmed" in response.json()["detail"]


def test_it_refuses_other_methods_over_the_api(cast, confirmed, api):
    assert api(cast.staff).post(f"/api/v1/audits/{confirmed.pk}/plan.pdf/").status_code == 405
