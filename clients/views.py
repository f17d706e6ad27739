from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.submissions import submitted_once
from clients import services
from clients.forms import ClientUserForm, DeclarationForm, OrganizationForm, SiteForm
from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site
from clients.permissions import can_change, require_can_change
from clients.selectors import (
    get_organization_for_user,
    organization_declarations,
    organization_memberships,
    organizations_for_user,
)
from core.views import save_with_service


@login_required
def organization_list(request):
    organizations = organizations_for_user(request.user).with_site_totals().order_by("legal_name", "id")
    query = request.GET.get("q", "").strip()
    if query:
        organizations = organizations.filter(
            Q(legal_name__icontains=query) | Q(org_number__icontains=query) | Q(city__icontains=query)
        )
    page = Paginator(organizations, 50).get_page(request.GET.get("page"))
    return render(request, "clients/organization_list.html", {"page": page, "query": query})


@login_required
def organization_detail(request, pk):
    organization = get_organization_for_user(request.user, pk)
    may_change = can_change(request.user, "change", Organization)
    context = {
        "organization": organization,
        "sites": organization.sites.all(),
        "programmes": organization.programmes.prefetch_related("standards"),
        "can_change": may_change,
    }
    if may_change:
        # Who the client's users are and who advised it is internal to the certification body.
        context["memberships"] = organization_memberships(organization)
        context["declarations"] = organization_declarations(organization)
    return render(request, "clients/organization_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def organization_create(request):
    require_can_change(request.user, "add", Organization)
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = save_with_service(
            form, lambda: services.organization_create(actor=request.user, **form.cleaned_data)
        )
        if organization is not None:
            messages.success(request, _("Organisation %(name)s added.") % {"name": organization})
            return redirect("clients:detail", pk=organization.pk)
    return render(request, "clients/organization_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request, pk):
    organization = get_organization_for_user(request.user, pk)
    require_can_change(request.user, "change", Organization)
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        saved = save_with_service(
            form,
            lambda: services.organization_update(
                actor=request.user, organization=organization, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("clients:detail", pk=organization.pk)
    return render(request, "clients/organization_form.html", {"form": form, "organization": organization})


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def site_create(request, pk):
    organization = get_organization_for_user(request.user, pk)
    require_can_change(request.user, "add", Site)
    form = SiteForm(request.POST or None, instance=Site(organization=organization))
    if request.method == "POST" and form.is_valid():
        site = save_with_service(
            form,
            lambda: services.site_create(actor=request.user, organization=organization, **form.cleaned_data),
        )
        if site is not None:
            messages.success(request, _("Site %(name)s added.") % {"name": site.name})
            return redirect("clients:detail", pk=organization.pk)
    return render(request, "clients/site_form.html", {"form": form, "organization": organization})


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request, pk, site_pk):
    organization = get_organization_for_user(request.user, pk)
    site = get_object_or_404(organization.sites, pk=site_pk)
    require_can_change(request.user, "change", Site)
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        saved = save_with_service(
            form, lambda: services.site_update(actor=request.user, site=site, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("clients:detail", pk=organization.pk)
    return render(
        request, "clients/site_form.html", {"form": form, "organization": organization, "site": site}
    )


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def declaration_create(request, pk):
    organization = get_organization_for_user(request.user, pk)
    require_can_change(request.user, "add", ConsultancyDeclaration)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = save_with_service(
            form,
            lambda: services.declaration_create(
                actor=request.user, organization=organization, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Declaration recorded."))
            return redirect("clients:detail", pk=organization.pk)
    return render(request, "clients/declaration_form.html", {"form": form, "organization": organization})


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def client_user_create(request, pk):
    organization = get_organization_for_user(request.user, pk)
    require_can_change(request.user, "add", ClientMembership)
    form = ClientUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = save_with_service(
            form,
            lambda: services.client_user_create(
                actor=request.user, organization=organization, **form.cleaned_data
            ),
        )
        if user is not None:
            messages.success(
                request,
                _("%(user)s added; an invitation to choose a password was e-mailed.") % {"user": user},
            )
            return redirect("clients:detail", pk=organization.pk)
    return render(request, "clients/client_user_form.html", {"form": form, "organization": organization})
