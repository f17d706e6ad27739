"""Writes for programmes, audits, teams and plans. Each checks who acts (audits.permissions) and
its rule, then saves."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import SecurityEventKind
from accounts.security import record
from audits import permissions
from audits.audit_time import CombinedPolicy, Integration, calculate_combined_audit_time, combined_policy
from audits.cycle import cycle_dates, cycle_start, renewal_cycle_dates, running_cycle_dates
from audits.deliveries import plan_pdf_queue
from audits.models import (
    Audit,
    AuditDay,
    AuditMode,
    AuditStatus,
    AuditType,
    CertificationProgramme,
    IctCheck,
    ObjectionOutcome,
    PlanSlot,
    TeamMember,
    TeamObjection,
    TeamRole,
)
from audits.sampling import SiteChoice, new_seed, select_sites
from audits.team_rules import (
    competence_problems,
    conflict_problems,
    objection_problems,
    objection_refusal,
    team_problems,
)
from clients.models import Organization
from clients.services import organization_grant_view, organization_revoke_view
from core.actors import SYSTEM, check
from core.errors import ConflictError, DomainError
from standards.models import CertificationScheme, Standard

# The audits of a new programme, in the order they happen.
PROGRAMME_AUDITS = [
    (AuditType.STAGE1, 1),
    (AuditType.STAGE2, 1),
    (AuditType.SURVEILLANCE, 1),
    (AuditType.SURVEILLANCE, 2),
    (AuditType.RECERTIFICATION, 1),
]
AUDIT_TYPE_FOR_TIME = {
    AuditType.STAGE1: "initial",
    AuditType.STAGE2: "initial",
    AuditType.SURVEILLANCE: "surveillance",
    AuditType.RECERTIFICATION: "recertification",
    AuditType.SPECIAL: "surveillance",
}
TEAM_PERMISSIONS = ("audits.view_audit", "audits.change_audit")


def primary_standard(audit_or_programme) -> Standard:
    """The standard whose scheme sets the audit time when several are audited together."""
    standard = audit_or_programme.standards.order_by("code").select_related("scheme").first()
    if standard is None:
        raise DomainError(_("Choose at least one standard."), field="standards")
    return standard


def time_schemes(audit_or_programme) -> list:
    """The schemes of every standard audited together: each sets its part of the audit time."""
    standards = list(audit_or_programme.standards.order_by("code").select_related("scheme"))
    if not standards:
        raise DomainError(_("Choose at least one standard."), field="standards")
    missing = [standard.code for standard in standards if not hasattr(standard, "scheme")]
    if missing:
        raise DomainError(
            _("No certification scheme is set up for %(codes)s.") % {"codes": ", ".join(missing)},
            field="standards",
        )
    return [standard.scheme for standard in standards]


def time_policy(audit_or_programme) -> CombinedPolicy:
    """The audit-time policy an audit of these standards is held to (the strictest of their schemes)."""
    return combined_policy(time_schemes(audit_or_programme))


@transaction.atomic
def programme_create(
    *, actor, organization: Organization, standards: list[Standard]
) -> CertificationProgramme:
    """A programme with its five audits: stage 1, stage 2, two surveillances, recertification."""
    check(actor, permissions.require_can_create_programmes)
    if not standards:
        raise DomainError(_("Choose at least one standard."), field="standards")
    missing = [standard.code for standard in standards if not hasattr(standard, "scheme")]
    if missing:
        raise DomainError(
            _("No certification scheme is set up for %(codes)s.") % {"codes": ", ".join(missing)},
            field="standards",
        )
    overlapping = CertificationProgramme.objects.filter(
        organization=organization, status="active", standards__in=standards
    ).distinct()
    if overlapping.exists():
        raise ConflictError(
            _("%(organization)s already has an active programme for one of these standards.")
            % {"organization": organization}
        )
    programme = CertificationProgramme.objects.create(organization=organization)
    programme.standards.set(standards)
    for audit_type, sequence in PROGRAMME_AUDITS:
        audit = Audit.objects.create(
            organization=organization, programme=programme, audit_type=audit_type, sequence=sequence
        )
        audit.standards.set(standards)
    return programme


@transaction.atomic
def programme_set_decision(*, actor, programme: CertificationProgramme, decision_date: datetime.date) -> None:
    """Record the decision that starts the cycle and set the due dates that follow from it."""
    check(actor, permissions.require_can_change_programmes)
    scheme = primary_standard(programme).scheme
    dates = cycle_dates(decision_date=decision_date, scheme=scheme)
    programme.decision_date = decision_date
    programme.save(update_fields=["decision_date"])
    due = {
        (AuditType.SURVEILLANCE, 1): dates.surveillance_1,
        (AuditType.SURVEILLANCE, 2): dates.surveillance_2,
        (AuditType.RECERTIFICATION, 1): dates.recertification,
    }
    # A closed audit's record stays as it was, its due date included.
    for audit in programme.audits.open().filter(
        audit_type__in=[AuditType.SURVEILLANCE, AuditType.RECERTIFICATION]
    ):
        audit.due_date = due.get((audit.audit_type, audit.sequence))
        audit.save(update_fields=["due_date"])


@transaction.atomic
def programme_next_cycle(
    *, actor, programme: CertificationProgramme, decision_date: datetime.date, expiring_on: datetime.date
) -> list[Audit]:
    """After a renewal: the next cycle's two surveillances and recertification.

    Due from the cycle, not from the decision: the new cycle starts the day after the renewed
    certificate's old expiry `expiring_on`, so an early renewal never pulls the due dates earlier.
    """
    check(actor, permissions.require_can_change_programmes)
    dates = renewal_cycle_dates(expiring_on=expiring_on, scheme=primary_standard(programme).scheme)
    programme.decision_date = decision_date
    programme.save(update_fields=["decision_date"])
    created = []
    for audit_type, due in (
        (AuditType.SURVEILLANCE, dates.surveillance_1),
        (AuditType.SURVEILLANCE, dates.surveillance_2),
        (AuditType.RECERTIFICATION, dates.recertification),
    ):
        audit = Audit.objects.create(
            organization=programme.organization,
            programme=programme,
            audit_type=audit_type,
            sequence=programme.audits.filter(audit_type=audit_type).count() + 1,
            due_date=due,
        )
        audit.standards.set(programme.standards.all())
        created.append(audit)
    return created


# Surveillances in a cycle (ISO/IEC 17021-1 9.1.3.2: one a year, except the recertification year).
SURVEILLANCES_PER_CYCLE = 2


@transaction.atomic
def programme_take_over(
    *,
    actor,
    organization: Organization,
    standards: list[Standard],
    expiring_on: datetime.date,
    surveillances_held: int,
) -> CertificationProgramme:
    """The programme of a client whose certificate we take over from another body (IAF MD 2).

    It continues the running cycle: the audits still to come in it, after the `surveillances_held`
    already held by the other body (their numbers kept: after the first, the next is surveillance
    2), and the recertification before `expiring_on`, each due as the cycle that ends then has it
    (running_cycle_dates), so the next surveillance is due within the running cycle, not a fresh one
    from our decision. The programme's decision date is the one that started that cycle.
    """
    check(actor, permissions.require_can_create_programmes)
    if not standards:
        raise DomainError(_("Choose at least one standard."), field="standards")
    if not 0 <= surveillances_held <= SURVEILLANCES_PER_CYCLE:
        raise DomainError(_("A cycle has at most two surveillances."), field="cycle_stage")
    missing = [standard.code for standard in standards if not hasattr(standard, "scheme")]
    if missing:
        raise DomainError(
            _("No certification scheme is set up for %(codes)s.") % {"codes": ", ".join(missing)},
            field="standards",
        )
    if CertificationProgramme.objects.filter(
        organization=organization, status="active", standards__in=standards
    ).exists():
        raise ConflictError(
            _("%(organization)s already has an active programme for one of these standards.")
            % {"organization": organization}
        )
    scheme = primary_standard_of(standards).scheme
    dates = running_cycle_dates(expiring_on=expiring_on, scheme=scheme)
    started = cycle_start(expiring_on=expiring_on, scheme=scheme)
    programme = CertificationProgramme.objects.create(organization=organization, decision_date=started)
    programme.standards.set(standards)
    to_come = [
        (AuditType.SURVEILLANCE, sequence, due)
        for sequence, due in ((1, dates.surveillance_1), (2, dates.surveillance_2))
        if sequence > surveillances_held
    ]
    to_come.append((AuditType.RECERTIFICATION, 1, dates.recertification))
    for audit_type, sequence, due in to_come:
        audit = Audit.objects.create(
            organization=organization,
            programme=programme,
            audit_type=audit_type,
            sequence=sequence,
            due_date=due,
        )
        audit.standards.set(standards)
    return programme


def primary_standard_of(standards: list[Standard]) -> Standard:
    """primary_standard for standards not yet in a programme or audit: the first by code."""
    return sorted(standards, key=lambda standard: standard.code)[0]


@transaction.atomic
def audit_add(
    *,
    actor,
    programme: CertificationProgramme,
    audit_type: str = AuditType.SPECIAL,
    due_date=None,
    scope: str = "",
) -> Audit:
    """A special or short-notice audit added to a programme."""
    check(actor, permissions.require_can_add_audits)
    audit = Audit.objects.create(
        organization=programme.organization,
        programme=programme,
        audit_type=audit_type,
        sequence=programme.audits.filter(audit_type=audit_type).count() + 1,
        due_date=due_date,
        scope=scope,
    )
    audit.standards.set(programme.standards.all())
    return audit


@transaction.atomic
def audit_create_outside_programme(
    *, actor, organization: Organization, standards: list[Standard], scope: str = ""
) -> Audit:
    """A special audit of a client with no programme of ours yet: the visit of a pre-transfer
    review (IAF MD 2), planned and held like any audit; the transfer links it."""
    check(actor, permissions.require_can_add_audits)
    if not standards:
        raise DomainError(_("Choose at least one standard."), field="standards")
    audit = Audit.objects.create(
        organization=organization, audit_type=AuditType.SPECIAL, sequence=1, scope=scope
    )
    audit.standards.set(standards)
    return audit


def _require_editable(audit: Audit) -> None:
    if audit.status in (AuditStatus.CLOSED, AuditStatus.CANCELLED):
        raise ConflictError(
            _("This audit is %(status)s and can no longer be changed.")
            % {"status": audit.get_status_display().lower()}
        )


AUDIT_FIELDS = ("mode", "start_date", "end_date", "objectives", "scope", "criteria", "language", "due_date")


@transaction.atomic
def audit_update(*, actor, audit: Audit, sites=None, **data) -> Audit:
    check(actor, permissions.require_can_manage_audits)
    _require_editable(audit)
    unknown = set(data) - set(AUDIT_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    # As stored: a page's model form has already set the new values on the instance.
    stored_dates = Audit.objects.filter(pk=audit.pk).values_list("start_date", "end_date").first()
    for name, value in data.items():
        setattr(audit, name, value)
    policy = time_policy(audit)
    if audit.start_date and audit.end_date and policy.max_days_per_audit:
        calendar_days = (audit.end_date - audit.start_date).days + 1
        if calendar_days > 7 * int(policy.max_days_per_audit):
            raise DomainError(_("An audit cannot stretch over that many weeks."), field="end_date")
    audit.full_clean(exclude=["organization", "programme", "time_calculation"])
    audit.save()
    if stored_dates is not None and stored_dates != (audit.start_date, audit.end_date):
        # New dates ask the team's competence and impartiality again (plan_problems): a confirmed
        # plan becomes a draft, so they are checked before it is confirmed anew.
        _reopen_plan(audit)
    if sites is not None:
        foreign = [site for site in sites if site.organization_id != audit.organization_id]
        if foreign:
            raise DomainError(
                _("A site of another organisation cannot be visited in this audit."), field="sites"
            )
        audit.sites.set(sites)
    return audit


@transaction.atomic
def audit_compute_time(
    *, actor, audit: Audit, adjustments=(), integration: Integration | None = None, seed: int | None = None
) -> Audit:
    """Compute the audit time and choose the sites to visit; keep both as the justification record.

    An audit of several standards is a combined audit (IAF MD 11): `integration` is the reduction
    chosen for the integration of the client's system, with its justification. The seed of the
    random part of the sample is stored, so the choice can be reproduced.
    """
    check(actor, permissions.require_can_plan, audit)
    _require_editable(audit)
    schemes = time_schemes(audit)
    sites = list(audit.organization.sites.all())
    if not sites:
        raise DomainError(_("Register the organisation's sites first."))
    personnel = sum((site.effective_personnel for site in sites), Decimal(0))
    if personnel <= 0:
        raise DomainError(_("The organisation's sites have no effective personnel registered."))
    time_type = AUDIT_TYPE_FOR_TIME[AuditType(audit.audit_type)]

    def calculate():
        return calculate_combined_audit_time(
            schemes=schemes,
            personnel=personnel,
            sites=len(sites),
            audit_type=time_type,
            adjustments=list(adjustments),
            integration=integration,
        )

    result = calculate()
    wording = _in_every_language(calculate)
    seed = new_seed() if seed is None else seed
    chosen = select_sites(
        sites=[SiteChoice(site.pk, site.name, site.is_central_function) for site in sites],
        sample=result.sampled_sites,
        seed=seed,
        visits_in_cycle=_visits_in_cycle(audit),
    )
    days = days_of_audit(audit, result)
    audit.planned_days = days
    audit.sampling_seed = seed
    audit.time_calculation = {
        **result.as_dict(),
        "personnel": float(personnel),
        "sites_total": len(sites),
        "audit_days": float(days),
        "adjustments": [{"percent": float(a.percent), "justification": a.justification} for a in adjustments],
        "selected_sites": [{"id": c.id, "name": c.name, "reason": c.reason} for c in chosen],
        "seed": seed,
        "wording": wording,
        "computed_at": timezone.now().isoformat(),
    }
    audit.save(update_fields=["planned_days", "sampling_seed", "time_calculation", "updated_at"])
    audit.sites.set([choice.id for choice in chosen])
    return audit


def _in_every_language(calculate) -> dict:
    """The justification and warnings are words: kept in every language, each reader sees their own."""
    wording = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            worded = calculate()
            wording[language] = {
                "justification": [str(line) for line in worded.justification],
                "warnings": [str(line) for line in worded.warnings],
            }
    return wording


def _visits_in_cycle(audit: Audit) -> dict[int, int]:
    """How often each site was visited by the programme's other confirmed or closed audits."""
    visits: dict[int, int] = {}
    if audit.programme_id:
        for site_id in (
            Audit.sites.through.objects.filter(
                audit__programme_id=audit.programme_id,
                audit__status__in=[AuditStatus.CONFIRMED, AuditStatus.CLOSED],
            )
            .exclude(audit=audit)
            .values_list("site_id", flat=True)
        ):
            visits[site_id] = visits.get(site_id, 0) + 1
    return visits


