"""Reads of the standards library."""

from typing import TypedDict

from django.db.models import Count, Q, QuerySet

from standards.models import Clause, Standard


def standards_with_counts() -> QuerySet[Standard]:
    return Standard.objects.select_related("scheme").annotate(
        clause_count=Count("clauses", filter=Q(clauses__is_active=True))
    )


class ClauseNode(TypedDict):
    id: int
    number: str
    title: str
    auditable: bool
    is_active: bool
    children: list["ClauseNode"]


def clause_tree(standard: Standard, *, include_inactive: bool = False) -> list[ClauseNode]:
    """The standard's clauses as nested dicts, built from one query."""
    clauses = Clause.objects.filter(standard=standard).order_by("order", "id")
    if not include_inactive:
        clauses = clauses.filter(is_active=True)
    nodes: dict[int, ClauseNode] = {
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
    roots: list[ClauseNode] = []
    for clause in clauses:
        parent = nodes.get(clause.parent_id) if clause.parent_id is not None else None
        (parent["children"] if parent else roots).append(nodes[clause.pk])
    return roots
