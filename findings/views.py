"""The checklist auditors live in on site: clause states, the clause in focus, findings and history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.submissions import submitted_once
from audits.models import AuditStatus
from audits.permissions import can_read_findings
from audits.selectors import audits_for_user
from clients.models import Site
from core.errors import DomainError
from core.forms import parse_id
from core.views import save_with_service
from findings import services
from findings.checklist import FILTERS, build_checklist
from findings.evidence import evidence_add
from findings.forms import EditFindingForm, EvidenceForm, NewFindingForm, RemoveFindingForm
from findings.models import Finding, FindingChange, Grade, Visibility
from findings.permissions import can_record_findings, can_see_history
from findings.selectors import evidence_for_user
from standards.models import Clause

OPEN_STATES = (AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS)


def _audit_with_findings(request, pk):
    """The audit, if the user may read its findings: staff and team always, clients after the report."""
    audit = get_object_or_404(audits_for_user(request.user).select_related("organization"), pk=pk)
    if not can_read_findings(request.user, audit):
        raise PermissionDenied
    return audit


def _finding_for_user(request, pk) -> Finding:
    finding = get_object_or_404(
        Finding.objects.current().select_related("audit__organization", "clause", "site", "updated_by"), pk=pk
    )
    # 404 for outsiders, 403 for the client before the report: the same rule as the checklist.
    _audit_with_findings(request, finding.audit_id)
    return finding


def _require_writer(request, audit) -> None:
    if not can_record_findings(request.user, audit):
        raise PermissionDenied


def _site_param(request) -> int | None:
    return parse_id(request.GET.get("site"))


def _site_of_today(audit, today) -> int | None:
    """The site a new finding most likely belongs to when the page names none: the one site the audit
    is at today, or the audit's only site. Otherwise none is guessed and the auditor chooses."""
    today_sites = set(audit.days.filter(date=today).values_list("site_id", flat=True))
    if len(today_sites) == 1:
        return today_sites.pop()
    if not today_sites:
        site_ids = [site.pk for site in audit.sites.all()]
        if len(site_ids) == 1:
            return site_ids[0]
    return None


@login_required
def checklist(request, pk):
    audit = _audit_with_findings(request, pk)
    only = request.GET.get("show", "all")
    if only not in FILTERS:
        only = "all"
    data = build_checklist(
        audit=audit, user=request.user, site_id=_site_param(request), only=only, today=timezone.localdate()
    )
    context = {
        "audit": audit,
        "checklist": data,
        "multi_standard": data.multi_standard,
        "show": only,
        # The next clause among those shown: with "my slots today", the next of mine.
        "next_open": data.next_open,
        "can_write": can_record_findings(request.user, audit) and audit.status in OPEN_STATES,
        "can_see_history": can_see_history(request.user, audit),
    }
    return render(request, "findings/checklist.html", context)


def _clause_findings(audit, clause, user):
    attachments = evidence_for_user(user).order_by("uploaded_at", "id")
    return (
        Finding.objects.current()
        .filter(audit=audit, clause=clause)
        .select_related("site", "recorded_by", "updated_by")
        .prefetch_related(Prefetch("attachments", queryset=attachments, to_attr="visible_attachments"))
        .order_by("site__name", "recorded_at", "id")
    )


def _add_file(finding, user, *, upload, description, visibility):
    return evidence_add(
        finding=finding, user=user, upload=upload, description=description, visibility=visibility
    )


