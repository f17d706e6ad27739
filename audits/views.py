from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.submissions import submitted_once
from audits import permissions, services
from audits.audit_time import calculate_combined_audit_time
from audits.cycle import audit_flags
from audits.documents import calculation_in_language
from audits.forms import (
    AdjustmentFormSet,
    AuditForm,
    CalculatorForm,
    ComputeTimeForm,
    DecisionDateForm,
    IctCheckForm,
    ObjectionDecisionForm,
    PlanConfirmForm,
    PlanDayForm,
    PlanSlotForm,
    ProgrammeForm,
    SpecialAuditForm,
    TeamMemberForm,
    TeamObjectionForm,
    adjustments_from,
    plan_day_label,
)
from audits.models import (
    Audit,
    AuditMode,
    AuditStatus,
    CertificationProgramme,
    IctCheck,
    ObjectionOutcome,
    PlanSlot,
)
from audits.selectors import audits_for_user, objections_for_user, programmes_for_user
from audits.team_rules import objection_refusal
from core.errors import DomainError
from core.views import save_with_service
from standards.models import Clause

CLOSED_STATES = (AuditStatus.CLOSED, AuditStatus.CANCELLED)


@login_required
def programme_detail(request, pk):
    """The cycle as a timeline: each audit with dates, status, sites, days, flags and clause coverage."""
    programme = get_object_or_404(programmes_for_user(request.user), pk=pk)
    audits = list(
        audits_for_user(request.user).filter(programme=programme).prefetch_related("sites").order_by("id")
    )
    if not audits:
        raise Http404
    scheme = programme.standards.order_by("code").select_related("scheme").first().scheme
    stage1 = next((audit for audit in audits if audit.audit_type == "stage1"), None)
    stage1_end = stage1.end_date if stage1 else None
    today = timezone.localdate()
    covered = {}
    for audit_id, clause_id in PlanSlot.objects.filter(day__audit__in=audits).values_list(
        "day__audit_id", "clauses"
    ):
        if clause_id:
            covered.setdefault(clause_id, set()).add(audit_id)
    rows = [
        {"audit": audit, "flags": audit_flags(audit=audit, today=today, stage1_end=stage1_end, scheme=scheme)}
        for audit in audits
    ]
    clauses = (
        Clause.objects.filter(standard__in=programme.standards.all(), auditable=True, is_active=True)
        .select_related("standard")
        .order_by("standard__code", "order")
    )
    coverage = [{"clause": clause, "audits": sorted(covered.get(clause.pk, ()))} for clause in clauses]
    context = {
        "programme": programme,
        "can_change": permissions.can_change_programmes(request.user),
        "can_quote": permissions.can_see_quote(request.user, programme),
        "rows": rows,
        "coverage": coverage,
        "uncovered": sum(1 for row in coverage if not row["audits"]),
    }
    return render(request, "audits/programme_detail.html", context)


# -- Programmes ---------------------------------------------------------------------------------


