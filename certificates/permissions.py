"""Who may decide on certification and change certificates: one function per rule.

`can_*` answers for a page that shows or hides a form; `require_*` refuses with the reason
(PermissionDenied), called alike by the page, the API and the service. Whether the decision may be
made now (the audit's state, impartiality, open majors) is the services' `decision_problems`.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member


def can_decide(user) -> bool:
    """Certification staff make the certification decision (never the audit's own team: that is
    the impartiality check in services.decision_problems)."""
    return is_staff_member(user)


def require_can_decide(user) -> None:
    if not can_decide(user):
        raise PermissionDenied(_("Only certification staff make certification decisions."))


def can_change_certificates(user) -> bool:
    """Certification staff issue, suspend, reinstate, withdraw, rescope and renew certificates."""
    return is_staff_member(user)


def require_can_change_certificates(user) -> None:
    if not can_change_certificates(user):
        raise PermissionDenied(_("Only certification staff change certificates."))
