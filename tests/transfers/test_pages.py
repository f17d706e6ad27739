"""The staff pages of a transfer, and the reviewer's checklist, through the browser's forms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import page_text
from tests.transfers.conftest import transfer_details
from tests.transfers.test_services import answer_all, png, under_review
from transfers import services
from transfers.models import Transfer, TransferDocument, TransferStatus


def form_details(cast, **changes) -> dict:
    details = transfer_details(**changes)
    data = {
        name: (value.isoformat() if hasattr(value, "isoformat") else value)
        for name, value in details.items()
        if value is not False
    }
    data["standard"] = cast.standard.pk
    data["sites"] = [site.pk for site in cast.org_b.sites.all()]
    return data


def test_it_takes_a_transfer_in_from_the_organisation_then_the_certificate(cast, login):
    client = login(cast.staff)
    start = client.get("/transfers/new/")
    assert start.status_code == 200
    assert "Kundtjänst Norr AB" in page_text(start)
    form = client.get(f"/transfers/new/?organization={cast.org_b.pk}")
    assert "Luleå" in page_text(form)
    assert "Stockholm" not in page_text(form)  # only this client's sites
    response = client.post(f"/transfers/new/?organization={cast.org_b.pk}", form_details(cast))
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/transfers/{transfer.pk}/"
    assert transfer.accredited and transfer.accreditation_recognised
    detail = client.get(response["Location"])
    assert "QS-2025-118" in page_text(detail)
    assert "The certificate is authentic and valid" in page_text(detail)


def test_it_keeps_what_was_typed_when_the_form_is_refused(cast, login):
    client = login(cast.staff)
    data = form_details(cast)
    data["expiry_date"] = data["issue_date"]
    response = client.post(f"/transfers/new/?organization={cast.org_b.pk}", data)
    assert response.status_code == 400
    assert "The expiry date must be after the issue date." in page_text(response)
    assert "Nordic Quality Certification AB" in response.content.decode()
    assert not Transfer.objects.exists()


def test_it_lists_transfers_for_staff_and_the_reviewer_only(cast, login, transfer, competent_lead):
    assert login(cast.staff).get("/transfers/").status_code == 200
    for person in (cast.lead, cast.auditor, cast.client):
        assert login(person).get("/transfers/").status_code == 403
    under_review(transfer, cast.staff, competent_lead)
    listed = login(cast.lead).get("/transfers/")
    assert listed.status_code == 200
    assert "Kundtjänst Norr AB" in page_text(listed)


def test_it_shows_a_transfer_to_staff_and_its_reviewer_and_hides_it_from_others(
    cast, login, transfer, competent_lead
):
    url = f"/transfers/{transfer.pk}/"
    assert login(cast.lead).get(url).status_code == 404
    under_review(transfer, cast.staff, competent_lead)
    assert login(cast.staff).get(url).status_code == 200
    assert login(cast.lead).get(url).status_code == 200
    for person in (cast.auditor, cast.client, cast.other):
        assert login(person).get(url).status_code == 404


def test_it_walks_a_transfer_from_draft_to_our_certificate(cast, login, transfer, competent_lead):
    staff = login(cast.staff)
    url = f"/transfers/{transfer.pk}/"
    staff.post(f"{url}reviewer/", {"reviewer-reviewer": competent_lead.pk})
    upload = staff.post(f"{url}documents/", {"document-kind": "certificate", "document-file": png()})
    assert upload.status_code == 302
    assert TransferDocument.objects.count() == 1
    document = TransferDocument.objects.get()
    assert staff.get(f"{url}documents/{document.pk}/").status_code == 200
    assert staff.post(f"{url}start-review/").status_code == 302
    reviewer = login(competent_lead)
    assert reviewer.get(f"{url}documents/{document.pk}/").status_code == 200
    for item in transfer.review_items.all():
        answered = reviewer.post(
            f"{url}review/{item.pk}/",
            {f"item-{item.pk}-answer": "confirmed", f"item-{item.pk}-note": "Seen."},
        )
        assert answered.status_code == 302
    assert reviewer.post(f"{url}complete-review/").status_code == 302
    assert Transfer.objects.get().status == TransferStatus.READY
    staff = login(cast.staff)
    decided = staff.post(
        f"{url}decision/", {"decision-outcome": "accept", "decision-rationale": "Review satisfactory."}
    )
    assert decided.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.status == TransferStatus.ISSUED
    assert transfer.certificate.number in page_text(staff.get(url))


def test_it_shows_why_a_step_is_refused(cast, login, transfer, competent_lead):
    staff = login(cast.staff)
    url = f"/transfers/{transfer.pk}/"
    refused = staff.post(f"{url}start-review/")
    assert refused.status_code == 409
    assert "Choose the reviewer first." in page_text(refused)
    chosen = staff.post(f"{url}reviewer/", {"reviewer-reviewer": cast.auditor.pk})
    assert chosen.status_code == 400  # not offered: no competence
    under_review(transfer, cast.staff, competent_lead)
    reviewer = login(competent_lead)
    incomplete = reviewer.post(f"{url}complete-review/")
    assert incomplete.status_code == 409
    assert "The pre-transfer review is not complete" in page_text(incomplete)
    item = transfer.review_items.first()
    no_note = reviewer.post(f"{url}review/{item.pk}/", {f"item-{item.pk}-answer": "confirmed"})
    assert no_note.status_code == 400


def test_it_refuses_staff_steps_to_the_reviewer_and_the_review_to_staff(
    cast, login, transfer, competent_lead
):
    under_review(transfer, cast.staff, competent_lead)
    url = f"/transfers/{transfer.pk}/"
    reviewer = login(competent_lead)
    assert reviewer.post(f"{url}start-review/").status_code == 403
    assert (
        reviewer.post(
            f"{url}decision/", {"decision-outcome": "refuse", "decision-rationale": "x"}
        ).status_code
        == 403
    )
    assert reviewer.get(f"{url}edit/").status_code == 403
    item = transfer.review_items.first()
    staff = login(cast.staff)
    answer = {f"item-{item.pk}-answer": "confirmed", f"item-{item.pk}-note": "Seen."}
    assert staff.post(f"{url}review/{item.pk}/", answer).status_code == 403
    assert staff.post(f"{url}complete-review/").status_code == 403


def test_it_records_and_closes_a_nonconformity_of_the_issuing_body(cast, login, transfer):
    staff = login(cast.staff)
    url = f"/transfers/{transfer.pk}/"
    added = staff.post(
        f"{url}nonconformities/", {"nc-reference": "NC 7", "nc-grade": "major", "nc-description": "No log."}
    )
    assert added.status_code == 302
    nc = transfer.nonconformities.get()
    closed = staff.post(
        f"{url}nonconformities/{nc.pk}/close/",
        {
            f"close-{nc.pk}-closed_on": timezone.localdate().isoformat(),
            f"close-{nc.pk}-closure_note": "Log seen.",
        },
    )
    assert closed.status_code == 302
    nc.refresh_from_db()
    assert nc.state == "closed"


def test_it_edits_the_details_and_adds_a_visit(cast, login, transfer):
    staff = login(cast.staff)
    url = f"/transfers/{transfer.pk}/"
    data = form_details(cast, suspended=True)
    del data["standard"]
    assert staff.post(f"{url}edit/", data).status_code == 302
    assert Transfer.objects.get().suspended
    assert staff.post(f"{url}visit/").status_code == 302
    assert Transfer.objects.get().visit is not None


@pytest.mark.parametrize("language", ["en", "sv"])
def test_it_renders_the_review_for_the_reviewer_with_a_form_per_item(
    cast, login, transfer, competent_lead, language
):
    under_review(transfer, cast.staff, competent_lead)
    reviewer = login(competent_lead)
    reviewer.cookies["django_language"] = language
    page = reviewer.get(f"/transfers/{transfer.pk}/")
    assert page.content.decode().count('name="item-') >= 2 * transfer.review_items.count()


def test_it_shows_the_decision_form_and_its_blockers_to_staff(cast, login, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    answer_all(transfer, competent_lead)
    page = login(cast.staff).get(f"/transfers/{transfer.pk}/")
    assert "The review is not completed yet" in page_text(page)
    assert 'name="decision-outcome"' in page.content.decode()


def test_it_lists_transfers_in_the_same_queries_however_many_there_are(cast, login, transfer):
    client = login(cast.staff)
    client.get("/transfers/")  # the session and the role, read once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/transfers/").status_code == 200
        return len(captured)

    one = queries()
    for number in range(3):
        services.transfer_create(
            user=cast.staff,
            organization=cast.org_b,
            standard=cast.standard,
            sites=list(cast.org_b.sites.all()),
            **transfer_details(certificate_number=f"QS-{number}"),
        )
    assert queries() == one
