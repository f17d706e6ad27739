"""The NCR PDF of each nonconformity and the summary of an audit's nonconformities."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from audits.models import Audit, AuditDocument, AuditStatus, AuditType, DocumentKind, TeamRole
from audits.services import team_member_add
from core.actors import SYSTEM
from core.errors import ConflictError
from findings.documents import (
    NC_SUMMARY_TEMPLATE_VERSION,
    NC_TEMPLATE_VERSION,
    nc_data,
    nc_document_create,
    nc_pdf_render,
    nc_summary_data,
    nc_summary_document_create,
    nc_summary_pdf_render,
)
from findings.models import (
    AttachmentPurpose,
    Grade,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityDocument,
)
from findings.ncr import nonconformity_respond, nonconformity_review, nonconformity_verify
from findings.services import finding_create
from findings.tasks import generate_nc_pdf, generate_nc_summary_pdf
from reports.services import audit_close
from tests.conftest import CAST_NAMES, download, pdf_text
from tests.factories import closing_report


def pdf_words(content: bytes) -> str:
    """The PDF's text with every run of whitespace as one space: table cells wrap anywhere."""
    return re.sub(r"\s+", " ", pdf_text(content))


def close(audit, user):
    return audit_close(audit=audit, **closing_report(audit), user=user, recommendation="certify_after_majors")


def answer(nonconformity, user, root_cause="The log was kept on paper during the move."):
    return nonconformity_respond(
        nonconformity=nonconformity,
        user=user,
        correction="The missing weeks were entered from the paper log.",
        root_cause=root_cause,
        corrective_action="The log is kept in the ticket system only.",
        responsible="Kim Berg",
    )


def attach(nonconformity, response, name, purpose=AttachmentPurpose.RESPONSE):
    return NonconformityAttachment.objects.create(
        nonconformity=nonconformity,
        response=response,
        purpose=purpose,
        file=ContentFile(b"%PDF-1.4", name=name),
        original_name=name,
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        uploaded_by=response.submitted_by if response else nonconformity.audit.closed_by,
    )


@pytest.fixture
def closed(cast, onsite_audit):
    """The on-site audit closed with a minor at Stockholm (4.1) and a major not tied to a site (4.2)."""
    for clause, site, grade, statement, evidence in (
        (
            onsite_audit.clause_41,
            onsite_audit.stockholm,
            Grade.MINOR,
            "Complaint log missing two weeks.",
            "March log seen.",
        ),
        (onsite_audit.clause_42, None, Grade.MAJOR, "No complaints process at all.", "Interview"),
    ):
        finding_create(
            audit=onsite_audit,
            user=cast.lead,
            clause=clause,
            site=site,
            grade=grade,
            statement=statement,
            evidence=evidence,
        )
    close(onsite_audit, cast.lead)
    onsite_audit.refresh_from_db()
    return onsite_audit


@pytest.fixture
def minor(closed):
    return Nonconformity.objects.get(audit=closed, grade=Grade.MINOR)


@pytest.fixture
def major(closed):
    return Nonconformity.objects.get(audit=closed, grade=Grade.MAJOR)


