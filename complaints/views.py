"""Pages for complaints and appeals: the public complaint form (no log-in, rate-limited), the
portal's filing and reading for a client's users, and staff's list, case page and actions.

Every case is fetched through complaints_for_user / appeals_for_user, so an outsider gets 404; the
actions are refused by the services' own rules (403, or the form again with the reason).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.roles import is_staff_member
from accounts.submissions import submitted_once
from certificates.models import CertificateEvent, Decision, DecisionOutcome
from certificates.public_views import rate_limit_wait, too_many_requests
from clients.selectors import membership_of
from complaints import services
from complaints.documents import outcome_letter_of
from complaints.forms import (
    AppealForm,
    AssignForm,
    DecideForm,
    NoteForm,
    PortalComplaintForm,
    ProgressForm,
    PublicComplaintForm,
    ReasonForm,
    RedecideForm,
    RegradeForm,
    SpecialAuditForm,
    StaffAppealForm,
    StaffComplaintForm,
    SuspendForm,
)
from complaints.models import (
    Appeal,
    AppealAgainst,
    CaseOutcome,
    CaseSource,
    CaseState,
    Complaint,
    ComplaintAbout,
)
from complaints.permissions import (
    appeal_decider_conflicts,
    can_file_in_portal,
    can_handle_cases,
    can_report_progress,
    investigator_conflicts,
    require_can_file_in_portal,
    require_can_handle_cases,
)
from complaints.selectors import appeals_for_user, complaints_for_user, timeline_for_user
from core.views import save_with_service
from findings.models import Nonconformity

LIST_SIZE = 50
RECEIPT_SALT = "complaints.receipt"
# How long the receipt page shows its number: long enough to read it, note it or print it.
RECEIPT_MAX_AGE = 60 * 60


# -- Public -------------------------------------------------------------------------------------


def _public_context(request, context: dict) -> dict:
    return {
        "certification_body": settings.CERTIFICATION_BODY_NAME,
        "next_path": request.get_full_path(),
        **context,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def public_complaint(request):
    """Anyone may complain, without an account: a receipt number on the page and by e-mail."""
    wait = rate_limit_wait(request)
    if wait is not None:
        return too_many_requests(request, wait)
    form = PublicComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            # A robot that filled the hidden field: nothing is filed, nothing is said.
            return redirect("complaints_public:form")
        data = {key: value for key, value in form.cleaned_data.items() if key != "website"}
        complaint = save_with_service(
            form,
            lambda: services.complaint_file(
                user=request.user, source=CaseSource.PUBLIC, submitter_language=get_language(), **data
            ),
        )
        if complaint is not None:
            token = signing.dumps(complaint.number, salt=RECEIPT_SALT)
            return redirect("complaints_public:received", token=token)
    context = _public_context(request, {"form": form, "heading": _("Make a complaint")})
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/public_complaint.html", context, status=status)


@never_cache
@require_safe
def public_complaint_received(request, token):
    try:
        number = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404 from exc
    context = _public_context(request, {"number": number, "heading": _("Complaint received")})
    return render(request, "complaints/public_received.html", context)


# -- Lists and filing ---------------------------------------------------------------------------


@login_required
@require_safe
def case_list(request):
    """Complaints and appeals the user may see; staff filter the overdue ones."""
    today = timezone.localdate()
    complaints = complaints_for_user(request.user).select_related("handler").order_by("-received_on", "-id")
    appeals = (
        appeals_for_user(request.user)
        .select_related("handler", "organization")
        .order_by("-received_on", "-id")
    )
    show = request.GET.get("show", "")
    if show == "overdue":
        complaints, appeals = complaints.overdue(today), appeals.overdue(today)
    elif show == "open":
        complaints, appeals = complaints.open(), appeals.open()
    else:
        show = ""
    context = {
        "complaints": Paginator(complaints, LIST_SIZE).get_page(request.GET.get("page")),
        "appeals": Paginator(appeals, LIST_SIZE).get_page(request.GET.get("page")),
        "show": show,
        "today": today,
        "staff": can_handle_cases(request.user),
        "can_file": can_file_in_portal(request.user),
        "can_appeal": membership_of(request.user) is not None or is_staff_member(request.user),
    }
    return render(request, "complaints/case_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def complaint_new(request):
    """A client's user files a complaint; staff record one received by letter, call or e-mail."""
    require_can_file_in_portal(request.user)
    staff = can_handle_cases(request.user)
    form = (StaffComplaintForm if staff else PortalComplaintForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = CaseSource.STAFF if staff else CaseSource.PORTAL
        complaint = save_with_service(
            form, lambda: services.complaint_file(user=request.user, source=source, **form.cleaned_data)
        )
        if complaint is not None:
            messages.success(request, _("Complaint %(number)s recorded.") % {"number": complaint.number})
            return redirect("complaints:complaint-detail", pk=complaint.pk)
    context = {"form": form, "title": _("Make a complaint")}
    return render(
        request, "complaints/case_new.html", context, status=400 if request.method == "POST" else 200
    )


def _appeal_target(kind: str, pk: int) -> dict:
    model, key = {
        "decision": (Decision, "decision"),
        "event": (CertificateEvent, "certificate_event"),
        "nc": (Nonconformity, "nonconformity"),
    }[kind]
    return {key: model._default_manager.get(pk=pk)}


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def appeal_new(request):
    """A client's user appeals against a decision concerning its organisation; staff record an
    appeal received by letter."""
    staff = can_handle_cases(request.user)
    membership = membership_of(request.user)
    if not staff and membership is None:
        raise PermissionDenied(_("Only a client's users and certification staff file appeals."))
    if staff or membership is None:
        form: AppealForm = StaffAppealForm(request.POST or None)
    else:
        form = AppealForm(request.POST or None, organization_id=membership.organization_id)
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "against"}
        source = CaseSource.STAFF if staff else CaseSource.PORTAL
        appeal = save_with_service(
            form,
            lambda: services.appeal_file(
                user=request.user, source=source, **_appeal_target(*form.target()), **data
            ),
        )
        if appeal is not None:
            messages.success(request, _("Appeal %(number)s recorded.") % {"number": appeal.number})
            return redirect("complaints:appeal-detail", pk=appeal.pk)
    context = {"form": form, "title": _("Appeal against a decision")}
    return render(
        request, "complaints/case_new.html", context, status=400 if request.method == "POST" else 200
    )


