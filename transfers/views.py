"""Staff pages for transfers of certification (IAF MD 2), and the reviewer's pre-transfer review.

Staff list, record and correct transfers, upload their documents, record the issuing body's open
nonconformities, choose the reviewer, plan a visit and decide; the reviewer sees the transfers they
review and answers the checklist. Everyone else gets 403 on the list and 404 on a transfer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.submissions import submitted_once
from clients.models import Organization
from core.errors import DomainError
from core.forms import parse_id
from core.views import save_with_service
from transfers import services
from transfers.checklist import QUESTIONS
from transfers.forms import (
    CloseNonconformityForm,
    DocumentForm,
    NonconformityForm,
    OrganizationChoiceForm,
    ReviewerForm,
    ReviewItemForm,
    TransferDecisionForm,
    TransferForm,
)
from transfers.models import NcState, Transfer, TransferStatus
from transfers.permissions import (
    can_decide_transfer,
    can_manage_transfers,
    can_review,
    require_can_decide_transfer,
    require_can_list_transfers,
    require_can_manage_transfers,
    require_can_review,
)
from transfers.selectors import transfers_for_user

LIST_SIZE = 50


@login_required
@require_safe
def transfer_list(request):
    require_can_list_transfers(request.user)
    transfers = transfers_for_user(request.user).select_related("organization", "standard", "reviewer")
    status = request.GET.get("status", "")
    if status in TransferStatus.values:
        transfers = transfers.filter(status=status)
    else:
        status = ""
    page = Paginator(transfers.order_by("-created_at", "-id"), LIST_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": TransferStatus.choices,
        "staff": can_manage_transfers(request.user),
    }
    return render(request, "transfers/transfer_list.html", context)


def _organization_from(request) -> Organization | None:
    organization_id = parse_id(request.POST.get("organization") or request.GET.get("organization"))
    if organization_id is None:
        return None
    return Organization.objects.filter(pk=organization_id).first()


def _create(request, organization: Organization, form: TransferForm):
    return services.transfer_create(
        user=request.user,
        organization=organization,
        standard=form.cleaned_data["standard"],
        sites=form.cleaned_data["sites"],
        **{name: form.cleaned_data[name] for name in services.DETAIL_FIELDS},
    )


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def transfer_create(request):
    """A new transfer: first the organisation (a GET form), then the current certificate's details."""
    require_can_manage_transfers(request.user)
    organization = _organization_from(request)
    if organization is None:
        choice = OrganizationChoiceForm(request.GET or None)
        return render(request, "transfers/transfer_start.html", {"form": choice})
    form = TransferForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        transfer = save_with_service(form, lambda: _create(request, organization, form))
        if transfer is not None:
            messages.success(request, _("Transfer recorded. Choose the reviewer and upload the documents."))
            return redirect("transfers:transfer-detail", pk=transfer.pk)
    context = {"form": form, "organization": organization}
    return render(
        request, "transfers/transfer_form.html", context, status=400 if request.method == "POST" else 200
    )


