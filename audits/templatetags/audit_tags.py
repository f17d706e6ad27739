"""An audit's name and status as pages show them: tags rather than included templates, so that a
table of fifty audits renders each in a function call instead of two template includes."""

from django import template
from django.utils.html import format_html

from audits.models import AuditStatus

register = template.Library()

STATUS_CLASSES = {
    AuditStatus.CLOSED: " tag-ok",
    AuditStatus.CONFIRMED: " tag-info",
    AuditStatus.IN_PROGRESS: " tag-info",
    AuditStatus.CANCELLED: " tag-bad",
}


@register.simple_tag
def audit_label(audit) -> str:
    """ "Stage 2", "Surveillance 1": Audit.label, for the templates that name an audit."""
    return audit.label


@register.simple_tag
def status_tag(audit) -> str:
    return format_html(
        '<span class="tag{}">{}</span>', STATUS_CLASSES.get(audit.status, ""), audit.get_status_display()
    )
