"""Every write service checks who acts with its app's permissions rule, whoever calls it (a page,
the API, a task): a person without the role is refused with PermissionDenied and nothing is saved;
core.actors.SYSTEM, for work no person asks for, passes."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from audits.models import AuditDay, AuditType, TeamMember
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    programme_create,
    team_member_add,
)
from clients.models import Site
from clients.services import site_create, site_delete
from core.actors import SYSTEM
from findings.models import Finding
from findings.services import finding_create
from outbox.models import OutboxMessage
from outbox.services import message_retry


def test_it_refuses_planning_to_the_client_and_to_an_auditor_off_the_lead(cast, onsite_audit):
    for person in (cast.client, cast.auditor, cast.other):
        with pytest.raises(PermissionDenied, match="lead auditor may change the plan"):
            plan_day_add(
                actor=person, audit=onsite_audit, date=onsite_audit.start_date, site=onsite_audit.stockholm
            )
        with pytest.raises(PermissionDenied):
            audit_compute_time(actor=person, audit=onsite_audit, seed=1)
    assert AuditDay.objects.filter(audit=onsite_audit).count() == 1


def test_it_lets_the_lead_and_staff_plan(cast, onsite_audit):
    tomorrow = onsite_audit.start_date + datetime.timedelta(days=1)
    plan_day_add(actor=cast.lead, audit=onsite_audit, date=tomorrow, site=onsite_audit.stockholm)
    assert AuditDay.objects.filter(audit=onsite_audit).count() == 2


def test_it_refuses_staff_work_on_audits_to_the_lead(cast, onsite_audit):
    with pytest.raises(PermissionDenied, match="Only certification staff"):
        audit_update(actor=cast.lead, audit=onsite_audit, scope="Wider")
    with pytest.raises(PermissionDenied, match="Only certification staff"):
        team_member_add(actor=cast.lead, audit=onsite_audit, user=cast.auditor, role="auditor")
    with pytest.raises(PermissionDenied, match="Only certification staff"):
        programme_create(actor=cast.auditor, organization=cast.org_b, standards=[cast.standard])
    assert not TeamMember.objects.filter(audit=onsite_audit, user=cast.auditor).exists()
    onsite_audit.refresh_from_db()
    assert onsite_audit.scope != "Wider"


def test_it_refuses_findings_to_anyone_off_the_team(cast, onsite_audit):
    for person in (cast.staff, cast.auditor, cast.client):
        with pytest.raises(PermissionDenied, match="Only the audit's team records findings"):
            finding_create(audit=onsite_audit, user=person, clause=onsite_audit.clause_41, grade="conforming")
    assert not Finding.objects.filter(audit=onsite_audit).exists()


def test_it_refuses_client_records_to_anyone_but_staff(cast):
    with pytest.raises(PermissionDenied):
        site_create(actor=cast.lead, organization=cast.org_a, name="Umeå", city="Umeå", effective_personnel=3)
    with pytest.raises(PermissionDenied):
        site_delete(actor=cast.client, site=cast.org_b.sites.get())
    site = site_create(
        actor=cast.staff, organization=cast.org_a, name="Umeå", city="Umeå", effective_personnel=3
    )
    assert Site.objects.filter(pk=site.pk).exists()


def test_it_refuses_a_retry_of_outgoing_mail_to_anyone_but_staff(cast):
    message = OutboxMessage.objects.create(task="accounts.tasks.send_invitation", args=[1])
    with pytest.raises(PermissionDenied):
        message_retry(actor=cast.lead, message=message)


def test_it_lets_the_system_act_without_a_person(cast):
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    assert programme.audits.filter(audit_type=AuditType.STAGE1).exists()