def days_of_audit(audit: Audit, result) -> Decimal:
    """Stage 1 and stage 2 each plan their share of the initial time; the others their whole time."""
    if audit.audit_type == AuditType.STAGE1:
        return result.stage1_days
    if audit.audit_type == AuditType.STAGE2:
        return result.stage2_days
    return result.days


# -- Team ---------------------------------------------------------------------------------------


@transaction.atomic
def team_member_add(
    *, actor, audit: Audit, user, role: str, today: datetime.date | None = None
) -> TeamMember:
    """Add a member (`user`) after the competence and impartiality checks; grant them the audit."""
    check(actor, permissions.require_can_manage_audits)
    _require_editable(audit)
    today = today or timezone.localdate()
    if role not in TeamRole.values:
        raise DomainError(_("Unknown team role %(role)s.") % {"role": role}, field="role")
    if audit.team.filter(user=user).exists():
        raise ConflictError(_("%(user)s is already on this audit's team.") % {"user": user})
    if role == TeamRole.LEAD_AUDITOR and audit.team.filter(role=TeamRole.LEAD_AUDITOR).exists():
        raise ConflictError(_("The audit already has a lead auditor; remove them first."))
    if hasattr(user, "client_membership"):
        raise DomainError(_("A client's user cannot be on an audit team."), field="user")
    problems = conflict_problems(audit=audit, user=user, today=today) + competence_problems(
        audit=audit, user=user, role=role, today=today
    )
    if problems:
        raise DomainError(" ".join(problems), field="user")
    member = TeamMember.objects.create(audit=audit, user=user, role=role)
    # The plan names the team, and the client may object to a member before it is confirmed
    # (17021-1 9.2.3.3): a confirmed plan is a draft again, its checks asked anew.
    _reopen_plan(audit)
    for perm in TEAM_PERMISSIONS:
        assign_perm(perm, user, audit)
    organization_grant_view(user=user, organization=audit.organization)
    record(
        SecurityEventKind.TEAM_ADDED,
        organization=audit.organization_id,
        target=f"audit {audit.pk}",
        member=user.username,
        role=role,
    )
    return member


