from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from audits.models import Audit, AuditDocument, CertificationScheme, Clause, Competence, Standard


class ClauseInline(admin.TabularInline):
    model = Clause
    fk_name = "standard"
    extra = 0
    fields = ("number", "title", "parent", "order", "auditable", "is_active")
    raw_id_fields = ("parent",)


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "edition", "accreditation_basis")
    inlines = [ClauseInline]


@admin.register(CertificationScheme)
class CertificationSchemeAdmin(admin.ModelAdmin):
    list_display = (
        "standard",
        "cycle_months",
        "max_days_per_audit",
        "multi_site_sampling_allowed",
        "day_rate",
    )
    list_select_related = ("standard",)


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ("user", "standard", "role", "valid_from", "valid_to")
    list_select_related = ("user", "standard")
    list_filter = ("standard", "role")


@admin.register(Audit)
class AuditAdmin(GuardedModelAdmin):
    list_display = ("organization", "audit_type", "status", "start_date", "end_date")
    list_select_related = ("organization",)
    list_filter = ("audit_type", "status")


@admin.register(AuditDocument)
class AuditDocumentAdmin(admin.ModelAdmin):
    """Documents are records: readable here, never changed or deleted."""

    list_display = ("audit", "kind", "template_version", "size", "created_at")
    list_select_related = ("audit__organization",)
    list_filter = ("kind",)
    readonly_fields = ("audit", "kind", "file", "template_version", "data_digest", "size", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
