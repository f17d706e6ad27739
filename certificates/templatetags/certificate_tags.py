"""What the audit's page shows of its certification decision: the pages of audits, which sit below
certificates, ask through this tag rather than importing certificates."""

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audits.models import AuditStatus, AuditType
from certificates.models import Decision
from certificates.permissions import can_decide
from certificates.services import OUTCOMES_FOR, RULE_STAGE2_REPEAT, stage2_majors_late

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


@register.simple_tag
def programme_stage2_repeat(programme) -> str:
    """What the programme's page says when stage 2 must be repeated: the majors of the initial
    audit were not verified closed within the scheme's months of stage 2's last day (the same rule
    that refuses the grant); empty otherwise."""
    stage2 = (
        programme.audits.filter(audit_type=AuditType.STAGE2, decision__isnull=True).order_by("-id").first()
    )
    if stage2 is None:
        return ""
    late = stage2_majors_late(stage2, on=timezone.localdate())
    if late is None or not late.numbers:
        return ""
    return _(
        "Stage 2 must be repeated: major nonconformities %(numbers)s were not verified closed by "
        "%(date)s (%(rule)s)."
    ) % {
        "numbers": ", ".join(late.numbers),
        "date": formats.date_format(late.deadline, "DATE_FORMAT"),
        "rule": RULE_STAGE2_REPEAT,
    }
