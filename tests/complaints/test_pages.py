"""The complaint and appeal pages: the public form, the portal, staff's list, case page and steps."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from certificates.models import CertificateEvent, CertificateEventKind, CertificateStatus
from certificates.services import certificate_suspend
from complaints.models import Appeal, CaseState, Complaint
from complaints.services import case_report_progress, complaint_file
from tests.conftest import page_text

FORM = "/complaint/"


def public_data(**changes):
    return {
        "submitter_name": "Eva Ek",
        "submitter_email": "eva@example.se",
        "subject": "Rude auditor",
        "description": "The auditor was rude to our agents.",
        **changes,
    }


def test_it_takes_a_public_complaint_without_log_in_and_shows_the_receipt_number(
    client, cast, django_capture_on_commit_callbacks
):
    assert client.get(FORM).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, public_data())
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == "public" and complaint.submitted_by is None
    page = client.get(response["Location"])
    assert complaint.number in page_text(page)
    (message,) = mail.outbox
    assert message.to == ["eva@example.se"] and complaint.number in message.subject


def test_it_files_the_public_complaint_in_the_language_of_the_page(client, cast):
    client.post(FORM, public_data(), HTTP_ACCEPT_LANGUAGE="sv")
    assert Complaint.objects.get().submitter_language == "sv"


def test_it_keeps_what_was_typed_when_the_public_form_is_refused(client, cast):
    response = client.post(FORM, public_data(submitter_email="not an address"))
    assert response.status_code == 400
    assert "The auditor was rude to our agents." in response.content.decode()
    assert not Complaint.objects.exists()


def test_it_files_nothing_for_a_robot_filling_the_hidden_field(client, cast):
    response = client.post(FORM, public_data(website="http://spam.example"))
    assert response.status_code == 302
    assert not Complaint.objects.exists()


def test_it_rate_limits_the_public_form(client, cast, settings):
    settings.PUBLIC_RATE_LIMIT = 3
    statuses = [client.get(FORM).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_it_refuses_a_forged_receipt(client, cast):
    assert client.get("/complaint/received/K-2026-0001/").status_code == 404


def test_a_client_files_a_complaint_and_sees_only_its_organisations_cases(login, cast):
    client = login(cast.client)
    response = client.post("/complaints/new/", {"subject": "Invoice", "description": "Twice invoiced."})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.number in page_text(client.get("/complaints/"))
    assert login(cast.other).get(f"/complaints/{complaint.pk}/").status_code == 404
    assert complaint.number not in page_text(login(cast.other).get("/complaints/"))
    assert login(cast.auditor).get(f"/complaints/{complaint.pk}/").status_code == 404


def test_the_submitter_reads_only_the_entries_meant_for_them(login, cast, investigating):
    case_report_progress(user=cast.staff, case=investigating, text="Internal: call the lead.")
    case_report_progress(
        user=cast.staff, case=investigating, text="We are checking.", visible_to_submitter=True
    )
    Complaint.objects.filter(pk=investigating.pk).update(submitted_by=cast.client)
    text = page_text(login(cast.client).get(f"/complaints/{investigating.pk}/"))
    assert "We are checking." in text
    assert "call the lead" not in text
    assert "decide/" not in client_page_html(login(cast.client), investigating)  # no staff forms


def test_an_assigned_auditor_sees_and_reports_on_the_case(login, cast, investigating):
    client = login(cast.auditor)
    assert client.get(f"/complaints/{investigating.pk}/").status_code == 200
    response = client.post(f"/complaints/{investigating.pk}/progress/", {"progress-text": "Read the report."})
    assert response.status_code == 302
    assert investigating.timeline.filter(text="Read the report.").exists()
    assert (
        client.post(f"/complaints/{investigating.pk}/decide/", {"decide-outcome": "upheld"}).status_code
        == 403
    )


def test_staff_list_the_overdue_cases(login, cast, public_complaint):
    Complaint.objects.filter(pk=public_complaint.pk).update(
        acknowledge_by=timezone.localdate() - datetime.timedelta(days=1)
    )
    client = login(cast.staff)
    assert public_complaint.number in page_text(client.get("/complaints/?show=overdue"))
    Complaint.objects.filter(pk=public_complaint.pk).update(acknowledge_by=timezone.localdate())
    assert public_complaint.number not in page_text(client.get("/complaints/?show=overdue"))


def client_page_html(client, case) -> str:
    return client.get(f"/complaints/{case.pk}/").content.decode()


def test_staff_take_a_complaint_to_closure_on_its_page(
    login, cast, public_complaint, django_capture_on_commit_callbacks
):
    client = login(cast.staff)
    url = f"/complaints/{public_complaint.pk}/"
    assert client.post(url + "acknowledge/", {"acknowledge-text": ""}).status_code == 302
    assert client.post(url + "assign/", {"assign-investigator": cast.auditor.pk}).status_code == 302
    refused = client.post(url + "decide/", {"decide-outcome": "upheld", "decide-reasons": ""})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        decided = client.post(url + "decide/", {"decide-outcome": "upheld", "decide-reasons": "Right."})
    assert decided.status_code == 302
    assert client.post(url + "close/", {"close-text": "Done."}).status_code == 302
    public_complaint.refresh_from_db()
    assert public_complaint.state == CaseState.CLOSED
    assert client.get(url + "letter.pdf").status_code == 200
    # Closed: a second close is refused with the reason on the page.
    response = client.post(url + "close/", {"close-text": ""})
    assert response.status_code == 400 and "closed" in page_text(response)


def test_it_refuses_the_audit_team_as_investigator_on_the_page_with_the_rule(login, cast, closed_audit):
    complaint = Complaint.objects.create(
        number="K-2026-0900",
        submitter_name="A",
        submitter_email="a@b.se",
        subject="s",
        description="d",
        source="staff",
        received_on=timezone.localdate(),
        acknowledge_by=timezone.localdate(),
        answer_by=timezone.localdate(),
        state=CaseState.ACKNOWLEDGED,
        about="client",
        organization=cast.org_a,
        audit=closed_audit,
    )
    response = login(cast.staff).post(
        f"/complaints/{complaint.pk}/assign/", {"assign-investigator": cast.lead.pk}
    )
    assert response.status_code == 400
    assert "ISO/IEC 17021-1 9.8" in page_text(response)


@pytest.fixture
def suspended(cast, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer.")
    return CertificateEvent.objects.get(kind=CertificateEventKind.SUSPENDED)


def test_a_client_appeals_a_suspension_which_an_independent_person_reverses(login, cast, staff2, suspended):
    client = login(cast.client)
    form = client.get("/appeals/new/")
    assert f"event-{suspended.pk}" in form.content.decode()
    response = client.post(
        "/appeals/new/",
        {"against": f"event-{suspended.pk}", "subject": "Answered", "description": "In time."},
    )
    appeal = Appeal.objects.get()
    assert response["Location"] == f"/appeals/{appeal.pk}/"
    assert login(cast.other).get(f"/appeals/{appeal.pk}/").status_code == 404
    staff = login(cast.staff)
    url = f"/appeals/{appeal.pk}/"
    staff.post(url + "acknowledge/", {})
    staff.post(url + "assign/", {"assign-investigator": staff2.pk})
    refused = staff.post(url + "decide/", {"decide-outcome": "upheld", "decide-reasons": "In time."})
    assert refused.status_code == 400 and "ISO/IEC 17021-1 9.7" in page_text(refused)
    independent = login(staff2)
    assert (
        independent.post(
            url + "decide/", {"decide-outcome": "upheld", "decide-reasons": "In time."}
        ).status_code
        == 302
    )
    assert independent.post(url + "reinstate/", {"reinstate-reason": "Answer found."}).status_code == 302
    suspended.certificate.refresh_from_db()
    assert suspended.certificate.status == CertificateStatus.ACTIVE


def test_a_client_cannot_appeal_another_clients_decision(login, cast, suspended):
    response = login(cast.other).post(
        "/appeals/new/", {"against": f"event-{suspended.pk}", "subject": "s", "description": "d"}
    )
    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_auditors_cannot_file_appeals_or_complaints_in_the_portal(login, cast):
    client = login(cast.auditor)
    assert client.get("/appeals/new/").status_code == 403
    assert client.get("/complaints/new/").status_code == 403


def test_it_lists_in_a_constant_number_of_queries(login, cast, django_assert_max_num_queries):
    for index in range(3):
        complaint_file(
            user=None,
            source="public",
            subject=f"s{index}",
            description="d",
            submitter_name="A",
            submitter_email="a@b.se",
        )
    client = login(cast.staff)
    with django_assert_max_num_queries(20) as queries:
        client.get("/complaints/")
    before = len(queries.captured_queries)
    for index in range(5):
        complaint_file(
            user=None,
            source="public",
            subject=f"t{index}",
            description="d",
            submitter_name="A",
            submitter_email="a@b.se",
        )
    with django_assert_max_num_queries(before):
        client.get("/complaints/")
