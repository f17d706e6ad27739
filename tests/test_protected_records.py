"""Records stay: what an audit or certificate refers to cannot be deleted, and a closed audit is locked."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audits.models import (
    Audit,
    AuditDay,
    AuditStatus,
    AuditType,
    PlanSlot,
    PlanSlotClause,
    TeamMember,
    TeamRole,
)
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_confirm,
    plan_day_add,
    plan_day_remove,
    plan_slot_add,
    plan_slot_remove,
    programme_create,
    programme_set_decision,
    team_member_add,
    team_member_remove,
)
from clients.models import Organization, Site
from clients.services import site_delete
from core.actors import SYSTEM
from core.errors import ConflictError
from findings.evidence import evidence_add, evidence_remove, evidence_update
from findings.models import Evidence, Finding, FindingChange
from findings.services import finding_create, finding_remove, finding_update
from reports.services import audit_close
from standards.models import Clause, Standard
from tests.factories import ClauseFactory, CompetenceFactory, StandardFactory, UserFactory, closing_report


def jpeg(name="whiteboard.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


# -- Protected foreign keys ---------------------------------------------------------------------


def test_it_refuses_to_delete_the_audited_organisation(cast, onsite_audit):
    with pytest.raises(ProtectedError):
        cast.org_a.delete()
    assert Organization.objects.filter(pk=cast.org_a.pk).exists()


def test_it_refuses_to_delete_a_site_only_chosen_for_an_audit(cast, onsite_audit):
    # Göteborg is among the sites to visit but has no day, slot or finding yet: only the audit's
    # list of sites refers to it, which Django's implicit link table would have let go.
    goteborg = cast.org_a.sites.get(name="Göteborg")
    audit_update(actor=SYSTEM, audit=onsite_audit, sites=[onsite_audit.stockholm, goteborg])
    assert not AuditDay.objects.filter(site=goteborg).exists()
    with pytest.raises(ProtectedError):
        goteborg.delete()
    assert list(onsite_audit.sites.order_by("name")) == [goteborg, onsite_audit.stockholm]


def test_it_refuses_to_delete_a_standard_only_named_by_an_audit(cast):
    # No clause, competence or finding of this standard: only the programme and its audits name it.
    standard = StandardFactory(code="ISO 9001:2015")
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[standard])
    with pytest.raises(ProtectedError):
        standard.delete()
    assert list(programme.audits.first().standards.all()) == [standard]
    assert list(programme.standards.all()) == [standard]


def test_it_refuses_to_delete_a_clause_only_planned_in_a_slot(cast, onsite_audit):
    assert not Finding.objects.filter(clause=onsite_audit.clause_41).exists()
    with pytest.raises(ProtectedError):
        onsite_audit.clause_41.delete()
    assert PlanSlotClause.objects.filter(clause=onsite_audit.clause_41).exists()


def test_it_refuses_to_delete_a_clause_with_findings(cast, onsite_audit):
    finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_42, site=None, grade="conforming"
    )
    with pytest.raises(ProtectedError):
        onsite_audit.clause_42.delete()


def test_it_refuses_to_delete_a_team_member(cast, onsite_audit):
    with pytest.raises(ProtectedError):
        cast.lead.delete()
    assert TeamMember.objects.filter(user=cast.lead, audit=onsite_audit).exists()


def test_it_still_deletes_what_nothing_refers_to(cast):
    unused = StandardFactory(code="ISO 10002:2018")
    ClauseFactory(standard=unused, number="4")
    unused.delete()
    assert not Standard.objects.filter(code="ISO 10002:2018").exists()
    assert not Clause.objects.filter(standard_id=unused.pk).exists()


def test_it_refuses_site_delete_with_a_conflict_when_a_plan_day_refers_to_it(cast, onsite_audit):
    # Taken off the audit's sites, Stockholm still has the plan's day: a protected foreign key.
    onsite_audit.sites.remove(onsite_audit.stockholm)
    with pytest.raises(ConflictError, match="cannot be deleted"):
        site_delete(actor=SYSTEM, site=onsite_audit.stockholm)
    assert Site.objects.filter(pk=onsite_audit.stockholm.pk).exists()


def test_it_answers_the_site_api_delete_with_409(cast, onsite_audit, api):
    onsite_audit.sites.remove(onsite_audit.stockholm)
    response = api(cast.staff).delete(f"/api/v1/sites/{onsite_audit.stockholm.pk}/")
    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    assert Site.objects.filter(pk=onsite_audit.stockholm.pk).exists()


def test_it_lets_site_delete_remove_an_unused_site(cast):
    malmo = cast.org_a.sites.get(name="Malmö")
    site_delete(actor=SYSTEM, site=malmo)
    assert not Site.objects.filter(pk=malmo.pk).exists()


# -- The admin says "cannot delete" ------------------------------------------------------------


def _admin_targets(cast, audit):
    return {
        "organisation": ("clients", "organization", cast.org_a, Organization),
        "site": ("clients", "site", audit.stockholm, Site),
        "standard": ("standards", "standard", cast.standard, Standard),
        "user": ("accounts", "user", cast.lead, type(cast.lead)),
    }


@pytest.mark.parametrize("what", ["organisation", "site", "standard", "user"])
def test_it_shows_the_admin_cannot_delete_page(what, cast, onsite_audit, admin_user, login):
    app, model, obj, model_class = _admin_targets(cast, onsite_audit)[what]
    url = reverse(f"admin:{app}_{model}_delete", args=[obj.pk])
    client = login(admin_user)

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["protected"]
    assert "would require deleting the following protected related objects" in page.content.decode()

    # Confirming anyway changes nothing and shows the same notice, never a 500.
    confirmed = client.post(url, {"post": "yes"})
    assert confirmed.status_code == 200
    assert confirmed.context["protected"]
    assert model_class.objects.filter(pk=obj.pk).exists()


def test_it_shows_cannot_delete_for_the_admin_bulk_action(cast, onsite_audit, admin_user, login):
    goteborg = cast.org_a.sites.get(name="Göteborg")
    audit_update(actor=SYSTEM, audit=onsite_audit, sites=[onsite_audit.stockholm, goteborg])
    response = login(admin_user).post(
        reverse("admin:clients_site_changelist"),
        {"action": "delete_selected", "_selected_action": [goteborg.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Site.objects.filter(pk=goteborg.pk).exists()


def test_it_refuses_deleting_a_planned_clause_in_the_standard_admin(cast, onsite_audit, admin_user, login):
    client = login(admin_user)
    url = reverse("admin:standards_standard_change", args=[cast.standard.pk])
    form = client.get(url).context["adminform"].form
    clauses = list(cast.standard.clauses.order_by("order", "id"))
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "accreditation_basis": cast.standard.accreditation_basis,
            "clauses-TOTAL_FORMS": len(clauses),
            "clauses-INITIAL_FORMS": len(clauses),
            "clauses-MIN_NUM_FORMS": 0,
            "clauses-MAX_NUM_FORMS": 1000,
        }
    )
    for index, clause in enumerate(clauses):
        data.update(
            {
                f"clauses-{index}-id": clause.pk,
                f"clauses-{index}-standard": cast.standard.pk,
                f"clauses-{index}-number": clause.number,
                f"clauses-{index}-title": clause.title,
                f"clauses-{index}-parent": clause.parent_id or "",
                f"clauses-{index}-order": clause.order,
                f"clauses-{index}-auditable": "on" if clause.auditable else "",
                f"clauses-{index}-is_active": "on",
            }
        )
        if clause == onsite_audit.clause_41:
            data[f"clauses-{index}-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Clause.objects.filter(pk=onsite_audit.clause_41.pk).exists()


# -- A closed audit stays as it was -------------------------------------------------------------


@pytest.fixture
def closed(cast, onsite_audit):
    """Nordkontakt's stage 2 with a minor finding and a photo, closed by the lead."""
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    finding = finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="minor",
        statement="No trend analysis of complaints.",
    )
    evidence_add(finding=finding, user=cast.lead, upload=jpeg(), visibility="client")
    audit_close(audit=onsite_audit, **closing_report(onsite_audit), user=cast.lead, recommendation="certify")
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.CLOSED
    # Attribute names that are not the audit's own related managers (findings, evidence, days).
    onsite_audit.the_finding = Finding.objects.get(pk=finding.pk)
    onsite_audit.the_evidence = Evidence.objects.get(finding=finding)
    onsite_audit.the_day = AuditDay.objects.get(audit=onsite_audit)
    onsite_audit.the_slot = PlanSlot.objects.get(day__audit=onsite_audit)
    onsite_audit.the_member = TeamMember.objects.get(audit=onsite_audit, user=cast.lead)
    return onsite_audit


