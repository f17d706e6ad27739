"""Who may file, read and handle complaints and appeals: one function per rule.

`can_*` answers for a page that shows or hides a form; `require_*` refuses with the reason
(PermissionDenied), called alike by the pages, the API and the services. Independence (ISO/IEC
17021-1 9.7, 9.8) is read here too: `investigator_conflicts` and `appeal_decider_conflicts` list,
each with its rule, what bars a person from investigating or deciding a case; the certification
decision's own rule (certificates.permissions.decider_conflicts) is reused for an appeal against a
decision.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_auditor, is_staff_member
from audits.permissions import is_on_team
from certificates.permissions import decider_conflicts
from clients.selectors import membership_of
from complaints.models import Appeal, Complaint

RULE_COMPLAINT_INDEPENDENCE = "ISO/IEC 17021-1 9.8"
RULE_APPEAL_INDEPENDENCE = "ISO/IEC 17021-1 9.7"


def can_handle_cases(user) -> bool:
    """Certification staff record, acknowledge, assign, decide and close complaints and appeals."""
    return is_staff_member(user)


def require_can_handle_cases(user) -> None:
    if not can_handle_cases(user):
        raise PermissionDenied(_("Only certification staff handle complaints and appeals."))


def can_file_in_portal(user) -> bool:
    """A client's users file complaints and appeals in the portal; staff record them for others."""
    return membership_of(user) is not None or is_staff_member(user)


def require_can_file_in_portal(user) -> None:
    if not can_file_in_portal(user):
        raise PermissionDenied(
            _("Only a client's users and certification staff file complaints and appeals here.")
        )


def can_report_progress(user, case: Complaint | Appeal) -> bool:
    """Staff, and the investigator assigned to the case, write its progress reports."""
    return is_staff_member(user) or (
        user.is_authenticated and case.investigator_id is not None and case.investigator_id == user.pk
    )


def require_can_report_progress(user, case: Complaint | Appeal) -> None:
    if not can_report_progress(user, case):
        raise PermissionDenied(_("Only certification staff and the case's investigator report its progress."))


def can_investigate(user) -> bool:
    """Investigators are certification staff or auditors."""
    return is_staff_member(user) or is_auditor(user)


def is_handling(user, case: Complaint | Appeal) -> bool:
    """Staff and the assigned investigator read the whole case, internal notes included."""
    return can_report_progress(user, case)


def investigator_conflicts(user, complaint: Complaint) -> list[tuple[str, str]]:
    """(rule, reason) for each thing that bars this person from investigating this complaint.

    Whoever was on the team of the audit complained about does not investigate it (17021-1 9.8).
    """
    audit = complaint.audit
    if audit is None or not is_on_team(user, audit):
        return []
    return [
        (
            RULE_COMPLAINT_INDEPENDENCE,
            _("%(person)s was on the team of the audit complained about: someone else must investigate.")
            % {"person": user.get_full_name() or user.username},
        )
    ]


def appeal_decider_conflicts(user, appeal: Appeal, *, on: datetime.date) -> list[tuple[str, str]]:
    """(rule, reason) for each thing that bars this person from investigating or deciding this appeal.

    No one involved in what is appealed (17021-1 9.7): against a certification decision, its
    decider and anyone the decision's own rule bars (on the team of the audits it rests on, or a
    consultant to the client: decider_conflicts); against a change to a certificate, who made it;
    against a nonconformity's grade, the team of its audit.
    """
    if not user.is_authenticated:
        return []
    conflicts: list[tuple[str, str]] = []
    involved = _("You were involved in what is appealed: someone else must decide the appeal.")
    decision, event, nonconformity = appeal.decision, appeal.certificate_event, appeal.nonconformity
    if decision is not None:
        if decision.decided_by_id == user.pk:
            conflicts.append(
                (
                    RULE_APPEAL_INDEPENDENCE,
                    _("You made the decision appealed: someone else must decide the appeal."),
                )
            )
        decided_audit = decision.decided_audit
        if decided_audit is not None:
            conflicts += decider_conflicts(user, decided_audit, on=on)
    if event is not None and event.by_id == user.pk:
        conflicts.append((RULE_APPEAL_INDEPENDENCE, involved))
    if nonconformity is not None and is_on_team(user, nonconformity.audit):
        conflicts.append(
            (
                RULE_APPEAL_INDEPENDENCE,
                _(
                    "You were on the team of the audit that graded the nonconformity: someone else must "
                    "decide the appeal."
                ),
            )
        )
    return conflicts


def can_see_submitter_view(user, case: Complaint | Appeal) -> bool:
    """The submitter reads the case as filed and the entries marked visible to them."""
    return user.is_authenticated and not is_handling(user, case)