def _create_with_file(user, audit, clause, form) -> Finding:
    """The new finding and its file, if one came; a refused file takes the finding back with it (one
    transaction), and the form keeps the text."""
    data = {name: form.cleaned_data[name] for name in ("grade", "site", "statement", "evidence")}
    data["interviewee_role"] = form.cleaned_data["interviewee_role"]
    with transaction.atomic():
        finding = services.finding_create(audit=audit, user=user, clause=clause, **data)
        if form.cleaned_data.get("file"):
            try:
                _add_file(
                    finding,
                    user,
                    upload=form.cleaned_data["file"],
                    description=form.cleaned_data["file_description"],
                    visibility=Visibility.CLIENT
                    if form.cleaned_data["share_with_client"]
                    else Visibility.TEAM,
                )
            except DomainError as error:
                error.field = "file"
                raise
    return finding


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def clause_focus(request, pk, clause_pk):
    """One clause: its findings at every site, quick grades and the form for a new finding."""
    audit = _audit_with_findings(request, pk)
    clause = get_object_or_404(
        Clause.objects.filter(standard__in=audit.standards.all(), auditable=True).select_related("standard"),
        pk=clause_pk,
    )
    writer = can_record_findings(request.user, audit)
    can_write = writer and audit.status in OPEN_STATES
    site_id = _site_param(request)
    if request.method == "POST" and not writer:
        raise PermissionDenied
    form = None
    if site_id is None and writer and request.method == "GET":
        site_id = _site_of_today(audit, timezone.localdate())
    if writer:
        # For the team even once closed: a late save gets the service's reason, with the text kept.
        form = NewFindingForm(
            request.POST or None, request.FILES or None, audit=audit, initial={"site": site_id}
        )
    if request.method == "POST" and form.is_valid():
        finding = save_with_service(form, lambda: _create_with_file(request.user, audit, clause, form))
        if finding is not None:
            messages.success(
                request,
                _("Saved: %(clause)s %(grade)s.")
                % {"clause": clause.number, "grade": finding.get_grade_display()},
            )
            url = reverse("findings:clause", args=[audit.pk, clause.pk])
            site = f"&site={finding.site_id}" if finding.site_id else ""
            return redirect(f"{url}?saved=1{site}")
    context = {
        "audit": audit,
        "clause": clause,
        "findings": list(_clause_findings(audit, clause, request.user)),
        "form": form,
        "can_write": can_write,
        "show_form": can_write or bool(form is not None and form.errors),
        "site_id": site_id,
        "draft_key": f"finding-{audit.pk}-{clause.pk}",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "findings/clause.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def finding_edit(request, pk):
    finding = _finding_for_user(request, pk)
    audit = finding.audit
    _require_writer(request, audit)
    form = EditFindingForm(
        request.POST or None, instance=finding, audit=audit, initial={"version": finding.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {
            name: form.cleaned_data[name]
            for name in ("grade", "site", "statement", "evidence", "interviewee_role")
        }
        # The form wrote the posted values onto `finding`; the service reads the stored row itself.
        saved = save_with_service(
            form,
            lambda: services.finding_update(
                finding=finding, user=request.user, version=form.cleaned_data["version"], **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Finding saved."))
            url = reverse("findings:clause", args=[audit.pk, saved.clause_id])
            return redirect(f"{url}?saved=1")
        conflict = Finding.objects.select_related("updated_by", "site").get(pk=finding.pk)
        if conflict.version == form.cleaned_data["version"]:
            conflict = None
    context = {"finding": finding, "audit": audit, "form": form, "conflict": conflict}
    return render(request, "findings/finding_edit.html", context, status=409 if conflict else 200)


@login_required
@require_POST
def finding_remove(request, pk):
    finding = _finding_for_user(request, pk)
    _require_writer(request, finding.audit)
    form = RemoveFindingForm(request.POST)
    url = reverse("findings:clause", args=[finding.audit_id, finding.clause_id])
    if not form.is_valid():
        messages.error(request, _("The page was out of date; nothing was removed. Try again."))
        return redirect(url)
    try:
        services.finding_remove(finding=finding, user=request.user, version=form.cleaned_data["version"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Finding removed; it stays in the history."))
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def finding_evidence_add(request, pk):
    """Add a photo or document to a finding that is already saved."""
    finding = _finding_for_user(request, pk)
    _require_writer(request, finding.audit)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        added = save_with_service(
            form,
            lambda: _add_file(
                finding,
                request.user,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                visibility=form.visibility,
            ),
        )
        if added is not None:
            messages.success(request, _("File added: %(name)s.") % {"name": added.original_name})
            return redirect("findings:clause", finding.audit_id, finding.clause_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "findings/evidence_add.html", {"finding": finding, "form": form}, status=status)


@login_required
def audit_history(request, pk):
    """Every change to the audit's findings and evidence: who, when, what. Staff and the team."""
    audit = get_object_or_404(audits_for_user(request.user).select_related("organization"), pk=pk)
    if not can_see_history(request.user, audit):
        raise PermissionDenied
    changes = list(
        FindingChange.objects.filter(audit=audit)
        .select_related("changed_by", "finding__clause", "finding__site", "evidence")
        .order_by("-changed_at", "-id")[:HISTORY_ROWS]
    )
    return render(request, "findings/history.html", {"audit": audit, "changes": _readable(changes)})


HISTORY_ROWS = 500


def _readable(changes):
    """Each change's fields as (label, old, new) in words: grade names, site and clause names."""
    site_ids, clause_ids = set(), set()
    for change in changes:
        site_ids.update(value for value in change.changes.get("site", []) if value)
        clause_ids.update(value for value in change.changes.get("clause", []) if value)
    sites = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))
    clauses = dict(Clause.objects.filter(pk__in=clause_ids).values_list("pk", "number"))
    names = {
        "site": sites,
        "clause": clauses,
        "grade": dict(Grade.choices),
        "visibility": dict(Visibility.choices),
    }
    for change in changes:
        change.lines = []
        for name, (old, new) in change.changes.items():
            lookup = names.get(name, {})
            try:
                label = Finding._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                label = name.replace("_", " ")
            change.lines.append((label, lookup.get(old, old), lookup.get(new, new)))
    return changes