@transaction.atomic
def team_member_remove(*, actor, member: TeamMember) -> None:
    check(actor, permissions.require_can_manage_audits)
    audit = member.audit
    _require_editable(audit)
    if member.slots.exists():
        raise ConflictError(
            _("%(user)s has slots in the plan; give them to someone else first.") % {"user": member.user}
        )
    user = member.user
    member.delete()
    _reopen_plan(audit)
    record(
        SecurityEventKind.TEAM_REMOVED,
        organization=audit.organization_id,
        target=f"audit {audit.pk}",
        member=user.username,
        role=member.role,
    )
    for perm in TEAM_PERMISSIONS:
        remove_perm(perm, user, audit)
    # Keep the view on the client while the user is still on another of its audits.
    if not TeamMember.objects.filter(user=user, audit__organization=audit.organization).exists():
        organization_revoke_view(user=user, organization=audit.organization)
    # The member is replaced: an open objection to them is answered by that.
    TeamObjection.objects.filter(audit=audit, user=user, outcome=ObjectionOutcome.OPEN).update(
        outcome=ObjectionOutcome.REPLACED, decided_by=_person(actor), decided_at=timezone.now()
    )


def _person(actor):
    """The person to record as having acted: none for the system."""
    return None if actor is SYSTEM else actor


