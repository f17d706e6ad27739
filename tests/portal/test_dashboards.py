"""What is due: each role's home page, its sections, their links, what each person may see of
them, and a query count that does not grow with the number of audits."""

import datetime

import pytest
from django.utils import timezone

from audits.cycle import add_months
from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import programme_create, programme_set_decision, team_member_add
from certificates.models import Certificate
from complaints.models import Complaint
from complaints.services import complaint_file
from core.actors import SYSTEM
from findings.models import Nonconformity, NonconformityStatus
from tests.conftest import page_text
from tests.factories import CompetenceFactory, OrganizationFactory, SiteFactory

TODAY = timezone.localdate


def _section(body: str, anchor: str) -> str:
    """The part of the page from the section's heading to the next heading."""
    return body.split(f'id="{anchor}"')[1].split("<h2")[0]


def _overdue_programme(organization, standard, *, months_ago: int = 13):
    """A programme decided `months_ago` months ago: its first surveillance was due a month ago."""
    programme = programme_create(actor=SYSTEM, organization=organization, standards=[standard])
    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=add_months(TODAY(), -months_ago))
    return programme


@pytest.fixture
def due_world(cast, certificate):
    """Nordkontakt certified (its certificate expiring in 100 days, no recertification dated, the
    minor answered late), Kundtjänst Norr's first surveillance a month overdue, one complaint late."""
    today = TODAY()
    Certificate.objects.filter(pk=certificate.pk).update(expiry_date=today + datetime.timedelta(days=100))
    Nonconformity.objects.update(status=NonconformityStatus.AWAITING_RESPONSE, response_due="2020-01-01")
    late = _overdue_programme(cast.org_b, cast.standard)
    complaint = complaint_file(
        user=cast.staff,
        source="staff",
        subject="No answer to my letter",
        description="Sent in spring.",
        submitter_name="Per Persson",
        submitter_email="per@example.com",
        received_on=today - datetime.timedelta(days=200),
    )
    return {
        "certificate": certificate,
        "late": late.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1),
        "complaint": complaint,
        "nc": Nonconformity.objects.get(),
    }


def test_staff_see_each_section_linked_to_where_it_is_dealt_with(cast, due_world, login):
    body = login(cast.staff).get("/").content.decode()
    late = due_world["late"]
    due = _section(body, "due")
    assert f'href="/audits/{late.pk}/"' in due
    assert "Kundtjänst Norr AB" in due
    assert f'href="/audits/{late.pk}/edit/">no dates: set them' in due
    assert f'href="/audits/{late.pk}/team/">no team: choose it' in due
    surveillances = _section(body, "surveillances")
    assert f'href="/audits/{late.pk}/"' in surveillances
    assert "(1)" in surveillances
    expiring = _section(body, "expiring")
    certificate = due_world["certificate"]
    assert f'href="/certificates/{certificate.pk}/"' in expiring
    assert f'href="/programmes/{certificate.programme_id}/">plan the recertification' in expiring
    assert f'href="/ncrs/{due_world["nc"].pk}/"' in _section(body, "ncrs")
    assert f'href="/complaints/{due_world["complaint"].pk}/"' in _section(body, "complaints")
    assert "No appeal is overdue." in _section(body, "appeals")


def test_a_recertification_with_dates_takes_the_certificate_off_the_list(cast, due_world, login):
    recertification = due_world["certificate"].programme.audits.get(audit_type=AuditType.RECERTIFICATION)
    Audit.objects.filter(pk=recertification.pk).update(start_date=TODAY() + datetime.timedelta(days=30))
    expiring = _section(login(cast.staff).get("/").content.decode(), "expiring")
    assert due_world["certificate"].number not in expiring
    assert "(0)" in expiring


def test_a_surveillance_held_on_time_is_not_overdue_while_its_report_is_written(cast, due_world, login):
    late = due_world["late"]
    held = late.due_date - datetime.timedelta(days=3)
    Audit.objects.filter(pk=late.pk).update(start_date=held, end_date=held, status=AuditStatus.IN_PROGRESS)
    surveillances = _section(login(cast.staff).get("/").content.decode(), "surveillances")
    assert f"/audits/{late.pk}/" not in surveillances