def _programme_for_user(user, pk) -> CertificationProgramme:
    """The programme, if the user may see its organisation; 404 for everyone else."""
    return get_object_or_404(programmes_for_user(user).select_related("organization"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def programme_create(request):
    permissions.require_can_create_programmes(request.user)
    initial = {"organization": request.GET.get("organization")} if request.method == "GET" else None
    form = ProgrammeForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        programme = save_with_service(
            form, lambda: services.programme_create(actor=request.user, **form.cleaned_data)
        )
        if programme is not None:
            messages.success(
                request, _("Programme created with its five audits, from stage 1 to recertification.")
            )
            return redirect("audits:programme-detail", pk=programme.pk)
    return render(request, "audits/programme_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def programme_decision(request, pk):
    programme = _programme_for_user(request.user, pk)
    permissions.require_can_change_programmes(request.user)
    form = DecisionDateForm(request.POST or None, initial={"decision_date": programme.decision_date})
    if request.method == "POST" and form.is_valid():
        saved = save_with_service(
            form,
            lambda: (
                services.programme_set_decision(
                    actor=request.user, programme=programme, decision_date=form.cleaned_data["decision_date"]
                )
                or programme
            ),
        )
        if saved is not None:
            messages.success(request, _("Decision date saved; the due dates of the cycle are set."))
            return redirect("audits:programme-detail", pk=programme.pk)
    return render(request, "audits/programme_decision.html", {"form": form, "programme": programme})


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_create(request, pk):
    """A special or short-notice audit added to a programme."""
    programme = _programme_for_user(request.user, pk)
    permissions.require_can_add_audits(request.user)
    form = SpecialAuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        audit = save_with_service(
            form, lambda: services.audit_add(actor=request.user, programme=programme, **form.cleaned_data)
        )
        if audit is not None:
            messages.success(request, _("Special audit added."))
            return redirect("audits:audit-detail", pk=audit.pk)
    return render(request, "audits/audit_add.html", {"form": form, "programme": programme})


# -- Audits -------------------------------------------------------------------------------------


def _audit_for_user(user, pk) -> Audit:
    """The audit, if the user may see it (staff, its team, the client's users); 404 otherwise."""
    return get_object_or_404(audits_for_user(user).select_related("organization", "programme"), pk=pk)


def _planner_audit(request, pk) -> Audit:
    audit = _audit_for_user(request.user, pk)
    permissions.require_can_plan(request.user, audit)
    return audit


def _staff_audit(request, pk) -> Audit:
    audit = _audit_for_user(request.user, pk)
    permissions.require_can_manage_audits(request.user)
    return audit


@login_required
def audit_list(request):
    audits = (
        audits_for_user(request.user)
        .select_related("organization")
        .prefetch_related("standards", "sites")
        .order_by(F("start_date").asc(nulls_last=True), "due_date", "id")
    )
    status = request.GET.get("status", "")
    if status in AuditStatus.values:
        audits = audits.filter(status=status)
    else:
        status = ""
        audits = audits.open()
    mine = request.GET.get("mine") == "1"
    if mine:
        audits = audits.filter(team__user=request.user)
    page = Paginator(audits, 50).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "mine": mine, "statuses": AuditStatus.choices}
    return render(request, "audits/audit_list.html", context)


def _plan_days(audit):
    return audit.days.select_related("site").prefetch_related(
        Prefetch(
            "slots",
            queryset=PlanSlot.objects.select_related("member__user").prefetch_related(
                Prefetch("clauses", queryset=Clause.objects.order_by("order"))
            ),
        )
    )


@login_required
def audit_detail(request, pk):
    """The audit record: summary, audit-time justification, team and the plan by day.

    Its certification decision and report are the higher apps' (certificates, reports): the page
    asks them through their template tags, so audits imports neither.
    """
    audit = _audit_for_user(request.user, pk)
    can_plan = permissions.can_plan(request.user, audit)
    days = list(_plan_days(audit))
    has_report_pdf = audit.documents.filter(kind="report").exists()
    context = {
        "audit": audit,
        "standards": list(audit.standards.all()),
        "sites": list(audit.sites.order_by("-is_central_function", "name")),
        "team": list(audit.team.select_related("user")),
        "days": days,
        "hours": sum((slot.hours for day in days for slot in day.slots.all()), Decimal(0)),
        "calculation": calculation_in_language(audit.time_calculation),
        "can_plan": can_plan and audit.status == AuditStatus.PLANNED,
        "can_edit": permissions.can_manage_audits(request.user) and audit.status not in CLOSED_STATES,
        "problems": services.plan_problems(audit) if can_plan and audit.status == AuditStatus.PLANNED else [],
        "has_plan_pdf": audit.documents.filter(kind="plan").exists(),
        "has_report_pdf": has_report_pdf,
        "ncrs": list(
            audit.nonconformities.select_related("finding__clause", "audit__organization").order_by("number")
        ),
        "can_close": audit.status in (AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS)
        and permissions.can_close(request.user, audit),
        # The checklist opens once the plan is confirmed; the client's users read it after closing.
        "can_checklist": audit.status in (AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS, AuditStatus.CLOSED)
        and permissions.can_read_findings(request.user, audit),
        "objections": list(objections_for_user(request.user, audit)),
        "can_object": permissions.can_object_to_team(request.user, audit)
        and objection_refusal(audit) is None,
        "can_decide_objections": permissions.can_manage_audits(request.user)
        and audit.status not in CLOSED_STATES,
    }
    return render(request, "audits/audit_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def audit_edit(request, pk):
    audit = _staff_audit(request, pk)
    form = AuditForm(request.POST or None, instance=audit)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in AuditForm.Meta.fields}
        saved = save_with_service(
            form,
            lambda: services.audit_update(
                actor=request.user, audit=audit, sites=form.cleaned_data["sites"], **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("audits:audit-detail", pk=audit.pk)
        # The failed service may have changed the instance in memory; show the audit as stored.
        audit.refresh_from_db()
    return render(request, "audits/audit_form.html", {"form": form, "audit": audit})


@login_required
@require_http_methods(["GET", "POST"])
def audit_time(request, pk):
    """Compute the audit time, with adjustments, and choose the sites to visit."""
    audit = _planner_audit(request, pk)
    adjustments = [
        {"percent": row["percent"], "justification": row["justification"]}
        for row in audit.time_calculation.get("adjustments", [])
    ]
    formset = AdjustmentFormSet(request.POST or None, initial=adjustments, prefix="adjustment")
    integration = audit.time_calculation.get("integration") or {}
    form = ComputeTimeForm(
        request.POST or None,
        combined=audit.standards.count() > 1,
        initial={
            "keep_sample": bool(audit.sampling_seed),
            "integration_percent": integration.get("percent"),
            "integration_justification": integration.get("justification", ""),
        },
    )
    if request.method == "POST" and formset.is_valid() and form.is_valid():
        seed = audit.sampling_seed if form.cleaned_data["keep_sample"] else None
        saved = save_with_service(
            form,
            lambda: services.audit_compute_time(
                actor=request.user,
                audit=audit,
                adjustments=adjustments_from(formset),
                integration=form.integration(),
                seed=seed,
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Audit time computed: %(days)s days; %(sites)s sites to visit.")
                % {"days": formats.number_format(saved.planned_days, 1), "sites": saved.sites.count()},
            )
            return redirect("audits:audit-detail", pk=audit.pk)
    context = {
        "audit": audit,
        "formset": formset,
        "form": form,
        "calculation": calculation_in_language(audit.time_calculation),
        "integration_criteria": services.time_policy(audit).integration_criteria
        if "integration_percent" in form.fields
        else (),
    }
    return render(request, "audits/audit_time.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_team(request, pk):
    audit = _staff_audit(request, pk)
    form = TeamMemberForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        member = save_with_service(
            form, lambda: services.team_member_add(actor=request.user, audit=audit, **form.cleaned_data)
        )
        if member is not None:
            messages.success(
                request,
                _("%(user)s added as %(role)s.") % {"user": member.user, "role": member.get_role_display()},
            )
            return redirect("audits:audit-team", pk=audit.pk)
    team = audit.team.select_related("user")
    objections = objections_for_user(request.user, audit).filter(outcome=ObjectionOutcome.OPEN)
    context = {"audit": audit, "form": form, "team": team, "objections": objections}
    return render(request, "audits/audit_team.html", context)


@login_required
@require_POST
def audit_team_remove(request, pk, member_pk):
    audit = _staff_audit(request, pk)
    member = get_object_or_404(audit.team.select_related("user"), pk=member_pk)
    try:
        services.team_member_remove(actor=request.user, member=member)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(user)s removed from the team.") % {"user": member.user})
    return redirect("audits:audit-team", pk=audit.pk)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_objection_create(request, pk):
    """The audited client objects to a named team member, with its reason (17021-1 9.2.3.3)."""
    audit = _audit_for_user(request.user, pk)
    permissions.require_can_object_to_team(request.user, audit)
    form = TeamObjectionForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        objection = save_with_service(
            form,
            lambda: services.team_objection_raise(
                actor=request.user,
                audit=audit,
                member=form.cleaned_data["member"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if objection is not None:
            messages.success(
                request,
                _("Your objection to %(user)s is recorded; certification staff will answer it.")
                % {"user": objection.user},
            )
            return redirect("audits:audit-detail", pk=audit.pk)
    context = {"audit": audit, "form": form, "refusal": objection_refusal(audit)}
    return render(request, "audits/objection_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_objection_decide(request, pk, objection_pk):
    """Staff replace the member objected to, or record why they stay."""
    audit = _staff_audit(request, pk)
    objection = get_object_or_404(audit.objections.select_related("user", "raised_by"), pk=objection_pk)
    form = ObjectionDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decided = save_with_service(
            form,
            lambda: services.team_objection_decide(
                actor=request.user, objection=objection, **form.cleaned_data
            ),
        )
        if decided is not None:
            messages.success(request, _("Decision on the objection recorded."))
            return redirect("audits:audit-detail", pk=audit.pk)
    return render(
        request, "audits/objection_decide.html", {"audit": audit, "objection": objection, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_plan(request, pk):
    """Add days and slots to the plan; each refusal is shown beside the field at fault."""
    audit = _planner_audit(request, pk)
    posted = request.POST.get("form") if request.method == "POST" else None
    day_form = PlanDayForm(request.POST if posted == "day" else None, audit=audit, prefix="day")
    slot_form = PlanSlotForm(request.POST if posted == "slot" else None, audit=audit, prefix="slot")
    # Only a remote or hybrid audit has an ICT check.
    ict_check = IctCheck.objects.filter(audit=audit).first() if audit.mode != AuditMode.ON_SITE else None
    ict_form = IctCheckForm(
        request.POST if posted == "ict" else None, initial=_ict_initial(audit, ict_check), prefix="ict"
    )
    if posted == "ict" and ict_form.is_valid():
        recorded = save_with_service(
            ict_form,
            lambda: services.ict_check_record(actor=request.user, audit=audit, **ict_form.cleaned_data),
        )
        if recorded is not None:
            messages.success(request, _("ICT check recorded."))
            return redirect(f"{reverse('audits:audit-plan', args=[audit.pk])}#ict-check")
    if posted == "day" and day_form.is_valid():
        day = save_with_service(
            day_form, lambda: services.plan_day_add(actor=request.user, audit=audit, **day_form.cleaned_data)
        )
        if day is not None:
            messages.success(request, _("Day added: %(day)s.") % {"day": plan_day_label(day)})
            return redirect("audits:audit-plan", pk=audit.pk)
    if posted == "slot" and slot_form.is_valid():
        slot = save_with_service(
            slot_form, lambda: services.plan_slot_add(actor=request.user, **slot_form.cleaned_data)
        )
        if slot is not None:
            described = f"{plan_day_label(slot.day)} · {slot.start:%H:%M}–{slot.end:%H:%M} {slot.activity}"
            messages.success(request, _("Slot added: %(slot)s.") % {"slot": described})
            return redirect(f"{reverse('audits:audit-plan', args=[audit.pk])}#day-{slot.day_id}")
    days = list(_plan_days(audit))
    context = {
        "audit": audit,
        "day_form": day_form,
        "slot_form": slot_form,
        "days": days,
        "hours": sum((slot.hours for day in days for slot in day.slots.all()), Decimal(0)),
        "problems": services.plan_problems(audit) if audit.status == AuditStatus.PLANNED else [],
        "confirm_form": PlanConfirmForm(initial={"justification": audit.plan_justification}),
        "ict_check": ict_check,
        "ict_form": ict_form,
        "onsite_warning": services.onsite_share_warning(audit, ict_check),
    }
    status = 400 if posted in ("day", "slot", "ict") else 200
    return render(request, "audits/audit_plan.html", context, status=status)


def _ict_initial(audit: Audit, ict_check: IctCheck | None) -> dict:
    """The ICT check's form filled in from the last check, or the share a remote audit has."""
    if ict_check is not None:
        return {
            "tools": ict_check.tools,
            "connectivity": ict_check.connectivity,
            "confidentiality": ict_check.confidentiality,
            "limitations": ict_check.limitations,
            "remote_percent": ict_check.remote_percent,
            "feasible": "yes" if ict_check.feasible else "no",
            "onsite_justification": ict_check.onsite_justification,
        }
    return {"remote_percent": 100} if audit.mode == AuditMode.REMOTE else {}


def _remove(request, audit, remove, what):
    try:
        remove()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(what)s removed.") % {"what": what})
    return redirect("audits:audit-plan", pk=audit.pk)


@login_required
@require_POST
def plan_day_remove(request, pk, day_pk):
    audit = _planner_audit(request, pk)
    day = get_object_or_404(audit.days.select_related("site", "audit"), pk=day_pk)
    return _remove(request, audit, lambda: services.plan_day_remove(actor=request.user, day=day), str(day))


@login_required
@require_POST
def plan_slot_remove(request, pk, slot_pk):
    audit = _planner_audit(request, pk)
    slot = get_object_or_404(
        PlanSlot.objects.filter(day__audit=audit).select_related("day__audit"), pk=slot_pk
    )
    return _remove(
        request, audit, lambda: services.plan_slot_remove(actor=request.user, slot=slot), slot.activity
    )


@login_required
@require_POST
def audit_plan_confirm(request, pk):
    audit = _planner_audit(request, pk)
    form = PlanConfirmForm(request.POST)
    if form.is_valid():
        confirmed = save_with_service(
            form,
            lambda: services.plan_confirm(
                actor=request.user, audit=audit, justification=form.cleaned_data["justification"]
            ),
        )
        if confirmed is not None:
            messages.success(
                request,
                _("Plan confirmed. Its PDF is being made and will be e-mailed to the client contact."),
            )
            return redirect("audits:audit-detail", pk=audit.pk)
    for error in form.non_field_errors() + form.errors.get("justification", []):
        messages.error(request, error)
    return redirect("audits:audit-plan", pk=audit.pk)


# -- Calculator ---------------------------------------------------------------------------------


@login_required
def calculator(request):
    """The audit-time calculator for planners: the numbers and justification, nothing saved."""
    if not permissions.can_use_calculator(request.user):
        raise PermissionDenied
    submitted = "standard" in request.GET
    form = CalculatorForm(request.GET if submitted else None)
    formset = AdjustmentFormSet(request.GET if submitted else None, prefix="adjustment")
    result = None
    if submitted and form.is_valid() and formset.is_valid():
        values = form.cleaned_data
        result = save_with_service(
            form,
            lambda: calculate_combined_audit_time(
                schemes=[standard.scheme for standard in values["standard"]],
                personnel=values["personnel"],
                sites=values["sites"],
                audit_type=values["audit_type"],
                adjustments=adjustments_from(formset),
                integration=form.integration(),
            ),
        )
    status = 400 if submitted and result is None else 200
    context = {"form": form, "formset": formset, "result": result}
    return render(request, "audits/calculator.html", context, status=status)