@pytest.fixture
def earlier(cast, closed):
    """A nonconformity of another audit of the same client (its stage 1), also closed."""
    stage1 = closed.programme.audits.get(audit_type=AuditType.STAGE1)
    team_member_add(actor=SYSTEM, audit=stage1, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    Audit.objects.filter(pk=stage1.pk).update(status=AuditStatus.CONFIRMED)
    finding_create(
        audit=stage1, user=cast.lead, clause=closed.clause_42, grade=Grade.MINOR, statement="No metrics."
    )
    close(stage1, cast.lead)
    return stage1.nonconformities.get()


def through_the_workflow(cast, nonconformity):
    """Answered, rejected with reasons, answered again with a file, accepted, verified and closed."""
    answer(nonconformity, cast.client, root_cause="Staff were busy.")
    nonconformity_review(
        nonconformity=nonconformity,
        user=cast.lead,
        decision="reject",
        comment="Being busy is not a root cause: why was the log not kept?",
    )
    second = answer(nonconformity, cast.client)
    attach(nonconformity, second, "ticket-system-export.pdf")
    nonconformity_review(
        nonconformity=nonconformity, user=cast.lead, decision="accept", comment="Convincing."
    )
    nonconformity_verify(
        nonconformity=nonconformity, user=cast.lead, comment="Six weeks of the log checked in the system."
    )
    attach(nonconformity, None, "verification-sample.pdf", purpose=AttachmentPurpose.VERIFICATION)


# -- The NCR ------------------------------------------------------------------------------------


def test_it_writes_the_whole_thread_into_the_ncr(cast, closed, minor):
    cast.lead.first_name, cast.lead.last_name = "Lena", "Lindqvist"
    cast.lead.save()
    through_the_workflow(cast, minor)
    text = pdf_words(nc_pdf_render(nonconformity=minor))
    raised = timezone.localdate(minor.created_at)
    for expected in [
        "Nonconformity report",
        minor.number,
        "Nordkontakt AB",
        "Stage 2",
        "ISO 18295-1:2017, Customer contact centres",
        "4.1 General",
        "Stockholm",
        "Minor nonconformity",
        "Complaint log missing two weeks.",
        "March log seen.",
        f"Raised {raised.day} ",
        "At the next audit",
        # Round 1, rejected with the reviewer's reasons.
        "Answer 1",
        "Staff were busy.",
        "Rejected",
        "Being busy is not a root cause: why was the log not kept?",
        "Lena Lindqvist",
        # Round 2, with its file, accepted.
        "Answer 2",
        "The log was kept on paper during the move.",
        "The missing weeks were entered from the paper log.",
        "The log is kept in the ticket system only.",
        "Kim Berg",
        "ticket-system-export.pdf",
        "Accepted",
        "Convincing.",
        # The verification and the status.
        "Desk review",
        "Six weeks of the log checked in the system.",
        "verification-sample.pdf",
        "Status: Closed",
    ]:
        assert expected in text, expected
    assert text.index("Staff were busy.") < text.index("Being busy") < text.index("Answer 2")


def test_it_never_puts_an_internal_note_in_the_ncr(cast, closed, minor):
    InternalNote.objects.create(nonconformity=minor, author=cast.lead, text="The client seemed evasive.")
    answer(minor, cast.client)
    text = pdf_words(nc_pdf_render(nonconformity=minor))
    assert "The log was kept on paper during the move." in text
    assert "evasive" not in text
    assert "evasive" not in str(nc_data(minor))


def test_it_says_what_is_still_missing_from_a_new_ncr(cast, closed, major):
    text = pdf_words(nc_pdf_render(nonconformity=major))
    for expected in [
        major.number,
        "4.2 Communication",
        "Not tied to one site",
        "Major nonconformity",
        "No complaints process at all.",
        "Awaiting the client's answer",
        "No answer yet",
        "Not yet verified.",
    ]:
        assert expected in text, expected
    assert "At the next audit" not in text  # a major has a closing date


def test_it_says_an_answer_awaits_review(cast, closed, minor):
    answer(minor, cast.client)
    assert "Review Awaiting review" in pdf_words(nc_pdf_render(nonconformity=minor))


def test_it_keeps_markup_in_user_text_as_text(cast, closed, minor):
    answer(minor, cast.client, root_cause="R&D <b>floor</b> unattended")
    assert "R&D <b>floor</b> unattended" in pdf_words(nc_pdf_render(nonconformity=minor))


def test_it_reads_the_ncr_in_a_fixed_number_of_queries(cast, closed, minor, django_assert_num_queries):
    with django_assert_num_queries(3):
        nc_data(minor)
    through_the_workflow(cast, minor)
    minor.refresh_from_db()
    for response in minor.responses.all():
        attach(minor, response, f"more-{response.round}.pdf")
    with django_assert_num_queries(3):
        nc_data(minor)


# -- Storing the NCR ----------------------------------------------------------------------------


def test_it_stores_the_ncr_from_the_task(cast, closed, minor):
    assert generate_nc_pdf.delay(minor.pk).get() is True
    document = NonconformityDocument.objects.get()
    assert document.nonconformity == minor
    assert document.template_version == NC_TEMPLATE_VERSION
    assert re.fullmatch(r"[0-9a-f]{64}", document.data_digest)
    assert re.fullmatch(
        rf"documents/nonconformities/{minor.pk}/ncr-\d{{8}}T\d{{12}}\.pdf", document.file.name
    )
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert document.size == len(stored)
    assert minor.number in pdf_words(stored)
    assert str(document).startswith(f"NCR {minor.number} (")


def test_it_stores_nothing_new_when_the_task_runs_again(cast, closed, minor):
    assert generate_nc_pdf.delay(minor.pk).get() is True
    assert generate_nc_pdf.delay(minor.pk).get() is False
    assert NonconformityDocument.objects.count() == 1


def test_it_stores_a_new_ncr_after_each_step_and_keeps_the_old(cast, closed, minor):
    generate_nc_pdf.delay(minor.pk).get()
    first = NonconformityDocument.objects.get()
    answer(minor, cast.client)
    assert generate_nc_pdf.delay(minor.pk).get() is True
    latest = NonconformityDocument.objects.exclude(pk=first.pk).get()
    assert latest.data_digest != first.data_digest
    assert default_storage.exists(first.file.name)
    with latest.file.open("rb") as handle:
        assert "The log was kept on paper during the move." in pdf_words(handle.read())


def test_it_makes_a_new_ncr_when_the_template_changes(cast, closed, minor):
    first = nc_document_create(nonconformity=minor)
    NonconformityDocument.objects.filter(pk=first.pk).update(template_version="ncr-0")
    assert nc_document_create(nonconformity=minor).pk != first.pk


def test_it_does_nothing_for_a_nonconformity_that_is_gone(cast, closed, minor):
    assert generate_nc_pdf.delay(minor.pk + 1000).get() is False
    assert not NonconformityDocument.objects.exists()


# -- The summary --------------------------------------------------------------------------------


def test_it_lists_every_nonconformity_of_the_audit_and_no_other(cast, closed, minor, major, earlier):
    answer(minor, cast.client)
    text = pdf_words(nc_summary_pdf_render(audit=closed))
    for expected in [
        "Nonconformities",
        "Nordkontakt AB",
        "Stage 2",
        minor.number,
        major.number,
        "4.1 General",
        "4.2 Communication",
        "Stockholm",
        "Minor nonconformity",
        "Major nonconformity",
        "Awaiting review",
        "Awaiting the client's answer",
        "At the next audit",
    ]:
        assert expected in text, expected
    assert earlier.number not in text
    assert "No metrics." not in text
    assert minor.number not in pdf_words(nc_summary_pdf_render(audit=earlier.audit))


def test_it_counts_the_nonconformities_by_grade_and_status(cast, closed, minor, earlier):
    answer(minor, cast.client)
    data = nc_summary_data(closed)
    assert [(row["label"], row["count"]) for row in data["by_grade"]] == [
        ("Minor nonconformity", 1),
        ("Major nonconformity", 1),
    ]
    assert [(row["label"], row["count"]) for row in data["by_status"]] == [
        ("Awaiting the client's answer", 1),
        ("Awaiting review", 1),
        ("Accepted", 0),
        ("Closed", 0),
    ]
    text = pdf_words(nc_summary_pdf_render(audit=closed))
    assert "Minor nonconformity 1 Major nonconformity 1 Total 2" in text
    assert "Awaiting review 1 Accepted 0 Closed 0 Total 2" in text


def test_it_says_when_an_audit_raised_no_nonconformity(cast, onsite_audit):
    close(onsite_audit, cast.lead)
    text = pdf_words(nc_summary_pdf_render(audit=onsite_audit))
    assert "None: no nonconformity was raised at this audit." in text
    assert "Total 0" in text


def test_it_reads_the_summary_in_a_fixed_number_of_queries(cast, onsite_audit, django_assert_num_queries):
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CLOSED)
    with django_assert_num_queries(3):
        nc_summary_data(onsite_audit)
    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CONFIRMED)
    for clause in (onsite_audit.clause_41, onsite_audit.clause_42):
        for site in cast.org_a.sites.all():
            finding_create(
                audit=onsite_audit, user=cast.lead, clause=clause, site=site, grade=Grade.MAJOR, statement="x"
            )
    close(onsite_audit, cast.lead)
    assert onsite_audit.nonconformities.count() == 6
    with django_assert_num_queries(3):
        nc_summary_data(onsite_audit)


