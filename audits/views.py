from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from audits.models import Clause
from audits.selectors import clause_tree, standards_with_counts


@login_required
@permission_required("audits.view_standard", raise_exception=True)
def standard_list(request):
    return render(request, "audits/standard_list.html", {"standards": standards_with_counts()})


@login_required
@permission_required("audits.view_standard", raise_exception=True)
def standard_detail(request, pk):
    standard = get_object_or_404(standards_with_counts(), pk=pk)
    context = {
        "standard": standard,
        "tree": clause_tree(standard),
        "scheme": getattr(standard, "scheme", None)
        if request.user.has_perm("audits.view_certificationscheme")
        else None,
    }
    return render(request, "audits/standard_detail.html", context)


@login_required
def programme_detail(request, pk):
    """The cycle as a timeline: each audit with dates, status, sites, days, flags and clause coverage."""
    from django.utils import timezone

    from audits.cycle import audit_flags
    from audits.models import CertificationProgramme, PlanSlot
    from audits.selectors import audits_for_user
    from clients.selectors import organizations_for_user

    programme = get_object_or_404(
        CertificationProgramme.objects.filter(organization__in=organizations_for_user(request.user)), pk=pk
    )
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
        "rows": rows,
        "coverage": coverage,
        "uncovered": sum(1 for row in coverage if not row["audits"]),
    }
    return render(request, "audits/programme_detail.html", context)
