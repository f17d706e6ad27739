"""Closing an audit (lead only), the nonconformities it raises, and the audit report PDF."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.roles import AUDITORS, role_group
from audits.models import (
    Audit,
    AuditDocument,
    AuditStatus,
    AuditType,
    DocumentKind,
    Recommendation,
    TeamRole,
)
from audits.numbering import next_number
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_confirm,
    plan_day_add,
    plan_slot_add,
    team_member_add,
)
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from findings.models import (
    Grade,
    Nonconformity,
    NonconformityEvent,
    NonconformityStatus,
    Visibility,
)
from findings.services import finding_create, finding_remove, finding_update
from reports.documents import REPORT_TEMPLATE_VERSION, report_document_create, report_pdf_render
from reports.models import SystemStatement
from reports.services import audit_close
from reports.tasks import generate_report_pdf
from tests.conftest import CAST_NAMES, download, pdf_text
from tests.factories import CompetenceFactory, UserFactory, attach, closing_body, closing_form, closing_report

TODAY = datetime.date(2026, 11, 27)
MON, TUE, WED = (datetime.date(2027, 2, day) for day in (1, 2, 3))


def flat(response) -> str:
    return words(response.content.decode())


def words(text: str) -> str:
    """Text with every run of whitespace as one space: table cells in a PDF wrap anywhere."""
    return re.sub(r"\s+", " ", text)


def close(audit, user, recommendation=Recommendation.CERTIFY_AFTER_MAJORS, **data):
    return audit_close(
        audit=audit, user=user, recommendation=recommendation, **{**closing_report(audit), **data}
    )


@pytest.fixture
def orjan(cast):
    """An auditor on the audit's team who is not its lead."""
    orjan = UserFactory(username="orjan", first_name="Örjan", last_name="Åberg")
    orjan.groups.add(role_group(AUDITORS))
    CompetenceFactory(user=orjan, standard=cast.standard, role=TeamRole.AUDITOR)
    return orjan


@pytest.fixture
def audit(cast, programme, orjan, django_capture_on_commit_callbacks):
    """Nordkontakt's stage 2, planned over three days (4.1 and 4.2 at every site) and confirmed."""
    cast.lead.first_name, cast.lead.last_name = "Lena", "Lindqvist"
    cast.lead.save()
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    audit_update(
        actor=SYSTEM,
        audit=audit,
        start_date=MON,
        end_date=WED,
        objectives="Confirm the customer service system works as intended.",
        scope="Customer service by phone and chat.",
    )
    lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    member = team_member_add(actor=SYSTEM, audit=audit, user=orjan, role=TeamRole.AUDITOR, today=TODAY)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=7)  # 3.0 days = 24 hours, all three sites
    clauses = list(cast.standard.clauses.filter(auditable=True).order_by("number"))
    for date, name in ((MON, "Stockholm"), (TUE, "Göteborg"), (WED, "Malmö")):
        day = plan_day_add(actor=SYSTEM, audit=audit, date=date, site=cast.org_a.sites.get(name=name))
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(8),
            end=datetime.time(12),
            member=lead,
            activity="Leadership",
            clauses=clauses,
        )
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=datetime.time(13),
            end=datetime.time(17),
            member=member,
            activity="Complaints",
            clauses=clauses,
        )
    with django_capture_on_commit_callbacks(execute=True):
        plan_confirm(actor=SYSTEM, audit=audit)
    audit.refresh_from_db()
    return audit


def record(audit, user, number, site, grade, statement="", **data):
    clause = audit.standards.get().clauses.get(number=number)
    site = audit.organization.sites.get(name=site) if site else None
    return finding_create(
        audit=audit, user=user, clause=clause, site=site, grade=grade, statement=statement, **data
    )


@pytest.fixture
def findings(cast, audit):
    """4.1 at Stockholm (minor, with a shared photo and a team-only one), Göteborg (major), 4.1 OFI.

    Nothing on 4.2 and nothing at Malmö, so both are deviations from the plan.
    """
    minor = record(
        audit,
        cast.lead,
        "4.1",
        "Stockholm",
        Grade.MINOR,
        "Complaint log missing two weeks.",
        evidence="Complaint log for March reviewed.",
        interviewee_role="Team leader",
    )
    attach(minor, "complaint-log.jpg", "Page 3 of the log")
    attach(minor, "agent-screen.jpg", "Customer's name visible", visibility=Visibility.TEAM)
    major = record(audit, cast.lead, "4.1", "Göteborg", Grade.MAJOR, "No complaints process at all.")
    ofi = record(audit, cast.lead, "4.1", "Göteborg", Grade.OFI, "Response templates could be shared.")
    return {"minor": minor, "major": major, "ofi": ofi}


