"""Who may do what with findings, evidence and nonconformities: one function per rule.

`can_*` answers for a page that shows or hides a form; `require_*` refuses with the reason
(PermissionDenied), called alike by the page, the API and the service. Who finds the audit or the
nonconformity at all (404 for outsiders) is the selectors' business; these rules apply after.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member
from audits.models import Audit, TeamMember
from audits.permissions import is_on_team
from clients.selectors import membership_of
from findings.models import Nonconformity

# -- Findings and evidence ----------------------------------------------------------------------


def can_record_findings(user, audit: Audit) -> bool:
    """Only the audit's team records findings and their evidence (while the audit is under way:
    that is the services' state check, not a matter of who)."""
    return is_on_team(user, audit)


def require_can_record_findings(user, audit: Audit) -> None:
    if not can_record_findings(user, audit):
        raise PermissionDenied(_("Only the audit's team records findings."))


def require_can_handle_evidence(user, audit: Audit) -> None:
    if not can_record_findings(user, audit):
        raise PermissionDenied(_("Only the audit's team may add or change evidence."))


def can_see_history(user, audit: Audit) -> bool:
    """Every change to the audit's findings and evidence, who and when: staff and the team."""
    return is_staff_member(user) or is_on_team(user, audit)


# -- Nonconformities ----------------------------------------------------------------------------


def is_client_of(user, nonconformity: Nonconformity) -> bool:
    """The client's users answer their organisation's nonconformities."""
    membership = membership_of(user)
    return membership is not None and membership.organization_id == nonconformity.audit.organization_id


def require_can_answer(user, nonconformity: Nonconformity) -> None:
    if not is_client_of(user, nonconformity):
        raise PermissionDenied(_("Only the client's users answer a nonconformity."))


def reviewer_teams(user, *, audit_id, programme_id, created_at):
    """The user's team places that let them review: on the NC's audit, or on a later audit of its
    programme (which verifies minors). The values may be OuterRefs, for use as a subquery, where a
    NULL programme matches no row as NULL equals nothing in SQL.
    """
    later = Q(audit__programme_id=programme_id, audit__created_at__gte=created_at)
    if programme_id is None:
        # In Python, `programme_id=None` would mean IS NULL: an audit outside a programme has no later one.
        later = Q(pk__in=[])
    return TeamMember.objects.filter(user=user).filter(Q(audit_id=audit_id) | later)


def can_review(user, nonconformity: Nonconformity) -> bool:
    """The audit's team, and the team of a later audit of the same programme, review and verify."""
    if not user.is_authenticated:
        return False
    audit = nonconformity.audit
    return reviewer_teams(
        user, audit_id=audit.pk, programme_id=audit.programme_id, created_at=audit.created_at
    ).exists()


def require_can_review(user, nonconformity: Nonconformity) -> None:
    if not can_review(user, nonconformity):
        raise PermissionDenied(_("Only the audit team reviews answers."))


def require_can_verify(user, nonconformity: Nonconformity) -> None:
    if not can_review(user, nonconformity):
        raise PermissionDenied(_("Only the audit team verifies nonconformities."))


def can_see_internal(user, nonconformity: Nonconformity) -> bool:
    """Internal notes are the certification body's: staff and those who may review.

    findings.nc_api.internal_visible states the same in SQL for lists; a test holds the two alike.
    """
    return is_staff_member(user) or can_review(user, nonconformity)


def require_can_write_internal_note(user, nonconformity: Nonconformity) -> None:
    if not can_see_internal(user, nonconformity):
        raise PermissionDenied(_("Only the certification body writes internal notes."))


def can_regrade(user) -> bool:
    """Certification staff change a nonconformity's grade, after an upheld appeal (17021-1 9.7):
    the team's grading stands otherwise."""
    return is_staff_member(user)


def require_can_regrade(user) -> None:
    if not can_regrade(user):
        raise PermissionDenied(_("Only certification staff change the grade of a nonconformity."))
