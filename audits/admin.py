from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from audits.models import Audit, AuditDocument, Competence


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
