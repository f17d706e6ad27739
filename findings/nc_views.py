"""Nonconformity pages: the client's portal (answer) and the team's review, verification and notes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.submissions import submitted_once
from clients.selectors import membership_of
from core.views import save_with_service
from findings import ncr, permissions
from findings.forms import (
    InternalNoteForm,
    NonconformityAnswerForm,
    NonconformityReviewForm,
    NonconformityVerifyForm,
)
from findings.models import NonconformityAttachment, NonconformityStatus

LIST_SIZE = 50


def _nonconformity_for_user(request, pk):
    return get_object_or_404(
        ncr.nonconformities_for_user(request.user).select_related(
            "audit__organization", "finding__clause__standard", "finding__site", "accepted_by", "closed_by"
        ),
        pk=pk,
    )


@login_required
@require_safe
def nc_list(request):
    """What is mine to do: the client's open NCRs, the team's answers to review, staff's overdue first."""
    today = timezone.localdate()
    nonconformities = ncr.nonconformities_for_user(request.user).select_related(
        "audit__organization", "finding__clause", "finding__site"
    )
    show = request.GET.get("show", "open")
    if show == "open":
        nonconformities = nonconformities.open()
    elif show == "review":
        nonconformities = nonconformities.filter(status=NonconformityStatus.AWAITING_REVIEW)
    elif show == "overdue":
        nonconformities = nonconformities.overdue(today)
    else:
        show = "all"
    overdue = nonconformities.overdue(today).values("pk")
    mine_first = NonconformityStatus.AWAITING_RESPONSE if membership_of(request.user) else None
    nonconformities = nonconformities.annotate(
        late=Case(When(pk__in=overdue, then=Value(0)), default=Value(1), output_field=IntegerField()),
        turn=Case(
            When(status=mine_first or NonconformityStatus.AWAITING_REVIEW, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    ).order_by("late", "turn", "response_due", "number")
    page = Paginator(nonconformities, LIST_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "findings/nc_list.html",
        {"page": page, "show": show, "today": today, "is_client": bool(mine_first)},
    )


def _detail_context(request, nonconformity, **forms):
    user = request.user
    responses = nonconformity.responses.select_related("submitted_by", "reviewed_by").prefetch_related(
        Prefetch("attachments", queryset=NonconformityAttachment.objects.order_by("id"))
    )
    internal = permissions.can_see_internal(user, nonconformity)
    status = nonconformity.status
    is_client = permissions.is_client_of(user, nonconformity)
    reviewer = permissions.can_review(user, nonconformity)
    context = {
        "nc": nonconformity,
        "finding": nonconformity.finding,
        "responses": list(responses),
        "events": list(nonconformity.events.select_related("by")),
        "verification_files": list(nonconformity.attachments.filter(response__isnull=True)),
        "overdue": ncr.is_overdue(nonconformity, timezone.localdate()),
        "answer_form": forms.get("answer_form")
        or (
            NonconformityAnswerForm()
            if is_client and status == NonconformityStatus.AWAITING_RESPONSE
            else None
        ),
        "review_form": forms.get("review_form")
        or (
            NonconformityReviewForm() if reviewer and status == NonconformityStatus.AWAITING_REVIEW else None
        ),
        "verify_form": forms.get("verify_form")
        or (NonconformityVerifyForm() if reviewer and status == NonconformityStatus.ACCEPTED else None),
        "internal": internal,
    }
    if internal:
        context["notes"] = list(nonconformity.internal_notes.select_related("author"))
        context["note_form"] = forms.get("note_form") or InternalNoteForm()
    return context


@login_required
@require_safe
def nc_detail(request, pk):
    nonconformity = _nonconformity_for_user(request, pk)
    return render(request, "findings/nc_detail.html", _detail_context(request, nonconformity))


def _act(request, pk, form_class, form_name, act, success):
    """Run one step from its form; on refusal show the page again with the text kept and the reason."""
    nonconformity = _nonconformity_for_user(request, pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        # A wrong role is PermissionDenied (403) and passes through; refusals become form errors.
        done = save_with_service(form, lambda: act(nonconformity, form.cleaned_data))
        if done is not None:
            messages.success(request, success)
            return redirect("findings:nc-detail", pk=nonconformity.pk)
    nonconformity.refresh_from_db()
    context = _detail_context(request, nonconformity, **{form_name: form})
    return render(request, "findings/nc_detail.html", context, status=400)


@login_required
@require_POST
@submitted_once
def nc_respond(request, pk):
    def act(nonconformity, data):
        return ncr.nonconformity_respond(nonconformity=nonconformity, user=request.user, **data)

    return _act(
        request, pk, NonconformityAnswerForm, "answer_form", act, _("Your answer was sent to the auditor.")
    )


@login_required
@require_POST
@submitted_once
def nc_review(request, pk):
    def act(nonconformity, data):
        return ncr.nonconformity_review(nonconformity=nonconformity, user=request.user, **data)

    return _act(
        request, pk, NonconformityReviewForm, "review_form", act, _("Review saved; the client is told.")
    )


@login_required
@require_POST
@submitted_once
def nc_verify(request, pk):
    def act(nonconformity, data):
        return ncr.nonconformity_verify(nonconformity=nonconformity, user=request.user, **data)

    return _act(request, pk, NonconformityVerifyForm, "verify_form", act, _("Verified and closed."))


@login_required
@require_POST
@submitted_once
def nc_note(request, pk):
    def act(nonconformity, data):
        return ncr.internal_note_add(nonconformity=nonconformity, user=request.user, **data)

    return _act(request, pk, InternalNoteForm, "note_form", act, _("Note saved."))


@login_required
@require_safe
def nc_file(request, pk):
    """A file of an answer or a verification: for whoever may read the nonconformity."""
    attachment = (
        NonconformityAttachment.objects.filter(
            nonconformity__in=ncr.nonconformities_for_user(request.user).values("pk")
        )
        .filter(pk=pk)
        .first()
    )
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
