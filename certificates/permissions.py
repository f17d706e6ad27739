"""Who may decide on certification and change certificates: one function per rule.

`can_*` answers for a page that shows or hides a form; `require_*` refuses with the reason
(PermissionDenied), called alike by the page, the API and the service. Whether this person may
decide on this audit (impartiality: `decider_conflicts`) is read here too, and listed by the
services' `decision_blockers` with whether the decision may be made now (the audit's state, the
nonconformities, the sample).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member
from audits.cycle import add_months
from audits.models import Audit, TeamMember
from certificates.selectors import decision_audits
from clients.models import ConsultancyDeclaration
from clients.selectors import membership_of

# No decision by someone who consulted for or worked at the client this recently (17021-1 5.2).
DECIDER_COOLING_OFF_MONTHS = 24
RULE_NOT_ON_THE_TEAM = "ISO/IEC 17021-1 9.5.1.2"
RULE_NOT_CONSULTED = "ISO/IEC 17021-1 5.2"


def can_decide(user) -> bool:
    """Certification staff make the certification decision (never someone on the audits it rests
    on or who consulted for the client: decider_conflicts, which services.decision_blockers lists)."""
    return is_staff_member(user)


def require_can_decide(user) -> None:
    if not can_decide(user):
        raise PermissionDenied(_("Only certification staff make certification decisions."))


def decider_conflicts(user, audit: Audit, *, on: datetime.date) -> list[tuple[str, str]]:
    """(rule, reason) for each thing that bars this person from the decision on this audit; empty
    when nothing does.

    The decider was on none of the audits the decision rests on (ISO/IEC 17021-1 9.5.1.2) and has
    not consulted for or worked at the client, or a body related to it, in the two years before the
    decision (5.2).
    """
    if not user.is_authenticated:
        return []
    conflicts = [
        (
            RULE_NOT_ON_THE_TEAM,
            _(
                "You were on the team of this stage's audit (%(audit)s, as %(role)s): the decision must "
                "be made by someone who was not."
            )
            % {"audit": member.audit.get_audit_type_display(), "role": member.get_role_display().lower()},
        )
        for member in TeamMember.objects.filter(user=user, audit__in=decision_audits(audit))
        .select_related("audit")
        .order_by("audit_id")
    ]
    declarations = (
        ConsultancyDeclaration.objects.filter(
            organization_id=audit.organization_id,
            person=user,
            until__gte=add_months(on, -DECIDER_COOLING_OFF_MONTHS),
        )
        .select_related("organization")
        .order_by("-until")
    )
    conflicts += [
        (
            RULE_NOT_CONSULTED,
            _(
                "You declared %(kind)s with %(whom)s (%(provider)s) until %(until)s, less than two "
                "years before the decision: someone else must decide."
            )
            % {
                "kind": declaration.get_kind_display().lower(),
                "whom": declaration.consulted_for if declaration.client_related_body else _("this client"),
                "provider": declaration.provider,
                "until": formats.date_format(declaration.until, "DATE_FORMAT"),
            },
        )
        for declaration in declarations
    ]
    return conflicts


def can_change_certificates(user) -> bool:
    """Certification staff issue, suspend, reinstate, withdraw, rescope and renew certificates."""
    return is_staff_member(user)


def require_can_change_certificates(user) -> None:
    if not can_change_certificates(user):
        raise PermissionDenied(_("Only certification staff change certificates."))


def can_list_certificates(user) -> bool:
    """Staff list every certificate, a client's users their organisation's (certificates_for_user)."""
    return is_staff_member(user) or membership_of(user) is not None


def can_see_decider(user) -> bool:
    """Who made a certification decision is shown to certification staff only."""
    return is_staff_member(user)
