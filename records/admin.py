from django.contrib import admin

from records.models import Disposal


@admin.register(Disposal)
class DisposalAdmin(admin.ModelAdmin):
    """The disposal log, read only: it is written by the disposal and never changed."""

    list_display = ("organization_name", "disposed_at", "disposed_by", "archive_path", "archive_sha256")
    readonly_fields = (
        "organization",
        "organization_name",
        "disposed_at",
        "disposed_by",
        "disposed",
        "archive_path",
        "archive_sha256",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