def _record_of(audit) -> dict:
    """Every row that makes up the audit's record, as plain values."""
    return {
        "audit": Audit.objects.filter(pk=audit.pk).values().get(),
        "standards": list(audit.standards.order_by("pk").values_list("pk", flat=True)),
        "sites": list(audit.sites.order_by("pk").values_list("pk", flat=True)),
        "team": list(TeamMember.objects.filter(audit=audit).order_by("pk").values()),
        "days": list(AuditDay.objects.filter(audit=audit).order_by("pk").values()),
        "slots": list(PlanSlot.objects.filter(day__audit=audit).order_by("pk").values()),
        "slot_clauses": list(
            PlanSlotClause.objects.filter(planslot__day__audit=audit).order_by("pk").values()
        ),
        "findings": list(Finding.objects.filter(audit=audit).order_by("pk").values()),
        "evidence": list(Evidence.objects.filter(audit=audit).order_by("pk").values()),
        "history": list(FindingChange.objects.filter(audit=audit).order_by("pk").values()),
    }


TOMORROW = datetime.timedelta(days=1)

CHANGES = {
    "finding_create": lambda cast, audit: finding_create(
        audit=audit, user=cast.lead, clause=audit.clause_42, site=audit.stockholm, grade="conforming"
    ),
    "finding_update": lambda cast, audit: finding_update(
        finding=audit.the_finding,
        user=cast.lead,
        version=audit.the_finding.version,
        statement="Rewritten later.",
    ),
    "finding_remove": lambda cast, audit: finding_remove(
        finding=audit.the_finding, user=cast.lead, version=audit.the_finding.version
    ),
    "evidence_add": lambda cast, audit: evidence_add(
        finding=audit.the_finding, user=cast.lead, upload=jpeg()
    ),
    "evidence_update": lambda cast, audit: evidence_update(
        evidence=audit.the_evidence, user=cast.lead, description="Added afterwards", visibility="team"
    ),
    "evidence_remove": lambda cast, audit: evidence_remove(evidence=audit.the_evidence, user=cast.lead),
    "audit_update": lambda cast, audit: audit_update(
        actor=SYSTEM, audit=audit, scope="A wider scope, after the fact."
    ),
    "audit_update_sites": lambda cast, audit: audit_update(
        actor=SYSTEM, audit=audit, sites=list(cast.org_a.sites.all())
    ),
    "audit_compute_time": lambda cast, audit: audit_compute_time(actor=SYSTEM, audit=audit, seed=1),
    "team_member_add": lambda cast, audit: team_member_add(
        actor=SYSTEM, audit=audit, user=cast.auditor, role="auditor"
    ),
    "team_member_remove": lambda cast, audit: team_member_remove(actor=SYSTEM, member=audit.the_member),
    "plan_day_add": lambda cast, audit: plan_day_add(
        actor=SYSTEM, audit=audit, date=audit.the_day.date + TOMORROW, site=audit.stockholm
    ),
    "plan_day_remove": lambda cast, audit: plan_day_remove(actor=SYSTEM, day=audit.the_day),
    "plan_slot_add": lambda cast, audit: plan_slot_add(
        actor=SYSTEM,
        day=audit.the_day,
        start=datetime.time(13),
        end=datetime.time(15),
        member=audit.the_member,
        activity="Complaints handling",
    ),
    "plan_slot_remove": lambda cast, audit: plan_slot_remove(actor=SYSTEM, slot=audit.the_slot),
    "plan_confirm": lambda cast, audit: plan_confirm(
        actor=SYSTEM, audit=audit, justification="Confirmed again."
    ),
    "audit_close": lambda cast, audit: audit_close(
        audit=audit, **closing_report(audit), user=cast.lead, recommendation="do_not_certify"
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_it_refuses_every_change_to_a_closed_audit(change, cast, closed):
    before = _record_of(closed)
    with pytest.raises(ConflictError):
        CHANGES[change](cast, closed)
    assert _record_of(closed) == before


def test_it_keeps_a_closed_audits_due_date_when_the_decision_date_moves(cast):
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    surveillances = programme.audits.filter(audit_type=AuditType.SURVEILLANCE).order_by("sequence")
    first, second = list(surveillances)
    held_due = datetime.date(2027, 3, 1)
    Audit.objects.filter(pk=first.pk).update(status=AuditStatus.CLOSED, due_date=held_due)

    programme_set_decision(actor=SYSTEM, programme=programme, decision_date=timezone.localdate())

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.due_date == held_due
    assert second.due_date is not None
