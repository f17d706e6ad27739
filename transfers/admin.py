from django.contrib import admin

from transfers.models import OtherBodyNonconformity, ReviewItem, Transfer, TransferDocument


class ReviewItemInline(admin.TabularInline):
    model = ReviewItem
    extra = 0
    readonly_fields = ["item", "order", "answer", "note", "answered_by", "answered_at"]
    can_delete = False


class NonconformityInline(admin.TabularInline):
    model = OtherBodyNonconformity
    extra = 0
    readonly_fields = ["state", "closed_on", "closure_note", "recorded_by", "recorded_at"]
    can_delete = False


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    """The record for staff to read and correct; the state, the review and the decision change
    only through the services."""

    list_display = ["organization", "certificate_number", "issuing_body", "standard", "status"]
    list_filter = ["status"]
    search_fields = ["organization__legal_name", "certificate_number", "issuing_body"]
    readonly_fields = [
        "organization",
        "standard",
        "status",
        "reviewer",
        "review_completed_at",
        "visit",
        "decision",
        "certificate",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [ReviewItemInline, NonconformityInline]


@admin.register(TransferDocument)
class TransferDocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "transfer", "kind", "uploaded_at"]
    readonly_fields = ["transfer", "file", "original_name", "content_type", "size", "sha256", "uploaded_by"]
