from django.db.models import Count, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.roles import is_staff_member
from audits.models import Audit, Clause, Standard
from clients.models import ClientMembership


def standards_with_counts() -> QuerySet[Standard]:
    return Standard.objects.select_related("scheme").annotate(
        clause_count=Count("clauses", filter=Q(clauses__is_active=True))
    )


def clause_tree(standard: Standard, *, include_inactive: bool = False) -> list[dict]:
    """The standard's clauses as nested dicts, built from one query."""
    clauses = Clause.objects.filter(standard=standard).order_by("order", "id")
    if not include_inactive:
        clauses = clauses.filter(is_active=True)
    nodes = {
        clause.pk: {
            "id": clause.pk,
            "number": clause.number,
            "title": clause.title,
            "auditable": clause.auditable,
            "is_active": clause.is_active,
            "children": [],
        }
        for clause in clauses
    }
    roots = []
    for clause in clauses:
        parent = nodes.get(clause.parent_id)
        (parent["children"] if parent else roots).append(nodes[clause.pk])
    return roots


def audits_for_user(user, queryset: QuerySet[Audit] | None = None) -> QuerySet[Audit]:
    """Audits the user may see: staff all; team members theirs (guardian); client users their own.

    A client's users are not granted per audit: their audits follow from their membership by a
    join, so a new audit is visible to them without any grant.
    """
    queryset = Audit.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if is_staff_member(user) or user.has_perm("audits.view_audit"):
        return queryset
    membership = ClientMembership.objects.filter(user=user).values("organization_id")
    granted = get_objects_for_user(user, "audits.view_audit", klass=Audit, accept_global_perms=False)
    return queryset.filter(Q(organization_id__in=membership) | Q(pk__in=granted.values("pk")))


def is_on_team(user, audit: Audit) -> bool:
    return audit.team.filter(user=user).exists()


def is_lead_auditor(user, audit: Audit) -> bool:
    return audit.team.filter(user=user, role="lead_auditor").exists()