def test_decisions_waiting_link_to_the_decision_page(cast, closed_audit, login):
    decisions = _section(login(cast.staff).get("/").content.decode(), "decisions")
    assert f'href="/audits/{closed_audit.pk}/decision/"' in decisions


def test_a_section_shows_its_first_rows_and_links_to_the_rest(cast, login):
    for _n in range(10):
        organization = OrganizationFactory()
        SiteFactory(organization=organization, is_central_function=True)
        _overdue_programme(organization, cast.standard)
    surveillances = _section(login(cast.staff).get("/").content.decode(), "surveillances")
    assert "(10)" in surveillances
    assert surveillances.count("<li>") == 8
    assert 'href="/audits/">See all 10' in surveillances


@pytest.fixture
def ended_audit(cast, onsite_audit):
    """The lead's stage 2 ended last week and not closed; the other auditor not on its team."""
    week_ago = TODAY() - datetime.timedelta(days=7)
    Audit.objects.filter(pk=onsite_audit.pk).update(start_date=week_ago, end_date=week_ago)
    return onsite_audit


def test_the_lead_sees_closing_duties_linked_to_closing(cast, ended_audit, login):
    closing = _section(login(cast.lead).get("/").content.decode(), "closing")
    assert f'href="/audits/{ended_audit.pk}/close/"' in closing


def test_an_auditor_sees_only_the_audits_they_are_on(cast, ended_audit, login):
    body = login(cast.auditor).get("/").content.decode()
    assert f"/audits/{ended_audit.pk}/" not in body
    assert "No audit of yours is waiting to be closed." in body


def test_the_lead_sees_answers_to_review(cast, open_minor, login):
    Nonconformity.objects.filter(pk=open_minor.pk).update(status=NonconformityStatus.AWAITING_REVIEW)
    answers = _section(login(cast.lead).get("/").content.decode(), "answers")
    assert f'href="/ncrs/{open_minor.pk}/"' in answers
    assert open_minor.number not in login(cast.auditor).get("/").content.decode()


def test_the_lead_sees_their_coming_audits(cast, stage2, login):
    coming = _section(login(cast.lead).get("/").content.decode(), "coming")
    assert f'href="/audits/{stage2.pk}/"' in coming


def test_the_client_sees_its_next_audit_nonconformities_reports_and_certificates(cast, certificate, login):
    programme = certificate.programme
    surveillance = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    closed = programme.audits.get(audit_type=AuditType.STAGE2)
    Nonconformity.objects.update(status=NonconformityStatus.AWAITING_RESPONSE)
    nc = Nonconformity.objects.get()
    body = login(cast.client).get("/").content.decode()
    nxt = _section(body, "next")
    assert "/audits/" in nxt
    assert f'href="/ncrs/{nc.pk}/"' in _section(body, "ncrs")
    assert f'href="/certificates/{certificate.pk}/"' in _section(body, "certificates")
    # The report is listed once its PDF is made (the tests make it in process on commit).
    reports = _section(body, "reports")
    if closed.documents.filter(kind="report").exists():
        assert f'href="/audits/{closed.pk}/report.pdf"' in reports
    assert surveillance.organization_id == cast.org_a.pk


def test_a_client_never_sees_another_organisations_lines(cast, due_world, login):
    body = page_text(login(cast.other).get("/"))
    assert due_world["certificate"].number not in body
    assert due_world["nc"].number not in body
    assert due_world["complaint"].number not in body
    assert "Nordkontakt" not in body


def _many_audits(cast, count: int) -> None:
    """`count` more programmes, each with an overdue surveillance, an NC and a team member."""
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    for _n in range(count):
        organization = OrganizationFactory()
        SiteFactory(organization=organization, is_central_function=True)
        programme = _overdue_programme(organization, cast.standard)
        surveillance = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
        team_member_add(actor=SYSTEM, audit=surveillance, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    Complaint.objects.update(answer_by="2020-01-01")


@pytest.mark.parametrize("role", ["staff", "lead", "client", "other", "auditor"])
def test_each_home_page_asks_at_most_15_queries_however_many_audits(
    cast, due_world, role, login, django_assert_max_num_queries
):
    _many_audits(cast, 12)
    client = login(cast.user(role))
    client.get("/")  # the session and caches warmed
    with django_assert_max_num_queries(15):
        response = client.get("/")
    assert response.status_code == 200
