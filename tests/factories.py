import datetime
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from audits.models import AuditMode, Competence, TeamRole
from certificates.models import Certificate
from clients.models import Organization, Site
from clients.validators import luhn_check_digit
from findings.models import (
    NONCONFORMITY_GRADES,
    Evidence,
    Finding,
    Grade,
    Nonconformity,
    NonconformityStatus,
    Visibility,
)
from reports.models import Conformity, Effectiveness
from reports.services import StatementInput
from standards.models import CertificationScheme, Clause, Standard
from standards.policy import SCHEME_PRESETS


def _org_number(n: int) -> str:
    base = f"556{n:06d}"
    return f"{base[:6]}-{base[6:]}{luhn_check_digit(base)}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("demo")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Kontaktcenter {n} AB")
    org_number = factory.Sequence(_org_number)
    address = "Drottninggatan 1"
    postal_code = "111 51"
    city = "Stockholm"
    country = "SE"
    contact_name = "Eva Ek"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.com")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Uppsala"
    country = "SE"
    effective_personnel = Decimal("20")


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"ISO 9{n:03d}:2020")
    title = "Test standard"
    edition = "2020"

    @factory.post_generation
    def with_scheme(standard, create, extracted, **kwargs):
        if create and not hasattr(standard, "scheme"):
            preset = extracted or "iso-18295"
            CertificationScheme.objects.create(standard=standard, **SCHEME_PRESETS[preset])


class ClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clause

    standard = factory.SubFactory(StandardFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    title = factory.Sequence(lambda n: f"Clause {n}")
    order = factory.Sequence(lambda n: n)


class CompetenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competence

    user = factory.SubFactory(UserFactory)
    standard = factory.SubFactory(StandardFactory)
    role = TeamRole.AUDITOR
    valid_from = datetime.date(2024, 1, 1)
    valid_to = datetime.date(2030, 12, 31)


def copy_certificate(certificate, number, *, with_sites=True, **changes):
    """Another certificate like this one (same organisation, standards and sites), for lists."""
    copy = Certificate.objects.get(pk=certificate.pk)
    standards = list(copy.standards.all())
    sites = list(copy.sites.all()) if with_sites else []
    copy.pk = None
    copy._state.adding = True
    copy.number = number
    copy.identity = uuid.uuid4()
    for name, value in changes.items():
        setattr(copy, name, value)
    copy.save()
    copy.standards.set(standards)
    for site in sites:
        site.pk = None
        site._state.adding = True
        site.certificate = copy
        site.save()
    return copy


def attach(finding, name, description="", visibility=Visibility.CLIENT):
    """An evidence file of the finding's, as a row (its bytes a stand-in): for reports, not uploads."""
    return Evidence.objects.create(
        finding=finding,
        audit=finding.audit,
        file=ContentFile(b"evidence", name=name),
        original_name=name,
        content_type="image/jpeg",
        size=8,
        sha256="0" * 64,
        description=description,
        visibility=visibility,
        uploaded_by=finding.recorded_by,
    )


def ready_to_certify(audit) -> None:
    """Bring a closed audit to where ISO/IEC 17021-1 9.5 lets it be certified, as the team's and the
    client's later work would: a conforming finding at each sampled site that has none, and every
    minor's answer accepted. Written straight to the tables: the audit is closed, so no service
    records findings on it any more."""
    clause = (
        Clause.objects.filter(standard__in=audit.standards.all(), auditable=True).order_by("order").first()
    )
    by = audit.closed_by or get_user_model().objects.filter(audit_roles__audit=audit).first()
    for site in audit.sites.all():
        if not Finding.objects.current().filter(audit=audit, site=site).exists():
            Finding.objects.create(
                audit=audit,
                clause=clause,
                site=site,
                grade=Grade.CONFORMING,
                statement="Seen on site.",
                recorded_by=by,
                updated_by=by,
            )
    Nonconformity.objects.filter(
        audit=audit,
        grade=Grade.MINOR,
        status__in=[NonconformityStatus.AWAITING_RESPONSE, NonconformityStatus.AWAITING_REVIEW],
    ).update(status=NonconformityStatus.ACCEPTED, accepted_at=timezone.now(), accepted_by=by)


def closing_report(audit) -> dict:
    """What audit_close asks besides the recommendation, as a team would state it: per standard, a
    system that conforms (with nonconformities to correct where some were found against it) and is
    effective; for a remote or hybrid audit, a word on the ICT."""
    found = set(
        Finding.objects.current()
        .filter(audit=audit, grade__in=NONCONFORMITY_GRADES)
        .values_list("clause__standard_id", flat=True)
    )
    statements = [
        StatementInput(
            standard.pk,
            Conformity.CONFORMING_WITH_NONCONFORMITIES if standard.pk in found else Conformity.CONFORMING,
            Effectiveness.EFFECTIVE,
            "",
        )
        for standard in audit.standards.all()
    ]
    report = {"statements": statements}
    if audit.mode != AuditMode.ON_SITE:
        report["ict_effectiveness"] = "The video calls and shared screens worked throughout."
    return report


def closing_form(audit) -> dict:
    """closing_report as the close page posts it: a conformity and an effectiveness per standard."""
    report = closing_report(audit)
    data = {key: value for key, value in report.items() if key != "statements"}
    for statement in report["statements"]:
        data[f"conformity_{statement.standard_id}"] = statement.conformity
        data[f"effectiveness_{statement.standard_id}"] = statement.effectiveness
    return data


def closing_body(audit) -> dict:
    """closing_report as the API takes it: each statement names its standard by code."""
    report = closing_report(audit)
    codes = dict(audit.standards.values_list("pk", "code"))
    statements = [
        {
            "standard": codes[statement.standard_id],
            "conformity": statement.conformity,
            "effectiveness": statement.effectiveness,
        }
        for statement in report["statements"]
    ]
    return {**report, "statements": statements}
