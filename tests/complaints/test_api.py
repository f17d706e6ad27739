"""/api/v1/complaints/ and /api/v1/appeals/: the pages' rules over the API."""

from certificates.models import CertificateEvent, CertificateEventKind, CertificateStatus
from certificates.services import certificate_suspend
from complaints.models import Appeal, CaseState, Complaint


def test_a_client_files_a_complaint_and_reads_it_without_the_internal_fields(api, cast):
    response = api(cast.client).post(
        "/api/v1/complaints/", {"subject": "Invoice", "description": "Twice."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("K-") and body["state"] == "received"
    assert body["submitter_email"] is None and body["investigator"] is None
    complaint = Complaint.objects.get()
    assert complaint.source == "portal" and complaint.submitted_by == cast.client
    assert api(cast.other).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    assert (
        api(cast.staff).get(f"/api/v1/complaints/{complaint.pk}/").json()["submitter_email"]
        == complaint.submitter_email
    )


def test_it_refuses_a_step_out_of_turn_with_409_and_a_blank_reason_with_400(api, cast, public_complaint):
    staff = api(cast.staff)
    url = f"/api/v1/complaints/{public_complaint.pk}/"
    assert staff.post(url + "close/", {}, format="json").status_code == 409
    assert staff.post(url + "acknowledge/", {}, format="json").status_code == 200
    assert staff.post(url + "assign/", {"investigator": cast.auditor.pk}, format="json").status_code == 200
    assert (
        staff.post(url + "decide/", {"outcome": "upheld", "reasons": " "}, format="json").status_code == 400
    )
    assert (
        staff.post(url + "decide/", {"outcome": "upheld", "reasons": "Right."}, format="json").status_code
        == 200
    )
    assert staff.post(url + "close/", {}, format="json").json()["state"] == CaseState.CLOSED


def test_an_appeal_over_the_api_reverses_a_suspension_only_through_an_independent_person(
    api, cast, staff2, certificate
):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer.")
    event = CertificateEvent.objects.get(kind=CertificateEventKind.SUSPENDED)
    response = api(cast.client).post(
        "/api/v1/appeals/",
        {"certificate_event": event.pk, "subject": "Answered", "description": "In time."},
        format="json",
    )
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    url = f"/api/v1/appeals/{appeal.pk}/"
    staff = api(cast.staff)
    staff.post(url + "acknowledge/", {}, format="json")
    staff.post(url + "assign/", {"investigator": staff2.pk}, format="json")
    refused = staff.post(url + "decide/", {"outcome": "upheld", "reasons": "In time."}, format="json")
    assert refused.status_code == 400 and "9.7" in str(refused.json())
    independent = api(staff2)
    assert (
        independent.post(
            url + "decide/", {"outcome": "upheld", "reasons": "In time."}, format="json"
        ).status_code
        == 200
    )
    assert independent.post(url + "reinstate/", {"reason": "Answered."}, format="json").status_code == 200
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE


def test_another_client_cannot_name_the_event_it_appeals(api, cast, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer.")
    event = CertificateEvent.objects.get(kind=CertificateEventKind.SUSPENDED)
    response = api(cast.other).post(
        "/api/v1/appeals/", {"certificate_event": event.pk, "subject": "s", "description": "d"}, format="json"
    )
    assert response.status_code == 400
    assert not Appeal.objects.exists()