# -- A case -------------------------------------------------------------------------------------


def _complaint(request, pk) -> Complaint:
    return get_object_or_404(
        complaints_for_user(request.user).select_related(
            "handler", "investigator", "organization", "certificate", "audit", "special_audit", "decided_by"
        ),
        pk=pk,
    )


def _appeal(request, pk) -> Appeal:
    return get_object_or_404(
        appeals_for_user(request.user).select_related(
            "handler",
            "investigator",
            "organization",
            "decision__audit",
            "certificate_event__certificate",
            "nonconformity__audit",
            "remedy_event",
            "remedy_decision",
            "remedy_nc_event",
            "decided_by",
        ),
        pk=pk,
    )


def _forms(case, **given) -> dict:
    """The action forms the case's state allows (staff's; the investigator's progress report)."""
    state = case.state
    forms: dict[str, object] = {
        "acknowledge_form": NoteForm(prefix="acknowledge") if state == CaseState.RECEIVED else None,
        "assign_form": AssignForm(prefix="assign")
        if state in (CaseState.RECEIVED, CaseState.ACKNOWLEDGED, CaseState.INVESTIGATING)
        else None,
        "progress_form": ProgressForm(prefix="progress") if state != CaseState.CLOSED else None,
        "decide_form": DecideForm(prefix="decide") if state == CaseState.INVESTIGATING else None,
        "close_form": NoteForm(prefix="close") if state == CaseState.DECIDED else None,
    }
    if isinstance(case, Complaint) and case.about == ComplaintAbout.CLIENT and state != CaseState.CLOSED:
        forms["special_audit_form"] = (
            SpecialAuditForm(prefix="audit") if case.special_audit_id is None else None
        )
        forms["suspend_form"] = SuspendForm(prefix="suspend") if case.certificate_id else None
    upheld = (
        isinstance(case, Appeal)
        and state == CaseState.DECIDED
        and case.outcome in (CaseOutcome.UPHELD, CaseOutcome.PARTLY)
    )
    if upheld and case.against == AppealAgainst.SUSPENSION and case.remedy_event_id is None:
        forms["reinstate_form"] = ReasonForm(prefix="reinstate")
    if (
        upheld
        and case.against == AppealAgainst.DECISION
        and case.decision is not None
        and case.decision.outcome == DecisionOutcome.REFUSE
        and case.remedy_decision_id is None
    ):
        forms["redecide_form"] = RedecideForm(prefix="redecide")
    if upheld and case.against == AppealAgainst.NC_GRADE and case.remedy_nc_event_id is None:
        forms["regrade_form"] = RegradeForm(prefix="regrade")
    # There is no form for a withdrawal or a scope reduction: the page says how it is done.
    forms["remedy_elsewhere"] = upheld and case.against in (
        AppealAgainst.WITHDRAWAL,
        AppealAgainst.SCOPE_REDUCTION,
    )
    forms.update(given)
    return forms


