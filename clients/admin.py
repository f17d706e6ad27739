from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site
from clients.services import client_membership_delete


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(GuardedModelAdmin):
    list_display = ("legal_name", "org_number", "city", "country")
    search_fields = ("legal_name", "org_number", "city")
    list_filter = ("country",)
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "city", "is_central_function", "effective_personnel")
    list_select_related = ("organization",)
    search_fields = ("name", "city", "organization__legal_name")


@admin.register(ConsultancyDeclaration)
class ConsultancyDeclarationAdmin(admin.ModelAdmin):
    list_display = ("organization", "kind", "provider", "person", "until")
    list_select_related = ("organization", "person")


@admin.register(ClientMembership)
class ClientMembershipAdmin(admin.ModelAdmin):
    """Who belongs to which client is the services' to change: clients.services grants the person the
    organisation's view permission and the client users' group with the membership, and takes both
    back with it. Made or moved here, the grant would never come or stay behind; so people join on
    the organisation's page, and a removal here goes through the service."""

    list_display = ("user", "organization", "role")
    list_select_related = ("user", "organization")
    readonly_fields = ("user", "organization", "created_at")

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        client_membership_delete(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "organization"):
            client_membership_delete(actor=request.user, membership=membership)
