"""Records retention: the nightly list of organisations due, the refusal while anything is open,
the archive written with its checksum before anything is deleted, the log, access, a double confirm."""

import datetime
import hashlib
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from audits.cycle import add_months
from audits.models import Audit, AuditStatus
from certificates.models import Certificate, CertificateEvent, CertificateEventKind
from certificates.services import certificate_withdraw
from clients.models import Organization
from complaints.models import Appeal, CaseState, Complaint
from complaints.services import appeal_file, complaint_file
from core.actors import SYSTEM
from core.errors import ConflictError
from findings.models import Evidence, Finding, Nonconformity, NonconformityAttachment
from records.models import Disposal, DisposalDue
from records.selectors import disposal_blockers, organizations_due_for_disposal
from records.services import disposals_due_refresh, organization_dispose
from records.tasks import list_disposals_due
from tests.conftest import CAST_NAMES
from tests.factories import attach

LIST_URL = "/records/disposals/"


def confirm_url(organization) -> str:
    return f"/records/disposals/{organization.pk}/"


def withdraw_long_ago(cast, certificate, *, years: int = 7) -> None:
    """Withdraw the certificate, as if years ago, and close what its programme still had planned."""
    certificate_withdraw(certificate=certificate, user=cast.staff, reason="Client left.")
    long_ago = timezone.now() - datetime.timedelta(days=365 * years)
    CertificateEvent.objects.filter(certificate=certificate, kind=CertificateEventKind.WITHDRAWN).update(
        at=long_ago
    )
    Audit.objects.filter(organization=certificate.organization).exclude(status=AuditStatus.CLOSED).update(
        status=AuditStatus.CANCELLED
    )


@pytest.fixture
def due(cast, certificate):
    """Nordkontakt: its certificate withdrawn seven years ago, an evidence file and an NC answer's file."""
    finding = Finding.objects.filter(audit__organization=cast.org_a).first()
    attach(finding, "floor.jpg")
    nonconformity = Nonconformity.objects.filter(audit__organization=cast.org_a).first()
    NonconformityAttachment.objects.create(
        nonconformity=nonconformity,
        purpose="evidence",
        file=ContentFile(b"answer", name="plan.pdf"),
        original_name="plan.pdf",
        content_type="application/pdf",
        size=6,
        sha256=hashlib.sha256(b"answer").hexdigest(),
        uploaded_by=cast.client,
    )
    Organization.objects.filter(pk=cast.org_a.pk).update(
        contact_name="Karin Berg", contact_email="karin@nordkontakt.example", contact_phone="+46 8 123 45"
    )
    withdraw_long_ago(cast, certificate)
    return cast.org_a


def stored_files(organization) -> list:
    files = [e.file for e in Evidence.objects.filter(audit__organization=organization)]
    files += [
        a.file
        for a in NonconformityAttachment.objects.filter(nonconformity__audit__organization=organization)
    ]
    return files


# -- The list ----------------------------------------------------------------------------------------


def test_it_lists_an_organisation_whose_records_are_due(cast, due):
    assert list_disposals_due() == 1
    (row,) = DisposalDue.objects.all()
    assert row.organization == cast.org_a
    # Withdrawn seven years ago, kept six years (the scheme's default) from then.
    withdrawn = CertificateEvent.objects.get(kind=CertificateEventKind.WITHDRAWN).at.date()
    assert row.retention_ended_on == add_months(withdrawn, 6 * 12)


def test_it_lists_nobody_while_a_certificate_is_open(cast, certificate):
    assert disposal_blockers(cast.org_a)[0] == f"Certificate {certificate.number} is active."
    assert organizations_due_for_disposal(today=timezone.localdate()) == []
    assert disposals_due_refresh(actor=SYSTEM, today=timezone.localdate()) == 0


def test_it_keeps_records_for_the_schemes_retention(cast, certificate):
    withdraw_long_ago(cast, certificate, years=7)
    cast.standard.scheme.records_retention_years = 10
    cast.standard.scheme.save()
    assert organizations_due_for_disposal(today=timezone.localdate()) == []


def test_it_keeps_records_while_an_audit_is_open(cast, due):
    Audit.objects.filter(organization=due).update(status=AuditStatus.PLANNED)
    assert organizations_due_for_disposal(today=timezone.localdate()) == []
    assert any("is planned" in blocker for blocker in disposal_blockers(due))