def _case_page(request, case, *, status=200, **given):
    handling = can_handle_cases(request.user)
    context = {
        "case": case,
        "is_complaint": isinstance(case, Complaint),
        "timeline": list(timeline_for_user(request.user, case)),
        "handling": handling,
        "reporting": can_report_progress(request.user, case),
        "letter": outcome_letter_of(case) if case.outcome else None,
        "overdue": case in type(case).objects.filter(pk=case.pk).overdue(timezone.localdate()),
    }
    if handling:
        context.update(_forms(case, **given))
        if isinstance(case, Appeal):
            conflicts = appeal_decider_conflicts(request.user, case, on=timezone.localdate())
        else:
            conflicts = investigator_conflicts(request.user, case)
        context["conflicts"] = [f"{message} ({rule})" for rule, message in conflicts]
    elif context["reporting"]:
        context["progress_form"] = given.get("progress_form") or ProgressForm(prefix="progress")
    return render(request, "complaints/case_detail.html", context, status=status)


@login_required
@require_safe
def complaint_detail(request, pk):
    return _case_page(request, _complaint(request, pk))


@login_required
@require_safe
def appeal_detail(request, pk):
    return _case_page(request, _appeal(request, pk))


def _act(request, case, *, form_name: str, form, act, success: str):
    """One step on a case from its form; a refusal shows the page again with the reason."""
    if form.is_valid():
        done = save_with_service(form, lambda: act(form.cleaned_data))
        if done is not None:
            messages.success(request, success)
            name = (
                "complaints:complaint-detail" if isinstance(case, Complaint) else "complaints:appeal-detail"
            )
            return redirect(name, pk=case.pk)
    case.refresh_from_db()
    return _case_page(request, case, status=400, **{form_name: form})


def _getter(kind: str):
    return _complaint if kind == "complaint" else _appeal


def _staff_case(request, kind, pk):
    case = _getter(kind)(request, pk)
    require_can_handle_cases(request.user)
    return case


@login_required
@require_POST
@submitted_once
def case_acknowledge(request, pk, kind):
    case = _staff_case(request, kind, pk)
    return _act(
        request,
        case,
        form_name="acknowledge_form",
        form=NoteForm(request.POST, prefix="acknowledge"),
        act=lambda data: services.case_acknowledge(user=request.user, case=case, text=data["text"]),
        success=_("Acknowledged; the submitter is e-mailed."),
    )


