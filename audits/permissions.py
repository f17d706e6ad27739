"""Who may do what with programmes, audits, their teams and plans: one function per rule.

Each rule is a `can_*` predicate (for pages that show or hide a button) and, where an action is
refused, a `require_*` that raises PermissionDenied with the reason. The page, the API and the
service all call the same one, so the rule is written once. Finding the record at all (404 for
outsiders) is the selectors' (`audits_for_user`); these rules apply to those who can see it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_auditor, is_staff_member
from audits.models import Audit, CertificationProgramme, TeamRole
from clients.selectors import membership_of


def is_on_team(user, audit: Audit) -> bool:
    return user.is_authenticated and audit.team.filter(user=user).exists()


def is_lead_auditor(user, audit: Audit) -> bool:
    return user.is_authenticated and audit.team.filter(user=user, role=TeamRole.LEAD_AUDITOR).exists()


def can_manage_audits(user) -> bool:
    """Certification staff create and edit audits and choose their teams."""
    return is_staff_member(user)


def require_can_manage_audits(user) -> None:
    if not can_manage_audits(user):
        raise PermissionDenied(_("Only certification staff may do this."))


def can_plan(user, audit: Audit) -> bool:
    """Staff and the audit's lead auditor compute its time and plan its days and slots."""
    return is_staff_member(user) or is_lead_auditor(user, audit)


def require_can_plan(user, audit: Audit) -> None:
    if not can_plan(user, audit):
        raise PermissionDenied(
            _("Only certification staff and the audit's lead auditor may change the plan.")
        )


def can_close(user, audit: Audit) -> bool:
    """Only the audit's lead auditor closes it: the recommendation is the team's, signed by its lead."""
    return is_lead_auditor(user, audit)


def require_can_close(user, audit: Audit) -> None:
    if not can_close(user, audit):
        raise PermissionDenied(_("Only the audit's lead auditor may close it."))


def is_audited_client(user, audit: Audit) -> bool:
    """One of the audited organisation's own users (not another client's)."""
    membership = membership_of(user)
    return membership is not None and membership.organization_id == audit.organization_id


def can_object_to_team(user, audit: Audit) -> bool:
    """The audited client objects to a named team member (17021-1 9.2.3.3); nobody else does."""
    return is_audited_client(user, audit)


def require_can_object_to_team(user, audit: Audit) -> None:
    if not can_object_to_team(user, audit):
        raise PermissionDenied(_("Only the audited client's users may object to a team member."))


def can_see_objections(user, audit: Audit) -> bool:
    """Staff, who decide them; the lead, who leads the team; the client, who raised them. Not the
    other members: an objection may name one of them."""
    return is_staff_member(user) or is_lead_auditor(user, audit) or is_audited_client(user, audit)


def require_can_see_objections(user, audit: Audit) -> None:
    if not can_see_objections(user, audit):
        raise PermissionDenied(_("Only certification staff, the lead auditor and the client see objections."))


def can_use_calculator(user) -> bool:
    """Planning figures are for the certification body's own people, not for clients."""
    return is_staff_member(user) or is_auditor(user)


def can_see_quote(user, programme: CertificationProgramme) -> bool:
    """Prices are commercial: staff and the client's own users see them; an auditor on the client's
    team sees the client but not what the certification body charges it."""
    if is_staff_member(user):
        return True
    membership = membership_of(user)
    return membership is not None and membership.organization_id == programme.organization_id


def can_read_findings(user, audit: Audit) -> bool:
    """Staff and the team always; the client's users once the audit report is issued.

    For one who already found the audit through audits_for_user. Here rather than in findings: the
    audit's own page asks it too, to offer the checklist.
    """
    return membership_of(user) is None or audit.report_issued


def can_create_programmes(user) -> bool:
    return user.has_perm("audits.add_certificationprogramme")


def require_can_create_programmes(user) -> None:
    if not can_create_programmes(user):
        raise PermissionDenied(_("Only certification staff may do this."))


def can_change_programmes(user) -> bool:
    """Set the decision date that starts a cycle, and start the next cycle after a renewal."""
    return user.has_perm("audits.change_certificationprogramme")


def require_can_change_programmes(user) -> None:
    if not can_change_programmes(user):
        raise PermissionDenied(_("Only certification staff may do this."))


def require_can_add_audits(user) -> None:
    """A special or short-notice audit added to a programme."""
    if not user.has_perm("audits.add_audit"):
        raise PermissionDenied(_("Only certification staff may do this."))
