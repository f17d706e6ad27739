"""/api/v1/transfers/: the same rules as the pages, as JSON."""

from tests.transfers.conftest import transfer_details
from tests.transfers.test_services import answer_all, png, ready, under_review
from transfers.models import Transfer, TransferStatus


def body(cast, **changes) -> dict:
    details = {
        name: (value.isoformat() if hasattr(value, "isoformat") else value)
        for name, value in transfer_details(**changes).items()
    }
    return {
        **details,
        "organization": cast.org_b.pk,
        "standard": cast.standard.pk,
        "sites": [site.pk for site in cast.org_b.sites.all()],
    }


def test_it_creates_a_transfer_for_staff_only(cast, api):
    for person in (cast.lead, cast.auditor, cast.client):
        assert api(person).post("/api/v1/transfers/", body(cast), format="json").status_code == 403
    assert api(None).post("/api/v1/transfers/", body(cast), format="json").status_code == 401
    response = api(cast.staff).post("/api/v1/transfers/", body(cast), format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "draft"
    assert len(response.data["review_items"]) == 11


def test_it_refuses_another_clients_site_and_an_unknown_organisation(cast, api):
    wrong = body(cast, sites=None)
    wrong["sites"] = [cast.org_a.sites.first().pk]
    response = api(cast.staff).post("/api/v1/transfers/", wrong, format="json")
    assert response.status_code == 400
    assert "sites" in response.data
    unknown = {**body(cast), "organization": 2**62}
    assert api(cast.staff).post("/api/v1/transfers/", unknown, format="json").status_code == 400


def test_it_lists_for_staff_and_reviewers_and_hides_from_others(cast, api, transfer, competent_lead):
    assert api(cast.staff).get("/api/v1/transfers/").status_code == 200
    assert api(cast.auditor).get("/api/v1/transfers/").status_code == 403
    assert api(cast.client).get("/api/v1/transfers/").status_code == 403
    assert api(cast.client).get(f"/api/v1/transfers/{transfer.pk}/").status_code == 404
    under_review(transfer, cast.staff, competent_lead)
    listed = api(competent_lead).get("/api/v1/transfers/")
    assert [row["id"] for row in listed.data["results"]] == [transfer.pk]


def test_it_refuses_a_suspended_certificate_with_409_and_the_rule(cast, api, transfer, competent_lead):
    staff = api(cast.staff)
    url = f"/api/v1/transfers/{transfer.pk}/"
    assert staff.post(f"{url}reviewer/", {"reviewer": competent_lead.pk}, format="json").status_code == 200
    assert staff.patch(url, {"suspended": True}, format="json").status_code == 200
    refused = staff.post(f"{url}start-review/")
    assert refused.status_code == 409
    assert any("IAF MD 2:2017 2.1" in reason for reason in refused.data["reasons"])


def test_it_refuses_a_reviewer_without_competence_with_400(cast, api, transfer):
    refused = api(cast.staff).post(
        f"/api/v1/transfers/{transfer.pk}/reviewer/", {"reviewer": cast.auditor.pk}, format="json"
    )
    assert refused.status_code == 400
    assert "Competence rule" in refused.data["reviewer"][0]


def test_it_takes_the_review_and_the_decision(cast, api, transfer, competent_lead):
    url = f"/api/v1/transfers/{transfer.pk}/"
    staff = api(cast.staff)
    uploaded = staff.post(f"{url}documents/", {"kind": "certificate", "file": png()}, format="multipart")
    assert uploaded.status_code == 201, uploaded.data
    under_review(transfer, cast.staff, competent_lead)
    reviewer = api(competent_lead)
    item = transfer.review_items.first()
    answered = reviewer.post(
        f"{url}answers/", {"item": item.pk, "answer": "confirmed", "note": "Seen."}, format="json"
    )
    assert answered.status_code == 200
    assert (
        staff.post(
            f"{url}answers/", {"item": item.pk, "answer": "confirmed", "note": "x"}, format="json"
        ).status_code
        == 403
    )
    incomplete = reviewer.post(f"{url}complete-review/")
    assert incomplete.status_code == 409
    answer_all(transfer, competent_lead)
    assert reviewer.post(f"{url}complete-review/").status_code == 200
    assert (
        reviewer.post(f"{url}decision/", {"outcome": "accept", "rationale": "x"}, format="json").status_code
        == 403
    )
    decided = staff.post(
        f"{url}decision/", {"outcome": "accept", "rationale": "Satisfactory."}, format="json"
    )
    assert decided.status_code == 200, decided.data
    assert decided.data["status"] == "issued"
    assert decided.data["certificate_issued"].startswith("CERT-")


def test_it_refuses_the_decision_to_the_reviewer_with_400(cast, api, transfer, other_staff):
    ready(transfer, cast.staff, other_staff)
    refused = api(other_staff).post(
        f"/api/v1/transfers/{transfer.pk}/decision/", {"outcome": "accept", "rationale": "x"}, format="json"
    )
    assert refused.status_code == 400
    assert "9.5.1.2" in refused.data["detail"]
    assert Transfer.objects.get().status == TransferStatus.READY


def test_it_records_and_closes_nonconformities_and_adds_a_visit(cast, api, transfer):
    url = f"/api/v1/transfers/{transfer.pk}/"
    staff = api(cast.staff)
    added = staff.post(
        f"{url}nonconformities/", {"reference": "NC 1", "grade": "major", "description": "x"}, format="json"
    )
    assert added.status_code == 201
    nc = added.data["nonconformities"][0]["id"]
    closed = staff.post(
        f"{url}close-nonconformity/",
        {"nonconformity": nc, "closed_on": "2026-01-05", "closure_note": "Seen."},
        format="json",
    )
    assert closed.status_code == 200
    assert closed.data["nonconformities"][0]["state"] == "closed"
    assert staff.post(f"{url}visit/").status_code == 201
    assert staff.post(f"{url}visit/").status_code == 409


def test_it_refuses_ids_and_dates_out_of_range_with_400(cast, api, transfer, competent_lead):
    staff = api(cast.staff)
    for name in ("standard", "organization"):
        response = staff.post("/api/v1/transfers/", {**body(cast), name: 2**64}, format="json")
        assert response.status_code == 400, (name, response.status_code)
    far = staff.post("/api/v1/transfers/", body(cast, expiry_date="9999-12-31"), format="json")
    assert far.status_code == 201
    ready(transfer, cast.staff, competent_lead)
    early = staff.post(
        f"/api/v1/transfers/{transfer.pk}/decision/",
        {"outcome": "accept", "rationale": "x", "decided_on": "0001-01-01"},
        format="json",
    )
    assert early.status_code == 400
    assert "before the transfer was recorded" in early.data["decided_on"][0]
    far_transfer = Transfer.objects.get(pk=far.data["id"])
    Transfer.objects.filter(pk=far_transfer.pk).update(status=TransferStatus.READY, reviewer=competent_lead)
    answer_all_items = far_transfer.review_items.update(answer="confirmed", note="Seen.")
    assert answer_all_items == 11
    refused = staff.post(
        f"/api/v1/transfers/{far_transfer.pk}/decision/",
        {"outcome": "accept", "rationale": "x"},
        format="json",
    )
    assert refused.status_code == 400, refused.data


def test_it_changes_only_what_a_patch_sends(cast, api, transfer):
    response = api(cast.staff).patch(
        f"/api/v1/transfers/{transfer.pk}/", {"reasons": "Merger."}, format="json"
    )
    assert response.status_code == 200, response.data
    transfer = Transfer.objects.get()
    assert transfer.reasons == "Merger."
    assert transfer.accredited and transfer.accreditation_recognised
    assert transfer.accreditation_body == "Swedac"
