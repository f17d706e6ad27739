"""The staff page of outgoing e-mails and documents: what waits, what failed and why, and a retry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import ConflictError
from outbox import services
from outbox.models import MessageState, OutboxMessage
from outbox.permissions import RETRY, VIEW, can_retry
from outbox.registry import task_label
from outbox.selectors import messages_newest_first

PAGE_SIZE = 50
# The page opens on what needs someone's eye: everything not done.
ALL = "all"


@login_required
@permission_required(VIEW, raise_exception=True)
@require_safe
def message_list(request):
    return _list_page(request)


@login_required
@permission_required(RETRY, raise_exception=True)
@require_POST
def message_retry(request, pk):
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        services.message_retry(actor=request.user, message=message)
    except ConflictError as refusal:
        return _list_page(request, error=refusal.message, status=refusal.status_code)
    # In the embedded set-up the task has run by now; with a worker it is on its way.
    message.refresh_from_db()
    label = task_label(message.task)
    if message.state == MessageState.FAILED:
        failure = {"task": label, "error": message.last_error}
        messages.error(request, _("%(task)s failed again: %(error)s") % failure)
    elif message.state == MessageState.DONE:
        messages.success(request, _("%(task)s is done.") % {"task": label})
    elif message.state == MessageState.SENT:
        messages.success(request, _("%(task)s was handed to a worker.") % {"task": label})
    else:
        messages.warning(
            request,
            _("%(task)s waits for the broker; it is handed over once the broker answers.") % {"task": label},
        )
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("outbox:list")


def _list_page(request, *, error: str = "", status: int = 200):
    rows = messages_newest_first()
    state = request.GET.get("state", "")
    if state in MessageState.values:
        rows = rows.filter(state=state)
    elif state != ALL:
        state = ""
        rows = rows.exclude(state=MessageState.DONE)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.label = task_label(message.task)
    context = {
        "page": page,
        "state": state,
        "states": MessageState.choices,
        "all": ALL,
        "error": error,
        "can_retry": can_retry(request.user),
    }
    return render(request, "outbox/message_list.html", context, status=status)
