"""Reads of the standards library."""

from typing import TypedDict

from django.db.models import Count, Q, QuerySet

from standards.models import CertificationScheme, Clause, Standard


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


class Accreditation(TypedDict):
    standard: str
    scheme: int
    body: str
    number: str
    mark: str


def accreditation_of(standard: Standard) -> Accreditation | None:
    """What a certificate for this standard states of its accreditation; None when not accredited.

    Reads standard.scheme: select_related("scheme") it where several standards are read.
    """
    try:
        scheme = standard.scheme
    except CertificationScheme.DoesNotExist:
        return None
    if not scheme.accredited:
        return None
    return {
        "standard": standard.code,
        "scheme": scheme.pk,
        "body": scheme.accreditation_body,
        "number": scheme.accreditation_number,
        "mark": scheme.accreditation_mark.name or "",
    }


def accreditations_of(standards) -> list[Accreditation]:
    """The accreditations of these standards, in their order, those without one left out."""
    return [found for standard in standards if (found := accreditation_of(standard)) is not None]


def accreditation_status(standards) -> str:
    """IAF CertSearch's word: "Accredited" when every standard of the certificate is (its field
    name glossary accepts "Accredited" or "Unaccredited")."""
    standards = list(standards)
    if standards and all(accreditation_of(standard) is not None for standard in standards):
        return "Accredited"
    return "Unaccredited"
