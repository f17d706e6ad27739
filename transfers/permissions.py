"""Who may do what with a transfer of certification: one function per rule.

`can_*` answers for a page that shows or hides a form; `require_*` refuses with the reason
(PermissionDenied), called alike by the page, the API and the service. Finding a transfer at all
is the selectors' (`transfers_for_user`: staff and the transfer's reviewer, everyone else 404).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member
from audits.cycle import add_months
from audits.models import Competence, TeamMember, TeamRole
from audits.team_rules import QUALIFYING_COMPETENCES
from certificates.permissions import DECIDER_COOLING_OFF_MONTHS, RULE_NOT_CONSULTED, can_decide
from clients.models import ConsultancyDeclaration
from transfers.models import Transfer

RULE_COMPETENCE = "ISO/IEC 17021-1 7.1.2, IAF MD 2:2017 2.2"
RULE_INDEPENDENT_DECISION = "ISO/IEC 17021-1 9.5.1.2"


def can_manage_transfers(user) -> bool:
    """Certification staff take in transfers: the certificate, its documents, the reviewer, the visit."""
    return is_staff_member(user)


def require_can_manage_transfers(user) -> None:
    if not can_manage_transfers(user):
        raise PermissionDenied(_("Only certification staff handle transfers of certification."))


def is_reviewer(user, transfer: Transfer) -> bool:
    return user.is_authenticated and transfer.reviewer_id == user.pk


def can_list_transfers(user) -> bool:
    """Staff list every transfer; a reviewer the transfers they review."""
    return is_staff_member(user) or (
        user.is_authenticated and Transfer.objects.filter(reviewer=user).exists()
    )


def require_can_list_transfers(user) -> None:
    if not can_list_transfers(user):
        raise PermissionDenied(_("Only certification staff and reviewers see transfers of certification."))


def can_review(user, transfer: Transfer) -> bool:
    """Only the reviewer answers the pre-transfer review: the competent person staff chose."""
    return is_reviewer(user, transfer)


def require_can_review(user, transfer: Transfer) -> None:
    if not can_review(user, transfer):
        raise PermissionDenied(_("Only the transfer's reviewer answers the pre-transfer review."))


def can_decide_transfer(user) -> bool:
    """Certification staff decide (never the reviewer nor the visit's team: decider_conflicts)."""
    return can_decide(user)


def require_can_decide_transfer(user) -> None:
    if not can_decide_transfer(user):
        raise PermissionDenied(_("Only certification staff make certification decisions."))


def reviewer_competence_problems(user, transfer: Transfer, *, on: datetime.date) -> list[str]:
    """Why this person may not review this transfer: no valid auditor competence for its standard
    (audits.team_rules.QUALIFYING_COMPETENCES, as for an auditor on a team); empty when they may."""
    held = Competence.objects.valid_between(on, on).filter(
        user=user,
        standard_id=transfer.standard_id,
        role__in=QUALIFYING_COMPETENCES[TeamRole.AUDITOR],
    )
    if held.exists():
        return []
    return [
        _(
            "Competence rule: %(user)s holds no valid auditor competence for %(standard)s on %(date)s; "
            "the pre-transfer review is made by a competent person (%(rule)s)."
        )
        % {
            "user": user,
            "standard": transfer.standard.code,
            "date": formats.date_format(on, "DATE_FORMAT"),
            "rule": RULE_COMPETENCE,
        }
    ]


def decider_conflicts(user, transfer: Transfer, *, on: datetime.date) -> list[tuple[str, str]]:
    """(rule, reason) for each thing that bars this person from deciding on this transfer: the
    reviewer, a member of the visit's team, or one who consulted for the client within two years."""
    if not user.is_authenticated:
        return []
    conflicts = []
    if transfer.reviewer_id == user.pk:
        conflicts.append(
            (
                RULE_INDEPENDENT_DECISION,
                _("You made the pre-transfer review: the decision must be made by someone who did not."),
            )
        )
    if transfer.visit_id and TeamMember.objects.filter(audit_id=transfer.visit_id, user=user).exists():
        conflicts.append(
            (
                RULE_INDEPENDENT_DECISION,
                _(
                    "You were on the team of the pre-transfer visit: the decision must be made by "
                    "someone who was not."
                ),
            )
        )
    declaration = (
        ConsultancyDeclaration.objects.filter(
            organization_id=transfer.organization_id,
            person=user,
            until__gte=add_months(on, -DECIDER_COOLING_OFF_MONTHS),
        )
        .order_by("-until")
        .first()
    )
    if declaration is not None:
        conflicts.append(
            (
                RULE_NOT_CONSULTED,
                _(
                    "You declared %(kind)s with this client (%(provider)s) until %(until)s, less than two "
                    "years before the decision: someone else must decide."
                )
                % {
                    "kind": declaration.get_kind_display().lower(),
                    "provider": declaration.provider,
                    "until": formats.date_format(declaration.until, "DATE_FORMAT"),
                },
            )
        )
    return conflicts