# -- Objections to team members (17021-1 9.2.3.3) -----------------------------------------------


@transaction.atomic
def team_objection_raise(*, actor, audit: Audit, member: TeamMember, reason: str) -> TeamObjection:
    """The audited client objects to a named member before the plan is confirmed; staff decide."""
    check(actor, permissions.require_can_object_to_team, audit)
    refusal = objection_refusal(audit)
    if refusal:
        raise ConflictError(refusal)
    if member.audit_id != audit.pk:
        raise DomainError(_("Choose a member of this audit's team."), field="member")
    if not reason.strip():
        raise DomainError(_("Say why you object to this member."), field="reason")
    if audit.objections.filter(user=member.user_id, outcome=ObjectionOutcome.OPEN).exists():
        raise ConflictError(
            _("An objection to %(user)s is already awaiting staff's decision.") % {"user": member.user}
        )
    return TeamObjection.objects.create(
        audit=audit, user=member.user, reason=reason.strip(), raised_by=_person(actor)
    )


@transaction.atomic
def team_objection_decide(
    *, actor, objection: TeamObjection, outcome: str, reason: str = ""
) -> TeamObjection:
    """Staff answer an objection: replace the member (taken off the team) or keep them, saying why."""
    check(actor, permissions.require_can_manage_audits)
    audit = objection.audit
    _require_editable(audit)
    if not objection.is_open:
        raise ConflictError(_("This objection has already been decided."))
    if outcome not in (ObjectionOutcome.REPLACED, ObjectionOutcome.KEPT):
        raise DomainError(_("Choose whether the member is replaced or kept."), field="outcome")
    if outcome == ObjectionOutcome.KEPT and not reason.strip():
        raise DomainError(_("Record why the member stays on the team."), field="reason")
    objection.outcome = outcome
    objection.decision_reason = reason.strip()
    objection.decided_by = _person(actor)
    objection.decided_at = timezone.now()
    objection.save(update_fields=["outcome", "decision_reason", "decided_by", "decided_at"])
    if outcome == ObjectionOutcome.REPLACED:
        member = audit.team.filter(user=objection.user_id).first()
        if member is not None:
            team_member_remove(actor=actor, member=member)
    return objection


