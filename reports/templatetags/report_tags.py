"""What the audit's page shows of its report being made: the pages of audits, which sit below
reports, ask through this tag rather than importing reports."""

from django import template

from outbox.permissions import can_retry
from reports.deliveries import report_delivery

register = template.Library()


@register.simple_tag
def audit_report_delivery(audit):
    """How making the audit's report went: its latest outbox row, None if never queued."""
    return report_delivery(audit)


@register.filter
def may_retry_deliveries(user) -> bool:
    """Whether this person sees why a delivery failed and may make it again (outbox.permissions)."""
    return can_retry(user)
