import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.roles import AUDITORS, STAFF, is_auditor, is_staff_member
from audits.models import Competence
from clients.models import ClientMembership, Organization, Site
from clients.selectors import organizations_for_user
from complaints.models import Appeal, CaseState, Complaint
from complaints.selectors import complaints_for_user
from standards.models import Standard
from transfers.models import Transfer, TransferStatus

pytestmark = pytest.mark.django_db


def _counts():
    User = get_user_model()
    return {
        model.__name__: model.objects.count()
        for model in (User, Organization, Site, ClientMembership, Competence, Standard)
    }


def test_it_builds_the_demo_world_once(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    out = capsys.readouterr().out
    for username in ("staff", "lead", "auditor", "client", "other"):
        assert username in out

    nordkontakt = Organization.objects.get(legal_name="Nordkontakt AB")
    sites = {
        site.name: (site.effective_personnel, site.is_central_function) for site in nordkontakt.sites.all()
    }
    assert sites == {"Stockholm": (80, True), "Göteborg": (45, False), "Malmö": (30, False)}
    norr = Organization.objects.get(legal_name="Kundtjänst Norr AB")
    assert [(s.name, s.effective_personnel) for s in norr.sites.all()] == [("Luleå", 12)]
    assert {s.code for s in Standard.objects.all()} >= {
        "ISO 18295-1:2017",
        "ISO 18295-2:2017",
        "ISO 9001:2015",
    }


def test_it_gives_each_demo_user_their_role(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    User = get_user_model()
    users = {user.username: user for user in User.objects.all()}
    for user in users.values():
        assert user.check_password("demo")
    assert is_staff_member(users["staff"])
    assert users["staff"].groups.filter(name=STAFF).exists()
    assert is_auditor(users["lead"]) and users["lead"].groups.filter(name=AUDITORS).exists()
    assert set(Competence.objects.filter(user=users["lead"]).values_list("standard__code", "role")) == {
        ("ISO 18295-1:2017", "lead_auditor"),
        ("ISO 18295-2:2017", "lead_auditor"),
        ("ISO 9001:2015", "lead_auditor"),
    }
    assert set(Competence.objects.filter(user=users["auditor"]).values_list("standard__code", flat=True)) == {
        "ISO 18295-1:2017",
        "ISO 18295-2:2017",
    }
    assert [o.legal_name for o in organizations_for_user(User.objects.get(username="client"))] == [
        "Nordkontakt AB"
    ]
    assert [o.legal_name for o in organizations_for_user(User.objects.get(username="other"))] == [
        "Kundtjänst Norr AB"
    ]


def test_it_refuses_to_seed_production_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="staff").exists()


def test_it_seeds_production_with_force(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert get_user_model().objects.filter(username="staff").exists()


def test_it_plans_nordkontakts_stage_2_as_the_calculation_proposes(settings):
    from audits.models import Audit, AuditStatus
    from audits.services import plan_problems

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    audits = Audit.objects.filter(organization__legal_name="Nordkontakt AB")
    assert audits.count() == 5
    assert audits.get(audit_type="stage1").status == AuditStatus.CLOSED
    stage2 = audits.get(audit_type="stage2")
    assert stage2.planned_days == 3
    assert set(stage2.sites.values_list("name", flat=True)) == {"Stockholm", "Göteborg", "Malmö"}
    assert set(stage2.team.values_list("user__username", "role")) == {
        ("lead", "lead_auditor"),
        ("auditor", "auditor"),
    }
    assert stage2.days.count() == 3
    assert plan_problems(stage2) == []


def test_it_puts_nordkontakts_stage_2_under_way_with_findings(settings, django_capture_on_commit_callbacks):
    from audits.models import Audit, AuditStatus
    from findings.models import Evidence, Finding

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")
    stage2 = Audit.objects.get(organization__legal_name="Nordkontakt AB", audit_type="stage2")
    assert stage2.status == AuditStatus.IN_PROGRESS
    grades = list(Finding.objects.filter(audit=stage2).values_list("grade", flat=True))
    assert len(grades) == 8
    assert {"ofi", "observation", "minor", "major"} <= set(grades)
    photos = Evidence.objects.filter(audit=stage2)
    assert photos.count() == 2
    assert all(photo.content_type == "image/jpeg" and photo.size > 0 for photo in photos)
    # Open, so a newcomer can try the checklist; the plan PDF went to the client contact.
    assert stage2.documents.filter(kind="plan").count() == 1
    User = get_user_model()
    # The auditor is on both clients' stage 2 teams, and sees those two clients.
    assert sorted(o.legal_name for o in organizations_for_user(User.objects.get(username="auditor"))) == [
        "Kundtjänst Norr AB",
        "Nordkontakt AB",
    ]


def test_it_gives_kundtjanst_norr_a_closed_stage_2_with_answered_minors(settings):
    from audits.models import Audit, AuditStatus
    from findings.models import Nonconformity

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    stage2 = Audit.objects.get(organization__legal_name="Kundtjänst Norr AB", audit_type="stage2")
    assert stage2.status == AuditStatus.CLOSED
    assert set(stage2.team.values_list("user__username", flat=True)) == {"lead", "auditor"}
    ncs = list(Nonconformity.objects.filter(audit=stage2).order_by("number"))
    assert [(nc.grade, nc.status) for nc in ncs] == [("minor", "closed"), ("minor", "accepted")]
    assert all(nc.responses.get().submitted_by.username == "other" for nc in ncs)
    assert [event.kind for event in ncs[0].events.all()] == ["issued", "answered", "accepted", "closed"]
    certificate = stage2.programme.certificates.get()
    assert (certificate.status, certificate.decision.decided_by.username) == ("active", "staff")
    assert certificate.entity_name == "Kundtjänst Norr AB"
    # Nordkontakt's nonconformities come when `lead` closes its stage 2: none yet.
    assert not Nonconformity.objects.filter(audit__organization__legal_name="Nordkontakt AB").exists()


def test_it_puts_samtal_vasts_transfer_under_the_leads_review(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    transfer = Transfer.objects.get(organization__legal_name="Samtal Väst AB")
    assert transfer.status == TransferStatus.UNDER_REVIEW
    assert transfer.reviewer.username == "lead"
    assert transfer.documents.count() == 1
    assert transfer.review_items.exclude(answer="").count() == 4
    call_command("seed_demo")
    assert Transfer.objects.count() == 1


def test_it_seeds_one_complaint_and_one_appeal_in_progress_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    complaint = Complaint.objects.get()
    appeal = Appeal.objects.get()
    assert complaint.state == CaseState.INVESTIGATING
    assert complaint.organization.legal_name == "Kundtjänst Norr AB"
    assert appeal.state == CaseState.ACKNOWLEDGED
    assert appeal.organization.legal_name == "Kundtjänst Norr AB"
    # The auditor investigates the complaint, and so sees it; the client complained about does not.
    User = get_user_model()
    assert list(complaints_for_user(User.objects.get(username="auditor"))) == [complaint]
    assert list(complaints_for_user(User.objects.get(username="other"))) == []