# -- Plan ---------------------------------------------------------------------------------------


def _reopen_plan(audit: Audit) -> None:
    """A change to a confirmed plan makes it a draft again: the client's PDF no longer matches it.

    Confirming again makes and sends the new PDF; the earlier one stays on record.
    """
    # Asked of the stored row: the caller's copy may have been read before the plan was confirmed.
    reopened = Audit.objects.filter(pk=audit.pk, status=AuditStatus.CONFIRMED).update(
        status=AuditStatus.PLANNED, confirmed_at=None, updated_at=timezone.now()
    )
    if reopened:
        audit.status = AuditStatus.PLANNED
        audit.confirmed_at = None


def _overlap(day_date, start, end, *, user, exclude_slot=None):
    overlapping = PlanSlot.objects.filter(
        day__date=day_date, member__user=user, start__lt=end, end__gt=start
    ).select_related("day__site", "day__audit__organization")
    if exclude_slot is not None:
        overlapping = overlapping.exclude(pk=exclude_slot.pk)
    return overlapping.first()


@transaction.atomic
def plan_day_add(*, actor, audit: Audit, date: datetime.date, site) -> AuditDay:
    check(actor, permissions.require_can_plan, audit)
    _require_editable(audit)
    if not audit.sites.filter(pk=site.pk).exists():
        raise DomainError(
            _("%(site)s is not among the sites chosen for this audit.") % {"site": site.name}, field="site"
        )
    if audit.start_date and audit.end_date and not (audit.start_date <= date <= audit.end_date):
        raise DomainError(_("The day must fall within the audit's dates."), field="date")
    policy = time_policy(audit)
    dates = set(audit.days.values_list("date", flat=True)) | {date}
    if policy.max_days_per_audit and len(dates) > policy.max_days_per_audit:
        raise DomainError(
            _("One audit lasts at most %(days)s days under the scheme; split the audit.")
            % {"days": format(policy.max_days_per_audit.normalize(), "f")},
            field="date",
        )
    if audit.days.filter(date=date, site=site).exists():
        raise ConflictError(_("The plan already has that day at that site."))
    _reopen_plan(audit)
    return AuditDay.objects.create(audit=audit, date=date, site=site)


