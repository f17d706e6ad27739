"""One cast of users for every access test (see shared/STYLE.md).

- staff:   certification staff; sees and edits every client.
- lead:    lead auditor, on Nordkontakt AB's audit team (granted view on it), nothing else.
- auditor: auditor on no team yet: an outsider to every client.
- client:  client admin of Nordkontakt AB (org_a).
- other:   client admin of Kundtjänst Norr AB (org_b).
- anonymous: not logged in.

Beside the cast: the records most tests start from (onsite_audit, closed_audit, open_minor,
certificate, programme, stage2), and the helpers the app folders share (run_manage, page_text,
fresh, token_client, and reading the PDFs: download, pdf_text, pdf_pages, qr_codes). Records made
for one app's tests live in its folder (tests/<app>/); factories in tests/factories.py.
"""

import datetime
import io
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import AUDITORS, STAFF, role_group
from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from certificates.models import Certificate
from certificates.services import decision_record
from clients.models import ClientRole, Organization
from clients.services import client_membership_create, organization_grant_view
from core.actors import SYSTEM
from findings.models import Nonconformity
from findings.services import finding_create
from reports.services import audit_close
from tests.factories import (
    ClauseFactory,
    CompetenceFactory,
    OrganizationFactory,
    SiteFactory,
    StandardFactory,
    UserFactory,
    closing_report,
    ready_to_certify,
)

# The project folder, where manage.py is.
ROOT = Path(__file__).resolve().parent.parent
# The least a production start-up needs (DEBUG=0), for run_manage().
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#kq2Lm9vR4tY8wZ1pN6bC3dF5gH0jK-uE2sA7oI9lU4eW8rT6yQ1zX3cV5bN7m",
    "ALLOWED_HOSTS": "certdesk.example",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_manage(*args, env):
    """manage.py run in a subprocess with these environment variables on top of this one's."""
    # Not the test run's own switches either (the browser suite allows the ORM beside its event loop).
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def page_text(response) -> str:
    """The page's HTML with every run of white space as one space, as a reader sees the words."""
    return re.sub(r"\s+", " ", response.content.decode())


def fresh(user):
    """The user as a new request sees them: no permission or role cached on the object."""
    return get_user_model().objects.get(pk=user.pk)


def token_client(user) -> APIClient:
    """An API client that authenticates with a new token of the user's, as a script would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def download(response) -> bytes:
    """The body of a file download (a streaming response)."""
    return b"".join(response.streaming_content)


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    """The text of a whole PDF, page after page."""
    return "\n".join(pdf_pages(content))


def qr_codes(content: bytes, page: int = 0) -> list[str]:
    """What the QR codes on the page say, read from the page as printed at 200 dpi."""
    document = pypdfium2.PdfDocument(content)
    try:
        image = document[page].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


@dataclass
class Cast:
    staff: object
    lead: object
    auditor: object
    client: object
    other: object
    org_a: Organization
    org_b: Organization
    standard: object

    def user(self, name: str):
        return None if name == "anonymous" else getattr(self, name)


DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
CAST_NAMES = ["anonymous", "staff", "lead", "auditor", "client", "other"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Uploaded files from tests never land in the developer's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECORDS_ARCHIVE_ROOT = tmp_path / "archive"
    # Real password hashing costs a third of a second per user; tests create dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache: each test starts with none spent, in a memory cache of
    # its own in place of the embedded database cache (never the developer's var/cache.sqlite3),
    # any other cache emptied.
    if settings.CACHES["default"]["BACKEND"] == DATABASE_CACHE:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": str(tmp_path),
            },
        }
    else:
        caches["default"].clear()
    # Verification pages kept by an earlier test are not this test's.
    caches["pages"].clear()
    yield
    # A request in Swedish leaves Swedish active in this thread; the next test starts in English.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run Celery tasks in-process, except in tests that prove the real worker path."""
    from config.celery_app import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def closed_port() -> int:
    """A local port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch):
    """Celery with a Redis broker at a port where nothing listens, publishing for real (not in-process).

    A Celery app of its own, current for the test: the project's app keeps its own connection pool
    (it connects once, to the URL it had then), and its tasks, for the tests after this one.
    """
    from celery import Celery

    from config.celery_app import app
    from outbox import tasks

    down = Celery("certdesk-broker-down", set_as_current=False)
    down.config_from_object("django.conf:settings", namespace="CELERY")
    # Publishing connects to the write URL (broker_url itself yields to a CELERY_BROKER_URL variable).
    down.conf.broker_write_url = f"redis://127.0.0.1:{closed_port()}/0"
    down.conf.task_always_eager = False
    down.set_current()
    # This process has not yet found the broker down: no pause left over from an earlier test.
    monkeypatch.setattr(tasks, "_broker_down_until", 0.0)
    yield down
    app.set_current()
    down.close()


@pytest.fixture
def cast(db) -> Cast:
    staff = UserFactory(username="staff", is_staff=True)
    staff.groups.add(role_group(STAFF))
    lead = UserFactory(username="lead")
    lead.groups.add(role_group(AUDITORS))
    auditor = UserFactory(username="auditor")
    auditor.groups.add(role_group(AUDITORS))

    org_a = OrganizationFactory(legal_name="Nordkontakt AB", city="Stockholm")
    SiteFactory(
        organization=org_a,
        name="Stockholm",
        city="Stockholm",
        is_central_function=True,
        effective_personnel=Decimal(80),
    )
    SiteFactory(organization=org_a, name="Göteborg", city="Göteborg", effective_personnel=Decimal(45))
    SiteFactory(organization=org_a, name="Malmö", city="Malmö", effective_personnel=Decimal(30))
    org_b = OrganizationFactory(legal_name="Kundtjänst Norr AB", city="Luleå")
    SiteFactory(
        organization=org_b,
        name="Luleå",
        city="Luleå",
        is_central_function=True,
        effective_personnel=Decimal(12),
    )

    client = UserFactory(username="client")
    client_membership_create(actor=SYSTEM, user=client, organization=org_a, role=ClientRole.ADMIN)
    other = UserFactory(username="other")
    client_membership_create(actor=SYSTEM, user=other, organization=org_b, role=ClientRole.ADMIN)
    organization_grant_view(user=lead, organization=org_a)

    standard = StandardFactory(code="ISO 18295-1:2017", title="Customer contact centres")
    heading = ClauseFactory(standard=standard, number="4", title="Customer relationship", auditable=False)
    ClauseFactory(standard=standard, number="4.1", title="General", parent=heading)
    ClauseFactory(standard=standard, number="4.2", title="Communication", parent=heading)
    return Cast(staff, lead, auditor, client, other, org_a, org_b, standard)


@pytest.fixture
def login(client):
    """login(user) -> Django test client logged in as user (or anonymous for None)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _login


