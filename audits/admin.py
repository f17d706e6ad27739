from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from audits.models import Audit, AuditDocument, AuditStatus, Competence, IctCheck, TeamObjection

# The states in which an audit is a record that no longer changes (audits.services._require_editable).
LOCKED_STATUSES = (AuditStatus.CLOSED, AuditStatus.CANCELLED)


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ("user", "standard", "role", "valid_from", "valid_to")
    list_select_related = ("user", "standard")
    list_filter = ("standard", "role")


@admin.register(Audit)
class AuditAdmin(GuardedModelAdmin):
    """An audit's state and what its workflow recorded are the services' to change, never the admin's.

    Its place in the cycle, its status, the computed time and sample, the plan's confirmation and
    the closing are written by the services that check each step's rule (audits.services,
    reports.services); changed here they would skip it. A closed or cancelled audit is a record:
    nothing of it changes here, as audits.services refuses to change it.
    """

    list_display = ("organization", "audit_type", "status", "start_date", "end_date")
    list_select_related = ("organization",)
    list_filter = ("audit_type", "status")
    readonly_fields = (
        "organization",
        "programme",
        "audit_type",
        "sequence",
        "status",
        "planned_days",
        "time_calculation",
        "sampling_seed",
        "plan_justification",
        "confirmed_at",
        "recommendation",
        "conclusion",
        "plan_deviations",
        "unresolved_issues",
        "significant_changes",
        "ict_effectiveness",
        "closed_at",
        "closed_by",
        "created_at",
        "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in LOCKED_STATUSES:
            return [field.name for field in obj._meta.concrete_fields if field.name != "id"]
        return self.readonly_fields


@admin.register(IctCheck)
class IctCheckAdmin(admin.ModelAdmin):
    """Recorded by audits.services.ict_check_record, which checks the rule and reopens the plan."""

    list_display = ("audit", "feasible", "remote_percent", "checked_at")
    list_select_related = ("audit__organization",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditDocument)
class AuditDocumentAdmin(admin.ModelAdmin):
    """Documents are records: readable here, never changed or deleted."""

    list_display = ("audit", "kind", "template_version", "size", "created_at")
    list_select_related = ("audit__organization",)
    list_filter = ("kind",)
    readonly_fields = ("audit", "kind", "stored_as", "template_version", "data_digest", "size", "created_at")
    exclude = ("file",)

    # The file's name, not a link: stored files have no URL (MEDIA_URL is unset) and are downloaded
    # through the audit's pages, which check access; the admin's link to it failed the page.
    @admin.display(description=_("file"))
    def stored_as(self, obj):
        return obj.file.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TeamObjection)
class TeamObjectionAdmin(admin.ModelAdmin):
    """The client's objections and staff's decisions are records of the services: read here only."""

    list_display = ("audit", "user", "outcome", "raised_at", "decided_at")
    list_select_related = ("audit__organization", "user")
    list_filter = ("outcome",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
