from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site


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
    list_display = ("user", "organization", "role")
    list_select_related = ("user", "organization")
