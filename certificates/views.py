"""Staff pages for decisions and certificates, and the certificate PDF downloads; a client's users
read and download their own certificates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.submissions import submitted_once
from audits.selectors import audits_for_user
from certificates import services
from certificates.documents import revision_has_pdf, revision_pdf_store
from certificates.forms import DecisionForm, ReasonForm, RestoreForm, ScopeForm, SuspendForm
from certificates.models import Certificate, CertificateRevision, CertificateStatus, DecisionOutcome
from certificates.permissions import (
    can_change_certificates,
    require_can_change_certificates,
    require_can_decide,
)
from certificates.selectors import certificates_for_user, decision_review
from core.views import save_with_service

LIST_SIZE = 50


def _decision_form(request, *, audit, outcomes, certifying_blockers, review) -> DecisionForm:
    """The decision form: certifying outcomes blocked while a blocker against them stands, and the
    sites to choose for a grant."""
    return DecisionForm(
        request.POST or None,
        outcomes=outcomes,
        blocked=[outcome.value for outcome in outcomes if outcome in services.CERTIFYING]
        if certifying_blockers
        else (),
        sites=review.coverage.in_scope if DecisionOutcome.GRANT in outcomes else None,
        certifiable=review.coverage.certifiable,
        scope=audit.scope,
    )


def _record_decision(request, *, audit, form):
    """Record the valid form's decision; the redirect to the certificate it issued (or the audit),
    or None when the service refused it (the form then carries the reason)."""
    made = save_with_service(
        form,
        lambda: services.decision_record(
            audit=audit,
            user=request.user,
            outcome=form.cleaned_data["outcome"],
            rationale=form.cleaned_data["rationale"],
            decided_on=form.cleaned_data["decided_on"],
            scope=form.cleaned_data.get("scope"),
            site_scopes=form.site_scopes(),
        ),
    )
    if made is None:
        return None
    messages.success(request, _("Decision recorded: %(outcome)s.") % {"outcome": made.get_outcome_display()})
    certificate = made.certificates.first()
    if certificate is not None:
        return redirect("certificates:certificate-detail", pk=certificate.pk)
    return redirect("audits:audit-detail", pk=audit.pk)


def _site_rows(form, review) -> list[dict]:
    """One row per site in scope: sampled, audited, certifiable, and its form field for a grant."""
    certifiable = {site.pk for site in review.coverage.certifiable}
    return [
        {
            "site": site,
            "sampled": site in review.coverage.sampled,
            "audited": site in review.coverage.audited,
            "certifiable": site.pk in certifiable,
            "field": form[name] if name else None,
        }
        for site, name in (form.site_fields or [(site, "") for site in review.coverage.in_scope])
    ]


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def decision(request, pk):
    """The certification decision on a closed audit, after a review of what it rests on (17021-1
    9.5.2): the audits, the team's recommendation, the nonconformities, the sites and clauses, and
    every blocker with its rule; a grant stays closed while a blocker stands."""
    audit = get_object_or_404(
        audits_for_user(request.user).select_related("organization", "programme"), pk=pk
    )
    require_can_decide(request.user)
    outcomes = [DecisionOutcome(value) for value in services.OUTCOMES_FOR.get(audit.audit_type, ())]
    blockers = services.decision_blockers(audit=audit, user=request.user)
    problems = [str(blocker) for blocker in blockers if not blocker.certifying_only]
    certifying_blockers = [blocker for blocker in blockers if blocker.certifying_only]
    review = decision_review(audit)
    form = _decision_form(
        request, audit=audit, outcomes=outcomes, certifying_blockers=certifying_blockers, review=review
    )
    if request.method == "POST" and form.is_valid():
        response = _record_decision(request, audit=audit, form=form)
        if response is not None:
            return response
    context = {
        "audit": audit,
        "form": form,
        "problems": problems,
        "certifying_blockers": certifying_blockers,
        "outcomes": outcomes,
        "review": review,
        "site_rows": _site_rows(form, review),
    }
    return render(
        request, "certificates/decision.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
def certificate_list(request):
    certificates = (
        certificates_for_user(request.user)
        .select_related("organization")
        .prefetch_related("standards")
        .order_by("entity_name", "number")
    )
    status = request.GET.get("status", "")
    if status in CertificateStatus.values:
        certificates = certificates.filter(status=status)
    else:
        status = ""
    query = request.GET.get("q", "").strip()
    if query:
        certificates = certificates.filter(entity_name__icontains=query) | certificates.filter(
            number__istartswith=query
        )
    page = Paginator(certificates, LIST_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "query": query, "statuses": CertificateStatus.choices}
    return render(request, "certificates/certificate_list.html", context)


def _certificate(request, pk) -> Certificate:
    return get_object_or_404(
        certificates_for_user(request.user).select_related(
            "organization", "decision__audit", "decision__decided_by"
        ),
        pk=pk,
    )


def _context(request, certificate, **forms):
    staff = can_change_certificates(request.user)
    context = {
        "certificate": certificate,
        "sites": list(certificate.sites.all()),
        "standards": list(certificate.standards.order_by("code")),
        "revisions": list(certificate.revisions.order_by("-revision")),
        "events": list(certificate.events.select_related("by").order_by("-at", "-id")),
        "staff": staff,
    }
    if staff:
        status = certificate.status
        context["suspend_form"] = forms.get("suspend_form") or (
            SuspendForm(prefix="suspend") if status == CertificateStatus.ACTIVE else None
        )
        context["restore_form"] = forms.get("restore_form") or (
            RestoreForm(prefix="restore") if status == CertificateStatus.SUSPENDED else None
        )
        context["withdraw_form"] = forms.get("withdraw_form") or (
            _withdraw_form() if status in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED) else None
        )
        context["scope_form"] = forms.get("scope_form") or (
            ScopeForm(certificate=certificate, prefix="scope")
            if status in (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED)
            else None
        )
    return context


def _withdraw_form(data=None):
    # Prefixes throughout: the lifecycle forms share one page, and each has a "reason".
    return ReasonForm(data, prefix="withdraw")


@login_required
def certificate_detail(request, pk):
    certificate = _certificate(request, pk)
    return render(request, "certificates/certificate_detail.html", _context(request, certificate))


def _act(request, pk, form, form_name, act, success):
    """One lifecycle step from its form; a refusal shows the page again with the reason and the text."""
    certificate = _certificate(request, pk)
    require_can_change_certificates(request.user)
    form = form(certificate)
    if form.is_valid():
        done = save_with_service(form, lambda: act(certificate, form))
        if done is not None:
            messages.success(request, success)
            return redirect("certificates:certificate-detail", pk=certificate.pk)
    certificate.refresh_from_db()
    return render(
        request,
        "certificates/certificate_detail.html",
        _context(request, certificate, **{form_name: form}),
        status=400,
    )


@login_required
@require_POST
@submitted_once
def certificate_suspend(request, pk):
    return _act(
        request,
        pk,
        lambda certificate: SuspendForm(request.POST, prefix="suspend"),
        "suspend_form",
        lambda certificate, form: services.certificate_suspend(
            certificate=certificate, user=request.user, **form.cleaned_data
        ),
        _("Certificate suspended; the public page shows it now."),
    )


@login_required
@require_POST
@submitted_once
def certificate_restore(request, pk):
    return _act(
        request,
        pk,
        lambda certificate: RestoreForm(request.POST, prefix="restore"),
        "restore_form",
        lambda certificate, form: services.certificate_restore(
            certificate=certificate, user=request.user, **form.cleaned_data
        ),
        _("Certificate restored."),
    )


@login_required
@require_POST
@submitted_once
def certificate_withdraw(request, pk):
    return _act(
        request,
        pk,
        lambda certificate: _withdraw_form(request.POST),
        "withdraw_form",
        lambda certificate, form: services.certificate_withdraw(
            certificate=certificate, user=request.user, reason=form.cleaned_data["reason"]
        ),
        _("Certificate withdrawn."),
    )


@login_required
@require_POST
@submitted_once
def certificate_scope(request, pk):
    suspended = _certificate(request, pk).status == CertificateStatus.SUSPENDED
    return _act(
        request,
        pk,
        lambda certificate: ScopeForm(request.POST, certificate=certificate, prefix="scope"),
        "scope_form",
        lambda certificate, form: services.certificate_change_scope(
            certificate=certificate,
            user=request.user,
            reason=form.cleaned_data["reason"],
            scope=form.cleaned_data["scope"],
            site_scopes=form.site_scopes(),
        ),
        _("Scope reduced: a new revision is issued and the certificate is active again for what remains.")
        if suspended
        else _("Scope changed: a new revision is issued."),
    )


# -- Downloads of the certificate PDF: the latest revision's, or any earlier revision's ----------
# Staff and the certified organisation's own users download; everyone else gets 404. A revision
# whose PDF the task has not made yet (no worker, a slow one, or it failed) is made on the spot,
# so a download never waits on the worker.


def _get_certificate_for_user(user, pk) -> Certificate:
    """The certificate, or 404 for anyone who may not see it (whether or not it exists)."""
    return get_object_or_404(certificates_for_user(user), pk=pk)


def revision_pdf_response(revision: CertificateRevision) -> FileResponse:
    """The revision's PDF as a download, made and stored first when it is not there yet.

    The caller has checked access to the certificate.
    """
    if not revision_has_pdf(revision):
        revision_pdf_store(revision=revision)
        revision.refresh_from_db(fields=["file", "template_version"])
    try:
        handle = revision.file.open("rb")
    except (OSError, ValueError):
        # Just stored, so only a storage fault gets here; the page says whom to tell.
        raise Http404(
            _("The certificate's PDF could not be read from storage; tell the certification body.")
        ) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{revision.certificate.number}-rev{revision.revision}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def certificate_pdf(request, pk):
    """The PDF of the certificate as it stands: its latest revision."""
    certificate = _get_certificate_for_user(request.user, pk)
    revision = certificate.revisions.order_by("-revision").first()
    if revision is None:
        raise Http404(_("This certificate has no revision to print."))
    revision.certificate = certificate
    return revision_pdf_response(revision)


@login_required
@require_safe
def certificate_revision_pdf(request, pk, revision):
    """The PDF of one revision, as it was issued: the record of what the certificate said then."""
    certificate = _get_certificate_for_user(request.user, pk)
    issued = get_object_or_404(certificate.revisions, revision=revision)
    issued.certificate = certificate
    return revision_pdf_response(issued)
