from django.contrib import admin

from standards.models import CertificationScheme, Clause, Standard


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
        "accredited",
        "accreditation_body",
        "accreditation_number",
        "records_retention_years",
    )
    list_select_related = ("standard",)