@pytest.fixture
def closed(cast, audit, findings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        close(
            audit,
            cast.lead,
            conclusion="The system is largely effective.",
            plan_deviations="Malmö was closed for a strike; visited by phone.",
        )
    audit.refresh_from_db()
    return audit


# -- Closing ------------------------------------------------------------------------------------


def test_it_closes_the_audit_and_raises_numbered_nonconformities(cast, audit, findings):
    scheme = cast.standard.scheme
    scheme.nc_response_days, scheme.major_nc_close_days = 14, 60
    scheme.save()
    closed = close(audit, cast.lead, conclusion="  Largely effective.  ", plan_deviations="Malmö by phone.")

    audit.refresh_from_db()
    assert audit.status == AuditStatus.CLOSED
    assert audit.closed_by == cast.lead
    assert audit.closed_at is not None
    assert audit.report_issued
    assert audit.recommendation == Recommendation.CERTIFY_AFTER_MAJORS
    assert audit.conclusion == "Largely effective."
    assert audit.plan_deviations == "Malmö by phone."
    assert closed.pk == audit.pk

    closed_on = timezone.localdate(audit.closed_at)
    year = closed_on.year
    # Numbered in report order: clause, then site (Göteborg before Stockholm); the OFI raises none.
    rows = list(Nonconformity.objects.order_by("number").values_list("number", "finding", "grade", "audit"))
    assert rows == [
        (f"NC-{year}-0001", findings["major"].pk, Grade.MAJOR, audit.pk),
        (f"NC-{year}-0002", findings["minor"].pk, Grade.MINOR, audit.pk),
    ]
    major = Nonconformity.objects.get(grade=Grade.MAJOR)
    minor = Nonconformity.objects.get(grade=Grade.MINOR)
    assert major.status == minor.status == NonconformityStatus.AWAITING_RESPONSE
    assert major.response_due == minor.response_due == closed_on + datetime.timedelta(days=14)
    assert major.close_due == closed_on + datetime.timedelta(days=60)
    assert minor.close_due is None  # a minor's plan is verified at the next audit


def test_it_continues_the_number_series_of_the_year(cast, audit, findings):
    year = timezone.localdate().year
    assert next_number(series="NC", year=year) == f"NC-{year}-0001"
    close(audit, cast.lead)
    assert sorted(Nonconformity.objects.values_list("number", flat=True)) == [
        f"NC-{year}-0002",
        f"NC-{year}-0003",
    ]


def test_it_leaves_out_removed_findings(cast, audit, findings):
    finding_remove(finding=findings["major"], user=cast.lead, version=findings["major"].version)
    # With the major removed, certification may be recommended.
    close(audit, cast.lead, Recommendation.CERTIFY)
    assert list(Nonconformity.objects.values_list("finding", flat=True)) == [findings["minor"].pk]


def test_it_closes_an_audit_without_findings(cast, audit):
    close(audit, cast.lead, Recommendation.CERTIFY)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CLOSED
    assert not Nonconformity.objects.exists()


@pytest.mark.parametrize("name", ["orjan", "staff", "client", "auditor"])
def test_it_lets_only_the_lead_close(name, cast, audit, findings, orjan):
    user = orjan if name == "orjan" else cast.user(name)
    with pytest.raises(PermissionDenied):
        close(audit, user)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS
    assert not Nonconformity.objects.exists()


def test_it_refuses_closing_twice(cast, closed):
    with pytest.raises(ConflictError, match="already closed"):
        close(closed, cast.lead)
    assert Nonconformity.objects.count() == 2


def test_it_refuses_closing_a_planned_audit(cast, programme):
    planned = programme.audits.get(audit_type=AuditType.STAGE1)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    team_member_add(actor=SYSTEM, audit=planned, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    with pytest.raises(ConflictError, match="plan must be confirmed"):
        close(planned, cast.lead)
    planned.refresh_from_db()
    assert planned.status == AuditStatus.PLANNED


def test_it_refuses_closing_a_cancelled_audit(cast, audit):
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CANCELLED)
    with pytest.raises(ConflictError, match="cancelled"):
        close(audit, cast.lead)


def test_it_refuses_to_recommend_certification_with_an_open_major(cast, audit, findings):
    with pytest.raises(DomainError, match="A major nonconformity was found") as refused:
        close(audit, cast.lead, Recommendation.CERTIFY)
    assert refused.value.field == "recommendation"
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS
    assert audit.recommendation == ""
    assert not Nonconformity.objects.exists()


def test_it_refuses_an_unknown_recommendation(cast, audit):
    with pytest.raises(DomainError, match="Choose the team's recommendation") as refused:
        close(audit, cast.lead, "certify_twice")
    assert refused.value.field == "recommendation"


def test_it_locks_the_findings_once_closed(cast, closed, findings):
    with pytest.raises(ConflictError, match="closed"):
        record(closed, cast.lead, "4.2", "Malmö", Grade.CONFORMING)
    minor = findings["minor"]
    with pytest.raises(ConflictError, match="closed"):
        finding_update(finding=minor, user=cast.lead, version=minor.version, statement="Changed later.")
    minor.refresh_from_db()
    assert minor.statement == "Complaint log missing two weeks."


# -- The report ---------------------------------------------------------------------------------


def test_it_stores_the_report_when_the_audit_is_closed(cast, closed):
    document = AuditDocument.objects.get(kind=DocumentKind.REPORT)
    assert document.audit == closed
    assert document.template_version == REPORT_TEMPLATE_VERSION
    assert re.fullmatch(r"[0-9a-f]{64}", document.data_digest)
    assert re.fullmatch(rf"documents/audits/{closed.pk}/report-\d{{8}}T\d{{12}}\w*\.pdf", document.file.name)
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert document.size == len(stored)
    assert "Audit report" in pdf_text(stored)


def test_it_writes_the_report_contents(cast, closed):
    text = pdf_text(report_pdf_render(audit=closed))
    year = timezone.localdate(closed.closed_at).year
    for expected in [
        "Audit report",
        "Nordkontakt AB",
        "Stage 2",
        "Confirm the customer service system works as intended.",
        "Customer service by phone and chat.",
        "ISO 18295-1:2017",
        "Lena Lindqvist",
        "Örjan Åberg",
        "Lead auditor",
        "Stockholm",
        "Göteborg",
        # Findings by clause, grades in words, statements and evidence.
        "4.1 General",
        "Minor nonconformity",
        "Major nonconformity",
        "Opportunity for improvement",
        "Complaint log missing two weeks.",
        "No complaints process at all.",
        "Complaint log for March reviewed.",
        "Team leader",
        "complaint-log.jpg – Page 3 of the log",
        "1 further file is kept by the audit team.",
        # The nonconformities with their numbers.
        f"NC-{year}-0001",
        f"NC-{year}-0002",
        "At the next audit",
        # Conclusions and recommendation.
        "The system is largely effective.",
        "Certify once the major nonconformities are closed",
        # Deviations: as recorded, and found from the plan.
        "Deviations from the plan",
        "Malmö was closed for a strike; visited by phone.",
        "Clause 4.2 Communication was planned but has no finding.",
        "Site Malmö is in the sample but has no finding.",
        "Follow-up of earlier nonconformities",
    ]:
        assert expected in text, expected
    # The audit-time justification from the calculation is in the report.
    assert closed.time_calculation["justification"][0].split(" ->")[0] in text
    # Files kept for the team are counted, never named, in the client's report.
    assert "agent-screen.jpg" not in text
    assert "Customer's name visible" not in text


def test_it_says_none_when_there_is_nothing_to_follow_up(cast, closed):
    text = pdf_text(report_pdf_render(audit=closed))
    follow_up = text.split("Follow-up of earlier nonconformities", 1)[1]
    assert follow_up.split()[0] == "None"


def test_it_follows_up_the_nonconformities_of_earlier_audits(
    cast, programme, audit, django_capture_on_commit_callbacks
):
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    team_member_add(actor=SYSTEM, audit=stage1, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    # Planning stage 1 is not what this test is about.
    Audit.objects.filter(pk=stage1.pk).update(status=AuditStatus.CONFIRMED)
    record(stage1, cast.lead, "4.2", None, Grade.MINOR, "No agreed metrics with the client.")
    close(stage1, cast.lead)
    earlier = Nonconformity.objects.get()

    close(audit, cast.lead, Recommendation.CERTIFY)
    text = words(pdf_text(report_pdf_render(audit=audit)))
    follow_up = text.split("Follow-up of earlier nonconformities", 1)[1]
    assert earlier.number in follow_up
    assert "Stage 1" in follow_up
    assert "4.2 Communication" in follow_up
    assert "Awaiting the client's answer" in follow_up
    # The earlier audit's report does not follow up the later one's.
    stage1_follow_up = pdf_text(report_pdf_render(audit=stage1)).split("Follow-up of earlier", 1)[1]
    assert "NC-" not in stage1_follow_up


def test_it_keeps_markup_in_user_text_as_text(cast, audit):
    record(audit, cast.lead, "4.2", "Malmö", Grade.OBSERVATION, "R&D <b>floor</b> unattended")
    close(audit, cast.lead, Recommendation.CERTIFY)
    assert "R&D <b>floor</b> unattended" in pdf_text(report_pdf_render(audit=audit))


def test_it_stores_nothing_new_when_the_report_is_made_again(cast, closed):
    assert generate_report_pdf.delay(closed.pk).get() is False
    assert AuditDocument.objects.filter(kind=DocumentKind.REPORT).count() == 1


def test_it_stores_a_new_report_when_its_data_changed(cast, closed):
    first = AuditDocument.objects.get(kind=DocumentKind.REPORT)
    Audit.objects.filter(pk=closed.pk).update(conclusion="Corrected conclusion.")
    assert generate_report_pdf.delay(closed.pk).get() is True
    latest = AuditDocument.objects.filter(kind=DocumentKind.REPORT).exclude(pk=first.pk).get()
    assert latest.data_digest != first.data_digest
    assert default_storage.exists(first.file.name)


def test_it_makes_no_report_of_an_open_audit(cast, audit):
    with pytest.raises(ConflictError, match="once the audit is closed"):
        report_document_create(audit=audit)
    assert generate_report_pdf.delay(audit.pk).get() is False
    assert generate_report_pdf.delay(audit.pk + 1000).get() is False
    assert not AuditDocument.objects.filter(kind=DocumentKind.REPORT).exists()


def test_it_reads_the_report_in_a_fixed_number_of_queries(
    cast, programme, audit, findings, django_assert_num_queries
):
    close(audit, cast.lead)
    with django_assert_num_queries(10):  # 9 before the statements on the system
        report_pdf_render(audit=audit)

    # More of everything: findings, evidence, nonconformities, and earlier nonconformities.
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.IN_PROGRESS, closed_at=None)
    # Reopened to record more: drop the first closing's nonconformities and their steps.
    NonconformityEvent.objects.all().delete()
    Nonconformity.objects.all().delete()
    SystemStatement.objects.filter(audit=audit).delete()
    for site in ("Stockholm", "Malmö"):
        for grade in (Grade.MINOR, Grade.MAJOR, Grade.CONFORMING):
            finding = record(audit, cast.lead, "4.2", site, grade, f"{grade} at {site}")
            attach(finding, f"{grade}-{site}.jpg")
            attach(finding, f"{grade}-{site}-team.jpg", visibility=Visibility.TEAM)
    stage1 = programme.audits.get(audit_type=AuditType.STAGE1)
    team_member_add(actor=SYSTEM, audit=stage1, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    Audit.objects.filter(pk=stage1.pk).update(status=AuditStatus.CONFIRMED)
    for grade in (Grade.MINOR, Grade.MAJOR):
        record(stage1, cast.lead, "4.1", None, grade, f"Stage 1 {grade}")
    close(stage1, cast.lead)
    close(audit, cast.lead)
    assert Nonconformity.objects.count() == 8
    with django_assert_num_queries(10):  # 9 before the statements on the system
        report_pdf_render(audit=audit)


# -- Download -----------------------------------------------------------------------------------


def test_it_answers_each_cast_user_as_decided(cast, closed, login):
    url = f"/audits/{closed.pk}/report.pdf"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(None).get(url).url.startswith("/login/")


def test_it_serves_the_stored_report_as_an_attachment(cast, closed, login):
    response = login(cast.client).get(f"/audits/{closed.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="report-nordkontakt-ab-{closed.pk}.pdf"'
    with AuditDocument.objects.get(kind=DocumentKind.REPORT).file.open("rb") as handle:
        assert download(response) == handle.read()


def test_it_says_why_there_is_no_report_before_closing(cast, audit, login):
    for name in ("staff", "lead", "client"):
        response = login(cast.user(name)).get(f"/audits/{audit.pk}/report.pdf")
        assert response.status_code == 404
        assert "made when the lead auditor closes the audit" in response.content.decode()


def test_it_says_the_report_is_not_ready_when_a_closed_audit_has_none_yet(cast, closed, login):
    AuditDocument.objects.filter(kind=DocumentKind.REPORT).delete()
    response = login(cast.client).get(f"/audits/{closed.pk}/report.pdf")
    assert response.status_code == 404
    assert "not ready yet" in response.content.decode()


def test_it_answers_404_not_500_when_the_stored_report_is_gone(cast, closed, login):
    default_storage.delete(AuditDocument.objects.get(kind=DocumentKind.REPORT).file.name)
    response = login(cast.staff).get(f"/audits/{closed.pk}/report.pdf")
    assert response.status_code == 404
    assert "missing from storage" in response.content.decode()


def test_it_refuses_other_methods_on_the_download(cast, closed, login):
    assert login(cast.staff).post(f"/audits/{closed.pk}/report.pdf").status_code == 405


def test_it_answers_404_for_an_unknown_audit(cast, login):
    assert login(cast.staff).get("/audits/999999/report.pdf").status_code == 404


# -- The close page -----------------------------------------------------------------------------


def test_it_gives_each_cast_user_the_decided_answer_on_the_close_page(cast, audit, orjan, login):
    url = f"/audits/{audit.pk}/close/"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 403, 200, 404, 403, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(orjan).get(url).status_code == 403
    assert login(orjan).post(url, {"recommendation": "certify"}).status_code == 403
    assert login(cast.other).post(url, {"recommendation": "certify"}).status_code == 404
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CONFIRMED


def test_it_shows_what_closing_will_raise(cast, audit, findings, login):
    text = flat(login(cast.lead).get(f"/audits/{audit.pk}/close/"))
    assert "Nonconformities to be raised" in text
    assert "Closing raises 2 nonconformities" in text
    assert "No complaints process at all." in text
    assert "Complaint log missing two weeks." in text
    assert "Response templates could be shared." not in text  # the OFI raises none
    assert "A major nonconformity was found" in text
    assert "Clause 4.2 Communication is in the plan but has no finding." in text
    assert "Site Malmö is in the sample but has no finding." in text
    assert 'type="radio" name="recommendation" value="certify_after_majors"' in text


def test_it_shows_the_close_page_in_a_fixed_number_of_queries(
    cast, audit, findings, login, django_assert_max_num_queries, django_assert_num_queries
):
    lead = login(cast.lead)
    url = f"/audits/{audit.pk}/close/"
    with django_assert_max_num_queries(20) as few:
        assert lead.get(url).status_code == 200
    for site in ("Stockholm", "Malmö"):
        for grade in (Grade.MINOR, Grade.MAJOR, Grade.OBSERVATION):
            record(audit, cast.lead, "4.2", site, grade, f"{grade} at {site}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert "Closing raises 6 nonconformities" in flat(lead.get(url))


def test_it_closes_from_the_page_and_goes_back_to_the_audit(
    cast, audit, findings, login, django_capture_on_commit_callbacks
):
    data = {
        **closing_form(audit),
        "recommendation": "certify_after_majors",
        "conclusion": "Largely effective.",
        "plan_deviations": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.lead).post(f"/audits/{audit.pk}/close/", data)
    assert response.status_code == 302
    assert response.url == f"/audits/{audit.pk}/"
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.startswith("Audit closed with 2 nonconformities raised.")
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CLOSED
    assert audit.conclusion == "Largely effective."
    assert Nonconformity.objects.count() == 2
    assert AuditDocument.objects.filter(kind=DocumentKind.REPORT).count() == 1


def test_it_shows_a_refusal_on_the_page_with_the_text_kept(cast, audit, findings, login):
    data = {
        **closing_form(audit),
        "recommendation": "certify",
        "conclusion": "Typed with care.",
        "plan_deviations": "Malmö by phone.",
    }
    response = login(cast.lead).post(f"/audits/{audit.pk}/close/", data)
    assert response.status_code == 400
    text = flat(response)
    assert "recommend certification once the majors are closed" in text
    assert "Typed with care." in text
    assert "Malmö by phone." in text
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS


def test_it_asks_for_a_recommendation(cast, audit, login):
    response = login(cast.lead).post(f"/audits/{audit.pk}/close/", {"recommendation": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice" in flat(response)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CONFIRMED


def test_it_says_a_closed_audit_cannot_be_closed_again(cast, closed, login):
    url = f"/audits/{closed.pk}/close/"
    text = flat(login(cast.lead).get(url))
    assert "The audit is already closed." in text
    assert 'name="recommendation"' not in text
    again = {**closing_form(closed), "recommendation": "do_not_certify", "conclusion": "Again."}
    response = login(cast.lead).post(url, again)
    assert response.status_code == 400
    assert "The audit is already closed." in flat(response)
    closed.refresh_from_db()
    assert closed.recommendation == Recommendation.CERTIFY_AFTER_MAJORS


def test_it_refuses_other_methods_on_the_close_page(cast, audit, login):
    assert login(cast.lead).put(f"/audits/{audit.pk}/close/").status_code == 405


# -- API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [("anonymous", 401), ("staff", 403), ("auditor", 404), ("client", 403), ("other", 404)],
)
def test_it_lets_only_the_lead_close_over_the_api(name, status, cast, audit, findings, api):
    response = api(cast.user(name)).post(
        f"/api/v1/audits/{audit.pk}/close/", {"recommendation": "do_not_certify"}, format="json"
    )
    assert response.status_code == status
    if status == 403:
        assert response.json()["detail"] == "Only the audit's lead auditor may close it."
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS


def test_it_closes_over_the_api(cast, audit, findings, api):
    body = {
        **closing_body(audit),
        "recommendation": "do_not_certify",
        "conclusion": "Not effective.",
        "plan_deviations": "None.",
    }
    response = api(cast.lead).post(f"/api/v1/audits/{audit.pk}/close/", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "closed"
    assert data["recommendation"] == "do_not_certify"
    assert data["closed_by"] == cast.lead.pk
    year = timezone.localdate().year
    assert [(row["number"], row["grade"], row["clause"], row["site"]) for row in data["nonconformities"]] == [
        (f"NC-{year}-0001", "major", "4.1", "Göteborg"),
        (f"NC-{year}-0002", "minor", "4.1", "Stockholm"),
    ]
    assert data["nonconformities"][1]["close_due"] is None
    # A second close is a conflict.
    again = api(cast.lead).post(f"/api/v1/audits/{audit.pk}/close/", body, format="json")
    assert again.status_code == 409
    assert "already closed" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "recommendation"),
        ({"recommendation": "maybe"}, "recommendation"),
        ({"recommendation": "certify"}, "recommendation"),  # refused: there is an open major
    ],
)
def test_it_answers_bad_closing_input_over_the_api_with_400(body, field, cast, audit, findings, api):
    body = {**closing_body(audit), **body}
    response = api(cast.lead).post(f"/api/v1/audits/{audit.pk}/close/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS


def test_it_answers_closing_a_planned_audit_over_the_api_with_409(cast, programme, api):
    planned = programme.audits.get(audit_type=AuditType.STAGE1)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    team_member_add(actor=SYSTEM, audit=planned, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    body = {**closing_body(planned), "recommendation": "certify"}
    response = api(cast.lead).post(f"/api/v1/audits/{planned.pk}/close/", body, format="json")
    assert response.status_code == 409
    assert "plan must be confirmed" in response.json()["detail"]


def test_it_refuses_other_methods_on_close_over_the_api(cast, audit, api):
    assert api(cast.lead).get(f"/api/v1/audits/{audit.pk}/close/").status_code == 405


def test_it_answers_each_cast_user_the_report_over_the_api_as_decided(cast, closed, api):
    url = f"/api/v1/audits/{closed.pk}/report/"
    got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [401, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))


def test_it_serves_the_report_over_the_api_to_a_client_asking_for_pdf(cast, closed, api):
    response = api(cast.client).get(f"/api/v1/audits/{closed.pk}/report/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert download(response).startswith(b"%PDF")


@pytest.mark.parametrize("accept", ["application/json", "application/pdf"])
def test_it_answers_the_api_with_a_json_404_before_closing(accept, cast, audit, api):
    response = api(cast.client).get(f"/api/v1/audits/{audit.pk}/report/", HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "closes the audit" in response.json()["detail"]


def test_it_refuses_other_methods_on_the_report_over_the_api(cast, closed, api):
    assert api(cast.staff).post(f"/api/v1/audits/{closed.pk}/report/").status_code == 405