def test_it_stores_the_summary_from_the_task_once(cast, closed, minor):
    assert generate_nc_summary_pdf.delay(closed.pk).get() is True
    document = AuditDocument.objects.get(kind=DocumentKind.NC_SUMMARY)
    assert document.audit == closed
    assert document.template_version == NC_SUMMARY_TEMPLATE_VERSION
    with document.file.open("rb") as handle:
        assert minor.number in pdf_words(handle.read())
    assert generate_nc_summary_pdf.delay(closed.pk).get() is False
    answer(minor, cast.client)
    assert generate_nc_summary_pdf.delay(closed.pk).get() is True
    assert AuditDocument.objects.filter(kind=DocumentKind.NC_SUMMARY).count() == 2


def test_it_makes_no_summary_of_an_open_audit(cast, onsite_audit):
    with pytest.raises(ConflictError, match="once the audit is closed"):
        nc_summary_document_create(audit=onsite_audit)
    assert generate_nc_summary_pdf.delay(onsite_audit.pk).get() is False
    assert generate_nc_summary_pdf.delay(onsite_audit.pk + 1000).get() is False
    assert not AuditDocument.objects.filter(kind=DocumentKind.NC_SUMMARY).exists()


def test_it_makes_the_ncr_and_the_summary_again_after_each_step(
    cast, closed, minor, major, django_capture_on_commit_callbacks
):
    # The fixture's close ran no commit callbacks: nothing is made yet.
    assert not NonconformityDocument.objects.exists()
    generate_nc_pdf.delay(minor.pk).get()
    generate_nc_summary_pdf.delay(closed.pk).get()
    summary = AuditDocument.objects.get(kind=DocumentKind.NC_SUMMARY)
    with django_capture_on_commit_callbacks(execute=True):
        answer(minor, cast.client)
    assert NonconformityDocument.objects.filter(nonconformity=minor).count() == 2
    latest = AuditDocument.objects.filter(kind=DocumentKind.NC_SUMMARY).exclude(pk=summary.pk).get()
    with latest.file.open("rb") as handle:
        assert "Awaiting review" in pdf_words(handle.read())