@pytest.fixture
def api():
    """api(user) -> DRF APIClient authenticated as user (or anonymous for None)."""

    def _api(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def onsite_audit(cast):
    """Nordkontakt's stage 2, plan confirmed, the lead on the team with 4.1 planned at Stockholm today."""
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    today = timezone.localdate()
    audit_update(actor=SYSTEM, audit=audit, start_date=today, end_date=today + datetime.timedelta(days=2))
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    audit.lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=5)
    audit.stockholm = cast.org_a.sites.get(name="Stockholm")
    day = plan_day_add(actor=SYSTEM, audit=audit, date=today, site=audit.stockholm)
    plan_slot_add(
        actor=SYSTEM,
        day=day,
        start=datetime.time(9),
        end=datetime.time(12),
        member=audit.lead,
        activity="Customer relationship",
        clauses=[cast.standard.clauses.get(number="4.1")],
    )
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    audit.refresh_from_db()
    audit.clause_41 = cast.standard.clauses.get(number="4.1")
    audit.clause_42 = cast.standard.clauses.get(number="4.2")
    return audit


@pytest.fixture
def closed_audit(cast, onsite_audit):
    """onsite_audit with its scope, closed by the lead with one minor nonconformity at 4.1 (no major)."""
    audit_update(
        actor=SYSTEM, audit=onsite_audit, scope="Inbound customer service by telephone, e-mail and chat."
    )
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis.",
    )
    audit_close(audit=onsite_audit, **closing_report(onsite_audit), user=cast.lead, recommendation="certify")
    onsite_audit.refresh_from_db()
    return onsite_audit


@pytest.fixture
def open_minor(closed_audit):
    """closed_audit's minor nonconformity, awaiting the client's answer."""
    return Nonconformity.objects.get(audit=closed_audit)


@pytest.fixture
def certificate(cast, closed_audit):
    """Nordkontakt's certificate, granted by staff on closed_audit (through the service), once its
    minor has an accepted plan and every sampled site a finding (ready_to_certify)."""
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    return Certificate.objects.get()


@pytest.fixture
def programme(cast):
    """Nordkontakt AB's certification programme for the cast's standard, stage 1 to recertification."""
    return programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])


@pytest.fixture
def stage2(cast, programme):
    """Nordkontakt's stage 2, 1-3 Feb 2027, computed, the lead on the team, Monday at Stockholm planned."""
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    monday = datetime.date(2027, 2, 1)
    audit_update(actor=SYSTEM, audit=audit, start_date=monday, end_date=datetime.date(2027, 2, 3))
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    audit.lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=11)
    audit.first_day = plan_day_add(
        actor=SYSTEM, audit=audit, date=monday, site=cast.org_a.sites.get(name="Stockholm")
    )
    return audit
