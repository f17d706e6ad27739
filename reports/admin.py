from django.contrib import admin

from reports.models import SystemStatement


@admin.register(SystemStatement)
class SystemStatementAdmin(admin.ModelAdmin):
    """The team's statement, kept by reports.services.audit_close with the closing: read here only."""

    list_display = ("audit", "standard", "conformity", "effectiveness")
    list_select_related = ("audit__organization", "standard")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
