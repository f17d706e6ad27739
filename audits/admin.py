from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from audits.models import Audit, CertificationScheme, Clause, Competence, Standard


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