@login_required
@require_POST
@submitted_once
def case_assign(request, pk, kind):
    case = _staff_case(request, kind, pk)
    return _act(
        request,
        case,
        form_name="assign_form",
        form=AssignForm(request.POST, prefix="assign"),
        act=lambda data: services.case_assign(user=request.user, case=case, **data),
        success=_("Assigned."),
    )


@login_required
@require_POST
@submitted_once
def case_progress(request, pk, kind):
    case = _getter(kind)(request, pk)
    if not can_report_progress(request.user, case):
        raise PermissionDenied(_("Only certification staff and the case's investigator report its progress."))
    return _act(
        request,
        case,
        form_name="progress_form",
        form=ProgressForm(request.POST, prefix="progress"),
        act=lambda data: services.case_report_progress(user=request.user, case=case, **data),
        success=_("Progress report added."),
    )


@login_required
@require_POST
@submitted_once
def case_decide(request, pk, kind):
    case = _staff_case(request, kind, pk)
    return _act(
        request,
        case,
        form_name="decide_form",
        form=DecideForm(request.POST, prefix="decide"),
        act=lambda data: services.case_decide(user=request.user, case=case, **data),
        success=_("Decided; the outcome letter is made and e-mailed to the submitter."),
    )


@login_required
@require_POST
@submitted_once
def case_close(request, pk, kind):
    case = _staff_case(request, kind, pk)
    return _act(
        request,
        case,
        form_name="close_form",
        form=NoteForm(request.POST, prefix="close"),
        act=lambda data: services.case_close(user=request.user, case=case, text=data["text"]),
        success=_("Closed."),
    )


@login_required
@require_POST
@submitted_once
def complaint_special_audit(request, pk):
    complaint = _staff_case(request, "complaint", pk)
    return _act(
        request,
        complaint,
        form_name="special_audit_form",
        form=SpecialAuditForm(request.POST, prefix="audit"),
        act=lambda data: services.complaint_special_audit(user=request.user, complaint=complaint, **data),
        success=_("Special audit added to the client's programme."),
    )


@login_required
@require_POST
@submitted_once
def complaint_suspend(request, pk):
    complaint = _staff_case(request, "complaint", pk)
    return _act(
        request,
        complaint,
        form_name="suspend_form",
        form=SuspendForm(request.POST, prefix="suspend"),
        act=lambda data: services.complaint_suspend(user=request.user, complaint=complaint, **data),
        success=_("Certificate suspended; the public page shows it now."),
    )


@login_required
@require_POST
@submitted_once
def appeal_reinstate(request, pk):
    appeal = _staff_case(request, "appeal", pk)
    return _act(
        request,
        appeal,
        form_name="reinstate_form",
        form=ReasonForm(request.POST, prefix="reinstate"),
        act=lambda data: services.appeal_reinstate(user=request.user, appeal=appeal, **data),
        success=_("Certificate reinstated on the appeal."),
    )


@login_required
@require_POST
@submitted_once
def appeal_redecide(request, pk):
    appeal = _staff_case(request, "appeal", pk)
    return _act(
        request,
        appeal,
        form_name="redecide_form",
        form=RedecideForm(request.POST, prefix="redecide"),
        act=lambda data: services.appeal_redecide(user=request.user, appeal=appeal, **data),
        success=_("New certification decision recorded on the appeal."),
    )


@login_required
@require_POST
@submitted_once
def appeal_regrade(request, pk):
    appeal = _staff_case(request, "appeal", pk)
    return _act(
        request,
        appeal,
        form_name="regrade_form",
        form=RegradeForm(request.POST, prefix="regrade"),
        act=lambda data: services.appeal_regrade(user=request.user, appeal=appeal, **data),
        success=_("Nonconformity regraded on the appeal."),
    )


@login_required
@require_safe
def case_letter(request, pk, kind):
    """The outcome letter, for whoever may read the case."""
    case = _getter(kind)(request, pk)
    letter = outcome_letter_of(case)
    if letter is None:
        raise Http404
    return FileResponse(letter.file.open("rb"), as_attachment=True, filename=f"{case.number}.pdf")