def test_it_keeps_records_while_a_complaint_or_an_appeal_is_open(cast, due, certificate):
    complaint = complaint_file(
        user=cast.staff,
        source="staff",
        subject="Unanswered calls",
        description="Nobody answered after 18:00.",
        submitter_name="Per Holm",
        submitter_email="per@example.se",
        organization=due,
    )
    appeal = appeal_file(
        user=cast.client,
        source="portal",
        subject="Grant",
        description="Malmö.",
        decision=certificate.decision,
    )
    assert disposal_blockers(due) == [
        f"The complaint {complaint.number} is not closed.",
        f"The appeal {appeal.number} is not closed.",
    ]
    assert organizations_due_for_disposal(today=timezone.localdate()) == []
    Complaint.objects.update(state=CaseState.CLOSED)
    Appeal.objects.update(state=CaseState.CLOSED)
    assert disposal_blockers(due) == []


def test_it_drops_an_organisation_from_the_list_once_it_is_no_longer_due(cast, due):
    list_disposals_due()
    Audit.objects.filter(organization=due).update(status=AuditStatus.PLANNED)
    assert list_disposals_due() == 0
    assert not DisposalDue.objects.exists()


def test_it_shows_staff_the_list(cast, due, login):
    list_disposals_due()
    page = login(cast.staff).get(LIST_URL).content.decode()
    assert "Nordkontakt AB" in page
    assert confirm_url(due) in page


def test_it_reads_the_list_in_a_fixed_number_of_queries(cast, certificate, django_assert_max_num_queries):
    from tests.factories import copy_certificate

    withdraw_long_ago(cast, certificate)
    for n in range(5):
        copy_certificate(
            certificate,
            f"CERT-2009-{n:04d}",
            status="expired",
            original_issue_date=datetime.date(2012, 1, 1),
            issue_date=datetime.date(2012, 1, 1),
            expiry_date=datetime.date(2015, 1, 1),
        )
    with django_assert_max_num_queries(5):
        assert len(organizations_due_for_disposal(today=timezone.localdate())) == 1


# -- The disposal -------------------------------------------------------------------------------------


def test_it_refuses_disposal_while_a_certificate_is_open(cast, certificate, settings):
    files = stored_files(cast.org_a)
    with pytest.raises(ConflictError, match=f"Certificate {certificate.number} is active"):
        organization_dispose(user=cast.staff, organization=cast.org_a, today=timezone.localdate())
    assert not Disposal.objects.exists()
    assert not list(Path(settings.RECORDS_ARCHIVE_ROOT).glob("*"))
    assert all(f.storage.exists(f.name) for f in files)


def test_it_refuses_disposal_before_the_retention_ends(cast, certificate):
    withdraw_long_ago(cast, certificate, years=2)
    with pytest.raises(ConflictError, match="not yet due"):
        organization_dispose(user=cast.staff, organization=cast.org_a, today=timezone.localdate())
    assert not Disposal.objects.exists()


def test_it_writes_the_archive_with_its_checksum_before_deleting(cast, due, settings):
    files = stored_files(due)
    assert len(files) == 2 and all(f.storage.exists(f.name) for f in files)
    contents = {f.name: f.storage.open(f.name).read() for f in files}

    disposal = organization_dispose(user=cast.staff, organization=due, today=timezone.localdate())

    archive = Path(disposal.archive_path)
    assert archive.parent == Path(settings.RECORDS_ARCHIVE_ROOT)
    assert disposal.archive_sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    with tarfile.open(archive) as packed:
        names = packed.getnames()
        sums = next(n for n in names if n.endswith("/SHA256SUMS"))
        listed = packed.extractfile(sums).read().decode()
        # The deleted files are in the archive, each with its SHA-256.
        archived = {
            packed.extractfile(n).read() for n in names if "/files/" in n and packed.getmember(n).isfile()
        }
    assert set(contents.values()) <= archived
    for content in contents.values():
        assert hashlib.sha256(content).hexdigest() in listed
    # Then deleted: the files from storage, the personal data from the records.
    assert not any(f.storage.exists(f.name) for f in files)
    due.refresh_from_db()
    assert (due.contact_name, due.contact_email, due.contact_phone) == ("", "", "")
    cast.client.refresh_from_db()
    assert cast.client.email == cast.client.first_name == cast.client.last_name == ""
    assert not cast.client.is_active and not cast.client.has_usable_password()
    assert cast.client.username == f"disposed-{cast.client.pk}"
    # What stays: the certificate (its number is never reused), the other client untouched.
    assert Certificate.objects.filter(organization=due).exists()
    cast.other.refresh_from_db()
    assert cast.other.is_active and cast.other.email