@transaction.atomic
def plan_day_remove(*, actor, day: AuditDay) -> None:
    check(actor, permissions.require_can_plan, day.audit)
    _require_editable(day.audit)
    _reopen_plan(day.audit)
    day.delete()


@transaction.atomic
def plan_slot_add(
    *,
    actor,
    day: AuditDay,
    start: datetime.time,
    end: datetime.time,
    member: TeamMember,
    activity: str,
    clauses=(),
) -> PlanSlot:
    audit = day.audit
    check(actor, permissions.require_can_plan, audit)
    _require_editable(audit)
    if end <= start:
        raise DomainError(_("A slot must end after it starts."), field="end")
    if member.audit_id != audit.pk:
        raise DomainError(_("Only a member of this audit's team can be responsible."), field="member")
    if not activity.strip():
        raise DomainError(_("Say what is audited in the slot."), field="activity")
    clash = _overlap(day.date, start, end, user=member.user)
    if clash is not None:
        if clash.day.audit_id == audit.pk and clash.day.site_id == day.site_id:
            message = _("%(user)s already has a slot from %(start)s to %(end)s that overlaps this one.")
        else:
            message = _("%(user)s cannot be in two places at once: %(start)s to %(end)s at %(where)s.")
        raise DomainError(
            message
            % {
                "user": member.user,
                "start": clash.start.strftime("%H:%M"),
                "end": clash.end.strftime("%H:%M"),
                "where": f"{clash.day.site.name} ({clash.day.audit.organization})",
            },
            field="start",
        )
    standards = set(audit.standards.values_list("pk", flat=True))
    foreign = [clause for clause in clauses if clause.standard_id not in standards]
    if foreign:
        raise DomainError(
            _("Clause %(number)s is not in this audit's standards.") % {"number": foreign[0].number},
            field="clauses",
        )
    _reopen_plan(audit)
    slot = PlanSlot.objects.create(day=day, start=start, end=end, member=member, activity=activity.strip())
    slot.clauses.set(clauses)
    return slot


