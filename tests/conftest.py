"""One cast of users for every access test (see shared/STYLE.md).

- staff:   certification staff; sees and edits every client.
- lead:    lead auditor, on Nordkontakt AB's audit team (granted view on it), nothing else.
- auditor: auditor on no team yet: an outsider to every client.
- client:  client admin of Nordkontakt AB (org_a).
- other:   client admin of Kundtjänst Norr AB (org_b).
- anonymous: not logged in.
"""

import datetime
import socket
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import AUDITORS, STAFF, role_group
from audits.models import Audit, AuditStatus, AuditType, CompetenceRole, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from clients.models import ClientRole, Organization
from clients.services import client_membership_create, organization_grant_view
from tests.factories import (
    ClauseFactory,
    CompetenceFactory,
    OrganizationFactory,
    SiteFactory,
    StandardFactory,
    UserFactory,
)


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


CAST_NAMES = ["anonymous", "staff", "lead", "auditor", "client", "other"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Uploaded files from tests never land in the developer's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs a third of a second per user; tests create dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache: each test starts with none spent, the embedded cache
    # in a file of its own (never the developer's var/cache.sqlite3), any other one emptied.
    if settings.CACHES["default"]["BACKEND"] == "core.cache.SQLiteCache":
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "LOCATION": str(tmp_path / "cache.sqlite3")}
        }
    else:
        from django.core.cache import cache

        cache.clear()
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
    client_membership_create(user=client, organization=org_a, role=ClientRole.ADMIN)
    other = UserFactory(username="other")
    client_membership_create(user=other, organization=org_b, role=ClientRole.ADMIN)
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
    programme = programme_create(organization=cast.org_a, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    today = timezone.localdate()
    audit_update(audit=audit, start_date=today, end_date=today + datetime.timedelta(days=2))
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=CompetenceRole.LEAD_AUDITOR)
    audit.lead = team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(audit=audit, seed=5)
    audit.stockholm = cast.org_a.sites.get(name="Stockholm")
    day = plan_day_add(audit=audit, date=today, site=audit.stockholm)
    plan_slot_add(
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
    from findings.services import finding_create
    from reports.services import audit_close

    audit_update(audit=onsite_audit, scope="Inbound customer service by telephone, e-mail and chat.")
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis.",
    )
    audit_close(audit=onsite_audit, user=cast.lead, recommendation="certify")
    onsite_audit.refresh_from_db()
    return onsite_audit