# -- Downloading the NCR ------------------------------------------------------------------------


def test_it_answers_each_cast_user_as_decided_for_the_ncr(cast, closed, minor, login):
    url = f"/ncrs/{minor.pk}/pdf/"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(None).get(url).url.startswith("/login/")


def test_it_serves_the_ncr_as_an_attachment(cast, closed, minor, login):
    response = login(cast.client).get(f"/ncrs/{minor.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="NCR-{minor.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # Made on demand, as none was stored yet; a second download stores nothing new.
    document = NonconformityDocument.objects.get()
    with document.file.open("rb") as handle:
        assert download(response) == handle.read()
    login(cast.lead).get(f"/ncrs/{minor.pk}/pdf/")
    assert NonconformityDocument.objects.count() == 1


def test_it_serves_the_stored_ncr_in_the_bodys_language_whoever_asks(cast, closed, minor, login):
    generate_nc_pdf.delay(minor.pk).get()
    response = login(cast.client).get(f"/ncrs/{minor.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 200
    assert NonconformityDocument.objects.count() == 1


def test_it_downloads_what_the_latest_step_changed(cast, closed, minor, login):
    generate_nc_pdf.delay(minor.pk).get()
    answer(minor, cast.client)
    nonconformity_review(nonconformity=minor, user=cast.lead, decision="reject", comment="Dig deeper.")
    text = pdf_words(download(login(cast.client).get(f"/ncrs/{minor.pk}/pdf/")))
    assert "The log was kept on paper during the move." in text
    assert "Dig deeper." in text
    assert NonconformityDocument.objects.count() == 2


def test_it_downloads_the_ncr_in_a_fixed_number_of_queries(
    cast, closed, minor, login, django_assert_num_queries
):
    client = login(cast.client)
    url = f"/ncrs/{minor.pk}/pdf/"
    # Session and user (4), the nonconformity, its lock, its data (3), the latest document, savepoints.
    client.get(url)
    with django_assert_num_queries(12):
        download(client.get(url))
    through_the_workflow(cast, minor)
    client.get(url)
    with django_assert_num_queries(12):
        download(client.get(url))


def test_it_says_why_when_the_stored_ncr_file_is_gone(cast, closed, minor, login):
    document = nc_document_create(nonconformity=minor)
    default_storage.delete(document.file.name)
    response = login(cast.staff).get(f"/ncrs/{minor.pk}/pdf/")
    assert response.status_code == 404
    assert "missing from storage" in response.content.decode()


def test_it_refuses_other_methods_on_the_ncr(cast, closed, minor, login):
    assert login(cast.staff).post(f"/ncrs/{minor.pk}/pdf/").status_code == 405
    assert not NonconformityDocument.objects.exists()


def test_it_answers_404_for_an_unknown_ncr(cast, login):
    assert login(cast.staff).get("/ncrs/999999/pdf/").status_code == 404


# -- Downloading the summary --------------------------------------------------------------------


def test_it_answers_each_cast_user_as_decided_for_the_summary(cast, closed, login):
    url = f"/audits/{closed.pk}/ncrs.pdf"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404], dict(zip(CAST_NAMES, got, strict=True))
    assert login(None).get(url).url.startswith("/login/")


def test_it_serves_the_summary_as_an_attachment(cast, closed, minor, login):
    response = login(cast.client).get(f"/audits/{closed.pk}/ncrs.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="nonconformities-nordkontakt-ab-{closed.pk}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    document = AuditDocument.objects.get(kind=DocumentKind.NC_SUMMARY)
    with document.file.open("rb") as handle:
        assert download(response) == handle.read()
    answer(minor, cast.client)
    assert "Awaiting review" in pdf_words(download(login(cast.lead).get(f"/audits/{closed.pk}/ncrs.pdf")))
    assert AuditDocument.objects.filter(kind=DocumentKind.NC_SUMMARY).count() == 2


def test_it_has_no_summary_of_an_open_audit(cast, onsite_audit, login):
    assert login(cast.staff).get(f"/audits/{onsite_audit.pk}/ncrs.pdf").status_code == 404
    assert not AuditDocument.objects.filter(kind=DocumentKind.NC_SUMMARY).exists()


def test_it_refuses_other_methods_on_the_summary(cast, closed, login):
    assert login(cast.staff).post(f"/audits/{closed.pk}/ncrs.pdf").status_code == 405