@transaction.atomic
def plan_slot_remove(*, actor, slot: PlanSlot) -> None:
    check(actor, permissions.require_can_plan, slot.day.audit)
    _require_editable(slot.day.audit)
    _reopen_plan(slot.day.audit)
    slot.delete()


def plan_hours(audit: Audit) -> Decimal:
    return sum((slot.hours for slot in PlanSlot.objects.filter(day__audit=audit)), Decimal(0))


def plan_problems(audit: Audit) -> list[str]:
    """What stops the plan from being confirmed, in words the planner can act on."""
    problems = []
    if not audit.team.filter(role=TeamRole.LEAD_AUDITOR).exists():
        problems.append(_("The team has no lead auditor."))
    if not audit.start_date or not audit.end_date:
        problems.append(_("Set the audit's first and last day."))
    planned_sites = set(
        AuditDay.objects.filter(audit=audit, slots__isnull=False).values_list("site_id", flat=True)
    )
    for site in audit.sites.all():
        if site.pk not in planned_sites:
            problems.append(_("%(site)s is in the sample but has no slot in the plan.") % {"site": site.name})
    problems += ict_problems(audit)
    if audit.planned_days is None:
        problems.append(_("Compute the audit time first."))
    else:
        expected = audit.planned_days * time_policy(audit).audit_day_hours
        hours = plan_hours(audit)
        if hours != expected and not audit.plan_justification.strip():
            problems.append(
                _(
                    "The plan has %(hours)s hours but the audit time is %(expected)s hours: adjust the slots "
                    "or record why they differ."
                )
                % {"hours": format(hours.normalize(), "f"), "expected": format(expected.normalize(), "f")}
            )
    problems += team_problems(audit=audit, today=timezone.localdate())
    problems += objection_problems(audit=audit)
    return problems


@transaction.atomic
def plan_confirm(*, actor, audit: Audit, justification: str = "") -> Audit:
    check(actor, permissions.require_can_plan, audit)
    _require_editable(audit)
    if audit.status != AuditStatus.PLANNED:
        raise ConflictError(_("The plan is already confirmed."))
    if justification:
        audit.plan_justification = justification.strip()
    problems = plan_problems(audit)
    if problems:
        raise DomainError(" ".join(problems))
    audit.status = AuditStatus.CONFIRMED
    audit.confirmed_at = timezone.now()
    audit.save(update_fields=["status", "confirmed_at", "plan_justification", "updated_at"])
    # Recorded with the confirmation and made once it commits; a failure is kept on the outbox
    # row for staff to retry, never a 500 for the confirmation.
    plan_pdf_queue(audit=audit)
    return audit


# -- Remote and hybrid audits (IAF MD 4) ----------------------------------------------------------

ICT_CHECK_TEXTS = {
    "tools": gettext_lazy("Name the ICT tools the audit will use."),
    "connectivity": gettext_lazy("Say how the connectivity was checked."),
    "confidentiality": gettext_lazy("Say how confidentiality and information security are kept."),
    "limitations": gettext_lazy("Say what cannot be seen remotely, and how it is covered."),
}


