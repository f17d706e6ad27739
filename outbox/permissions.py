"""Who may see and retry outgoing e-mails and documents: certification staff, by the model
permissions accounts.roles.ROLE_PERMISSIONS gives them; everyone else gets 403."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

VIEW = "outbox.view_outboxmessage"
RETRY = "outbox.change_outboxmessage"


def can_retry(user) -> bool:
    return user.has_perm(RETRY)


def require_can_retry(user) -> None:
    if not can_retry(user):
        raise PermissionDenied(_("Only certification staff may do this."))
