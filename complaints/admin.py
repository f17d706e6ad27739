"""Complaints and appeals in the admin: to read, never to change. Every step is a service call
(complaints.services) with its checks and its timeline entry, made on the case's page."""

from django.contrib import admin

from complaints.models import Appeal, Complaint, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ("at", "kind", "text", "visible_to_submitter", "author")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyCaseAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "state", "received_on", "answer_by", "handler")
    list_filter = ("state", "source")
    search_fields = ("number", "subject", "submitter_name")
    inlines = [TimelineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyCaseAdmin):
    list_select_related = ("handler",)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyCaseAdmin):
    list_select_related = ("handler",)
