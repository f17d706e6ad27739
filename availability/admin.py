from django.contrib import admin

from availability.models import Unavailability


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ("person", "kind", "start_date", "end_date")
    list_filter = ("kind",)
    date_hierarchy = "start_date"