def onsite_minimum_percent(audit: Audit) -> int:
    """The least share of audit time on site: the strictest of the audit's schemes (policy, 80 %)."""
    minimums = CertificationScheme.objects.filter(standard__audits=audit).values_list(
        "min_onsite_percent", flat=True
    )
    return max(minimums, default=CertificationScheme._meta.get_field("min_onsite_percent").default)


def onsite_share_warning(audit: Audit, ict_check: IctCheck | None = None) -> str | None:
    """The warning when less of a remote or hybrid audit's time is on site than the scheme asks.

    A remote stage 1 under schemes that allow it counts towards no on-site time and is not warned about.
    """
    if audit.mode == AuditMode.ON_SITE:
        return None
    if (
        audit.audit_type == AuditType.STAGE1
        and not CertificationScheme.objects.filter(
            standard__audits=audit, stage1_remote_allowed=False
        ).exists()
    ):
        return None
    if audit.mode == AuditMode.REMOTE:
        remote = 100
    else:
        ict_check = ict_check or IctCheck.objects.filter(audit=audit).first()
        if ict_check is None:
            return None
        remote = ict_check.remote_percent
    minimum = onsite_minimum_percent(audit)
    if 100 - remote >= minimum:
        return None
    return _(
        "Only %(onsite)s %% of the audit time is on site, less than the %(minimum)s %% the scheme asks for."
    ) % {"onsite": 100 - remote, "minimum": minimum}


def ict_problems(audit: Audit) -> list[str]:
    """What stops a remote or hybrid audit's plan: no feasible ICT check, an unjustified on-site share."""
    if audit.mode == AuditMode.ON_SITE:
        return []
    ict_check = IctCheck.objects.filter(audit=audit).first()
    if ict_check is None:
        return [_("Record the ICT feasibility and risk check of this remote or hybrid audit.")]
    if not ict_check.feasible:
        return [
            _(
                "The ICT check found remote auditing not feasible: hold the audit on site or record a "
                "new check."
            )
        ]
    warning = onsite_share_warning(audit, ict_check)
    if warning and not ict_check.onsite_justification.strip():
        return [warning + " " + _("Record in the ICT check why, or plan more time on site.")]
    return []


@transaction.atomic
def ict_check_record(
    *,
    actor,
    audit: Audit,
    tools: str,
    connectivity: str,
    confidentiality: str,
    limitations: str,
    remote_percent: int,
    feasible: bool,
    onsite_justification: str = "",
) -> IctCheck:
    """Record (or record again) the ICT feasibility and risk check of a remote or hybrid audit.

    A confirmed plan becomes a draft again: the plan names the ICT used.
    """
    check(actor, permissions.require_can_plan, audit)
    _require_editable(audit)
    if audit.mode == AuditMode.ON_SITE:
        raise ConflictError(_("This audit is held on site: it needs no ICT check."))
    texts = {
        "tools": tools,
        "connectivity": connectivity,
        "confidentiality": confidentiality,
        "limitations": limitations,
    }
    for name, value in texts.items():
        if not value.strip():
            raise DomainError(str(ICT_CHECK_TEXTS[name]), field=name)
    if audit.mode == AuditMode.REMOTE:
        remote_percent = 100
    elif not 0 < remote_percent < 100:
        raise DomainError(
            _("A hybrid audit holds part of its time remotely: give a share between 1 and 99 %."),
            field="remote_percent",
        )
    _reopen_plan(audit)
    ict_check, _created = IctCheck.objects.update_or_create(
        audit=audit,
        defaults={
            **{name: value.strip() for name, value in texts.items()},
            "remote_percent": remote_percent,
            "feasible": feasible,
            "onsite_justification": onsite_justification.strip(),
            "checked_by": None if actor is SYSTEM else actor,
            "checked_at": timezone.now(),
        },
    )
    return ict_check