def _transfer(request, pk) -> Transfer:
    return get_object_or_404(
        transfers_for_user(request.user).select_related(
            "organization", "standard", "reviewer", "visit", "decision__decided_by", "certificate"
        ),
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def transfer_edit(request, pk):
    transfer = _transfer(request, pk)
    require_can_manage_transfers(request.user)
    form = TransferForm(request.POST or None, organization=transfer.organization, transfer=transfer)
    if request.method == "POST" and form.is_valid():
        done = save_with_service(
            form,
            lambda: services.transfer_update(
                user=request.user,
                transfer=transfer,
                sites=form.cleaned_data["sites"],
                **{name: form.cleaned_data[name] for name in services.DETAIL_FIELDS},
            ),
        )
        if done is not None:
            messages.success(request, _("Transfer saved."))
            return redirect("transfers:transfer-detail", pk=transfer.pk)
    context = {"form": form, "organization": transfer.organization, "transfer": transfer}
    return render(
        request, "transfers/transfer_form.html", context, status=400 if request.method == "POST" else 200
    )


def _context(request, transfer: Transfer, **forms) -> dict:
    staff = can_manage_transfers(request.user)
    reviewer = can_review(request.user, transfer)
    decided = transfer.status in (TransferStatus.REFUSED, TransferStatus.ISSUED)
    under_review = transfer.status == TransferStatus.UNDER_REVIEW
    failed_item = forms.get("item_form_for")
    items = [
        {
            "item": item,
            "question": QUESTIONS.get(item.item, item.item),
            "form": (
                forms["item_form"]
                if failed_item == item.pk
                else ReviewItemForm(
                    prefix=f"item-{item.pk}",
                    initial={"answer": item.answer, "note": item.note},
                )
            )
            if reviewer and under_review
            else None,
        }
        for item in transfer.review_items.select_related("answered_by").order_by("order", "id")
    ]
    today = timezone.localdate()
    context = {
        "transfer": transfer,
        "sites": list(transfer.sites.order_by("name")),
        "documents": list(transfer.documents.select_related("uploaded_by").order_by("kind", "uploaded_at")),
        "items": items,
        "nonconformities": [
            {
                "nc": nc,
                "form": (
                    forms["close_form"]
                    if forms.get("close_form_for") == nc.pk
                    else CloseNonconformityForm(prefix=f"close-{nc.pk}")
                )
                if staff and not decided and nc.state == NcState.OPEN
                else None,
            }
            for nc in transfer.nonconformities.order_by("grade", "id")
        ],
        "staff": staff,
        "reviewer": reviewer,
        "decided": decided,
        "blockers": services.readiness_blockers(transfer, on=today) if not decided else [],
    }
    if staff and not decided:
        context["document_form"] = forms.get("document_form") or DocumentForm(prefix="document")
        context["nc_form"] = forms.get("nc_form") or NonconformityForm(prefix="nc")
        if transfer.status != TransferStatus.READY:
            context["reviewer_form"] = forms.get("reviewer_form") or ReviewerForm(
                prefix="reviewer", transfer=transfer
            )
        context["can_start_review"] = transfer.status == TransferStatus.DRAFT
        context["can_plan_visit"] = transfer.visit_id is None and transfer.status != TransferStatus.READY
    if reviewer and under_review:
        context["can_complete_review"] = True
    if can_decide_transfer(request.user) and transfer.status in (
        TransferStatus.UNDER_REVIEW,
        TransferStatus.READY,
    ):
        context["decision_blockers"] = services.decision_blockers(transfer, user=request.user, on=today)
        context["decision_form"] = forms.get("decision_form") or TransferDecisionForm(prefix="decision")
    context["action_errors"] = forms.get("action_errors", [])
    return context


@login_required
@require_safe
def transfer_detail(request, pk):
    transfer = _transfer(request, pk)
    return render(request, "transfers/transfer_detail.html", _context(request, transfer))


def _refused(request, transfer, status=400, **forms):
    transfer.refresh_from_db()
    return render(
        request, "transfers/transfer_detail.html", _context(request, transfer, **forms), status=status
    )


def _act(request, pk, *, require, form_class, form_name, act, success, prefix, form_kwargs=None, **extra):
    """One step from its form on the detail page; a refusal shows the page again with the reason."""
    transfer = _transfer(request, pk)
    require(request.user, transfer)
    form = form_class(request.POST, request.FILES, prefix=prefix, **(form_kwargs or {}))
    if form.is_valid():
        done = save_with_service(form, lambda: act(transfer, form))
        if done is not None:
            messages.success(request, success)
            return redirect("transfers:transfer-detail", pk=transfer.pk)
    return _refused(request, transfer, **{form_name: form}, **extra)


def _staff(user, transfer):
    require_can_manage_transfers(user)


def _decider(user, transfer):
    require_can_decide_transfer(user)


@login_required
@require_POST
@submitted_once
def transfer_reviewer(request, pk):
    transfer = _transfer(request, pk)
    return _act(
        request,
        pk,
        require=_staff,
        form_class=ReviewerForm,
        form_name="reviewer_form",
        prefix="reviewer",
        form_kwargs={"transfer": transfer},
        act=lambda transfer, form: services.transfer_assign_reviewer(
            user=request.user, transfer=transfer, reviewer=form.cleaned_data["reviewer"]
        ),
        success=_("Reviewer chosen."),
    )


@login_required
@require_POST
@submitted_once
def transfer_document_add(request, pk):
    return _act(
        request,
        pk,
        require=_staff,
        form_class=DocumentForm,
        form_name="document_form",
        prefix="document",
        act=lambda transfer, form: services.transfer_document_add(
            user=request.user,
            transfer=transfer,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        ),
        success=_("Document uploaded."),
    )


@login_required
@require_POST
@submitted_once
def transfer_nonconformity_add(request, pk):
    return _act(
        request,
        pk,
        require=_staff,
        form_class=NonconformityForm,
        form_name="nc_form",
        prefix="nc",
        act=lambda transfer, form: services.nonconformity_record(
            user=request.user, transfer=transfer, **form.cleaned_data
        ),
        success=_("Nonconformity recorded."),
    )


@login_required
@require_POST
@submitted_once
def transfer_nonconformity_close(request, pk, nc_pk):
    transfer = _transfer(request, pk)
    require_can_manage_transfers(request.user)
    nonconformity = get_object_or_404(transfer.nonconformities, pk=nc_pk)
    return _act(
        request,
        pk,
        require=_staff,
        form_class=CloseNonconformityForm,
        form_name="close_form",
        prefix=f"close-{nonconformity.pk}",
        close_form_for=nonconformity.pk,
        act=lambda transfer, form: services.nonconformity_close(
            user=request.user, nonconformity=nonconformity, **form.cleaned_data
        ),
        success=_("Nonconformity closed."),
    )


@login_required
@require_POST
@submitted_once
def transfer_review_answer(request, pk, item_pk):
    transfer = _transfer(request, pk)
    require_can_review(request.user, transfer)
    item = get_object_or_404(transfer.review_items, pk=item_pk)
    return _act(
        request,
        pk,
        require=require_can_review,
        form_class=ReviewItemForm,
        form_name="item_form",
        prefix=f"item-{item.pk}",
        item_form_for=item.pk,
        act=lambda transfer, form: services.review_item_answer(
            user=request.user, item=item, answer=form.cleaned_data["answer"], note=form.cleaned_data["note"]
        ),
        success=_("Answer saved."),
    )


def _step(request, pk, *, require, act, success):
    """A step with no fields (start the review, complete it, plan the visit): refused with reasons."""
    transfer = _transfer(request, pk)
    require(request.user, transfer)
    try:
        act(transfer)
    except DomainError as error:
        return _refused(
            request, transfer, status=error.status_code, action_errors=error.reasons or [error.message]
        )
    messages.success(request, success)
    return redirect("transfers:transfer-detail", pk=transfer.pk)


@login_required
@require_POST
@submitted_once
def transfer_start_review(request, pk):
    return _step(
        request,
        pk,
        require=_staff,
        act=lambda transfer: services.transfer_start_review(user=request.user, transfer=transfer),
        success=_("The review has started: the reviewer answers the checklist."),
    )


@login_required
@require_POST
@submitted_once
def transfer_complete_review(request, pk):
    return _step(
        request,
        pk,
        require=require_can_review,
        act=lambda transfer: services.transfer_complete_review(user=request.user, transfer=transfer),
        success=_("Review completed: the transfer waits for its decision."),
    )


@login_required
@require_POST
@submitted_once
def transfer_visit(request, pk):
    return _step(
        request,
        pk,
        require=_staff,
        act=lambda transfer: services.transfer_plan_visit(user=request.user, transfer=transfer),
        success=_("Visit added: plan it and choose its team on the audit's page."),
    )


@login_required
@require_POST
@submitted_once
def transfer_decide(request, pk):
    return _act(
        request,
        pk,
        require=_decider,
        form_class=TransferDecisionForm,
        form_name="decision_form",
        prefix="decision",
        act=lambda transfer, form: services.transfer_decide(
            user=request.user, transfer=transfer, **form.cleaned_data
        ),
        success=_("Decision recorded."),
    )


@login_required
@require_safe
def transfer_document_download(request, pk, document_pk):
    """A document of the review, for staff and the reviewer (everyone else 404)."""
    transfer = _transfer(request, pk)
    document = get_object_or_404(transfer.documents, pk=document_pk)
    try:
        handle = document.file.open("rb")
    except (OSError, ValueError):
        raise Http404(_("The file could not be read from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
