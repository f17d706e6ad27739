"""What the audit's page shows of its certification decision: the pages of audits, which sit below
certificates, ask through this tag rather than importing certificates."""

from django import template

from audits.models import AuditStatus
from certificates.models import Decision
from certificates.permissions import can_decide
from certificates.services import OUTCOMES_FOR

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_decision(context, audit) -> dict:
    """{decision, can_decide}: the audit's decision, if made, and whether this person may record it now."""
    user = context["request"].user
    return {
        "decision": Decision.objects.filter(audit=audit).select_related("decided_by").first(),
        "can_decide": can_decide(user)
        and audit.status == AuditStatus.CLOSED
        and audit.audit_type in OUTCOMES_FOR
        and not Decision.objects.filter(audit=audit).exists(),
    }