def test_it_logs_what_when_by_whom_and_the_archives_checksum(cast, due):
    list_disposals_due()
    before = timezone.now()
    disposal = organization_dispose(user=cast.staff, organization=due, today=timezone.localdate())
    row = Disposal.objects.get()
    assert row == disposal
    assert row.organization_name == "Nordkontakt AB"
    assert row.disposed_by == cast.staff
    assert row.disposed_at >= before
    assert row.disposed == {
        "client_users": 1,
        "contact_details": 1,
        "evidence_files": 1,
        "thumbnails": 0,
        "nonconformity_files": 1,
    }
    assert len(row.archive_sha256) == 64
    # No longer listed as due; shown in the log.
    assert not DisposalDue.objects.exists()


def test_it_refuses_disposal_to_anyone_but_staff(cast, due):
    from django.core.exceptions import PermissionDenied

    for person in (cast.lead, cast.auditor, cast.client, cast.other):
        with pytest.raises(PermissionDenied):
            organization_dispose(user=person, organization=due, today=timezone.localdate())
    assert not Disposal.objects.exists()


# -- The pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["list", "confirm"])
def test_it_lets_only_staff_see_the_pages(cast, due, login, url):
    got = {}
    for name in CAST_NAMES:
        response = login(cast.user(name)).get(LIST_URL if url == "list" else confirm_url(due))
        got[name] = response.status_code
    assert got == {"anonymous": 302, "staff": 200, "lead": 403, "auditor": 403, "client": 403, "other": 403}


def test_it_refuses_the_confirmation_to_others(cast, due, login):
    for person in (cast.lead, cast.auditor, cast.client, cast.other):
        assert login(person).post(confirm_url(due)).status_code == 403
    assert not Disposal.objects.exists()


def test_it_shows_why_disposal_is_refused(cast, certificate, login):
    client = login(cast.staff)
    page = client.get(confirm_url(cast.org_a)).content.decode()
    assert f"Certificate {certificate.number} is active." in page
    assert "Archive and dispose" not in page
    response = client.post(confirm_url(cast.org_a))
    assert response.status_code == 409
    assert not Disposal.objects.exists()


def test_it_disposes_once_however_often_it_is_confirmed(cast, due, login):
    client = login(cast.staff)
    page = client.get(confirm_url(due)).content.decode()
    assert "Archive and dispose" in page
    token = page.split('name="form_token" value="')[1].split('"')[0]
    first = client.post(confirm_url(due), {"form_token": token})
    assert first.status_code == 302 and first["Location"] == LIST_URL
    # The same form sent again (a double tap), then a fresh one: one disposal, one archive.
    again = client.post(confirm_url(due), {"form_token": token})
    assert again.status_code == 302
    assert client.post(confirm_url(due)).status_code == 302
    disposal = Disposal.objects.get()
    assert len(list(Path(disposal.archive_path).parent.glob("*.tar.gz"))) == 1
    assert "Nordkontakt AB" in client.get(LIST_URL).content.decode()


def test_it_answers_404_for_an_unknown_organisation(cast, login):
    assert login(cast.staff).get("/records/disposals/999999999/").status_code == 404


def test_it_shows_the_list_and_the_log_in_a_fixed_number_of_queries(cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OrganizationFactory

    client = login(cast.staff)
    DisposalDue.objects.create(organization=cast.org_a, retention_ended_on=datetime.date(2020, 1, 1))
    client.get(LIST_URL)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL).status_code == 200
    for n in range(4):
        organization = OrganizationFactory()
        DisposalDue.objects.create(
            organization=organization, retention_ended_on=datetime.date(2020, 1, n + 1)
        )
        disposed = OrganizationFactory()
        Disposal.objects.create(
            organization=disposed,
            organization_name=disposed.legal_name,
            disposed_by=cast.staff,
            archive_path=f"/archive/{n}.tar.gz",
            archive_sha256="0" * 64,
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(LIST_URL)
    assert page.status_code == 200
    assert page.content.decode().count("/records/disposals/") >= 5
    assert len(many.captured_queries) == len(few.captured_queries)
